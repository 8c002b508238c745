"""Building your own differentiable operations: ``Op`` and its builders.

An ``Op`` is a function together with its vector-Jacobian product. Write the forward
computation and, beside it, the pullback that maps the output's gradient ``g`` to the inputs'
gradients; ``op1``/``op2``/``op3``/``op_n`` turn that into a function that works on plain values
and on ``BVar``s alike. For the pullback to be differentiable again (second derivatives), write it
with typedprop operations (``typedprop.functions``, operators on the values) rather than raw numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, get_origin, overload

import numpy as np

from typedprop import classes
from typedprop._core import (
    _CONST,
    BVar,
    Lazy,
    Op,
    _apply1,
    _apply2,
    _apply_n,
    _kind,
    _Partial,
    _user_grads,
    accumulate,
    check_gradient,
    deep_value,
)
from typedprop.errors import FieldTypeError, NoGradientError, PullbackError

if TYPE_CHECKING:  # typing only: lenses build on ops, not the other way round
    from typedprop.lens import Lens

__all__ = [
    "Lazy",
    "Op",
    "Op1",
    "Op2",
    "Op3",
    "OpN",
    "compose_op",
    "coerce_var",
    "id_op",
    "iso_var2",
    "lazy",
    "iso_var_n",
    "lift_op1",
    "lift_op2",
    "lift_op3",
    "lift_op_n",
    "no_grad",
    "op1",
    "op2",
    "op3",
    "op_const",
    "op_iso",
    "op_iso2",
    "op_iso_n",
    "op_lens",
    "op_n",
]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")


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


def lazy(thunk: Callable[[], A]) -> Lazy[A]:
    """A gradient for a pullback to return unevaluated: ``thunk()`` is called only if its
    argument needs a gradient, never for a constant one (the data a layer is applied to).

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp, op2
        >>> from typedprop.op import lazy
        >>> forced = []
        >>> @op2
        ... def matvec(m, v):
        ...     return m @ v, lambda g: (np.outer(g, v), lazy(lambda: forced.append(1) or m.T @ g))
        >>> m, v = np.eye(2), np.array([1.0, 2.0])
        >>> grad_bp(lambda m: matvec(m, v)[0], m), forced  # v is a constant: not computed
        (array([[1., 2.],
               [0., 0.]]), [])
    """
    return Lazy(thunk)


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", type(f).__name__)


def op1(f: Callable[[A], tuple[B, Callable[[B], A | Lazy[A]]]]) -> Op1[A, B]:
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


def op2(
    f: Callable[[A, B], tuple[C, Callable[[C], tuple[A | Lazy[A], B | Lazy[B]]]]],
) -> Op2[A, B, C]:
    """A differentiable function from ``f(x, y) -> (value, pullback)``; ``pullback(g)`` returns
    ``(gx, gy)``, either of which may be ``lazy``. Usable as a decorator.

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
    f: Callable[[A, B, C], tuple[D, Callable[[D], tuple[A | Lazy[A], B | Lazy[B], C | Lazy[C]]]]],
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
        return _apply_n(self._for(len(xs)), xs)

    def _for(self, n: int) -> Op:
        """The op of ``n`` arguments."""
        op = self._by_arity.get(n)
        if op is None:
            op = self._by_arity[n] = self._make(n)
        return op

    def _make(self, n: int) -> Op:
        assert self.pull is not None
        return Op(self.name, n, pull=self.pull)


def op_iso(to: Callable[[A], B], from_: Callable[[B], A], name: str = "iso") -> Op1[A, B]:
    """A differentiable function from an isomorphism: its gradient maps back with ``from_``.

    Only for structural isomorphisms (re-wrapping, reshaping, reordering), whose derivative is
    the identity: ``op_iso(np.exp, np.log)`` would give a wrong gradient. Differentiable to any
    order (the gradient of ``from_`` is ``to``).

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp, op_iso
        >>> from typedprop.functions import sum_elements
        >>> flat = op_iso(lambda m: m.reshape(-1), lambda v: v.reshape(2, 2))
        >>> grad_bp(lambda m: sum_elements(flat(m)), np.zeros((2, 2))).shape
        (2, 2)
    """
    out: Op1[A, B] = _Iso(name, to, from_, 1, tupled=False).fwd
    return out


def op_iso2(
    to: Callable[[A, B], C], from_: Callable[[C], tuple[A, B]], name: str = "iso2"
) -> Op2[A, B, C]:
    """A differentiable function of two arguments from an isomorphism (a constructor and its
    inverse): the gradient of ``to(x, y)`` maps back to ``(gx, gy)`` with ``from_``.

    Example:
        >>> from typedprop import grad_bp2, op_iso2
        >>> pair = op_iso2(lambda a, b: (a, b), lambda p: p)
        >>> grad_bp2(lambda a, b: pair(a, b)[0] * 3.0, 1.0, 2.0)
        (3.0, 0.0)
    """
    out: Op2[A, B, C] = _Iso(name, to, from_, 2, tupled=True).fwd
    return out


def op_iso_n(
    to: Callable[..., B], from_: Callable[[B], Sequence[Any]], name: str = "iso_n"
) -> OpN[B]:
    """A differentiable function of any number of arguments from an isomorphism: ``to(*xs)``
    and ``from_`` giving back one part per argument (a sequence), as backprop's ``opIsoN``.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp, op_iso_n, sequence_var
        >>> from typedprop.functions import sum_elements
        >>> stack = op_iso_n(lambda *vs: np.stack(vs), lambda m: tuple(m))
        >>> def f(p):
        ...     a, b = sequence_var(p)
        ...     return sum_elements(stack(a, b) * np.array([[1.0], [2.0]]))
        >>> grad_bp(f, (np.zeros(2), np.zeros(2)))
        (array([1., 1.]), array([2., 2.]))
    """
    return _VariadicIso(name, to, from_)


class _Iso:
    """An isomorphism as two ops, each the other's gradient: ``fwd`` computes ``to``, and its
    pullback is ``from_`` on a plain gradient or ``inv`` (``from_`` as an op) on a ``BVar`` one,
    so that nested derivatives are recorded. ``tupled``: ``from_`` returns one part per
    argument of ``to`` (else ``to`` has one argument and ``from_`` returns it)."""

    __slots__ = ("from_", "fwd", "inv", "n", "name", "to", "tupled")

    def __init__(
        self,
        name: str,
        to: Callable[..., Any],
        from_: Callable[[Any], Any],
        n: int,
        tupled: bool,
    ) -> None:
        self.name, self.to, self.from_, self.n, self.tupled = name, to, from_, n, tupled
        kind = {1: Op1, 2: Op2, 3: Op3}.get(n, OpN) if n != 1 or not tupled else Op
        self.fwd: Any = kind(name, n, pull=self._pull, bare=n == 1)
        self.inv = Op(f"{name} inverse", 1, pull=self._inv_pull, bare=True)

    def _pull(self, *xs: Any) -> tuple[Any, Callable[[Any], Any]]:
        def back(g: Any) -> Any:
            return self._back(g, xs)

        if any(type(x) is BVar for x in xs):  # a nested derivative: on the enclosing tape
            return _apply_n(self.fwd, xs), back
        return self.to(*xs), back

    def _back(self, g: Any, xs: Sequence[Any]) -> Any:
        if type(g) is BVar:
            parts = _apply1(self.inv, g)
            if self.n == 1:
                return _split(parts)
            return tuple(_split(parts[k]) for k in range(self.n))
        parts = self.from_(g)
        if self.tupled:
            parts = tuple(parts) if isinstance(parts, Sequence) else parts
            if not isinstance(parts, tuple) or len(parts) != self.n:
                raise PullbackError(
                    f"op_iso {self.name!r}: its from_ must return {self.n} parts, one per "
                    f"argument, but returned {_count(parts)}"
                )
        else:
            parts = (parts,)
        lead = f"op_iso {self.name!r}: its from_ returned"
        for k, (part, x) in enumerate(zip(parts, xs, strict=True)):
            where = "its argument" if self.n == 1 else f"argument {k}"
            check_gradient(lead, where, part, deep_value(x))
        return parts[0] if self.n == 1 else parts

    def _inv_pull(self, c: Any) -> tuple[Any, Callable[[Any], Any]]:
        if type(c) is BVar:
            return _apply1(self.inv, c), self._inv_back
        parts = self.from_(c)
        return (tuple(parts) if self.tupled else parts), self._inv_back

    def _inv_back(self, gs: Any) -> Any:
        if not self.tupled:
            return _split(_apply1(self.fwd, gs)) if type(gs) is BVar else self.to(gs)
        parts = tuple(gs[k] for k in range(self.n)) if type(gs) is BVar else tuple(gs)
        if any(type(p) is BVar for p in parts):
            return _split(_apply_n(self.fwd, parts))
        return self.to(*parts)


def _split(g: Any) -> Any:
    """A ``BVar`` gradient of a tuple, list or dict as that container of ``BVar``s (how the
    engine and ``check_grad`` expect a nested derivative's container gradients)."""
    v = deep_value(g)
    if type(g) is not BVar:
        return g
    if isinstance(v, dict):
        return {k: g[k] for k in v}
    if isinstance(v, tuple | list):
        return classes.instance_for(v).rebuild(v, [g[i] for i in range(len(v))])
    return g


def _count(parts: Any) -> str:
    return f"{len(parts)}" if isinstance(parts, tuple | list) else f"a {type(parts).__name__}"


class _VariadicIso(_VariadicOp):
    """``op_iso_n``'s result: an isomorphism op per arity, made on first use."""

    __slots__ = ("_from", "_to")

    def __init__(self, name: str, to: Callable[..., Any], from_: Callable[[Any], Any]) -> None:
        super().__init__(name, to)
        self._to, self._from = to, from_

    def _make(self, n: int) -> Op:
        out: Op = _Iso(self.name, self._to, self._from, n, tupled=True).fwd
        return out


def op_lens(lens: Lens[A, B]) -> Op1[A, B]:
    """The ``Op`` that views the part ``lens`` focuses on (backprop's ``opLens``): its gradient
    is the part's gradient put into a zero of the whole, kept sparse as a lens view's.

    Example:
        >>> from typedprop import Lens, grad_bp, op_lens
        >>> first = op_lens(Lens(lambda p: p[0], lambda p, a: (a, p[1]), name="first"))
        >>> first((1.0, 2.0)), grad_bp(lambda p: first(p) * 3.0, (1.0, 2.0))
        (1.0, (3.0, 0.0))
    """
    inner = lens._op
    op: Op1[A, B] = Op1(f"op_lens {lens.name}", 1, fwd=inner.fwd, vjps=inner.vjps)
    op.sparse = inner.sparse
    return op


def op_const(value: B, name: str = "const") -> OpN[B]:
    """An ``Op`` of any number of arguments that ignores them and returns ``value``: each
    argument's gradient is zero (backprop's ``opConst``).

    Example:
        >>> from typedprop import grad_bp2, op_const
        >>> seven = op_const(7.0)
        >>> seven(1.0, 2.0), grad_bp2(lambda x, y: seven(x, y) + x, 1.0, 2.0)
        (7.0, (1.0, 0.0))
    """
    return _ConstOp(name, value)


class _ConstOp(_VariadicOp):
    """``op_const``'s result: an op per arity whose arguments get no gradient."""

    __slots__ = ("_value",)

    def __init__(self, name: str, value: Any) -> None:
        super().__init__(name, lambda *xs: (value, lambda g: (None,) * len(xs)))
        self._value = value

    def _make(self, n: int) -> Op:
        value = self._value
        return Op(self.name, n, fwd=lambda *xs: value, vjps=(None,) * n)


class _IdOp(Op1[Any, Any]):
    """``id_op``'s type: an ``Op1`` typed, per call, as the identity of its argument's type."""

    __slots__ = ()

    @overload
    def __call__(self, x: BVar[A]) -> BVar[A]: ...
    @overload
    def __call__(self, x: A) -> A: ...
    def __call__(self, x: Any) -> Any:
        return _apply1(self, x)


def _id_vjp(g: Any, ans: Any, x: Any) -> Any:
    return g


id_op: _IdOp = _IdOp("id", 1, fwd=lambda x: x, vjps=(_id_vjp,))
id_op.sparse = True  # the gradient passes through as it comes, sparse or not
"""The identity as an ``Op`` (backprop's ``idOp``): ``id_op(x)`` is ``x``, gradient passed on."""


@overload
def compose_op(op: Op1[B, C], f: Op1[A, B], /) -> Op1[A, C]: ...
@overload
def compose_op(op: Op1[C, D], f: Op2[A, B, C], /) -> Op2[A, B, D]: ...
@overload
def compose_op(op: Op2[B, C, D], f: Op1[A, B], g: Op1[A, C], /) -> Op1[A, D]: ...
@overload
def compose_op(op: Op2[C, D, E], f: Op2[A, B, C], g: Op2[A, B, D], /) -> Op2[A, B, E]: ...
@overload
def compose_op(
    op: Op1[Any, C] | Op2[Any, Any, C], f: Op3[Any, Any, Any, Any] | OpN[Any], /, *ops: Op
) -> OpN[C]: ...
@overload
def compose_op(op: Op3[Any, Any, Any, C] | OpN[C], /, *ops: Op) -> OpN[C]: ...
def compose_op(op: Op, /, *ops: Op) -> Op:
    """``op`` applied to the outputs of ``ops``, which all take the same arguments: the ``Op``
    ``x -> op(f(x), g(x))`` (backprop's ``composeOp``; ``compose_op(g, f)`` is its ``g ~. f``).
    The gradients the arguments get through each of ``ops`` are summed.

    Raises:
        TypeError: ``op`` does not take one argument per op of ``ops``, or ``ops`` take
            different numbers of arguments.

    Example:
        >>> from typedprop import compose_op, grad_bp, id_op, op1, op2
        >>> @op1
        ... def square(x):
        ...     return x * x, lambda g: 2.0 * x * g
        >>> @op2
        ... def mul(x, y):
        ...     return x * y, lambda g: (g * y, g * x)
        >>> cube = compose_op(mul, square, id_op)  # x -> square(x) * x
        >>> cube(2.0), grad_bp(cube, 2.0)
        (8.0, 12.0)
    """
    if not ops:
        raise TypeError("compose_op: give the op and at least one op whose outputs it takes")
    if op.arity and op.arity != len(ops):
        raise TypeError(
            f"compose_op: {op.name!r} takes {op.arity} arguments but {len(ops)} ops were given"
        )
    arities = {o.arity for o in ops if not isinstance(o, _VariadicOp)}
    if len(arities) > 1:
        raise TypeError(
            f"compose_op: the ops take different numbers of arguments "
            f"({', '.join(f'{o.name!r}: {o.arity}' for o in ops)}); they share their arguments"
        )
    name = f"{op.name} . ({', '.join(o.name for o in ops)})"

    def pull(*xs: Any) -> tuple[Any, Callable[[Any], Any]]:
        runs = [_run(o, xs) for o in ops]
        ans, outer = _run(op, [a for a, _ in runs])

        def pullback(g: Any) -> Any:
            total: list[Any] = [None] * len(xs)
            for (_, inner), gi in zip(runs, outer(g), strict=True):
                if gi is None:
                    continue
                for j, gij in enumerate(inner(_full(gi))):
                    if gij is not None:
                        gij = _full(gij)
                        total[j] = gij if total[j] is None else accumulate(total[j], gij)
            return total[0] if len(xs) == 1 and arity == 1 else tuple(total)

        return ans, pullback

    if not arities:
        return _VariadicOp(name, pull)
    arity = arities.pop()
    kind = {1: Op1, 2: Op2, 3: Op3}.get(arity, OpN)
    return kind(name, arity, pull=pull, bare=arity == 1)


def _full(g: Any) -> Any:
    return g.full() if type(g) is _Partial else g


def _run(op: Op, xs: Sequence[Any]) -> tuple[Any, Callable[[Any], Sequence[Any]]]:
    """``op``'s value at ``xs`` (recorded on an enclosing call's tape where ``xs`` hold its
    ``BVar``s) and its pullback, one gradient per argument (``None``: none)."""
    if isinstance(op, _VariadicOp):
        op = op._for(len(xs))
    if len(xs) != op.arity:
        raise TypeError(f"op {op.name!r} takes {op.arity} arguments, got {len(xs)}")
    if op.pull is not None:
        ans, pb = op.pull(*xs)
        return ans, lambda g: _user_grads(op, pb(g), xs)
    ans = _apply_n(op, xs) if any(type(x) is BVar for x in xs) else op.fwd(*xs)
    vjps = op.vjps or ()
    return ans, lambda g: [None if v is None else v(g, ans, *xs) for v in vjps]


def iso_var2(
    to: Callable[[A, B], C],
    from_: Callable[[C], tuple[A, B]],
    x: BVar[A] | A,
    y: BVar[B] | B,
) -> BVar[C]:
    """``to(x, y)`` through an isomorphism, its gradient mapped back with ``from_`` (backprop's
    ``isoVar2``): build a value from two parts, such as a record from its fields.

    Example:
        >>> from typedprop import grad_bp2, iso_var2
        >>> def f(a, b):
        ...     return iso_var2(lambda a, b: (a, b), lambda p: p, a, b)[1] * 5.0
        >>> grad_bp2(f, 1.0, 2.0)
        (0.0, 5.0)
    """
    return _as_bvar(_apply2(op_iso2(to, from_, name="iso_var2"), x, y))


def iso_var_n(
    to: Callable[..., B], from_: Callable[[B], Sequence[Any]], xs: Sequence[Any]
) -> BVar[B]:
    """``to(*xs)`` through an isomorphism, its gradient mapped back with ``from_`` to one part
    per argument (backprop's ``isoVarN``).

    Example:
        >>> from typedprop import grad_bp, iso_var_n, sequence_var
        >>> def f(p):
        ...     a, b, c = sequence_var(p)
        ...     return iso_var_n(lambda *v: list(v), tuple, [a, b, c])[2] * 2.0
        >>> grad_bp(f, (1.0, 2.0, 3.0))
        (0.0, 0.0, 2.0)
    """
    iso = _Iso("iso_var_n", to, from_, len(xs), tupled=True)
    return _as_bvar(_apply_n(iso.fwd, xs))


def coerce_var(to: Callable[..., B], x: BVar[Any]) -> BVar[B]:
    """``x`` seen as a ``BVar`` of ``to``, a type its value already has (backprop's
    ``coerceVar``): the same ``BVar``, with no new node. For a ``NewType`` of the value's type,
    or a narrower annotation (``Vec[Literal[3]]`` for a ``Vec`` of unknown size).

    Raises:
        FieldTypeError: the value is not a ``to`` (another class, a ``Vec`` of another size):
            ``coerce_var`` does not convert; for a change of representation use ``iso_var``.

    Example:
        >>> from typing import NewType
        >>> from typedprop import coerce_var, grad_bp
        >>> Meters = NewType("Meters", float)
        >>> grad_bp(lambda x: coerce_var(Meters, x) * 3.0, 2.0)
        3.0
    """
    value = deep_value(x)
    target: Any = to
    while hasattr(target, "__supertype__"):  # a NewType is its base type at run time
        target = target.__supertype__
    origin = get_origin(target) or target  # Vec[Literal[3]] is a class that checks the size
    real = origin is float and _is_real(value)
    if isinstance(origin, type) and not real and not isinstance(value, origin):
        raise FieldTypeError(
            f"coerce_var: the value is {_kind(value)}, not a "
            f"{getattr(to, '__qualname__', to)}; coerce_var only re-types a value that already "
            f"is one (convert with iso_var or the type's constructor)"
        )
    out: BVar[B] = x if type(x) is BVar else BVar(cast(Any, x), _CONST)
    return out


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


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
        if any(type(a) is BVar and a._tape.tracing for a in args):
            return _traced_no_grad(f, name, args)
        return BVar(f(*(deep_value(a) for a in args)), _CONST)

    stopped.__name__ = name
    stopped.__doc__ = f.__doc__
    return stopped


def _traced_no_grad(f: Callable[..., B], name: str, args: Sequence[Any]) -> BVar[B]:
    """``no_grad(f)`` inside a compile trace (``typedprop.compiled``): a node with no gradient,
    so that the replay computes ``f`` from each call's values instead of the first call's."""
    fwd: Callable[..., Any] = f
    op = Op(f"no_grad({name})", len(args), fwd=fwd, vjps=(None,) * len(args))
    out: BVar[B] = _apply_n(op, args)
    return out


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
