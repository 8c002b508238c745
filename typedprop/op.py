"""Building your own differentiable operations: ``Op`` and its builders.

An ``Op`` is a function together with its vector-Jacobian product. Write the forward
computation and, beside it, the pullback that maps the output's gradient ``g`` to the inputs'
gradients; ``op1``/``op2``/``op3``/``op_n`` turn that into a function that works on plain values
and on ``BVar``s alike. For the pullback to be differentiable again (second derivatives), write it
with typedprop operations (``typedprop.functions``, operators on the values) rather than raw numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, overload

from typedprop._core import (
    _CONST,
    BVar,
    Op,
    _apply1,
    _apply2,
    _apply_n,
    check_gradient,
    deep_value,
)
from typedprop.errors import NoGradientError

__all__ = [
    "Op",
    "Op1",
    "Op2",
    "Op3",
    "OpN",
    "lift_op1",
    "lift_op2",
    "lift_op3",
    "lift_op_n",
    "no_grad",
    "op1",
    "op2",
    "op3",
    "op_iso",
    "op_n",
]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")


class Op1(Op, Generic[A, B]):
    """A differentiable function of one argument (what ``op1`` returns)."""

    __slots__ = ()

    @overload
    def __call__(self, x: BVar[A]) -> BVar[B]: ...
    @overload
    def __call__(self, x: A) -> B: ...
    # an OpK takes K arguments where Op takes any number (checked at run time)
    def __call__(self, x: Any) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        return _apply1(self, x)


class Op2(Op, Generic[A, B, C]):
    """A differentiable function of two arguments (what ``op2`` returns)."""

    __slots__ = ()

    @overload
    def __call__(self, x: BVar[A], y: BVar[B] | B) -> BVar[C]: ...
    @overload
    def __call__(self, x: A, y: BVar[B]) -> BVar[C]: ...
    @overload
    def __call__(self, x: A, y: B) -> C: ...
    # an OpK takes K arguments where Op takes any number (checked at run time)
    def __call__(self, x: Any, y: Any) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        return _apply2(self, x, y)


class Op3(Op, Generic[A, B, C, D]):
    """A differentiable function of three arguments (what ``op3`` returns)."""

    __slots__ = ()

    @overload
    def __call__(self, x: BVar[A], y: B | BVar[B], z: C | BVar[C]) -> BVar[D]: ...
    @overload
    def __call__(self, x: A, y: BVar[B], z: C | BVar[C]) -> BVar[D]: ...
    @overload
    def __call__(self, x: A, y: B, z: BVar[C]) -> BVar[D]: ...
    @overload
    def __call__(self, x: A, y: B, z: C) -> D: ...
    # an OpK takes K arguments where Op takes any number (checked at run time)
    def __call__(self, x: Any, y: Any, z: Any) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        return _apply_n(self, (x, y, z))


class OpN(Op, Generic[D]):
    """A differentiable function of any number of arguments (what ``op_n`` returns)."""

    __slots__ = ()

    def __call__(self, *xs: Any) -> Any:
        return _apply_n(self, xs)


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", type(f).__name__)


def op1(f: Callable[[A], tuple[B, Callable[[B], A]]]) -> Op1[A, B]:
    """A differentiable function from ``f(x) -> (value, pullback)``; usable as a decorator.

    ``pullback(g)`` returns the gradient of ``x`` given the output's gradient ``g``.

    Example:
        >>> from typedprop import grad_bp, op1
        >>> @op1
        ... def square(x):
        ...     return x * x, lambda g: 2.0 * x * g
        >>> square(3.0), grad_bp(square, 3.0)
        (9.0, 6.0)
    """
    return Op1(_name(f), 1, pull=f, bare=True)


def op2(f: Callable[[A, B], tuple[C, Callable[[C], tuple[A, B]]]]) -> Op2[A, B, C]:
    """A differentiable function from ``f(x, y) -> (value, pullback)``; ``pullback(g)`` returns
    ``(gx, gy)``. Usable as a decorator.

    Example:
        >>> from typedprop import grad_bp2, op2
        >>> @op2
        ... def mul(x, y):
        ...     return x * y, lambda g: (g * y, g * x)
        >>> grad_bp2(mul, 3.0, 4.0)
        (4.0, 3.0)
    """
    return Op2(_name(f), 2, pull=f)


def op3(
    f: Callable[[A, B, C], tuple[D, Callable[[D], tuple[A, B, C]]]],
) -> Op3[A, B, C, D]:
    """A differentiable function from ``f(x, y, z) -> (value, pullback)``; ``pullback(g)``
    returns ``(gx, gy, gz)``. Usable as a decorator."""
    return Op3(_name(f), 3, pull=f)


def op_n(f: Callable[..., tuple[D, Callable[[D], Sequence[Any]]]]) -> OpN[D]:
    """A differentiable function of any number of arguments from
    ``f(*xs) -> (value, pullback)``; ``pullback(g)`` returns one gradient per argument.

    Each call may pass a different number of arguments.
    """
    return _VariadicOp(_name(f), f)


class _VariadicOp(OpN[Any]):
    """``op_n``'s result: an ``Op`` per arity, made on first use."""

    __slots__ = ("_by_arity",)

    def __init__(self, name: str, f: Callable[..., Any]) -> None:
        super().__init__(name, 0, pull=f)
        self._by_arity: dict[int, Op] = {}

    def __call__(self, *xs: Any) -> Any:
        op = self._by_arity.get(len(xs))
        if op is None:
            assert self.pull is not None
            op = self._by_arity[len(xs)] = Op(self.name, len(xs), pull=self.pull)
        return _apply_n(op, xs)


def op_iso(to: Callable[[A], B], from_: Callable[[B], A], name: str = "iso") -> Op1[A, B]:
    """A differentiable function from an isomorphism: its gradient maps back with ``from_``.

    Only for structural isomorphisms (re-wrapping, reshaping, reordering), whose derivative is
    the identity: ``op_iso(np.exp, np.log)`` would give a wrong gradient.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp, op_iso
        >>> from typedprop.functions import sum_elements
        >>> flat = op_iso(lambda m: m.reshape(-1), lambda v: v.reshape(2, 2))
        >>> grad_bp(lambda m: sum_elements(flat(m)), np.zeros((2, 2))).shape
        (2, 2)
    """
    lead = f"op_iso {name!r}: its from_ returned"

    def vjp(g: Any, ans: Any, x: Any) -> Any:
        gx = from_(g)
        check_gradient(lead, "its argument", gx, deep_value(x))
        return gx

    return Op1(name, 1, fwd=to, vjps=(vjp,))


def lift_op1(op: Op1[A, B], x: BVar[A] | A) -> BVar[B]:
    """Apply a one-argument ``Op`` to a ``BVar`` (backprop's ``liftOp1``; ``op(x)`` is the
    same)."""
    return _as_bvar(_apply1(op, x))


def lift_op2(op: Op2[A, B, C], x: BVar[A] | A, y: BVar[B] | B) -> BVar[C]:
    """Apply a two-argument ``Op`` to ``BVar``s (backprop's ``liftOp2``)."""
    return _as_bvar(_apply2(op, x, y))


def lift_op3(op: Op3[A, B, C, D], x: BVar[A] | A, y: BVar[B] | B, z: BVar[C] | C) -> BVar[D]:
    """Apply a three-argument ``Op`` to ``BVar``s (backprop's ``liftOp3``)."""
    return _as_bvar(_apply_n(op, (x, y, z)))


def lift_op_n(op: Op, xs: Sequence[Any]) -> BVar[Any]:
    """Apply an ``Op`` to a sequence of arguments (backprop's ``liftOp``)."""
    return _as_bvar(op(*xs))


def _as_bvar(r: Any) -> BVar[Any]:
    return r if type(r) is BVar else BVar(r, _CONST)


def no_grad(f: Callable[..., B], *, strict: bool = False) -> Callable[..., BVar[B]]:
    """``f`` applied to the values of its arguments, its result a constant: no gradient flows
    back through it (like JAX's ``stop_gradient``). Usable as a decorator.

    For functions whose derivative is zero wherever it exists (rounding, ``argmax``, a mask) or
    that you mean to hold fixed. With ``strict=True`` it is backprop's ``noGrad``, a debugging
    aid: the backward pass raises ``NoGradientError`` if a gradient ever reaches the result
    (so a value you meant only to look at has found its way into what you differentiate).

    Example:
        >>> from typedprop import grad_bp, no_grad
        >>> frozen = no_grad(lambda x: x * 10.0)
        >>> grad_bp(lambda x: x + frozen(x), 1.0)
        1.0
    """
    name = _name(f)
    if strict:
        return _strict_no_grad(f, name)

    def stopped(*args: Any) -> BVar[B]:
        return BVar(f(*(deep_value(a) for a in args)), _CONST)

    stopped.__name__ = name
    stopped.__doc__ = f.__doc__
    return stopped


def _strict_no_grad(f: Callable[..., B], name: str) -> Callable[..., BVar[B]]:
    """``no_grad(f, strict=True)``: a node whose pullback raises (one ``Op`` per arity)."""

    def refuse(g: Any, ans: Any, *args: Any) -> Any:
        raise NoGradientError(
            f"no_grad({name}, strict=True): a gradient reached its result during the backward "
            f"pass, but it was declared to have none. The value is used in what you "
            f"differentiate; use no_grad({name}) (strict=False) to treat it as a constant, or "
            f"a differentiable operation to get its gradient"
        )

    by_arity: dict[int, Op] = {}

    def guarded(*args: Any) -> BVar[B]:
        op = by_arity.get(len(args))
        if op is None:
            op = by_arity[len(args)] = Op(name, len(args), fwd=f, vjps=(refuse,) * len(args))
        return _as_bvar(_apply_n(op, args))

    guarded.__name__ = name
    guarded.__doc__ = f.__doc__
    return guarded
