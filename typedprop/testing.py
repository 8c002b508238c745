"""Testing gradients: ``check_grad`` and hypothesis strategies for well-behaved inputs.

``check_grad(f, *args)`` compares the reverse-mode derivative of ``f`` with central finite
differences along random directions, and (``order=2``) does the same for the derivative of the
gradient, by recursion, as autograd's ``check_grads`` does. It works on any value with a
``Backprop`` instance whose numbers it can reach (floats, arrays, tuples, lists, dicts, records).
The strategies need ``hypothesis`` (a test dependency, imported only when they are called).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from typedprop import classes
from typedprop._core import deep_value
from typedprop._runners import backprop_with_n, eval_bp_n
from typedprop._tree import is_real, leaves, tree_map
from typedprop.errors import GradientCheckError
from typedprop.functions import sum_elements

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "arrays",
    "check_grad",
    "nested",
    "nonzero_floats",
    "operands",
    "operands_like",
    "records",
    "mats",
    "shapes",
    "vecs",
    "well_floats",
]


# --- trees of numbers ---


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    def leaf(v: Any) -> Any:
        if not is_real(v):
            return classes.zero(deep_value(v)) if v is not None else None
        plain = deep_value(v)
        d = rng.standard_normal(np.shape(plain))
        if hasattr(type(plain), "_rewrap"):  # an array wrapper (Vec, Mat) keeps its kind
            return type(plain)._rewrap(d)
        return float(d) if np.ndim(d) == 0 and not isinstance(plain, np.ndarray) else d

    return tree_map(leaf, x)


def _inner(a: Any, b: Any) -> Any:
    """The sum over leaves of ``sum(a * b)``; differentiable in ``a``."""
    total: Any = 0.0
    for x, y in zip(leaves(a), leaves(b), strict=True):
        if x is None or y is None or not is_real(y):
            continue
        total = total + sum_elements(x * y)
    return total


def _step(x: Any, v: Any, eps: float) -> Any:
    return tree_map(lambda a, d: a + eps * d if is_real(a) else a, x, v)


# --- the checker ---


def check_grad(
    f: Callable[..., Any],
    *args: Any,
    order: int = 2,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Check ``f``'s reverse-mode derivatives at ``args`` against central finite differences.

    Along a random input direction ``v`` and a random output weighting ``u``, the directional
    derivative ``<u, J v>`` from ``backprop_with`` must match ``<u, (f(x + eps v) -
    f(x - eps v)) / 2 eps>``. With ``order=2`` the function ``x -> <pullback_x(u), v>`` is checked
    the same way, which tests every second derivative the first-order rules use.

    Raises:
        GradientCheckError: the two disagree by more than ``atol + rtol * |finite difference|``.

    Example:
        >>> from typedprop.functions import sin
        >>> check_grad(lambda x: sin(x) * x, 0.5)
    """
    _check(f, args, order, 1, eps, rtol, atol, seed)


def _check(
    f: Callable[..., Any],
    args: tuple[Any, ...],
    order: int,
    level: int,
    eps: float,
    rtol: float,
    atol: float,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed + level)
    out, pullback = backprop_with_n(f, *args)
    u = _random_like(out, rng)
    v = tuple(_random_like(a, rng) for a in args)
    rev = float(deep_value(_inner(pullback(u), v)))
    plus = eval_bp_n(f, *(_step(a, d, eps) for a, d in zip(args, v, strict=True)))
    minus = eval_bp_n(f, *(_step(a, d, -eps) for a, d in zip(args, v, strict=True)))
    num = (float(_inner(plus, u)) - float(_inner(minus, u))) / (2 * eps)
    if not abs(rev - num) <= atol + rtol * abs(num):
        what = "gradient" if level == 1 else f"derivative of order {level}"
        raise GradientCheckError(
            f"check_grad: the {what} disagrees with central finite differences: reverse mode "
            f"gives {rev:.12g} along a random direction, finite differences give {num:.12g} "
            f"(difference {abs(rev - num):.3g}, allowed {atol + rtol * abs(num):.3g}, "
            f"eps={eps}); the derivative rule, or the function's smoothness at this point, "
            f"is wrong"
        )
    if level < order:

        def directional(*xs: Any) -> Any:
            _, pb = backprop_with_n(f, *xs)
            return _inner(pb(u), v)

        _check(directional, args, order, level + 1, eps, rtol, atol, seed)


# --- hypothesis strategies ---


def well_floats(min_value: float = -3.0, max_value: float = 3.0) -> SearchStrategy[float]:
    """Finite floats in a range where derivatives are well-conditioned."""
    from hypothesis import strategies as st

    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=64)


def nonzero_floats(margin: float = 1e-2, bound: float = 3.0) -> SearchStrategy[float]:
    """Floats with ``margin <= |x| <= bound``: away from the kinks of ``abs`` and ``relu`` and
    the pole of ``1/x``, where finite differences are meaningless."""
    from hypothesis import strategies as st

    return well_floats(margin, bound).flatmap(lambda x: st.sampled_from([x, -x]))


def shapes(min_dims: int = 0, max_dims: int = 2, max_side: int = 6) -> SearchStrategy[Any]:
    """Array shapes with ``min_dims..max_dims`` axes of length 1..``max_side``."""
    from hypothesis.extra import numpy as hnp

    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def arrays(
    shape: tuple[int, ...] | SearchStrategy[Any] | None = None,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """float64 arrays of the given shape (or of random ``shapes()``), with ``well_floats()``."""
    from hypothesis.extra import numpy as hnp

    return hnp.arrays(
        np.float64,
        shape if shape is not None else shapes(),
        elements=elements if elements is not None else well_floats(),
    )


def nested(leaves: SearchStrategy[Any] | None = None, max_leaves: int = 6) -> SearchStrategy[Any]:
    """Tuples, lists and string-keyed dicts nested around float and array leaves."""
    from hypothesis import strategies as st

    base = leaves if leaves is not None else st.one_of(well_floats(), arrays())
    return st.recursive(
        base,
        lambda children: st.one_of(
            st.tuples(children, children),
            st.lists(children, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from("abc"), children, min_size=1, max_size=3),
        ),
        max_leaves=max_leaves,
    )


def operands(
    elements: SearchStrategy[float] | None = None, min_dims: int = 0, max_dims: int = 2
) -> SearchStrategy[Any]:
    """A float (when ``min_dims == 0``) or an array of ``min_dims..max_dims`` axes."""
    from hypothesis import strategies as st

    elems = elements if elements is not None else well_floats()
    floats = [elems] if min_dims == 0 else []
    return st.one_of(*floats, arrays(shapes(min_dims, max_dims), elems))


def operands_like(x: Any, elements: SearchStrategy[float] | None = None) -> SearchStrategy[Any]:
    """A float or array of ``x``'s kind and shape (a second operand for a binary operation)."""
    elems = elements if elements is not None else well_floats()
    return elems if isinstance(x, float) else arrays(np.shape(x), elems)


def vecs(
    n: int | None = None, elements: SearchStrategy[float] | None = None
) -> SearchStrategy[Any]:
    """``Vec``s of length ``n`` (1..6 when not given) with ``well_floats()`` elements."""
    from hypothesis import strategies as st

    from typedprop.linalg import Vec

    sizes = st.just(n) if n is not None else st.integers(1, 6)
    return sizes.flatmap(lambda k: arrays((k,), elements)).map(Vec)


def mats(
    m: int | None = None, n: int | None = None, elements: SearchStrategy[float] | None = None
) -> SearchStrategy[Any]:
    """``Mat``s of ``m`` by ``n`` (each 1..6 when not given) with ``well_floats()`` elements."""
    from hypothesis import strategies as st

    from typedprop.linalg import Mat

    rows = st.just(m) if m is not None else st.integers(1, 6)
    cols = st.just(n) if n is not None else st.integers(1, 6)
    shapes_ = st.tuples(rows, cols)
    return shapes_.flatmap(lambda s: arrays(s, elements)).map(Mat)


def records(cls: type[Any], elements: SearchStrategy[float] | None = None) -> SearchStrategy[Any]:
    """Instances of a ``@model`` class with random values of the declared shapes.

    ``Vec[n]``/``Mat[m, n]`` fields with literal dimensions get those shapes, dimension
    variables are drawn once per record (so the fields agree), nested records recurse, float
    fields get ``well_floats()``; static fields and fields of other types keep their defaults.
    """
    import typing

    import attrs
    from hypothesis import strategies as st

    from typedprop.linalg import Mat, Vec
    from typedprop.record import _info

    info = _info(cls)
    hints = info.annotations()

    def dim(p: Any, sizes: dict[Any, int]) -> int:
        if isinstance(p, int):
            return p
        args = typing.get_args(p)
        if typing.get_origin(p) is typing.Literal and args:
            return int(args[0])
        return sizes.setdefault(p, 3)

    def value(hint: Any, sizes: dict[Any, int]) -> SearchStrategy[Any] | None:
        origin = typing.get_origin(hint) or hint
        dims = getattr(hint, "_dims", None) or typing.get_args(hint)
        if origin is Vec or (isinstance(origin, type) and issubclass(origin, Vec)):
            return arrays((dim(dims[0], sizes),), elements).map(Vec)
        if origin is Mat or (isinstance(origin, type) and issubclass(origin, Mat)):
            return arrays((dim(dims[0], sizes), dim(dims[1], sizes)), elements).map(Mat)
        if hint is float:
            return elements if elements is not None else well_floats()
        if isinstance(origin, type) and attrs.has(origin):
            return records(origin, elements)
        return None

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        sizes: dict[Any, int] = {}
        given = {}
        for f in attrs.fields(cls):
            if f.name in info.statics:
                continue
            strategy = value(hints.get(f.name), sizes)
            if strategy is not None:
                given[f.name] = draw(strategy)
        return cls(**given)

    return build()
