"""The engine: ``BVar``, the tape, ``Op`` and the reverse sweep.

A ``BVar`` is a value with a place on a tape. Applying an ``Op`` to ``BVar`` arguments computes
the value and appends a node (the op, its output, its argument values and the tape indices of its
``BVar`` arguments) to the tape of the call that made them. The reverse sweep walks the nodes from
the output back to the inputs, calling each op's vector-Jacobian products and summing the
contributions with the ``Backprop`` ``add`` of each value's type.

Higher order. Each ``grad_bp`` call makes a tape with a fresh, increasing id. When arguments come
from several tapes, the newest tape owns the operation and sees the others' ``BVar``s as constant
values; the forward computation is then applied to those (older) ``BVar``s, so it is recorded on
their tapes too. Derivative rules are written with typedprop's own operations, so a gradient
computed from ``BVar`` values is itself a ``BVar`` of the enclosing call, and can be differentiated
again. Nothing is global: a tape lives in its call, and calls in threads never meet.

Sparse gradients of containers. Reading one element of a tuple (or one field of a record) must
not cost a zero-filled copy of the whole container per read. Such reads return a ``_Partial``: the
element gradients by key, merged by key as they accumulate and assembled into one full gradient
only when the container's node is reached, so ``k`` reads cost O(k) plus one assembly.

The public face of this module is ``typedprop`` (runners in ``typedprop._runners``) and
``typedprop.op`` (builders).
"""

from __future__ import annotations

import functools
import itertools
import operator
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload

import numpy as np

from typedprop import classes
from typedprop.errors import EscapedBVarError, PullbackError, ShapeError

if TYPE_CHECKING:  # typing only: the engine knows nothing of linalg at run time
    from numpy.typing import NDArray

    from typedprop.linalg import Mat, Vec
    from typedprop.nn import Embedding, GRUCell, LayerNorm, Linear, LSTMCell, SelfAttention

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
A = TypeVar("A")
A_co = TypeVar("A_co", covariant=True)
_M = TypeVar("_M", bound=int)
_N = TypeVar("_N", bound=int)
_K = TypeVar("_K", bound=int)
_Arr = TypeVar("_Arr", bound="NDArray[Any]")
_W = TypeVar("_W", bound="Vec[Any] | Mat[Any, Any] | NDArray[Any]")  # what a number scales
_P = ParamSpec("_P")
_R = TypeVar("_R")

_tape_ids = itertools.count(1)


class _Tape:
    """The nodes one call records; ``active`` until that call returns. ``elements`` maps a
    tuple or list input's ``BVar`` (by id, kept alive beside its element ``BVar``s) to the
    ``BVar``s its elements were registered as, so that ``p[0]`` records nothing."""

    __slots__ = ("active", "elements", "id", "nodes", "recording", "thread")

    def __init__(self, recording: bool) -> None:
        self.id = next(_tape_ids)
        self.nodes: list[Any] = []
        self.active = True
        self.recording = recording
        self.thread = threading.get_ident()  # calls nest only within one thread
        self.elements: dict[int, tuple[BVar[Any], list[BVar[Any]]]] | None = None

    # --- compiled mode (typedprop.compiled): a trace's tape overrides these two ---
    tracing = False  # a class attribute: ordinary tapes pay nothing for it

    def value_read(self, what: str) -> None:
        """A traced value decided ``what`` (a branch, an index): a trace refuses it."""


_CONST = _Tape(recording=False)
_CONST.id = 0  # older than every call's tape: a constant never owns an operation it shares
_CONST.thread = 0  # shared by every thread


class _Viewer(Protocol[A_co]):
    """Anything that views a part of a value (a ``typedprop.Lens``)."""

    def view(self, s: Any, /) -> A_co: ...


class _Transpose:
    """``BVar.T``, typed by the value: a ``BVar[Mat[M, N]]`` gives a ``BVar[Mat[N, M]]`` (a
    property cannot be overloaded on its object's type; a descriptor's ``__get__`` can)."""

    @overload
    def __get__(self, x: None, owner: Any) -> _Transpose: ...
    @overload
    def __get__(self, x: BVar[Mat[_M, _N]], owner: Any) -> BVar[Mat[_N, _M]]: ...
    @overload
    def __get__(self, x: BVar[T], owner: Any) -> BVar[T]: ...
    def __get__(self, x: BVar[Any] | None, owner: Any) -> Any:
        return self if x is None else _bv1(_arith.TRANSPOSE, x)


class BVar(Generic[T_co]):
    """A value inside a differentiable computation: what ``grad_bp`` hands your function.

    ``x.value`` is the current value. Python's operators (``+ - * / ** @``, unary ``-``, ``abs``,
    indexing) and typedprop's functions record themselves when given a ``BVar``; comparisons
    compare values and carry no gradient, so ``if x < 0:`` branches. A ``BVar`` belongs to the
    call that made it: using one after that call has returned, or with the ``BVar``s of a call
    in another thread, raises ``EscapedBVarError``.

    Example:
        >>> from typedprop import grad_bp
        >>> grad_bp(lambda x: x * x + 3.0 * x, 2.0)
        7.0
    """

    __slots__ = ("_index", "_tape", "value")
    __array_ufunc__ = None  # numpy operators defer to our reflected ones: ndarray + BVar works

    def __init__(self, value: T_co, tape: _Tape = _CONST, index: int = -1) -> None:
        self.value = value
        self._tape = tape
        self._index = index

    def __repr__(self) -> str:
        kind = "constant " if self._tape is _CONST else ""
        return f"BVar({kind}{self.value!r})"

    # --- arithmetic: each records one op node; rules live in typedprop._arith ---
    # Typed as at run time: a vector and a matrix make a matrix (the vector on each row), a
    # number and an array make the array; otherwise the result has this BVar's type.

    @overload  # first: a vector of unknown size with one stays a vector
    def __add__(self: BVar[Vec[_N]], other: BVar[Vec[_N]] | Vec[_N] | float) -> BVar[Vec[_N]]: ...
    @overload
    def __add__(
        self: BVar[Vec[_N]], other: BVar[Mat[_M, _N]] | Mat[_M, _N]
    ) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __add__(self: BVar[float], other: BVar[_W] | _W) -> BVar[_W]: ...
    @overload
    def __add__(self, other: object) -> BVar[T_co]: ...
    def __add__(self, other: object) -> BVar[Any]:
        return _bv2(_arith.ADD, self, other)

    @overload
    def __radd__(self: BVar[Vec[_N]], other: Mat[_M, _N]) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __radd__(self: BVar[float], other: _W) -> BVar[_W]: ...
    @overload
    def __radd__(self, other: object) -> BVar[T_co]: ...
    def __radd__(self, other: object) -> BVar[Any]:  # other + self
        return _bv2(_arith.ADD, other, self)

    @overload  # first: a vector of unknown size with one stays a vector
    def __sub__(self: BVar[Vec[_N]], other: BVar[Vec[_N]] | Vec[_N] | float) -> BVar[Vec[_N]]: ...
    @overload
    def __sub__(
        self: BVar[Vec[_N]], other: BVar[Mat[_M, _N]] | Mat[_M, _N]
    ) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __sub__(self: BVar[float], other: BVar[_W] | _W) -> BVar[_W]: ...
    @overload
    def __sub__(self, other: object) -> BVar[T_co]: ...
    def __sub__(self, other: object) -> BVar[Any]:
        return _bv2(_arith.SUB, self, other)

    @overload
    def __rsub__(self: BVar[Vec[_N]], other: Mat[_M, _N]) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __rsub__(self: BVar[float], other: _W) -> BVar[_W]: ...
    @overload
    def __rsub__(self, other: object) -> BVar[T_co]: ...
    def __rsub__(self, other: object) -> BVar[Any]:  # other - self
        return _bv2(_arith.SUB, other, self)

    @overload  # first: a vector of unknown size with one stays a vector
    def __mul__(self: BVar[Vec[_N]], other: BVar[Vec[_N]] | Vec[_N] | float) -> BVar[Vec[_N]]: ...
    @overload
    def __mul__(
        self: BVar[Vec[_N]], other: BVar[Mat[_M, _N]] | Mat[_M, _N]
    ) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __mul__(self: BVar[float], other: BVar[_W] | _W) -> BVar[_W]: ...
    @overload
    def __mul__(self, other: object) -> BVar[T_co]: ...
    def __mul__(self, other: object) -> BVar[Any]:
        return _bv2(_arith.MUL, self, other)

    @overload
    def __rmul__(self: BVar[Vec[_N]], other: Mat[_M, _N]) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __rmul__(self: BVar[float], other: _W) -> BVar[_W]: ...
    @overload
    def __rmul__(self, other: object) -> BVar[T_co]: ...
    def __rmul__(self, other: object) -> BVar[Any]:  # other * self
        return _bv2(_arith.MUL, other, self)

    @overload  # first: a vector of unknown size with one stays a vector
    def __truediv__(
        self: BVar[Vec[_N]], other: BVar[Vec[_N]] | Vec[_N] | float
    ) -> BVar[Vec[_N]]: ...
    @overload
    def __truediv__(
        self: BVar[Vec[_N]], other: BVar[Mat[_M, _N]] | Mat[_M, _N]
    ) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __truediv__(self: BVar[float], other: BVar[_W] | _W) -> BVar[_W]: ...
    @overload
    def __truediv__(self, other: object) -> BVar[T_co]: ...
    def __truediv__(self, other: object) -> BVar[Any]:
        return _bv2(_arith.DIV, self, other)

    @overload
    def __rtruediv__(self: BVar[Vec[_N]], other: Mat[_M, _N]) -> BVar[Mat[_M, _N]]: ...
    @overload
    def __rtruediv__(self: BVar[float], other: _W) -> BVar[_W]: ...
    @overload
    def __rtruediv__(self, other: object) -> BVar[T_co]: ...
    def __rtruediv__(self, other: object) -> BVar[Any]:  # other / self
        return _bv2(_arith.DIV, other, self)

    def __pow__(self, other: object) -> BVar[T_co]:
        return _bv2(_arith.POW, self, other)

    def __rpow__(self, other: object) -> BVar[T_co]:  # other ** self
        return _bv2(_arith.POW, other, self)

    # Dimensions flow through @ for Vec and Mat values; arrays keep their own type.
    @overload
    def __matmul__(self: BVar[Mat[_M, _N]], other: BVar[Vec[_N]] | Vec[_N]) -> BVar[Vec[_M]]: ...
    @overload
    def __matmul__(
        self: BVar[Mat[_M, _N]], other: BVar[Mat[_N, _K]] | Mat[_N, _K]
    ) -> BVar[Mat[_M, _K]]: ...
    @overload
    def __matmul__(
        self: BVar[Vec[_N]], other: BVar[Mat[_N, _K]] | Mat[_N, _K]
    ) -> BVar[Vec[_K]]: ...
    @overload
    def __matmul__(self: BVar[Vec[_N]], other: BVar[Vec[_N]] | Vec[_N]) -> BVar[float]: ...
    @overload
    def __matmul__(self: BVar[_Arr], other: object) -> BVar[_Arr]: ...
    def __matmul__(self, other: object) -> BVar[Any]:
        return _bv2(_arith.MATMUL, self, other)

    @overload
    def __rmatmul__(self: BVar[Vec[_N]], other: Mat[_M, _N]) -> BVar[Vec[_M]]: ...
    @overload
    def __rmatmul__(self: BVar[Mat[_N, _K]], other: Mat[_M, _N]) -> BVar[Mat[_M, _K]]: ...
    @overload
    def __rmatmul__(self: BVar[Mat[_N, _K]], other: Vec[_N]) -> BVar[Vec[_K]]: ...
    @overload
    def __rmatmul__(self: BVar[_Arr], other: object) -> BVar[_Arr]: ...
    def __rmatmul__(self, other: object) -> BVar[Any]:  # other @ self
        return _bv2(_arith.MATMUL, other, self)

    def __neg__(self) -> BVar[T_co]:
        return _bv1(_arith.NEG, self)

    def __pos__(self) -> BVar[T_co]:
        return self

    def __abs__(self) -> BVar[T_co]:
        return _bv1(_arith.ABS, self)

    @overload
    def __xor__(self, other: _Viewer[A]) -> BVar[A]: ...
    @overload
    def __xor__(self, other: A) -> BVar[A]: ...
    def __xor__(self, other: Any) -> Any:
        """``bvar ^ lens``: answered by the lens (``Lens.__rxor__``). Typed here too so that a
        checker that sees a class-level field as the field's own type infers the view's type."""
        return NotImplemented

    def __getitem__(self, key: Any) -> BVar[Any]:
        while type(key) is BVar:  # an index carries no gradient
            if key._tape.tracing:
                _traced_read(key, None, "an index taken from a traced value")
            key = key.value
        elements = self._tape.elements
        if elements is not None and type(key) is int and self._tape.active:
            entry = elements.get(id(self))
            if entry is not None and entry[0] is self and -len(entry[1]) <= key < len(entry[1]):
                return entry[1][key]  # an element of a tuple or list input: its own entry
        return _bv2(_arith.GETITEM, self, key)

    T = _Transpose()  # the transpose (reversed axes) of an array value

    # Typed per layer of typedprop.nn (a checker solving a ParamSpec from an overloaded
    # __call__ sees only its first overload; a protocol as self type is not matched in an
    # overload by mypy or pyright); any other record by its own __call__.
    @overload
    def __call__(self: BVar[Linear[_N, _M]], x: BVar[Vec[_N]] | Vec[_N], /) -> BVar[Vec[_M]]: ...
    @overload
    def __call__(
        self: BVar[Linear[_N, _M]], x: BVar[Mat[_K, _N]] | Mat[_K, _N], /
    ) -> BVar[Mat[_K, _M]]: ...
    @overload
    def __call__(self: BVar[LayerNorm[_N]], x: BVar[Vec[_N]] | Vec[_N], /) -> BVar[Vec[_N]]: ...
    @overload
    def __call__(
        self: BVar[LayerNorm[_N]], x: BVar[Mat[_K, _N]] | Mat[_K, _N], /
    ) -> BVar[Mat[_K, _N]]: ...
    @overload
    def __call__(
        self: BVar[GRUCell[_N, _M]], x: BVar[Vec[_N]] | Vec[_N], h: BVar[Vec[_M]] | Vec[_M], /
    ) -> BVar[Vec[_M]]: ...
    @overload
    def __call__(
        self: BVar[GRUCell[_N, _M]],
        x: BVar[Mat[_K, _N]] | Mat[_K, _N],
        h: BVar[Mat[_K, _M]] | Mat[_K, _M],
        /,
    ) -> BVar[Mat[_K, _M]]: ...
    @overload
    def __call__(
        self: BVar[LSTMCell[_N, _M]],
        x: BVar[Vec[_N]] | Vec[_N],
        state: tuple[BVar[Vec[_M]] | Vec[_M], BVar[Vec[_M]] | Vec[_M]],
        /,
    ) -> tuple[BVar[Vec[_M]], BVar[Vec[_M]]]: ...
    @overload
    def __call__(
        self: BVar[LSTMCell[_N, _M]],
        x: BVar[Mat[_K, _N]] | Mat[_K, _N],
        state: tuple[BVar[Mat[_K, _M]] | Mat[_K, _M], BVar[Mat[_K, _M]] | Mat[_K, _M]],
        /,
    ) -> tuple[BVar[Mat[_K, _M]], BVar[Mat[_K, _M]]]: ...
    @overload
    def __call__(
        self: BVar[SelfAttention[_N]],
        x: BVar[Mat[_K, _N]] | Mat[_K, _N],
        /,
        *,
        causal: bool = False,
    ) -> BVar[Mat[_K, _N]]: ...
    @overload
    def __call__(self: BVar[Embedding[Any, _N]], index: int | BVar[int], /) -> BVar[Vec[_N]]: ...
    @overload
    def __call__(
        self: BVar[Embedding[Any, _N]], index: NDArray[Any] | list[int], /
    ) -> BVar[Mat[Any, _N]]: ...
    @overload
    def __call__(self: BVar[Callable[_P, _R]], *args: _P.args, **kwargs: _P.kwargs) -> _R: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``layer(x)`` on a ``BVar`` of a callable record: the record's own ``__call__``, with
        this ``BVar`` as ``self`` (written with lenses, ``self ^ Layer.weight``, it serves both).
        """
        value = deep_value(self)
        if not callable(value):
            raise TypeError(
                f"a BVar of {type(value).__qualname__} is not callable: its value is not"
            )
        return type(value).__call__(self, *args, **kwargs)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the value (``()`` for a number)."""
        return np.shape(deep_value(self))

    @property
    def ndim(self) -> int:
        """The number of dimensions of the value (0 for a number)."""
        return len(self.shape)

    def __len__(self) -> int:
        return len(deep_value(self))

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    # --- comparisons: values only, no gradient ---

    def __lt__(self, other: object) -> Any:
        return _compared(self, other, operator.lt, "<")

    def __le__(self, other: object) -> Any:
        return _compared(self, other, operator.le, "<=")

    def __gt__(self, other: object) -> Any:
        return _compared(self, other, operator.gt, ">")

    def __ge__(self, other: object) -> Any:
        return _compared(self, other, operator.ge, ">=")

    def __eq__(self, other: object) -> Any:
        return _compared(self, other, operator.eq, "==")

    def __ne__(self, other: object) -> Any:
        return _compared(self, other, operator.ne, "!=")

    __hash__ = None  # type: ignore[assignment]  # equality compares values

    def __bool__(self) -> bool:
        if self._tape.tracing:
            _traced_read(self, None, "bool() (an if, while, and, or, not)")
        return bool(deep_value(self))

    if not TYPE_CHECKING:  # a run-time message only: checkers keep reporting unknown names

        def __getattr__(self, name: str) -> Any:
            """``x.weight`` on a ``BVar`` of a record is a mistake whose fix is a lens."""
            if name[:1] == "_":
                raise AttributeError(name)
            record = type(deep_value(self))
            if name in getattr(record, "_tp_lenses_", {}):
                raise AttributeError(
                    f"'BVar' object has no attribute {name!r}: to read the field {name!r} of "
                    f"a BVar of {record.__qualname__}, use a lens, x ^ {record.__qualname__}"
                    f".{name} (or split_bv(x).{name})"
                )
            raise AttributeError(f"'BVar' object has no attribute {name!r}")


def _compared(x: BVar[Any], y: object, op: Callable[[Any, Any], Any], symbol: str) -> Any:
    """A comparison of values (no gradient); a compile trace is told, as it decides a branch."""
    if x._tape.tracing or (type(y) is BVar and y._tape.tracing):
        _traced_read(x, y, f"a comparison ({symbol})")
    return op(deep_value(x), deep_value(y))


def _traced_read(x: Any, y: Any, what: str) -> None:
    """Tell the compile trace (``typedprop.compiled``) that owns ``x`` or ``y`` that a traced
    value decided ``what``; only reached while tracing, so ordinary calls never pay for it."""
    for v in (x, y):
        if type(v) is BVar and v._tape.tracing:
            v._tape.value_read(what)


def deep_value(x: Any) -> Any:
    """``x`` with every layer of ``BVar`` (one per enclosing call) taken off."""
    while type(x) is BVar:
        x = x.value
    return x


class Op:
    """A differentiable function: a forward computation with its vector-Jacobian products.

    Build one with ``op1``/``op2``/``op3``/``op_n`` (from a function returning the value and a
    pullback) or ``op_iso``; call it on plain values (no tape, no overhead beyond the call) or on
    ``BVar``s (one node on the tape). Built-in operations use the split form: ``fwd`` computes
    the value, ``vjps[k](g, ans, *args)`` the gradient of argument ``k`` (``None``: no gradient).
    """

    __slots__ = ("arity", "bare", "fwd", "name", "pull", "sparse", "vjps")

    def __init__(
        self,
        name: str,
        arity: int,
        *,
        fwd: Callable[..., Any] | None = None,
        vjps: Sequence[Callable[..., Any] | None] | None = None,
        pull: Callable[..., tuple[Any, Callable[[Any], Any]]] | None = None,
        bare: bool = False,
    ) -> None:
        if (pull is None) == (fwd is None or vjps is None):
            raise TypeError(f"Op {name!r}: give either fwd and vjps, or pull")
        self.name = name
        self.arity = arity
        self.fwd = fwd if fwd is not None else _value_of(pull)  # type: ignore[arg-type]
        self.vjps = tuple(vjps) if vjps is not None else None
        self.pull = pull
        self.bare = bare  # the pullback returns one gradient, not a tuple of them (op1)
        self.sparse = False  # its vjps take a sparse (_Partial) gradient as it is

    def __repr__(self) -> str:
        return f"<Op {self.name}/{self.arity}>"

    def __call__(self, *args: Any) -> Any:
        if len(args) != self.arity:
            raise TypeError(f"op {self.name!r} takes {self.arity} arguments, got {len(args)}")
        if self.arity == 1:
            return _apply1(self, args[0])
        if self.arity == 2:
            return _apply2(self, args[0], args[1])
        return _apply_n(self, args)


def _value_of(pull: Callable[..., tuple[Any, Any]]) -> Callable[..., Any]:
    """The forward-only function of a pullback-style op: its value, pullback dropped."""

    def fwd(*args: Any) -> Any:
        return pull(*args)[0]

    return fwd


def _escaped() -> EscapedBVarError:
    return EscapedBVarError(
        "a BVar was used after the grad_bp/eval_bp/backprop call that made it had returned: "
        "BVars belong to the function being differentiated. Return the values you need from "
        "that function (or read bvar.value inside it) instead of keeping the BVar"
    )


# --- applying an op: find the owning tape, compute, record ---


def _apply1(op: Op, x: Any) -> Any:
    if type(x) is not BVar:
        return op.fwd(x)
    tape = x._tape
    if not tape.active:
        raise _escaped()
    v = x.value
    pb = None
    if op.pull is not None:
        ans, pb = _pull(op, (v,))
    elif type(v) is BVar:
        ans = _apply1(op, v)
    else:
        ans = op.fwd(v)
    if tape.recording:
        nodes = tape.nodes
        nodes.append((op, ans, (v,), (x._index,), pb))
        return BVar(ans, tape, len(nodes) - 1)
    return BVar(ans, tape)


def _apply2(op: Op, x: Any, y: Any) -> Any:
    if type(x) is BVar:
        tape = x._tape
        if type(y) is BVar and y._tape is not tape:
            _same_thread(tape, y._tape)
            if y._tape.id > tape.id:
                tape = y._tape
                xv, px = _lower(x), -1
                yv, py = y.value, y._index
            else:
                xv, px = x.value, x._index
                yv, py = _lower(y), -1
        else:
            xv, px = x.value, x._index
            if type(y) is BVar:
                yv, py = y.value, y._index
            else:
                yv, py = y, -1
    elif type(y) is BVar:
        tape = y._tape
        xv, px = x, -1
        yv, py = y.value, y._index
    else:
        try:
            return op.fwd(x, y)
        except ValueError as e:
            raise _mismatch(op, x, y, e) from e
    if not tape.active:
        raise _escaped()
    pb = None
    if op.pull is not None:
        ans, pb = _pull(op, (xv, yv))
    elif type(xv) is BVar or type(yv) is BVar:
        ans = _apply2(op, xv, yv)
    else:
        try:
            ans = op.fwd(xv, yv)
        except ValueError as e:
            raise _mismatch(op, xv, yv, e) from e
    if tape.recording:
        nodes = tape.nodes
        nodes.append((op, ans, (xv, yv), (px, py), pb))
        return BVar(ans, tape, len(nodes) - 1)
    return BVar(ans, tape)


def _apply_n(op: Op, args: Sequence[Any]) -> Any:
    tape = None
    for a in args:
        if type(a) is BVar:
            if tape is None:
                tape = a._tape
            elif a._tape is not tape:
                _same_thread(tape, a._tape)
                if a._tape.id > tape.id:
                    tape = a._tape
    if tape is None:
        return op.fwd(*args)
    if not tape.active:
        raise _escaped()
    vals = []
    parents = []
    for a in args:
        if type(a) is BVar and a._tape is tape:
            vals.append(a.value)
            parents.append(a._index)
        else:
            vals.append(_lower(a))
            parents.append(-1)
    pb = None
    if op.pull is not None:
        ans, pb = _pull(op, vals)
    elif any(type(v) is BVar for v in vals):
        ans = _apply_n(op, vals)
    else:
        ans = op.fwd(*vals)
    if tape.recording:
        nodes = tape.nodes
        nodes.append((op, ans, tuple(vals), tuple(parents), pb))
        return BVar(ans, tape, len(nodes) - 1)
    return BVar(ans, tape)


def _same_thread(a: _Tape, b: _Tape) -> None:
    """Two tapes meet in one operation only when one call encloses the other, in one thread:
    a ``BVar`` of a call running in another thread is not an enclosing call's."""
    if a.thread != b.thread and a.thread and b.thread:
        raise EscapedBVarError(
            "a BVar of a grad_bp/eval_bp/backprop call running in another thread was used "
            "here: BVars belong to the function being differentiated, in its own thread. Pass "
            "values (bvar.value) between threads, not BVars"
        )


def _mismatch(op: Op, x: Any, y: Any, e: ValueError) -> Exception:
    """numpy's complaint about two operands' shapes, as a ShapeError naming the operation."""
    sx, sy = getattr(x, "shape", None), getattr(y, "shape", None)
    if isinstance(e, ShapeError) or sx is None or sy is None:
        return e
    return ShapeError(f"Dimension mismatch in {op.name}: {sx} {op.name} {sy} ({e})")


def _lower(x: Any) -> Any:
    """An argument the owning tape treats as a constant: a constant ``BVar`` is its plain value;
    an older call's ``BVar`` stays itself, so the forward computation records on its tape."""
    if type(x) is BVar and x._tape is _CONST:
        return x.value
    return x


def _pull(op: Op, vals: Sequence[Any]) -> tuple[Any, Any]:
    assert op.pull is not None
    try:
        return op.pull(*vals)
    except TypeError as e:
        if any(type(v) is BVar for v in vals):
            raise TypeError(
                f"op {op.name!r} was given a BVar of an enclosing grad_bp call (a nested "
                f"derivative); to be differentiated twice its forward and pullback must be "
                f"written with typedprop operations, not raw numpy ({e})"
            ) from e
        raise


# --- sparse container gradients ---


class _Partial:
    """Gradients of some elements of a container, by key, not yet assembled."""

    __slots__ = ("assemble", "container", "parts")

    def __init__(
        self,
        container: Any,
        assemble: Callable[[Any, dict[Any, Any]], Any],
        parts: dict[Any, Any],
    ) -> None:
        self.container = container
        self.assemble = assemble
        self.parts = parts

    def full(self) -> Any:
        return self.assemble(self.container, self.parts)


def accumulate(a: Any, b: Any) -> Any:
    """The sum of two gradient contributions to one value (either may be sparse)."""
    ta = type(a)
    tb = type(b)
    if ta is _Partial:
        if tb is _Partial and a.assemble is b.assemble:  # keys of one kind (indices, lenses)
            parts = a.parts
            for k, v in b.parts.items():
                parts[k] = v if k not in parts else accumulate(parts[k], v)
            return a
        a = a.full()
        ta = type(a)
    if tb is _Partial:
        b = b.full()
    if ta is np.ndarray or ta is float:
        return a + b
    if ta is BVar or tb is BVar:
        return _bv2(_arith.BP_ADD, a, b)
    return classes.add(a, b)


def materialize(g: Any, like: Any) -> Any:
    """A gradient as a full value of the type of ``like``, the value it is the gradient of.

    numpy turns 0-d arrays into numpy scalars on the way through most operations; the gradient
    of a 0-d array input is made a 0-d array again here, and that of a float a float. A real
    value's gradient is real: where the computation went through complex numbers, it is the
    real part (the gradient of the real part of the output).
    """
    if type(g) is _Partial:
        return g.full()
    tl = type(like)
    tg = type(g)
    if tl is np.ndarray:
        if tg is np.ndarray:
            if g.dtype.kind == "c" and like.dtype.kind != "c":
                return g.real.copy()
        elif tg is not BVar:
            if like.dtype.kind != "c":
                g = np.real(g)
            return np.asarray(g, classes.zero(like).dtype)
    elif tl is float:
        if tg is not float and tg is not BVar:
            return float(np.real(g))
    elif tg is np.ndarray and hasattr(tl, "_rewrap"):
        return tl._rewrap(g)  # an array wrapper's gradient is that wrapper (linalg's Vec)
    return g


# --- the reverse sweep ---


def backward(nodes: list[Any], out: int, seed: Any, n_inputs: int, free: bool) -> list[Any]:
    """Gradients of the first ``n_inputs`` tape entries, from ``seed`` at entry ``out``.

    With ``free`` the nodes are dropped as they are used, so the memory of the forward values
    goes back as the sweep proceeds. Entries with no gradient are ``None``.
    """
    grads: list[Any] = [None] * max(out + 1, n_inputs)
    grads[out] = seed
    for i in range(out, n_inputs - 1, -1):
        g = grads[i]
        if g is None:
            continue
        op, ans, vals, parents, pb = nodes[i]
        if free:
            grads[i] = None
            nodes[i] = None
        if type(g) is _Partial and not op.sparse:
            g = g.full()
        if pb is None:
            vjps = op.vjps
            for k, p in enumerate(parents):
                if p >= 0:
                    vjp = vjps[k]
                    if vjp is not None:
                        gk = vjp(g, ans, *vals)
                        if gk is not None:
                            cur = grads[p]
                            grads[p] = gk if cur is None else accumulate(cur, gk)
        else:
            gs = _user_grads(op, pb(g), vals, parents)
            for k in range(len(parents)):
                p = parents[k]
                gk = gs[k]
                if p < 0 or gk is None:
                    continue
                cur = grads[p]
                grads[p] = gk if cur is None else accumulate(cur, gk)
    return grads[:n_inputs]


class Lazy(Generic[T_co]):
    """A gradient a pullback returns unevaluated (``typedprop.op.lazy``): computed only for an
    argument that needs one, so a constant argument's (the data's) costs nothing."""

    __slots__ = ("thunk",)

    def __init__(self, thunk: Callable[[], T_co]) -> None:
        self.thunk = thunk

    def __repr__(self) -> str:
        return f"lazy({self.thunk!r})"


def _user_grads(
    op: Op, gs: Any, vals: Sequence[Any], parents: Sequence[int] | None = None
) -> Sequence[Any]:
    """A pullback's result, checked: one gradient per argument, each of its argument's kind
    and shape (a number for a number, a ``Vec[3]`` for a ``Vec[3]``, a record for a record).
    A ``Lazy`` gradient is forced where its argument's tape index (``parents``) is that of a
    variable, dropped where it is a constant's; without ``parents``, all are forced."""
    if op.bare:
        gs = (gs,)
    elif not isinstance(gs, tuple | list) or len(gs) != op.arity:
        got = f"{len(gs)} values" if isinstance(gs, tuple | list) else _kind(gs)
        raise PullbackError(
            f"op {op.name!r}: its pullback must return a tuple of {op.arity} gradients, "
            f"one per argument (None for no gradient), but returned {got}"
        )
    for k, (gk, v) in enumerate(zip(gs, vals, strict=True)):
        if type(gk) is Lazy:
            gs = list(gs)  # the pullback's own tuple is left as it is
            gk = gs[k] = None if parents is not None and parents[k] < 0 else gk.thunk()
        if gk is None:
            continue
        gk, v = deep_value(gk), deep_value(v)
        if type(gk) is type(v) is np.ndarray and gk.shape == v.shape:
            continue
        check_gradient(f"op {op.name!r}: its pullback returned", f"argument {k}", gk, v)
    return gs  # type: ignore[no-any-return]


def check_gradient(lead: str, where: str, g: Any, v: Any) -> None:
    """Raise if ``g`` cannot be the gradient of the value ``v``: ``lead`` says who made ``g``
    (``"op 'f': its pullback returned"``), ``where`` names ``v``."""
    tv = type(v)
    g = deep_value(g)
    bad: type[Exception] | None = None
    if tv is np.ndarray or hasattr(tv, "_rewrap"):
        if not (
            type(g) is np.ndarray
            or hasattr(type(g), "_rewrap")
            or (_is_number(g) and not np.shape(v))
        ):
            bad = ShapeError if _is_number(g) or hasattr(g, "shape") else PullbackError
        elif np.shape(g) != np.shape(v):
            bad = ShapeError
    elif _is_number(v):
        if not (_is_number(g) or (type(g) is np.ndarray and g.ndim == 0)):
            bad = ShapeError if hasattr(g, "shape") else PullbackError
    elif tv is tuple or tv is list or tv is dict or hasattr(tv, "__attrs_attrs__"):
        if type(g) is not tv or len(_parts(g)) != len(_parts(v)):
            bad = PullbackError
        else:
            for name, gi, vi in zip(_part_names(v), _parts(g), _parts(v), strict=True):
                if gi is not None:
                    check_gradient(lead, f"{where}, {name}", gi, vi)
    if bad is not None:
        raise bad(
            f"{lead} {_kind(g)} as the gradient of {where}, which is {_kind(v)}; a gradient "
            f"has the kind and shape of its value"
        )


def _is_number(x: Any) -> bool:
    return isinstance(x, float | int | complex | np.number) and not isinstance(x, bool)


def _parts(x: Any) -> Sequence[Any]:
    if type(x) is dict:
        return list(x.values())
    if type(x) is tuple or type(x) is list:
        return x
    return [getattr(x, a.name) for a in type(x).__attrs_attrs__]


def _part_names(x: Any) -> list[str]:
    if type(x) is dict:
        return [f"key {k!r}" for k in x]
    if type(x) is tuple or type(x) is list:
        return [f"element {i}" for i in range(len(x))]
    return [f"field {a.name!r}" for a in type(x).__attrs_attrs__]


def _kind(x: Any) -> str:
    """How a value is named in messages: ``Vec[3]``, ``an array of shape (2,)``, ``a str``."""
    t = type(x)
    if hasattr(t, "_rewrap"):
        return f"{t.__name__}[{', '.join(map(str, x.shape))}]"
    if t is np.ndarray:
        return f"an array of shape {x.shape}"
    return f"a {t.__name__}"


def _element_grad(k: int, g: Any, ans: Any, *elements: Any) -> Any:
    """The gradient of element ``k`` of a tuple or list, from the container's gradient."""
    if type(g) is _Partial:
        if g.assemble is _arith._assemble_sequence:  # element reads (slices): keyed by index
            return g.parts.get(k)
        g = g.full()  # through a lens: keyed by lens
    return g[k]


_UNPACK: dict[int, Op] = {}


def unpack_op(n: int) -> Op:
    """The op that ties a tuple or list input of ``n`` elements to its elements' tape entries:
    its gradient, whole or sparse, goes to each element's entry."""
    op = _UNPACK.get(n)
    if op is None:
        vjps = [functools.partial(_element_grad, k) for k in range(n)]
        op = Op("elements", n, fwd=lambda *elements: elements, vjps=vjps)
        op.sparse = True
        _UNPACK[n] = op
    return op


class _BVarBackprop(classes.Backprop[BVar[Any]]):
    """Gradients that are themselves ``BVar``s (a nested derivative) add on their tape."""

    def zero(self, x: BVar[Any]) -> Any:
        return classes.zero(deep_value(x))

    def add(self, x: Any, y: Any) -> Any:
        return _bv2(_arith.BP_ADD, x, y)

    def one(self, x: BVar[Any]) -> Any:
        return classes.one(deep_value(x))


classes.register_backprop(BVar, _BVarBackprop(), lifted=True)

# The appliers as BVar's operators see them: a BVar argument always gives a BVar.
_bv1: Callable[[Op, Any], BVar[Any]] = _apply1
_bv2: Callable[[Op, Any, Any], BVar[Any]] = _apply2

from typedprop import _arith  # noqa: E402  - the operator rules need BVar and Op first
