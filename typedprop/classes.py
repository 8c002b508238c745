"""The ``Backprop`` class: how to make a zero, add two, and make a one of a type's values.

Reverse mode needs three things of every value that can carry a gradient: ``zero`` (the gradient
of an input the output does not depend on), ``add`` (to sum the contributions of a value used more
than once) and ``one`` (the seed of the output). This module holds the instances for Python's and
numpy's types, the module-level ``zero``/``add``/``one`` that dispatch on a value's type, and
``register_backprop`` for user types. ``@model`` records (``typedprop.record``) get theirs
derived; nothing here knows of records, lenses or the tape.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from typedprop.errors import MissingInstanceError, ShapeError

__all__ = ["Backprop", "add", "instance_for", "one", "register_backprop", "zero"]

T = TypeVar("T")


class Backprop(Generic[T]):
    """How values of one type take part in back-propagation.

    Subclass it and pass an instance to ``register_backprop`` to differentiate through a type of
    your own. The three operations must obey these laws (``tests/test_classes.py`` checks them for
    every built-in instance; check your own the same way):

    - identity: ``add(x, zero(y)) == x`` and ``add(zero(x), y) == y`` (``x``, ``y`` alike);
    - ``add`` is commutative and associative;
    - ``zero`` and ``one`` are idempotent: ``zero(zero(x)) == zero(x)``, ``one(one(x)) == one(x)``;
    - ``one(x)`` is the gradient of the sum of ``x``'s numbers; for a number,
      ``one(x) == grad_bp(lambda v: v, x)``.

    ``children``/``rebuild`` are optional: containers implement them so that ``check_grad``
    and flattening can see the numbers inside. A leaf (a number or an array) leaves them alone.

    Example:
        >>> import typedprop as tp
        >>> class Money:
        ...     def __init__(self, cents: float) -> None:
        ...         self.cents = cents
        >>> class MoneyBackprop(tp.Backprop[Money]):
        ...     def zero(self, x: Money) -> Money:
        ...         return Money(0.0)
        ...     def add(self, x: Money, y: Money) -> Money:
        ...         return Money(x.cents + y.cents)
        ...     def one(self, x: Money) -> Money:
        ...         return Money(1.0)
        >>> tp.register_backprop(Money, MoneyBackprop())
        >>> tp.add(Money(2.0), Money(3.0)).cents
        5.0
    """

    def zero(self, x: T) -> T:
        """The additive identity with ``x``'s shape."""
        raise NotImplementedError

    def add(self, x: T, y: T) -> T:
        """The sum of two gradient contributions."""
        raise NotImplementedError

    def one(self, x: T) -> T:
        """The gradient of ``x`` with respect to itself: all ones with ``x``'s shape."""
        raise NotImplementedError

    def children(self, x: T) -> Sequence[Any] | None:
        """The values inside a container, or ``None`` for a leaf."""
        return None

    def rebuild(self, x: T, children: Sequence[Any]) -> T:
        """A value shaped like ``x`` holding ``children`` (the inverse of ``children``)."""
        raise NotImplementedError


_REGISTRY: dict[type, Backprop[Any]] = {}
_RESOLVED: dict[type, Backprop[Any]] = {}
_LIFTED: dict[type, Backprop[Any]] = {}


def register_backprop(tp: type[T], instance: Backprop[T], *, lifted: bool = False) -> None:
    """Make ``instance`` the ``Backprop`` instance of ``tp`` and of its subclasses.

    ``lifted`` is for wrapper types whose ``add`` must win over the other operand's (the engine
    uses it for ``BVar``); user types leave it alone.
    """
    if not isinstance(instance, Backprop):
        raise TypeError(
            f"register_backprop({tp.__name__}, ...): expected a typedprop.Backprop instance, "
            f"got {type(instance).__name__}; subclass Backprop and pass an instance of it"
        )
    _REGISTRY[tp] = instance
    _RESOLVED.clear()
    if lifted:
        _LIFTED[tp] = instance


def instance_for(x: object) -> Backprop[Any]:
    """The ``Backprop`` instance of ``x``'s type.

    Raises:
        MissingInstanceError: no instance is registered for the type or any of its bases.
    """
    tp = type(x)
    inst = _RESOLVED.get(tp)
    if inst is not None:
        return inst
    for base in tp.__mro__:
        inst = _REGISTRY.get(base)
        if inst is not None:
            _RESOLVED[tp] = inst
            return inst
    raise MissingInstanceError(_missing_message(tp))


def _missing_message(tp: type) -> str:
    name = tp.__qualname__
    return (
        f"no Backprop instance for type {tp.__module__}.{name}: typedprop does not know how to "
        f"make a zero, add two, or make a one of it. Decorate the class with @typedprop.model if "
        f"it is a record of parameters, or register an instance: "
        f"typedprop.register_backprop({name}, {name}Backprop()) where {name}Backprop subclasses "
        f"typedprop.Backprop and defines zero, add and one"
    )


def zero(x: T) -> T:
    """The zero of ``x``'s type with ``x``'s shape: ``0.0`` for a float, zeros for an array."""
    tx = type(x)
    if tx is float:
        return 0.0  # type: ignore[return-value]
    if tx is np.ndarray:
        return np.zeros(x.shape, _float_dtype(x.dtype))  # type: ignore[attr-defined,return-value]
    result: T = instance_for(x).zero(x)
    return result


def add(x: T, y: T) -> T:
    """The sum of two gradients of one type (fieldwise for containers)."""
    tx = type(x)
    if tx is float:
        return x + y  # type: ignore[operator,no-any-return]
    if tx is np.ndarray:
        total: Any = x + y  # type: ignore[operator]
        return total if type(total) is np.ndarray else np.asarray(total)  # type: ignore[return-value]  # 0-d stays 0-d
    lifted = _LIFTED.get(type(y))
    if lifted is not None:
        result: T = lifted.add(x, y)
        return result
    result = instance_for(x).add(x, y)
    return result


def one(x: T) -> T:
    """The one of ``x``'s type with ``x``'s shape: ``1.0`` for a float, ones for an array."""
    if type(x) is float:
        return 1.0  # type: ignore[return-value]
    result: T = instance_for(x).one(x)
    return result


# --- leaves ---


class _FloatBackprop(Backprop[float]):
    def zero(self, x: float) -> float:
        return 0.0

    def add(self, x: float, y: float) -> float:
        return x + y

    def one(self, x: float) -> float:
        return 1.0


class _IntBackprop(Backprop[int]):
    def zero(self, x: int) -> int:
        return 0

    def add(self, x: int, y: int) -> int:
        return x + y

    def one(self, x: int) -> int:
        return 1


class _ComplexBackprop(Backprop[complex]):
    def zero(self, x: complex) -> complex:
        return 0j

    def add(self, x: complex, y: complex) -> complex:
        return x + y

    def one(self, x: complex) -> complex:
        return 1 + 0j


class _NumpyScalarBackprop(Backprop[np.generic]):
    def zero(self, x: np.generic) -> np.generic:
        z: np.generic = _float_dtype(x.dtype).type(0)
        return z

    def add(self, x: np.generic, y: np.generic) -> np.generic:
        return x + y  # type: ignore[no-any-return,operator]

    def one(self, x: np.generic) -> np.generic:
        u: np.generic = _float_dtype(x.dtype).type(1)
        return u


def _float_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """Gradients of integer or boolean data are float64; float and complex keep their dtype."""
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


class _ArrayBackprop(Backprop[np.ndarray]):
    def zero(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(x.shape, _float_dtype(x.dtype))

    def add(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(x + y)  # 0-d arrays stay arrays (numpy gives a scalar)

    def one(self, x: np.ndarray) -> np.ndarray:
        return np.ones(x.shape, _float_dtype(x.dtype))


class _NoneBackprop(Backprop[None]):
    def zero(self, x: None) -> None:
        return None

    def add(self, x: None, y: None) -> None:
        return None

    def one(self, x: None) -> None:
        return None


# --- containers ---


class _TupleBackprop(Backprop[tuple[Any, ...]]):
    """Elementwise; a named tuple stays a named tuple."""

    def zero(self, x: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.rebuild(x, [zero(v) for v in x])

    def add(self, x: tuple[Any, ...], y: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(x) != len(y):
            raise ShapeError(
                f"add: tuples of length {len(x)} and {len(y)}; "
                f"gradients of a tuple have its length"
            )
        return self.rebuild(x, [add(a, b) for a, b in zip(x, y, strict=True)])

    def one(self, x: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.rebuild(x, [one(v) for v in x])

    def children(self, x: tuple[Any, ...]) -> Sequence[Any]:
        return x

    def rebuild(self, x: tuple[Any, ...], children: Sequence[Any]) -> tuple[Any, ...]:
        if type(x) is tuple:
            return tuple(children)
        make = getattr(type(x), "_make", None)
        return make(children) if make is not None else type(x)(children)


class _ListBackprop(Backprop[list[Any]]):
    """Elementwise; ``add`` of lists of different lengths keeps the longer one's tail, so that
    ``add(x, zero(y)) == x`` holds whatever the lengths (as in backprop's list instance)."""

    def zero(self, x: list[Any]) -> list[Any]:
        return [zero(v) for v in x]

    def add(self, x: list[Any], y: list[Any]) -> list[Any]:
        n = min(len(x), len(y))
        longer = x if len(x) >= len(y) else y
        return [add(a, b) for a, b in zip(x[:n], y[:n], strict=True)] + longer[n:]

    def one(self, x: list[Any]) -> list[Any]:
        return [one(v) for v in x]

    def children(self, x: list[Any]) -> Sequence[Any]:
        return x

    def rebuild(self, x: list[Any], children: Sequence[Any]) -> list[Any]:
        return list(children)


class _DictBackprop(Backprop[dict[Any, Any]]):
    """Valuewise; ``add`` is the union, adding the values of shared keys (a missing key is a
    zero)."""

    def zero(self, x: dict[Any, Any]) -> dict[Any, Any]:
        return {k: zero(v) for k, v in x.items()}

    def add(self, x: dict[Any, Any], y: dict[Any, Any]) -> dict[Any, Any]:
        out = dict(x)
        for k, v in y.items():
            out[k] = add(out[k], v) if k in out else v
        return out

    def one(self, x: dict[Any, Any]) -> dict[Any, Any]:
        return {k: one(v) for k, v in x.items()}

    def children(self, x: dict[Any, Any]) -> Sequence[Any]:
        return list(x.values())

    def rebuild(self, x: dict[Any, Any], children: Sequence[Any]) -> dict[Any, Any]:
        return dict(zip(x.keys(), children, strict=True))


register_backprop(float, _FloatBackprop())
register_backprop(int, _IntBackprop())
register_backprop(complex, _ComplexBackprop())
register_backprop(np.generic, _NumpyScalarBackprop())  # type: ignore[type-abstract]
register_backprop(np.ndarray, _ArrayBackprop())
register_backprop(type(None), _NoneBackprop())
register_backprop(tuple, _TupleBackprop())
register_backprop(list, _ListBackprop())
register_backprop(dict, _DictBackprop())


def is_scalar(x: object) -> bool:
    """Whether ``x`` is a single number (a Python or numpy number, or a 0-d array)."""
    if type(x) is float or isinstance(x, numbers.Number | np.generic):
        return not isinstance(x, bool | np.bool_)
    return isinstance(x, np.ndarray) and x.ndim == 0
