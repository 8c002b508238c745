"""Running differentiable functions: ``eval_bp``, ``grad_bp``, ``backprop``, ``backprop_with``.

Each runner wraps its inputs as ``BVar``s on a fresh tape, calls your function, and (except
``eval_bp``) walks the tape back from the output. The ``2`` variants take two inputs and the
``_n`` variants any number, each given to the function as its own argument. ``auto`` makes a
constant; ``sequence_var``/``collect_var`` turn a ``BVar`` of a tuple, list or dict into a
container of ``BVar``s and back. Operations themselves live in ``typedprop.op`` (building your
own), ``typedprop.functions`` and ``typedprop.linalg``.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from typing import Any, TypeVar, overload

import numpy as np

from typedprop import classes
from typedprop._core import (
    _CONST,
    BVar,
    Op,
    _apply_n,
    _Tape,
    backward,
    check_gradient,
    deep_value,
    materialize,
    unpack_op,
)
from typedprop._tree import tree_map
from typedprop.errors import MissingInstanceError, NonScalarOutputError, ShapeError

__all__ = [
    "auto",
    "backprop",
    "backprop2",
    "backprop_n",
    "backprop_with",
    "backprop_with2",
    "backprop_with_n",
    "collect_var",
    "eval_bp",
    "eval_bp2",
    "eval_bp_n",
    "grad_bp",
    "grad_bp2",
    "grad_bp_n",
    "sequence_var",
]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
R = TypeVar("R")
T = TypeVar("T")


@overload
def auto(x: BVar[T]) -> BVar[T]: ...
@overload
def auto(x: T) -> BVar[T]: ...
def auto(x: Any) -> Any:
    """A constant: ``x`` as a ``BVar`` that takes part in computations but gets no gradient.

    Use it for data (inputs, targets) inside a function you differentiate. A ``BVar`` is
    returned as it is.

    Example:
        >>> from typedprop import auto, grad_bp
        >>> grad_bp(lambda w: w * auto(3.0), 2.0)
        3.0
    """
    if type(x) is BVar:
        return x
    return BVar(x, _CONST)


# --- the shared core of the runners ---


class _Run:
    """One forward run: the tape, the inputs' values and the output."""

    __slots__ = ("inputs", "n_leaves", "out", "spans", "tape")

    def __init__(self, f: Callable[..., Any], xs: tuple[Any, ...], recording: bool) -> None:
        tape = _Tape(recording)
        self.spans: list[tuple[int, int]] | None = None
        self.n_leaves = len(xs)
        if not _CONTAINERS.isdisjoint(map(type, xs)):
            args = self._register_elements(tape, xs, recording)
        else:
            if recording:
                tape.nodes.extend([None] * len(xs))
            args = [BVar(x, tape, i if recording else -1) for i, x in enumerate(xs)]
        try:
            out = f(*args)
            if type(out) is not BVar and isinstance(out, tuple | list | dict):
                out = _collect_if_vars(out)
        finally:
            tape.active = False
        self.tape = tape
        self.inputs = xs
        self.out = out

    def _register_elements(
        self, tape: _Tape, xs: tuple[Any, ...], recording: bool
    ) -> list[BVar[Any]]:
        """The arguments, each element of a tuple or list input a tape entry of its own.

        Reading ``p[0]`` (or unpacking ``p``, or ``sequence_var(p)``) then gives that entry's
        ``BVar`` and records nothing, and the gradient is rebuilt once from the elements'
        (``grads``), instead of a view node per read and a sparse gradient merged by key. The
        container's own ``BVar``, used whole, sends its gradient to the elements through one
        ``unpack_op`` node. ``spans`` says where each input's entries start and how many
        elements it has (-1: the input is an entry itself).
        """
        values: list[Any] = []
        spans = []
        for x in xs:
            if (type(x) is tuple or type(x) is list) and x:
                spans.append((len(values), len(x)))
                values.extend(x)
            else:
                spans.append((len(values), -1))
                values.append(x)
        leaves = [BVar(v, tape, i if recording else -1) for i, v in enumerate(values)]
        nodes = tape.nodes
        if recording:
            nodes.extend([None] * len(values))
        elements: dict[int, tuple[BVar[Any], list[BVar[Any]]]] = {}
        args = []
        for x, (start, n) in zip(xs, spans, strict=True):
            if n < 0:
                args.append(leaves[start])
                continue
            if recording:
                nodes.append((unpack_op(n), x, tuple(x), tuple(range(start, start + n)), None))
                container = BVar(x, tape, len(nodes) - 1)
            else:
                container = BVar(x, tape)
            elements[id(container)] = (container, leaves[start : start + n])
            args.append(container)
        tape.elements = elements
        self.spans = spans
        self.n_leaves = len(values)
        return args

    def value(self) -> Any:
        """What the function returned, as a value (a ``BVar`` of an enclosing call stays one)."""
        out = self.out
        if type(out) is BVar and (out._tape is self.tape or out._tape is _CONST):
            return out.value
        return out

    def out_index(self) -> int:
        """The output's tape entry, or -1 when it does not depend on this call's inputs."""
        out = self.out
        return out._index if type(out) is BVar and out._tape is self.tape else -1

    def grads(self, seed: Any, free: bool) -> tuple[Any, ...]:
        """The inputs' gradients given the output's, zeros for inputs the output ignores."""
        n = self.n_leaves
        i = self.out_index()
        found = backward(self.tape.nodes, i, seed, n, free) if i >= 0 else [None] * n
        if free:
            self.tape.nodes = []
        inputs = self.inputs
        if self.spans is not None:
            found = [
                found[start] if k < 0 else _rebuild(x, found[start : start + k])
                for x, (start, k) in zip(inputs, self.spans, strict=True)
            ]
        if (
            _ARRAY.issuperset(map(type, found))
            and _ARRAY.issuperset(map(type, inputs))
            and "c" not in map(_KIND, found)
        ):  # arrays of arrays (grad_bp_n's common case): nothing to zero or materialize
            grads = tuple(found)
        else:
            grads = tuple(
                classes.zero(x)
                if g is None
                else (
                    g
                    if type(g) is type(x) is np.ndarray and g.dtype.kind != "c"
                    else materialize(g, x)
                )
                for x, g in zip(inputs, found, strict=True)
            )
        return _unaliased(grads, (inputs, seed))

    def scalar_seed(self, runner: str) -> Any:
        v = deep_value(self.value())
        if type(v) is float:
            return 1.0
        if type(v) is np.float64:
            return np.float64(1.0)
        if not classes.is_scalar(v):
            raise NonScalarOutputError(
                f"{runner} needs a function that returns a single number, but it returned "
                f"{_describe(v)}. Use backprop_with(f, x) and give its pullback the output's "
                f"gradient, or reduce the output first (typedprop.functions.sum_elements or mean)"
            )
        return classes.one(v)

    def pullback(self, g: Any) -> tuple[Any, ...]:
        _check_cotangent(g, self.value())
        return self.grads(g, free=False)


def _rebuild(x: Any, gs: list[Any]) -> Any:
    """The gradient of a tuple or list input from its elements' gradients (zero where none)."""
    if all(g is None for g in gs):
        return None
    elems = [
        classes.zero(e) if g is None else materialize(g, e) for g, e in zip(gs, x, strict=True)
    ]
    return classes.instance_for(x).rebuild(x, elems)


def _unaliased(grads: tuple[Any, ...], inputs: Any) -> tuple[Any, ...]:
    """``grads`` with every array leaf that shares memory with another leaf or an input copied.

    The reverse sweep passes arrays on without copying (``a + b`` gives both the same gradient
    array; a custom pullback may return its argument), so the leaves a user receives are checked
    once per call: ``ga *= lr`` must never change ``gb`` or an input. The common case costs one
    pass over the leaves (distinct owning buffers); only when two leaves have one owner are they
    compared, and only those that overlap copied.
    """
    leaves: list[Any] = []
    _arrays(grads, leaves)
    if not leaves:
        return grads
    _arrays(inputs, leaves)
    owners = set()
    for a in leaves:
        owner = id(a if a.base is None else _root(a))
        if owner in owners:
            return _copy_shared(grads, inputs)
        owners.add(owner)
    return grads


_ARRAY = {np.ndarray}
_CONTAINERS = {tuple, list}
_KIND = operator.attrgetter("dtype.kind")


def _copy_shared(grads: tuple[Any, ...], inputs: Any) -> tuple[Any, ...]:
    """``grads`` with each array leaf that overlaps an input or an earlier leaf copied."""
    known: list[Any] = []
    _arrays(inputs, known)
    seen: dict[int, list[Any]] = {}
    for a in known:
        seen.setdefault(id(_root(a)), []).append(a)
    leaves: list[Any] = []
    _arrays(grads, leaves)
    shared = set()
    for k, leaf in enumerate(leaves):
        others = seen.setdefault(id(_root(leaf)), [])
        if any(np.may_share_memory(leaf, o) for o in others):
            shared.add(k)
        others.append(leaf)
    count = itertools.count()

    def fresh(leaf: Any) -> Any:
        if type(leaf) is np.ndarray and next(count) in shared:
            return leaf.copy()
        return leaf

    return tree_map(fresh, grads)  # type: ignore[no-any-return]


def _arrays(x: Any, out: list[Any]) -> None:
    """Append the plain array leaves of a value to ``out`` (containers and records walked)."""
    t = type(x)
    if t is np.ndarray:
        out.append(x)
    elif t is tuple or t is list:
        for part in x:
            _arrays(part, out)
    elif t is not float and t is not BVar and x is not None:
        try:
            parts = classes.instance_for(x).children(x)
        except MissingInstanceError:
            return
        for part in parts or ():
            _arrays(part, out)


def _root(a: Any) -> Any:
    """The array that owns the memory ``a`` views."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _collect_if_vars(out: Any) -> Any:
    values = out.values() if isinstance(out, dict) else out
    return collect_var(out) if any(type(v) is BVar for v in values) else out


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    return f"a value of type {type(v).__name__}"


def _check_cotangent(g: Any, out: Any) -> None:
    o = deep_value(out)
    if isinstance(o, np.ndarray) or hasattr(type(o), "_rewrap"):
        sg, so = np.shape(deep_value(g)), np.shape(o)
        if sg != so:
            raise ShapeError(
                f"backprop_with pullback: the output's gradient has shape {sg} but the output "
                f"has shape {so}; give a gradient shaped like the output"
            )
    check_gradient("backprop_with's pullback was given", "the output", g, o)


# --- one input ---


def eval_bp(f: Callable[[BVar[A]], BVar[B]], x: A) -> B:
    """Run ``f`` on ``x`` and return its result; no tape is kept.

    Example:
        >>> from typedprop import eval_bp
        >>> eval_bp(lambda x: x * x, 3.0)
        9.0
    """
    result: B = _Run(f, (x,), recording=False).value()
    return result


def backprop(f: Callable[[BVar[A]], BVar[B]], x: A) -> tuple[B, A]:
    """The result of ``f`` at ``x`` and its gradient with respect to ``x``.

    Raises:
        NonScalarOutputError: ``f`` does not return a single number (use ``backprop_with``).

    Example:
        >>> from typedprop import backprop
        >>> backprop(lambda x: x ** 3, 2.0)
        (8.0, 12.0)
    """
    run = _Run(f, (x,), recording=True)
    seed = run.scalar_seed("backprop")
    return run.value(), run.grads(seed, free=True)[0]


def grad_bp(f: Callable[[BVar[A]], BVar[R]], x: A) -> A:
    """The gradient of ``f`` at ``x``: a value of ``x``'s type (a whole record for a record).

    Inputs the output does not depend on get their ``zero``. A float's gradient is a float,
    and a real input's gradient is real: through complex numbers it is the gradient of the
    output's real part. No two arrays of the gradient share memory. ``grad_bp`` nests, so the
    gradient of a gradient is a second derivative: given a ``BVar`` of an enclosing call, it
    returns a ``BVar`` of that call (the mypy plugin types it so; plain checkers see
    ``BVar[BVar[...]]`` arguments). A gradient whose function only closes over an enclosing
    call's ``BVar`` is also such a ``BVar``, though its static type is ``x``'s.

    Raises:
        NonScalarOutputError: ``f`` does not return a single number (use ``backprop_with``).

    Example:
        >>> from typedprop import grad_bp
        >>> grad_bp(lambda x: grad_bp(lambda y: y ** 3, x), 2.0)
        12.0
    """
    run = _Run(f, (x,), recording=True)
    gradient: A = run.grads(run.scalar_seed("grad_bp"), free=True)[0]
    return gradient


def backprop_with(f: Callable[[BVar[A]], BVar[B]], x: A) -> tuple[B, Callable[[B], A]]:
    """The result of ``f`` at ``x`` and its pullback: output gradient to input gradient.

    For functions whose output is not a single number. The pullback may be called any number
    of times; it keeps the tape alive while you hold it.

    Example:
        >>> import numpy as np
        >>> from typedprop import backprop_with
        >>> y, pullback = backprop_with(lambda x: x * 2.0, np.array([1.0, 2.0]))
        >>> pullback(np.array([1.0, 10.0]))
        array([ 2., 20.])
    """
    run = _Run(f, (x,), recording=True)
    return run.value(), lambda g: run.pullback(g)[0]


# --- two inputs ---


def eval_bp2(f: Callable[[BVar[A], BVar[B]], BVar[C]], x: A, y: B) -> C:
    """``eval_bp`` for a function of two inputs."""
    result: C = _Run(f, (x, y), recording=False).value()
    return result


def backprop2(f: Callable[[BVar[A], BVar[B]], BVar[C]], x: A, y: B) -> tuple[C, tuple[A, B]]:
    """``backprop`` for a function of two inputs: the result and both gradients."""
    run = _Run(f, (x, y), recording=True)
    seed = run.scalar_seed("backprop2")
    gx, gy = run.grads(seed, free=True)
    return run.value(), (gx, gy)


def grad_bp2(f: Callable[[BVar[A], BVar[B]], BVar[Any]], x: A, y: B) -> tuple[A, B]:
    """``grad_bp`` for a function of two inputs: the pair of gradients.

    Example:
        >>> from typedprop import grad_bp2
        >>> grad_bp2(lambda x, y: x * y, 3.0, 4.0)
        (4.0, 3.0)
    """
    run = _Run(f, (x, y), recording=True)
    gx, gy = run.grads(run.scalar_seed("grad_bp2"), free=True)
    return gx, gy


def backprop_with2(
    f: Callable[[BVar[A], BVar[B]], BVar[C]], x: A, y: B
) -> tuple[C, Callable[[C], tuple[A, B]]]:
    """``backprop_with`` for a function of two inputs."""
    run = _Run(f, (x, y), recording=True)

    def pullback(g: C) -> tuple[A, B]:
        gx, gy = run.pullback(g)
        return gx, gy

    return run.value(), pullback


# --- any number of inputs ---


def eval_bp_n(f: Callable[..., BVar[C]], *xs: Any) -> C:
    """``eval_bp`` for a function of any number of inputs, each its own argument."""
    result: C = _Run(f, xs, recording=False).value()
    return result


def backprop_n(f: Callable[..., BVar[C]], *xs: Any) -> tuple[C, tuple[Any, ...]]:
    """``backprop`` for a function of any number of inputs: the result and one gradient each."""
    run = _Run(f, xs, recording=True)
    seed = run.scalar_seed("backprop_n")
    return run.value(), run.grads(seed, free=True)


def grad_bp_n(f: Callable[..., BVar[Any]], *xs: Any) -> tuple[Any, ...]:
    """``grad_bp`` for a function of any number of inputs: a tuple with one gradient each.

    Example:
        >>> from typedprop import grad_bp_n
        >>> grad_bp_n(lambda x, y, z: x * y + z, 2.0, 3.0, 4.0)
        (3.0, 2.0, 1.0)
    """
    run = _Run(f, xs, recording=True)
    return run.grads(run.scalar_seed("grad_bp_n"), free=True)


def backprop_with_n(
    f: Callable[..., BVar[C]], *xs: Any
) -> tuple[C, Callable[[C], tuple[Any, ...]]]:
    """``backprop_with`` for a function of any number of inputs."""
    run = _Run(f, xs, recording=True)
    return run.value(), run.pullback


# --- containers of BVars ---


@overload
def sequence_var(x: BVar[tuple[T, ...]]) -> tuple[BVar[T], ...]: ...
@overload
def sequence_var(x: BVar[list[T]]) -> list[BVar[T]]: ...
@overload
def sequence_var(x: BVar[dict[A, T]]) -> dict[A, BVar[T]]: ...
def sequence_var(x: BVar[Any]) -> Any:
    """A ``BVar`` of a tuple, list or dict as a tuple, list or dict of ``BVar``s.

    Each element's gradient is kept by position (or key) and the container's gradient is
    assembled once, so reading all ``n`` elements costs O(n), not O(n²).

    Example:
        >>> from typedprop import grad_bp, sequence_var
        >>> grad_bp(lambda p: sequence_var(p)[0] * sequence_var(p)[1], (2.0, 5.0))
        (5.0, 2.0)
    """
    v = deep_value(x)
    if isinstance(v, dict):
        return {k: x[k] for k in v}
    if isinstance(v, tuple):
        return classes.instance_for(v).rebuild(v, [x[i] for i in range(len(v))])
    if isinstance(v, list):
        return [x[i] for i in range(len(v))]
    raise TypeError(
        f"sequence_var takes a BVar of a tuple, list or dict, not of {type(v).__name__}"
    )


def _collect_fwd(*elems: Any, like: Any) -> Any:
    if isinstance(like, dict):
        return dict(zip(like.keys(), elems, strict=True))
    return classes.instance_for(like).rebuild(like, elems)


def _collect_pull(like: Any) -> Callable[..., tuple[Any, Callable[[Any], Any]]]:
    keys = list(like.keys()) if isinstance(like, dict) else range(len(like))

    def pull(*elems: Any) -> tuple[Any, Callable[[Any], Any]]:
        def pb(g: Any) -> tuple[Any, ...]:
            return tuple(g[k] for k in keys)

        container = _collect_fwd(*elems, like=like)
        if any(type(e) is BVar for e in elems):  # a nested derivative: collect on the older tape
            container = collect_var(container)
        return container, pb

    return pull


@overload
def collect_var(xs: tuple[BVar[T], ...]) -> BVar[tuple[T, ...]]: ...
@overload
def collect_var(xs: list[BVar[T]]) -> BVar[list[T]]: ...
@overload
def collect_var(xs: dict[A, BVar[T]]) -> BVar[dict[A, T]]: ...
def collect_var(xs: Any) -> Any:
    """A tuple, list or dict of ``BVar``s (or plain values) as one ``BVar`` of the container.

    The inverse of ``sequence_var``; one tape node whatever the length.

    Example:
        >>> from typedprop import collect_var, grad_bp
        >>> from typedprop.functions import sum_elements
        >>> grad_bp(lambda x: collect_var([x, x * 2.0])[1], 1.0)
        2.0
    """
    elems = list(xs.values()) if isinstance(xs, dict) else list(xs)
    op = Op("collect_var", len(elems), pull=_collect_pull(xs))
    if not elems:
        return BVar(xs, _CONST)
    return _apply_n(op, elems) if any(type(e) is BVar for e in elems) else BVar(xs, _CONST)
