"""The typed exceptions typedprop raises for user mistakes.

Every message says what happened, with the values involved, and what to do about it. Catch
``TypedpropError`` to handle them all; shape problems are also ``ValueError`` and misuse of the
API is also ``TypeError``, so code that catches the builtin kinds keeps working.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "DegenerateError",
    "FieldTypeError",
    "EscapedBVarError",
    "GradientCheckError",
    "LensError",
    "MissingInstanceError",
    "NoGradientError",
    "NonScalarOutputError",
    "ParallelError",
    "PullbackError",
    "ShapeError",
    "SingularMatrixError",
    "TraceError",
    "TypedpropError",
]


class TypedpropError(Exception):
    """Base class of every error typedprop raises on purpose."""


class ShapeError(TypedpropError, ValueError):
    """Operands or values whose dimensions do not fit the operation or the declared type."""


class MissingInstanceError(TypedpropError, TypeError):
    """A value whose type has no ``Backprop`` instance (no ``zero``/``add``/``one``)."""


class EscapedBVarError(TypedpropError, RuntimeError):
    """A ``BVar`` used after the ``grad_bp``/``eval_bp`` call that made it has returned."""


class NoGradientError(TypedpropError, RuntimeError):
    """A gradient reached what has none: a ``no_grad(f, strict=True)`` result, or a derivative
    of an order an operation does not provide (``product``'s third)."""


class NonScalarOutputError(TypedpropError, ValueError):
    """``grad_bp``/``backprop`` given a function whose output is not a single number."""


class GradientCheckError(TypedpropError, AssertionError):
    """``check_grad`` found reverse-mode derivatives that disagree with finite differences."""


class FieldTypeError(TypedpropError, TypeError):
    """A ``@model`` record field (or a ``Vec``/``Mat``) given a value of the wrong kind."""


class LensError(TypedpropError, TypeError):
    """A lens applied to a value it does not look into (a field lens of another record type)."""


class CheckpointError(TypedpropError, ValueError):
    """A checkpoint file that cannot be read back into the record type asked for."""


class PullbackError(TypedpropError, TypeError):
    """A hand-written pullback returned the wrong number or kind of gradients for its op."""


class SingularMatrixError(TypedpropError, ValueError):
    """A matrix without the property an operation needs: an inverse, or positive definiteness."""


class ParallelError(TypedpropError, RuntimeError):
    """A data-parallel step (``typedprop.parallel``) that cannot give the whole sum: a shard
    whose loss raised, a function or value that cannot be sent to the workers, a worker lost.
    ``shard`` is the index of the shard it names (``None`` when it concerns none in particular).
    """

    def __init__(self, message: str, shard: int | None = None) -> None:
        super().__init__(message)
        self.shard = shard


class DegenerateError(TypedpropError, ValueError):
    """Equal eigenvalues or singular values (or a zero one), where the vectors of a
    decomposition, and so the gradient through them, are not determined."""


class TraceError(TypedpropError, TypeError):
    """``compile_grad``/``compile_eval`` met what a replay of its trace could not repeat: a
    branch or index decided by a traced value, a value read out of a ``BVar`` into a
    constant, or a ``BVar`` of an enclosing call (a nested derivative)."""
