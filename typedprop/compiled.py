"""Compiled gradients: trace a function once per input signature, then replay its numpy work.

``compile_grad(f)`` is ``grad_bp_n(f, ...)`` made cheaper for a function called many times on
inputs of one shape (a training step). The first call for a signature (the inputs' structure,
types, shapes and dtypes, and the values of their static parts) runs ``f`` on a tape, as
``grad_bp_n`` does, and turns what the tape recorded into one straight-line Python function:
each recorded operation's forward computation in order, then each derivative rule of the reverse
sweep, then the gradients made into the inputs' types. Later calls with that signature run this
function on the new inputs: no ``BVar``, no tape, no dispatch, no Python of ``f`` at all.

So a replay is only right if ``f`` would have recorded the same operations on the new inputs.
The trace refuses (``TraceError``) what it can see would not: a branch, comparison or index
decided by a traced value, a value read out of a ``BVar`` and fed back as a constant, and a
``BVar`` of an enclosing call (a nested derivative). What it cannot see is documented in
``docs/compiled.md``: everything ``f`` closes over is a constant of the trace.
"""

from __future__ import annotations

import linecache
import math
import operator
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

import attrs
import numpy as np

from typedprop import _arith, classes, functions
from typedprop._core import (
    _CONST,
    BVar,
    Lazy,
    _apply1,
    _apply2,
    _apply_n,
    _Partial,
    _Tape,
    _user_grads,
    accumulate,
    backward,
    materialize,
)
from typedprop._runners import (
    _arrays,
    _collect_if_vars,
    _root,
    _Run,
    _unaliased,
    eval_bp_n,
    grad_bp_n,
)
from typedprop._tree import leaves
from typedprop.errors import TraceError

__all__ = ["CompiledEval", "CompiledGrad", "compile_eval", "compile_grad"]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

MAX_TRACES = 8  # signatures kept per compiled function; the oldest trace goes first

_PKG = os.path.dirname(os.path.abspath(__file__)) + os.sep


# --- the signature of a call: what a replay needs to be the same ---


def _signature(xs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The cache key of a call: structure, types, shapes and dtypes of the inputs, and the
    values of what is not differentiated (ints, strings, static fields)."""
    return tuple([(x.shape, x.dtype) if type(x) is np.ndarray else _sig(x) for x in xs])


def _sig(x: Any) -> Any:
    """The key of one value, by a function made once per type (records: once per class)."""
    t = type(x)
    key = _SIGS.get(t)
    if key is None:
        key = _SIGS[t] = _sig_for(t)
    return key(x)


def _sig_for(t: type) -> Callable[[Any], Any]:
    """How the values of type ``t`` are keyed."""
    if t is np.ndarray:
        return lambda x: (x.shape, x.dtype)
    if t is float or t is complex:
        return lambda x: t
    if t is BVar:
        return _refuse_bvar
    if hasattr(t, "_rewrap"):  # Vec, Mat
        return lambda x: (t, x.array.shape, x.array.dtype)
    if t is tuple or t is list:
        return lambda x: (t, tuple([_sig(e) for e in x]))
    if t is dict:
        return lambda x: (t, tuple([(k, _sig(v)) for k, v in x.items()]))
    if issubclass(t, np.generic):
        inexact = issubclass(t, np.inexact)
        return lambda x: t if inexact else (t, x)
    fields = _record_fields(t)
    if fields is not None:
        diff, statics = fields

        def record(x: Any) -> Any:
            return (
                t,
                tuple([_sig(getattr(x, n)) for n in diff]),
                tuple([_static(getattr(x, n)) for n in statics]),
            )

        return record
    if t is int or t is bool or t is str or t is type(None):
        return lambda x: (t, x)
    return _sig_generic


def _sig_generic(x: Any) -> Any:
    """A value of a type with a ``Backprop`` instance of its own (or none: a constant)."""
    try:
        parts = classes.instance_for(x).children(x)
    except TypeError:
        parts = None
    if parts is None:
        return (type(x), _static(x))
    return (type(x), tuple([_sig(p) for p in parts]))


def _refuse_bvar(x: Any) -> Any:
    """A ``BVar`` among the arguments: a compiled function inside another derivative."""
    raise TraceError(
        "a compiled function was called with a BVar: compile_grad and compile_eval do not "
        "nest inside grad_bp/backprop or another trace (a higher-order derivative). Call "
        "the function with plain values, or use grad_bp_n for nested derivatives"
    )


_SIGS: dict[type, Callable[[Any], Any]] = {}


def _static(v: Any) -> Any:
    """A value a trace bakes in, as a key: itself if it can be one, else its identity."""
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    return (type(v), v)


_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}


def _record_fields(t: type) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A record class's differentiable and static field names (``None``: not a record)."""
    try:
        return _FIELDS[t]
    except KeyError:
        pass
    found: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    if attrs.has(t):
        fields = attrs.fields(t)
        statics = tuple(f.name for f in fields if f.metadata.get("typedprop.static"))
        found = (tuple(f.name for f in fields if f.name not in statics), statics)
    _FIELDS[t] = found
    return found


# --- tracing: a tape that watches for what a replay could not repeat ---


def _where(frame: Any) -> str:
    """The first frame outside typedprop, as ``file:line: code``."""
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(_PKG):
            line = linecache.getline(code.co_filename, frame.f_lineno).strip()
            return f"{code.co_filename}:{frame.f_lineno}" + (f": {line}" if line else "")
        frame = frame.f_back
    return "an unknown place"


class _TraceTape(_Tape):
    """The tape of a trace: a traced value deciding anything makes the trace refuse."""

    __slots__ = ("refused",)
    tracing = True

    def __init__(self) -> None:
        super().__init__(recording=True)
        self.refused: str | None = None

    def value_read(self, what: str) -> None:
        """Refuse the trace: a traced value decided ``what`` (where: the user's line)."""
        message = (
            f"{what} at {_where(sys._getframe(1))} depends on the value of a traced BVar: a "
            f"replay would repeat the first call's decision whatever the new values are. Write "
            f"it with typedprop operations (functions.maximum, relu, where-style masks made "
            f"with no_grad), or run such calls eagerly: compile_grad(f, fallback=True) or "
            f"grad_bp_n"
        )
        if self.refused is None:
            self.refused = message  # kept, in case f catches the exception
        raise TraceError(message)


class _TraceNodes(list[Any]):
    """A trace tape's node list: records where each node was made, and refuses a node
    recorded from inside another tape's operation or reverse sweep (a nested derivative)."""

    def __init__(self, n: int) -> None:
        super().__init__([None] * n)
        self.where: list[str] = [""] * n

    def append(self, node: Any) -> None:
        """Record ``node`` and where the user made it, unless a nested derivative did."""
        frame: Any = sys._getframe(2)  # above the _apply that records this node
        where = None
        while frame is not None and frame.f_code is not _RUN_CODE:
            code = frame.f_code
            if code in _ENGINE_CODES:
                raise TraceError(
                    f"{node[0].name!r} at {_where(frame)} was applied to a BVar of the traced "
                    f"call from inside another grad_bp/backprop/eval_bp call (a nested "
                    f"derivative): compile_grad does not trace those. Use grad_bp_n for "
                    f"higher-order derivatives"
                )
            if where is None and not code.co_filename.startswith(_PKG):
                where = _where(frame)
            frame = frame.f_back
        self.where.append(where or "an unknown place")
        super().append(node)


_ENGINE_CODES = frozenset(
    {_apply1.__code__, _apply2.__code__, _apply_n.__code__, backward.__code__}
)


def _run(f: Callable[..., Any], args: list[Any]) -> Any:
    """Call ``f`` on the traced inputs (the frame the node checks stop at)."""
    out = f(*args)
    if type(out) is not BVar and isinstance(out, tuple | list | dict):
        out = _collect_if_vars(out)
    return out


_RUN_CODE = _run.__code__


class _Trace:
    """One run of ``f`` on a trace tape, checked for what a replay could not repeat."""

    def __init__(self, f: Callable[..., Any], xs: tuple[Any, ...], who: str) -> None:
        tape = _TraceTape()
        tape.nodes = _TraceNodes(len(xs))
        args = [BVar(x, tape, i) for i, x in enumerate(xs)]
        try:
            out = _run(f, args)
        finally:
            tape.active = False
        if tape.refused is not None:
            raise TraceError(tape.refused)
        self.who = who
        self.tape = tape
        self.xs = xs
        self.out = out
        self.run = _Run.__new__(_Run)  # the runners' own output checks and seeds
        self.run.tape, self.run.inputs, self.run.out = tape, xs, out
        self.run.n_leaves, self.run.spans = len(xs), None  # each input one entry of the trace
        self._check()

    def _check(self) -> None:
        """Refuse BVars of enclosing calls and constants that are traced values."""
        out = self.out
        if type(out) is BVar and out._tape is not self.tape and out._tape is not _CONST:
            raise TraceError(
                f"{self.who}: the function returned a BVar of an enclosing grad_bp/backprop "
                f"call; compiled functions do not nest in other derivatives"
            )
        found: list[Any] = []
        _memory(self.xs, found)
        nodes = cast(_TraceNodes, self.tape.nodes)
        n = len(self.xs)
        for node in nodes[n:]:
            _memory(node[1], found)
        traced = {id(_root(a)) for a in found}
        for i in range(n, len(nodes)):
            op, _, vals, parents, _ = nodes[i]
            for k, (v, p) in enumerate(zip(vals, parents, strict=True)):
                if p >= 0:
                    continue
                if type(v) is BVar:
                    raise TraceError(
                        f"{self.who}: {op.name!r} at {nodes.where[i]} was given a BVar of an "
                        f"enclosing grad_bp/backprop call (closed over, or passed in a "
                        f"container): compiled functions do not nest in other derivatives"
                    )
                consts: list[Any] = []
                _memory(v, consts)
                if any(id(_root(c)) in traced for c in consts):
                    raise TraceError(
                        f"{self.who}: argument {k} of {op.name!r} at {nodes.where[i]} is a "
                        f"constant that holds the value of a traced input or intermediate "
                        f"(read with .value): a replay would use the first call's value. Pass "
                        f"the BVar itself, or no_grad(fn)(bvar) to stop its gradient"
                    )


def _memory(x: Any, out: list[Any]) -> None:
    """The arrays inside ``x``: its plain arrays and those inside ``Vec``/``Mat`` values."""
    if hasattr(type(x), "_rewrap"):
        out.append(x.array)
        return
    parts: list[Any] = []
    _arrays(x, parts)
    out += parts
    if type(x) is not np.ndarray:
        for leaf in _tree_leaves(x):
            if hasattr(type(leaf), "_rewrap"):
                out.append(leaf.array)


def _tree_leaves(x: Any) -> list[Any]:
    """The leaves of a container or record (``x`` itself for anything else)."""
    try:
        return leaves(x)
    except TypeError:
        return [x]


# --- code generation ---

_INFIX = {
    operator.add: "+",
    operator.sub: "-",
    operator.mul: "*",
    operator.truediv: "/",
    operator.matmul: "@",
}
# vjps that hand the output's gradient on as it is whenever they did so in the trace: it is
# decided by types and shapes only (unbroadcast of a gradient already of its argument's shape)
_PASS_ON = {
    (_arith.ADD, 0),
    (_arith.ADD, 1),
    (_arith.SUB, 0),
    (_arith.BP_ADD, 0),
    (_arith.BP_ADD, 1),
}


class _Writer:
    """The source of a replay function and the constants it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self.ids: dict[int, str] = {}

    def const(self, prefix: str, value: Any) -> str:
        """A name for ``value`` in the replay's namespace (one name per object)."""
        name = self.ids.get(id(value))
        if name is None:
            name = f"{prefix}{len(self.names)}"
            self.names[name] = value
            self.ids[id(value)] = name
        return name

    def emit(self, line: str) -> None:
        """Add a line to the body of the replay function."""
        self.lines.append("    " + line)

    def build(self, n: int, title: str) -> Callable[..., Any]:
        """The replay function of ``n`` inputs, compiled (``title`` names it in tracebacks)."""
        params = ", ".join(f"v{i}" for i in range(n))
        src = f"def replay({params}):\n" + "\n".join(_freeing(self.lines)) + "\n"
        namespace = dict(self.names)
        exec(compile(src, f"<{title}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace["replay"]
        fn.__doc__ = src  # the generated code, for whoever wants to read it
        return fn


_LOCAL = re.compile(r"\b(?:v|g|pb|r|w[a-z])\d+\b")


def _freeing(lines: list[str]) -> list[str]:
    """``lines`` with each value dropped (``del``) after its last use, so that, as in the
    eager sweep, forward values and gradients go back to the allocator as the replay runs."""
    if len(lines) < 2:
        return lines
    last: dict[str, int] = {}
    for k, line in enumerate(lines[:-2]):  # what the last two lines use goes at the return
        for name in _LOCAL.findall(line):
            last[name] = k
    for name in _LOCAL.findall(lines[-2] + lines[-1]):
        last.pop(name, None)
    dead: dict[int, list[str]] = {}
    for name, k in last.items():
        dead.setdefault(k, []).append(name)
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        if k in dead:
            out.append("    del " + ", ".join(sorted(dead[k])))
    return out


def _ancestors(nodes: list[Any], out: int, n: int) -> list[bool]:
    """Which tape entries the output depends on (the rest need not be replayed)."""
    need = [False] * len(nodes)
    need[out] = True
    for i in range(out, n - 1, -1):
        if need[i]:
            for p in nodes[i][3]:
                if p >= 0:
                    need[p] = True
    return need


def _fused(nodes: list[Any], need: list[bool], n: int) -> dict[int, Any]:
    """The entries replayed by a fused forward and derivative form (a cross-entropy)."""
    found = {}
    for i in range(n, len(need)):
        if need[i]:
            op, ans, vals, parents, _ = nodes[i]
            forms = _ce_forms(op, ans, vals, parents)
            if forms is not None:
                found[i] = forms
    return found


def _ce_holes(i: int, c: str) -> dict[str, str]:
    """The replay's names for a fused cross-entropy's values at tape entry ``i``."""
    return {"s": f"ws{i}", "e": f"we{i}", "n": f"wn{i}", "m": f"wm{i}", "c": c}


def _forward(
    w: _Writer, nodes: list[Any], need: list[bool], n: int, upto: int, fused: dict[int, Any]
) -> None:
    """The recorded forward computations, in order, of the entries the output needs."""
    for i in range(n, upto + 1):
        if not need[i]:
            continue
        op, ans, vals, parents, _ = nodes[i]
        args = [f"v{p}" if p >= 0 else w.const("c", v) for v, p in zip(vals, parents, strict=True)]
        infix = next((sym for fn, sym in _INFIX.items() if fn is op.fwd), None)
        if i in fused:
            fused[i][0].emit(w, {"z": args[0], "y": f"v{i}", **_ce_holes(i, args[1])})
        elif (
            op is functions._LOGISTIC
            and _float_array(vals[0])
            and _same(ans, _LOGISTIC_FWD.run({"x": vals[0]})["y"])
        ):
            _LOGISTIC_FWD.emit(w, {"x": args[0], "y": f"v{i}"})
        elif op.pull is not None:
            w.emit(f"v{i}, pb{i} = {w.const('P', op.pull)}({', '.join(args)})")
        elif op is _arith.MATMUL and _same(ans, _dots(vals)):
            w.emit(f"v{i} = {w.const('D', np.dot)}({args[0]}, {args[1]})")
        elif op is _arith.MATMUL and (wrapped := _wrapped_dot(ans, vals)) is not None:
            w.emit(f"v{i} = {w.const('W', wrapped)}({args[0]}, {args[1]})")
        elif infix is not None and len(args) == 2:
            w.emit(f"v{i} = {args[0]} {infix} {args[1]}")
        elif op.fwd is operator.neg:
            w.emit(f"v{i} = -{args[0]}")
        elif op.fwd is operator.getitem:
            w.emit(f"v{i} = {args[0]}[{args[1]}]")
        else:
            w.emit(f"v{i} = {w.const('F', op.fwd)}({', '.join(args)})")


def _arg_list(w: _Writer, vals: tuple[Any, ...], parents: tuple[int, ...]) -> list[str]:
    """The replay's names for an op's arguments: tape entries, or constants of the trace."""
    return [f"v{p}" if p >= 0 else w.const("c", v) for v, p in zip(vals, parents, strict=True)]


def _plain_2d(*vs: Any) -> bool:
    """Real float arrays of one or two dimensions: where ``np.dot`` is BLAS, and ``@``'s."""
    return all(type(v) is np.ndarray and v.dtype.kind == "f" and 1 <= v.ndim <= 2 for v in vs)


def _dots(vals: tuple[Any, ...]) -> Any:
    """``np.dot`` of an ``@``'s operands, or ``None`` where ``@`` is kept (its trace checks
    that the two agree: ``np.dot`` skips ``matmul``'s slower paths for thin operands)."""
    x, y = vals
    if _plain_2d(x, y) and not (x.ndim == 1 and y.ndim == 1):
        return np.dot(x, y)
    return None


def _same(a: Any, b: Any) -> bool:
    """Whether a specialised step gave exactly the trace's value (so it may stand for it)."""
    return (
        type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.dtype == b.dtype
        and a.shape == b.shape
        and bool(np.array_equal(a, b))
    )


def _dot_tn(g: Any, x: Any, y: Any) -> Any:
    """``x.T @ g`` (the gradient of ``y`` in ``x @ y``), in ``y``'s layout as ``@``'s rule
    makes it: a transposed weight gets ``(g.T @ x).T``."""
    if y.flags.f_contiguous and not y.flags.c_contiguous:
        return np.dot(g.T, x).T
    return np.dot(x.T, g)


def _mm_x_outer(g: Any, x: Any, y: Any) -> Any:
    """Matrix times vector: the matrix's gradient, the rank-1 ``g yᵀ``."""
    return np.dot(g[:, None], y[None, :])


def _mm_x_vec(g: Any, x: Any, y: Any) -> Any:
    """Vector times matrix: the vector's gradient, ``y g``."""
    return np.dot(y, g)


def _mm_x_mat(g: Any, x: Any, y: Any) -> Any:
    """Matrix times matrix: the left one's gradient, ``g yᵀ``."""
    return np.dot(g, y.T)


def _mm_y_outer(g: Any, x: Any, y: Any) -> Any:
    """Vector times matrix: the matrix's gradient, the rank-1 ``x gᵀ``."""
    return np.dot(x[:, None], g[None, :])


def _mm_y_vec(g: Any, x: Any, y: Any) -> Any:
    """Matrix times vector: the vector's gradient, ``g x``."""
    return np.dot(g, x)


_MM_VJPS = {
    (0, 2, 1): _mm_x_outer,
    (0, 1, 2): _mm_x_vec,
    (0, 2, 2): _mm_x_mat,
    (1, 1, 2): _mm_y_outer,
    (1, 2, 1): _mm_y_vec,
    (1, 2, 2): _dot_tn,
}


def _matmul_vjp(op: Any, k: int, g: Any, vals: tuple[Any, ...]) -> tuple[Any] | None:
    """``@``'s derivative rule as one ``np.dot`` for plain arrays (``@`` of a ``(n, 1)`` by a
    ``(1, m)`` is several times slower than ``np.dot`` of them), or for ``Vec``/``Mat`` on
    their arrays; ``None``: keep the rule."""
    x, y = vals
    if _plain_2d(g, x, y):
        rule = _MM_VJPS.get((k, x.ndim, y.ndim))
        return None if rule is None else (rule,)
    if not (_is_wrapper(g) and _is_wrapper(x) and _is_wrapper(y)):
        return None
    if not _plain_2d(g.array, x.array, y.array):
        return None
    plain = _MM_VJPS.get((k, x.array.ndim, y.array.ndim))
    if plain is None:
        return None
    kind = type(vals[k])

    def wrapped(g: Any, x: Any, y: Any) -> Any:
        return kind._rewrap(plain(g.array, x.array, y.array))

    return (wrapped,)


def _is_wrapper(v: Any) -> bool:
    """Whether ``v`` is an array wrapper (``Vec``, ``Mat``)."""
    return type(v) is not np.ndarray and hasattr(type(v), "_rewrap")


def _wrapped_dot(ans: Any, vals: tuple[Any, ...]) -> Callable[[Any, Any], Any] | None:
    """``@`` of two ``Vec``/``Mat`` values as ``np.dot`` of their arrays, rewrapped as the
    trace's answer was (``None``: where that does not give exactly the trace's answer)."""
    x, y = vals
    if not (_is_wrapper(x) and _is_wrapper(y) and _is_wrapper(ans)):
        return None
    if not _plain_2d(x.array, y.array) or x.array.ndim == y.array.ndim == 1:
        return None
    kind = type(ans)

    def dot(x: Any, y: Any) -> Any:
        return kind._rewrap(np.dot(x.array, y.array))

    return dot if _same_value(ans, dot(x, y)) else None


def _same_value(a: Any, b: Any) -> bool:
    """``_same``, for array wrappers too (the same type, and the same arrays)."""
    if _is_wrapper(a):
        return type(a) is type(b) and _same(a.array, b.array)
    return _same(a, b)


def _bias_ones(op: Any, k: int, g: Any, vals: tuple[Any, ...]) -> Any:
    """For the gradient of a bias added to each row of ``g`` (``unbroadcast``'s sum, which
    it takes as ``ones @ g``): the ones, made once for every replay; else ``None``."""
    if not (op is _arith.ADD or (op is _arith.SUB and k == 0)):
        return None
    b = vals[k]
    if not (_plain_2d(g, b) and g.ndim == 2 and b.ndim == 1 and b.shape[0] == g.shape[1]):
        return None
    ones = np.ones(g.shape[0], g.dtype)
    ones.flags.writeable = False
    return ones


# --- fast forms: library rules written out in the replay, each checked at the trace ---

_FUNCS: dict[str, Any] = {
    "dot": np.dot,
    "neg": np.negative,
    "exp": np.exp,
    "recip": np.reciprocal,
    "subtract": np.subtract,
    "rmax": np.maximum.reduce,
    "radd": np.add.reduce,
    "log": math.log,
    "nplog": np.log,
    "vdot": np.vdot,
}


class _Names(dict[str, str]):
    """A form's names: the holes given, and numpy functions named in the replay on first use."""

    def __init__(self, w: _Writer | None, holes: dict[str, str]) -> None:
        super().__init__(holes)
        self.w = w

    def __missing__(self, key: str) -> str:
        return key if self.w is None else self.w.const("N", _FUNCS[key])


class _Form:
    """One-line statements of replay code with holes (``{g}``, ``{x}``, ...) for the replay's
    names and ``{dot}``-style names of numpy functions. ``run`` executes the very same lines
    on the trace's values, so that a form stands in a replay only where it gave the rule's
    exact answer."""

    def __init__(self, *lines: str) -> None:
        self.lines = lines

    def run(self, values: dict[str, Any]) -> dict[str, Any]:
        """The lines run on ``values`` (by hole): every name they bound."""
        names = _Names(None, {k: k for k in values})
        namespace = {**_FUNCS, **values}
        exec("\n".join(line.format_map(names) for line in self.lines), namespace)
        return namespace

    def emit(self, w: _Writer, holes: dict[str, str]) -> None:
        """The lines, written into the replay with the replay's names for the holes."""
        names = _Names(w, holes)
        for line in self.lines:
            w.emit(line.format_map(names))


def _float_array(*vs: Any) -> bool:
    """Real float arrays of at least one dimension (the array branch of the library rules)."""
    return all(type(v) is np.ndarray and v.ndim >= 1 and v.dtype.kind == "f" for v in vs)


_FUNCS["exp_quietly"] = functions._exp_quietly
_LOGISTIC_FWD = _Form(
    "{y} = {neg}({x})", "{exp_quietly}({y})", "{y} += 1.0", "{recip}({y}, out={y})"
)
_LOGISTIC_VJP = _Form("{t} = {subtract}(1.0, {ans})", "{t} *= {ans}", "{t} *= {g}")
_MM_FORMS = {
    _mm_x_outer: _Form("{t} = {dot}({g}[:, None], {y}[None, :])"),
    _mm_x_vec: _Form("{t} = {dot}({y}, {g})"),
    _mm_x_mat: _Form("{t} = {dot}({g}, {y}.T)"),
    _mm_y_outer: _Form("{t} = {dot}({x}[:, None], {g}[None, :])"),
    _mm_y_vec: _Form("{t} = {dot}({g}, {x})"),
    _dot_tn: _Form(
        "{t} = {dot}({g}.T, {x}).T if {y}.flags.f_contiguous and not {y}.flags.c_contiguous"
        " else {dot}({x}.T, {g})"
    ),
}
# cross_entropy of float64 logits and a constant real target, as functions.py computes it
_CE_VEC_FWD = _Form(
    "{s} = {z} - {rmax}({z})",
    "{e} = {exp}({s})",
    "{n} = float({radd}({e}))",
    "{m} = float({radd}({c}))",
    "{y} = {log}({n}) * {m} - float({dot}({c}, {s}))",
)
_CE_ROWS_FWD = _Form(
    "{s} = {z} - {rmax}({z}, axis=-1, keepdims=True)",
    "{e} = {exp}({s})",
    "{n} = {radd}({e}, axis=-1, keepdims=True)",
    "{m} = {radd}({c}, axis=-1, keepdims=True)",
    "{y} = float({vdot}({nplog}({n}), {m}) - {vdot}({c}, {s}))",
)
_CE_VEC_VJP = _Form(
    "{t} = {e} / {n}", "if {m} != 1.0: {t} *= {m}", "{t} -= {c}", "if {g} != 1.0: {t} *= {g}"
)
_CE_ROWS_VJP = _Form("{t} = {e} / {n}", "{t} *= {m}", "{t} -= {c}", "if {g} != 1.0: {t} *= {g}")


def _ce_forms(op: Any, ans: Any, vals: tuple[Any, ...], parents: tuple[int, ...]) -> Any:
    """The forward and derivative forms of a cross-entropy of float64 logits with a target
    that is a constant of the trace, if the forward gives the trace's loss (else ``None``)."""
    if op is not functions._CROSS_ENTROPY_CONST_TARGET or parents[1] >= 0:
        return None
    z, c = vals
    if not (_float_array(z, c) and z.dtype == np.float64 and z.shape == c.shape):
        return None
    if z.ndim == 1:
        fwd, vjp = _CE_VEC_FWD, _CE_VEC_VJP
    elif z.ndim == 2:
        fwd, vjp = _CE_ROWS_FWD, _CE_ROWS_VJP
    else:
        return None
    got = fwd.run({"z": z, "c": c})
    y = got["y"]
    if type(y) is not float or type(ans) is not float or y != ans:
        return None
    return fwd, vjp, got


def _sweep(
    w: _Writer, nodes: list[Any], out: int, seed: Any, n: int, fused: dict[int, Any]
) -> tuple[list[Any], list[bool]]:
    """The reverse sweep of ``typedprop._core.backward``, run on the trace's values (its result
    is the first call's answer) while writing the same steps as code for the replay. Also
    which gradients the replay makes as new arrays of its own (``fresh``: no input shares
    their memory)."""
    grads: list[Any] = [None] * (out + 1)
    fresh = [False] * (out + 1)
    grads[out] = seed
    for i in range(out, n - 1, -1):
        g = grads[i]
        if g is None:
            continue
        op, ans, vals, parents, pb = nodes[i]
        if type(g) is _Partial and not op.sparse:
            g = g.full()
            w.emit(f"g{i} = g{i}.full()")
            fresh[i] = False
        names = _arg_list(w, vals, parents)
        args = ", ".join(names)
        if i in fused:
            _, vjp, got = fused[i]
            gk = _user_grads(op, pb(g), vals, parents)[0]
            if _same(gk, vjp.run({"g": g, **{k: got[k] for k in "enmc"}})["t"]):
                vjp.emit(w, {"g": f"g{i}", "t": "t", **_ce_holes(i, names[1])})
                grads[parents[0]] = _accumulate(w, grads, fresh, gk, parents[0], "t", True)
                continue
            del fused[i]  # not the rule's gradient: the forward keeps the rule's pullback too
        if pb is None:
            vjps = op.vjps
            for k, p in enumerate(parents):
                if p < 0 or vjps[k] is None:
                    continue
                gk = vjps[k](g, ans, *vals)
                special = _matmul_vjp(op, k, g, vals) if op is _arith.MATMUL else None
                form = None if special is None else _MM_FORMS.get(special[0])
                new = True  # whether src is an array the replay made just now
                if gk is g and (op, k) in _PASS_ON:
                    src = f"g{i}"
                    new = fresh[i]
                elif form is not None and _same(
                    gk, form.run({"g": g, "x": vals[0], "y": vals[1]})["t"]
                ):
                    form.emit(w, {"g": f"g{i}", "x": names[0], "y": names[1], "t": "t"})
                    src = "t"
                elif special is not None and _same_value(gk, special[0](g, *vals)):
                    w.emit(f"t = {w.const('K', special[0])}(g{i}, {args})")
                    src = "t"
                    new = False
                elif (ones := _bias_ones(op, k, g, vals)) is not None and _same(
                    gk, np.dot(ones, cast(Any, g))
                ):
                    w.emit(f"t = {w.const('D', np.dot)}({w.const('c', ones)}, g{i})")
                    src = "t"
                elif (
                    op is functions._LOGISTIC
                    and _float_array(g, ans)
                    and cast(Any, g).shape == ans.shape
                    and _same(gk, _LOGISTIC_VJP.run({"g": g, "ans": ans})["t"])
                ):
                    _LOGISTIC_VJP.emit(w, {"g": f"g{i}", "ans": f"v{i}", "t": "t"})
                    src = "t"
                else:
                    w.emit(f"t = {w.const('J', vjps[k])}(g{i}, v{i}, {args})")
                    src = "t"
                    new = False
                if gk is None:
                    w.emit(f"if t is not None: raise {w.const('E', _diverged)}({op.name!r})")
                    continue
                grads[p] = _accumulate(w, grads, fresh, gk, p, src, new)
        else:
            gs = _user_grads(op, pb(g), vals, parents)
            w.emit(f"t = (pb{i}(g{i}),)" if op.bare else f"t = pb{i}(g{i})")
            for k, p in enumerate(parents):
                gk = gs[k]
                if p < 0:
                    continue
                w.emit(f"u = {w.const('F', _forced)}(t[{k}])")
                # a pullback of your own may decide by value whether to give a gradient
                check = "is not None" if gk is None else "is None"
                w.emit(f"if u {check}: raise {w.const('E', _diverged)}({op.name!r})")
                if gk is not None:
                    grads[p] = _accumulate(w, grads, fresh, gk, p, "u", False)
    pad = max(0, n - len(grads))
    return grads[:n] + [None] * pad, fresh[:n] + [False] * pad


def _forced(g: Any) -> Any:
    """A user pullback's gradient for a variable argument, a ``lazy`` one computed."""
    return g.thunk() if type(g) is Lazy else g


def _accumulate(
    w: _Writer, grads: list[Any], fresh: list[bool], gk: Any, p: int, src: str, new: bool
) -> Any:
    """``accumulate`` as the eager sweep does it, with the same step written for the replay
    (``new``: ``src`` is an array the replay made, which ``fresh[p]`` then says of ``g{p}``)."""
    cur = grads[p]
    if cur is None:
        w.emit(f"g{p} = {src}")
        fresh[p] = new
        return gk
    ta, tb = type(cur), type(gk)
    if (ta is np.ndarray or ta is float) and tb is not _Partial:
        w.emit(f"g{p} = g{p} + {src}")
        fresh[p] = True  # a new array or a number
    else:
        w.emit(f"g{p} = {w.const('A', accumulate)}(g{p}, {src})")
        fresh[p] = False
    return accumulate(cur, gk)


def _diverged(name: str) -> Exception:
    """A derivative rule whose giving of a gradient changed since the trace."""
    return TraceError(
        f"the derivative rule of {name!r} gave a gradient in a replay where it gave none when "
        f"traced, or none where it gave one: whether it does depends on values, which a "
        f"compiled function cannot follow; use grad_bp_n for this function"
    )


def _finish(
    w: _Writer,
    trace: _Trace,
    found: list[Any],
    fresh: list[bool],
    seed: Any,
    fresh_seed: bool,
    n: int,
) -> tuple[Any, ...]:
    """The inputs' gradients in their types, as ``_Run.grads`` makes them, also as code."""
    results = []
    names = []
    for i, (x, g) in enumerate(zip(trace.xs, found, strict=True)):
        if g is None:
            w.emit(f"r{i} = {w.const('Z', classes.zero)}(v{i})")
            results.append(classes.zero(x))
        elif type(g) is type(x) is np.ndarray and g.dtype.kind != "c":
            names.append(f"g{i}")
            results.append(g)
            continue
        else:
            w.emit(f"r{i} = {w.const('M', materialize)}(g{i}, v{i})")
            results.append(materialize(g, x))
        names.append(f"r{i}")
    inputs = "(" + "".join(f"v{i}, " for i in range(n)) + ")"
    s = "s" if fresh_seed else w.const("S", seed)
    grads = "(" + "".join(f"{r}, " for r in names) + ")"
    flat = not fresh_seed and all(type(r) is np.ndarray for r in (*results, *trace.xs))
    if (
        flat
        and all(name == f"g{i}" and fresh[i] for i, name in enumerate(names))
        and len({id(r) for r in results}) == len(results)
    ):
        # each one a distinct array the replay made: nothing to un-alias (the trace's
        # identities are the replay's: it passes a gradient on only where the trace did)
        w.emit(f"grads = {grads}")
    else:
        check = _flat_unaliased if flat else _unaliased
        w.emit(f"grads = {w.const('U', check)}({grads}, ({inputs}, {s}))")
    return _unaliased(tuple(results), (trace.xs, seed))


def _flat_unaliased(grads: tuple[Any, ...], given: tuple[Any, ...]) -> tuple[Any, ...]:
    """``_unaliased`` where the gradients and inputs are plain arrays (no tree to walk): the
    same answer, the gradients as they are when no two of them and the inputs share memory."""
    inputs = given[0]
    owners: set[int] = set()
    own = owners.add
    for a in grads:
        own(id(a) if a.base is None else id(_root(a)))
    for a in inputs:
        own(id(a) if a.base is None else id(_root(a)))
    if len(owners) == len(grads) + len(inputs):
        return grads
    return _unaliased(grads, given)


# --- the compiled objects ---


class _Eager:
    """A signature whose trace was refused, run eagerly (``fallback=True``)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Cache:
    """Replays by signature, at most ``bound`` of them, the oldest dropped first."""

    def __init__(self, bound: int) -> None:
        if bound < 1:
            raise ValueError(f"max_traces must be at least 1, got {bound}")
        self.bound = bound
        self.entries: dict[tuple[Any, ...], Any] = {}
        self.traces = 0

    def put(self, key: tuple[Any, ...], entry: Any) -> None:
        """Keep ``entry`` for ``key``, dropping the oldest entry when full."""
        entries = self.entries
        if len(entries) >= self.bound:
            del entries[next(iter(entries))]
        entries[key] = entry
        self.traces += 1


class _Compiled(Generic[R]):
    """What a compiled function keeps: ``f``, its traces by signature, and the fallback rule.

    ``traces`` counts the traces made so far; ``clear()`` drops them (after changing what ``f``
    closes over, say).
    """

    def __init__(self, f: Callable[..., BVar[R]], fallback: bool, max_traces: int) -> None:
        self.f = f
        self.fallback = fallback
        self._cache = _Cache(max_traces)
        self.__wrapped__ = f
        self.__name__ = getattr(f, "__name__", "f")
        self.__doc__ = getattr(f, "__doc__", None)

    @property
    def traces(self) -> int:
        """How many times ``f`` has been traced (one per new signature, and after ``clear``)."""
        return self._cache.traces

    def clear(self) -> None:
        """Forget every trace: the next call of each signature traces ``f`` again."""
        self._cache.entries.clear()


class CompiledGrad(_Compiled[R]):
    """``grad_bp_n(f, *xs)`` and ``backprop_n(f, *xs)`` by replay of a trace per signature."""

    def __call__(self, *xs: Any) -> tuple[Any, ...]:
        entry = self._cache.entries.get(_signature(xs))
        if entry is None:
            return self._trace(xs)[1]
        if type(entry) is _Eager:
            return grad_bp_n(self.f, *xs)
        grads: tuple[Any, ...] = entry(*xs)[1]
        return grads

    def value_and_grad(self, *xs: Any) -> tuple[R, tuple[Any, ...]]:
        """``backprop_n(f, *xs)``: the value of ``f`` and the gradients."""
        entry = self._cache.entries.get(_signature(xs))
        if entry is None:
            return self._trace(xs)
        if type(entry) is _Eager:
            from typedprop._runners import backprop_n

            return backprop_n(self.f, *xs)
        result: tuple[R, tuple[Any, ...]] = entry(*xs)
        return result

    def _trace(self, xs: tuple[Any, ...]) -> tuple[R, tuple[Any, ...]]:
        """Trace ``f`` at ``xs``, keep its replay, and answer this call as ``backprop_n``."""
        key = _signature(xs)
        try:
            trace = _Trace(self.f, xs, "compile_grad")
        except TraceError as e:
            if not self.fallback:
                raise
            self._cache.put(key, _Eager(str(e)))
            from typedprop._runners import backprop_n

            return backprop_n(self.f, *xs)
        run = trace.run
        seed = run.scalar_seed("compile_grad")
        value = run.value()
        n = len(xs)
        out = run.out_index()
        w = _Writer()
        if out < 0:  # the output ignores the inputs: nothing worth replaying
            self._cache.put(key, _Eager("the output does not depend on the inputs"))
            return value, run.grads(seed, free=True)
        nodes = trace.tape.nodes
        fresh = type(seed) is not float and type(seed) is not np.float64
        if fresh:
            w.emit(f"s = {w.const('O', classes.one)}(v{out})")
        w.emit(f"g{out} = {'s' if fresh else w.const('S', seed)}")
        need = _ancestors(nodes, out, n)
        fused = _fused(nodes, need, n)
        found, made = _sweep(w, nodes, out, seed, n, fused)
        grads = _finish(w, trace, found, made, seed, fresh, n)
        w.emit(f"return v{out}, grads")
        backward_lines, w.lines = w.lines, []
        _forward(w, nodes, need, n, out, fused)
        w.lines += backward_lines
        self._cache.put(key, w.build(n, f"compile_grad {self.__name__}"))
        return value, grads


class CompiledEval(_Compiled[R]):
    """``eval_bp_n(f, *xs)`` by replay of a trace per signature (the forward pass only)."""

    def __call__(self, *xs: Any) -> R:
        key = _signature(xs)
        entry = self._cache.entries.get(key)
        if entry is None:
            try:
                trace = _Trace(self.f, xs, "compile_eval")
            except TraceError as e:
                if not self.fallback:
                    raise
                self._cache.put(key, _Eager(str(e)))
                return eval_bp_n(self.f, *xs)
            value: R = trace.run.value()
            out = trace.run.out_index()
            if out < 0:
                self._cache.put(key, _Eager("the output does not depend on the inputs"))
                return value
            w = _Writer()
            nodes = trace.tape.nodes
            need = _ancestors(nodes, out, len(xs))
            _forward(w, nodes, need, len(xs), out, _fused(nodes, need, len(xs)))
            w.emit(f"return v{out}")
            self._cache.put(key, w.build(len(xs), f"compile_eval {self.__name__}"))
            return value
        if type(entry) is _Eager:
            return eval_bp_n(self.f, *xs)
        result: R = entry(*xs)
        return result


if TYPE_CHECKING:
    from typing import Protocol

    class CompiledGrad1(Protocol[A, R_co]):
        """``compile_grad`` of a function of one input."""

        traces: int

        def __call__(self, x: A, /) -> tuple[A]: ...
        def value_and_grad(self, x: A, /) -> tuple[R_co, tuple[A]]: ...
        def clear(self) -> None: ...

    class CompiledGrad2(Protocol[A, B, R_co]):
        """``compile_grad`` of a function of two inputs."""

        traces: int

        def __call__(self, x: A, y: B, /) -> tuple[A, B]: ...
        def value_and_grad(self, x: A, y: B, /) -> tuple[R_co, tuple[A, B]]: ...
        def clear(self) -> None: ...

    class CompiledGrad3(Protocol[A, B, C, R_co]):
        """``compile_grad`` of a function of three inputs."""

        traces: int

        def __call__(self, x: A, y: B, z: C, /) -> tuple[A, B, C]: ...
        def value_and_grad(self, x: A, y: B, z: C, /) -> tuple[R_co, tuple[A, B, C]]: ...
        def clear(self) -> None: ...


@overload  # each arity's overload is narrower than the last one, for any number of inputs
def compile_grad(  # pyright: ignore[reportOverlappingOverload]
    f: Callable[[BVar[A]], BVar[R]], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> CompiledGrad1[A, R]: ...
@overload
def compile_grad(
    f: Callable[[BVar[A], BVar[B]], BVar[R]],
    *,
    fallback: bool = False,
    max_traces: int = MAX_TRACES,
) -> CompiledGrad2[A, B, R]: ...
@overload
def compile_grad(
    f: Callable[[BVar[A], BVar[B], BVar[C]], BVar[R]],
    *,
    fallback: bool = False,
    max_traces: int = MAX_TRACES,
) -> CompiledGrad3[A, B, C, R]: ...
@overload
def compile_grad(
    f: Callable[..., BVar[R]], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> CompiledGrad[R]: ...
def compile_grad(
    f: Callable[..., Any], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> Any:
    """``grad_bp_n(f, ...)``, traced once per input signature and replayed after that.

    ``cg = compile_grad(f)``; ``cg(*xs)`` equals ``grad_bp_n(f, *xs)`` and
    ``cg.value_and_grad(*xs)`` equals ``backprop_n(f, *xs)``. The first call with a new
    signature (the inputs' structure, types, shapes and dtypes, and the values of their static
    parts) runs ``f`` on a tape and keeps a replay of it; later calls run only the recorded
    numpy work. At most ``max_traces`` signatures are kept (the oldest is dropped).

    Everything ``f`` closes over is a constant of the trace: pass what changes between calls
    (data, targets) as arguments. A branch, comparison or index decided by a traced value
    raises ``TraceError`` at the trace; with ``fallback=True`` that signature runs
    ``grad_bp_n`` instead (``f`` runs again, eagerly, on every such call).

    Example:
        >>> import numpy as np
        >>> from typedprop import compile_grad
        >>> cg = compile_grad(lambda w, x: (x @ w) ** 2.0)
        >>> cg(np.ones(2), np.array([1.0, 2.0]))  # traced
        (array([ 6., 12.]), array([6., 6.]))
        >>> cg(np.ones(2), np.array([2.0, 0.0]))  # replayed
        (array([8., 0.]), array([4., 4.]))
        >>> cg.traces
        1
    """
    return CompiledGrad(f, fallback, max_traces)


@overload  # each arity's overload is narrower than the last one, for any number of inputs
def compile_eval(  # pyright: ignore[reportOverlappingOverload]
    f: Callable[[BVar[A]], BVar[R]], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> Callable[[A], R]: ...
@overload
def compile_eval(
    f: Callable[[BVar[A], BVar[B]], BVar[R]],
    *,
    fallback: bool = False,
    max_traces: int = MAX_TRACES,
) -> Callable[[A, B], R]: ...
@overload
def compile_eval(
    f: Callable[..., BVar[R]], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> CompiledEval[R]: ...
def compile_eval(
    f: Callable[..., Any], *, fallback: bool = False, max_traces: int = MAX_TRACES
) -> Any:
    """``eval_bp_n(f, ...)``, traced once per input signature and replayed after that (the
    forward pass of ``compile_grad``, under the same rules).

    Example:
        >>> from typedprop import compile_eval
        >>> ce = compile_eval(lambda x, y: x * y + 1.0)
        >>> ce(2.0, 3.0), ce(4.0, 5.0)
        (7.0, 21.0)
    """
    return CompiledEval(f, fallback, max_traces)
