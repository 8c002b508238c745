"""Testing: ``check_grad`` for gradients, ``assert_allclose``/``allclose`` for whole values,
and hypothesis strategies for well-behaved inputs.

``check_grad(f, *args)`` compares the reverse-mode derivative of ``f`` with central finite
differences along random directions, and (``order=2``) does the same for the derivative of the
gradient, by recursion, as autograd's ``check_grads`` does. It works on any value with a
``Backprop`` instance whose numbers it can reach (floats, arrays, tuples, lists, dicts, records).
The strategies need ``hypothesis`` (a test dependency, imported only when they are called).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from typedprop import classes
from typedprop._core import deep_value
from typedprop._runners import backprop_with_n, eval_bp_n
from typedprop._tree import is_real, leaves, tree_map
from typedprop.errors import GradientCheckError
from typedprop.functions import sum_elements
from typedprop.record import is_model

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "allclose",
    "arrays",
    "assert_allclose",
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


# --- comparing values ---


def _numeric(x: Any) -> bool:
    """Whether ``x`` is compared number by number: a number (not a bool), an array of numbers,
    a ``Vec`` or ``Mat``."""
    if hasattr(type(x), "_rewrap"):
        return True
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "fiuc"
    return isinstance(x, int | float | complex) and not isinstance(x, bool)


def _kind(x: Any) -> str:
    """How a value is named in a message: its type, and its shape when an array."""
    name = type(x).__qualname__
    return f"{name} of shape {x.shape}" if isinstance(x, np.ndarray) else name


def _number(x: Any) -> str:
    """One number as a message shows it."""
    return repr(x.item() if isinstance(x, np.generic) else x)


def _leaf_difference(
    a: Any, b: Any, where: str, rtol: float, atol: float, equal_nan: bool
) -> str | None:
    """Where two numeric leaves differ (shape, or the first number out of tolerance)."""
    wrapped = hasattr(type(a), "_rewrap") or hasattr(type(b), "_rewrap")
    if wrapped and type(a) is not type(b):  # a Vec is not a Mat nor an ndarray
        return f"{where or 'value'}: {_kind(a)} != {_kind(b)}"
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return f"{where or 'value'}: shape {x.shape} != {y.shape}"
    close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(np.all(close)):
        return None
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    index = f"[{', '.join(map(str, first))}]" if first else ""
    count = f"; {int(np.sum(~close))} of {close.size} numbers differ" if close.size > 1 else ""
    return (
        f"{where or 'value'}{index}: {_number(x[first])} != {_number(y[first])} "
        f"(rtol={rtol}, atol={atol}{count})"
    )


def _difference(
    a: Any, b: Any, where: str, rtol: float, atol: float, equal_nan: bool
) -> str | None:
    """The first place (a field path) where ``a`` and ``b`` differ, and how; ``None`` if they
    are close everywhere."""
    here = where or "value"
    if _numeric(a) and _numeric(b):
        return _leaf_difference(a, b, where, rtol, atol, equal_nan)
    if type(a) is not type(b):
        return f"{here}: {_kind(a)} != {_kind(b)}"
    if is_model(a):
        for f in attrs.fields(type(a)):
            path = f"{where}.{f.name}" if where else f.name
            found = _difference(
                getattr(a, f.name), getattr(b, f.name), path, rtol, atol, equal_nan
            )
            if found is not None:
                return found
        return None
    if isinstance(a, tuple | list):
        if len(a) != len(b):
            return f"{here}: length {len(a)} != {len(b)}"
        pairs: list[tuple[str, Any, Any]] = [
            (f"[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True))
        ]
    elif isinstance(a, dict):
        if list(a) != list(b):
            return f"{here}: keys {list(a)!r} != {list(b)!r}"
        pairs = [(f"[{k!r}]", a[k], b[k]) for k in a]
    elif isinstance(a, np.ndarray):  # of strings, booleans, objects
        return None if np.array_equal(a, b) else f"{here}: {a!r} != {b!r}"
    else:
        return None if a == b else f"{here}: {a!r} != {b!r}"
    for step, x, y in pairs:
        found = _difference(x, y, where + step, rtol, atol, equal_nan)
        if found is not None:
            return found
    return None


def allclose(
    a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """Whether two values of the same structure (records, containers, arrays, ``Vec``/``Mat``,
    numbers) are equal up to tolerances, number by number, as ``numpy.isclose``
    (``|a - b| <= atol + rtol * |b|``).

    Values of different types, shapes, lengths or keys are not close; other leaves (strings,
    static fields) must be equal. ``assert_allclose`` says where two values differ.

    Example:
        >>> import numpy as np
        >>> allclose({"w": np.ones(2), "n": 3}, {"w": np.ones(2) + 1e-9, "n": 3})
        True
        >>> allclose([1.0, 2.0], [1.0, 2.1]), allclose([1.0], (1.0,))
        (False, False)
    """
    return _difference(a, b, "", rtol, atol, equal_nan) is None


def assert_allclose(
    a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> None:
    """Assert that two values are close, as ``allclose``, naming where they are not.

    Raises:
        AssertionError: the values differ; the message gives the first differing field path
            and index (``hidden.weight[3, 4]: 0.5 != 0.6``), or the type, shape, length or keys
            that differ there.

    Example:
        >>> import numpy as np
        >>> assert_allclose((np.zeros(3), 1.0), (np.array([0.0, 0.0, 0.5]), 1.0))
        Traceback (most recent call last):
        ...
        AssertionError: [0][2]: 0.0 != 0.5 (rtol=1e-05, atol=1e-08; 1 of 3 numbers differ)
    """
    found = _difference(a, b, "", rtol, atol, equal_nan)
    if found is not None:
        raise AssertionError(found)


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
