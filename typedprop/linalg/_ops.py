"""The hmatrix-backprop operation set on ``Vec`` and ``Mat``, each rule beside its forward.

Every function takes plain ``Vec``/``Mat`` values or their ``BVar``s. Rules are written with
these same operations, so they differentiate again. Where the Haskell original's gradient is
wrong (``mean`` divides by the non-zero count, ``cov`` scales by ``2/n``), ours is right.
Decompositions (inverse, determinants, SVD, eigensystem, Cholesky) are in ``_decomp``,
symmetric matrices (``sym``, ``mtm``) in ``_sym``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike

from typedprop._arith import BROADCAST_TO, GETITEM, TRANSPOSE, sum_axis
from typedprop._core import BVar, Op, _apply1, _apply2, _apply_n, deep_value
from typedprop.errors import ShapeError
from typedprop.functions import mean as _mean
from typedprop.functions import sqrt, sum_elements
from typedprop.linalg._types import Add, Mat, Vec, mismatch, number, show

__all__ = [
    "as_mat",
    "as_vec",
    "col",
    "cov",
    "cross",
    "diag",
    "diag_r",
    "dot",
    "eye",
    "from_columns",
    "from_rows",
    "head_tail",
    "hstack",
    "konst",
    "linspace",
    "matrix",
    "mean",
    "mean_cov",
    "mean_l",
    "mmap",
    "norm_0",
    "norm_1",
    "norm_2",
    "norm_inf",
    "outer",
    "row",
    "split",
    "split_cols",
    "split_rows",
    "take_diag",
    "to_columns",
    "to_rows",
    "tr",
    "uncol",
    "unrow",
    "vec2",
    "vec3",
    "vec4",
    "vector",
    "vjoin",
    "vmap",
    "vstack",
    "zeros",
    "zip_with_vector",
]

N = TypeVar("N", bound=int)
M = TypeVar("M", bound=int)
K = TypeVar("K", bound=int)
P = TypeVar("P", bound=int)
Q = TypeVar("Q", bound=int)

Scalar = float | BVar[float]


def _check(name: str, cond: bool, *operands: Any, why: str = "") -> None:
    if not cond:
        shapes = ", ".join(show(deep_value(o)) for o in operands)
        raise ShapeError(f"Dimension mismatch in {name}: {shapes}{why}")


_ANY = (Vec, Mat)


def _expect(name: str, kinds: tuple[Any, ...], *operands: Any) -> None:
    """Raise ``ShapeError`` unless each operand's value is of its kind (``Vec``, ``Mat``, or
    ``_ANY`` for either), naming the operation, what it takes and what it got."""
    for k, o in zip(kinds, operands, strict=True):
        t = type(deep_value(o))
        if t is not k and not (k is _ANY and t in _ANY):
            takes = " and ".join("a Vec or Mat" if k is _ANY else f"a {k.__name__}" for k in kinds)
            got = f" {name} ".join(show(deep_value(o)) for o in operands)
            raise ShapeError(f"Dimension mismatch in {name}: {got}; {name} takes {takes}")


# --- constructors ---


@overload
def zeros(n: N, /) -> Vec[N]: ...
@overload
def zeros(m: M, n: N, /) -> Mat[M, N]: ...
def zeros(m: Any, n: Any = None, /) -> Any:
    """A vector (``zeros(n)``) or matrix (``zeros(m, n)``) of zeros.

    Example:
        >>> from typedprop.linalg import zeros
        >>> zeros(2, 3).shape
        (2, 3)
    """
    _dims("zeros", m, n)
    return Vec._rewrap(np.zeros(m)) if n is None else Mat._rewrap(np.zeros((m, n)))


def as_vec(data: ArrayLike, n: N) -> Vec[N]:
    """``data`` as a ``Vec`` of length ``n``, checked at run time: how data enters typed code.

    With a type checker, annotate the name (``x: Vec[Literal[8]] = as_vec(data, 8)``) or
    write ``Vec[Literal[8]](data)``: both are typed ``Vec[Literal[8]]`` by every checker.

    Raises:
        ShapeError: ``data`` is not a vector of ``n`` numbers.

    Example:
        >>> from typedprop.linalg import as_vec
        >>> as_vec([1.0, 2.0], 2)
        Vec[2]([1., 2.])
        >>> as_vec([1.0, 2.0], 3)
        Traceback (most recent call last):
        ...
        typedprop.errors.ShapeError: as_vec: expected Vec[3], got an array of shape (2,)
    """
    v: Vec[N] = Vec(data)
    if v.array.shape != (n,):
        raise ShapeError(f"as_vec: expected Vec[{n}], got an array of shape {v.array.shape}")
    return v


def as_mat(data: ArrayLike, m: M, n: N) -> Mat[M, N]:
    """``data`` as an ``m`` by ``n`` ``Mat``, checked at run time: how data enters typed code.

    Raises:
        ShapeError: ``data`` is not a matrix of ``m`` rows and ``n`` columns.

    Example:
        >>> from typedprop.linalg import as_mat
        >>> as_mat([[1.0, 2.0]], 1, 2)
        Mat[1, 2]([[1., 2.]])
        >>> as_mat([[1.0, 2.0]], 2, 1)
        Traceback (most recent call last):
        ...
        typedprop.errors.ShapeError: as_mat: expected Mat[2, 1], got an array of shape (1, 2)
    """
    x: Mat[M, N] = Mat(data)
    if x.array.shape != (m, n):
        raise ShapeError(f"as_mat: expected Mat[{m}, {n}], got an array of shape {x.array.shape}")
    return x


def _dims(name: str, *dims: Any) -> None:
    """Raise ``ShapeError`` unless each dimension given (not ``None``) is an integer >= 0."""
    for d in dims:
        if d is not None and (not isinstance(d, int | np.integer) or isinstance(d, bool) or d < 0):
            raise ShapeError(f"{name}: a dimension is an integer >= 0, got {d!r}")


def eye(n: N) -> Mat[N, N]:
    """The ``n`` by ``n`` identity matrix."""
    _dims("eye", n)
    return Mat._rewrap(np.eye(n))


def _konst_fwd(x: Any, shape: tuple[int, ...]) -> Any:
    dtype = np.float32 if np.asarray(x).dtype == np.float32 else np.float64
    return (Vec if len(shape) == 1 else Mat)._rewrap(np.full(shape, float(x), dtype))


_KONST: Op = Op("konst", 2, fwd=_konst_fwd, vjps=(lambda g, ans, x, shape: sum_elements(g), None))


@overload
def konst(x: BVar[float], m: M) -> BVar[Vec[M]]: ...
@overload
def konst(x: float, m: M) -> Vec[M]: ...
@overload
def konst(x: BVar[float], m: M, n: N) -> BVar[Mat[M, N]]: ...
@overload
def konst(x: float, m: M, n: N) -> Mat[M, N]: ...
def konst(x: Any, m: int, n: int | None = None) -> Any:
    """A vector or matrix with every element ``x``; the gradient of ``x`` is the sum of all.

    Example:
        >>> from typedprop.linalg import konst
        >>> konst(2.0, 3)
        Vec[3]([2., 2., 2.])
    """
    _dims("konst", m, n)
    return _apply2(_KONST, x, (m,) if n is None else (m, n))


def _vector_op(n: int) -> Op:
    return Op(
        "vector",
        n,
        fwd=lambda *xs: Vec._rewrap(
            np.array([x if type(x) is np.float32 else float(x) for x in xs])
        ),
        vjps=[(lambda g, ans, *xs, i=i: g[i]) for i in range(n)],
    )


def vector(xs: Sequence[float] | Sequence[BVar[float] | float]) -> Any:
    """A vector from numbers or ``BVar``s of numbers (one gradient per element).

    For long vectors from data prefer ``Vec(array)``: this builds one node over all elements.
    """
    xs = list(xs)
    if not any(type(x) is BVar for x in xs):
        return Vec(np.array(xs))  # Vec checks the numbers (no None, strings or complex)
    return _apply_n(_vector_op(len(xs)), xs)


def matrix(rows: Sequence[Sequence[float]] | Sequence[Sequence[BVar[float] | float]]) -> Any:
    """A matrix from rows of numbers (or ``BVar``s of numbers).

    Raises:
        ShapeError: the rows differ in length, or there are none.
        FieldTypeError: an element is not a real number (``None``, a string, a complex).
    """
    rows = [list(r) for r in rows]
    if not rows:
        raise ShapeError("matrix: no rows, so no width; use zeros(0, n) for a matrix of no rows")
    lengths = {len(r) for r in rows}
    if len(lengths) > 1:
        raise ShapeError(f"matrix: rows of different lengths {sorted(lengths)}")
    flat = [x for r in rows for x in r]
    if not any(type(x) is BVar for x in flat):
        return Mat(np.array(rows).reshape(len(rows), -1))  # Mat checks the numbers
    n = lengths.pop() if lengths else 0
    return _reshape(_apply_n(_vector_op(len(flat)), flat), (len(rows), n))


def _linspace_fwd(a: Any, b: Any, n: int) -> Vec[Any]:
    return Vec._rewrap(np.linspace(float(a), float(b), n))


def _linspace_t(n: int) -> Vec[Any]:
    return Vec._rewrap(np.linspace(0.0, 1.0, n))


_LINSPACE: Op = Op(
    "linspace",
    3,
    fwd=_linspace_fwd,
    vjps=(
        lambda g, ans, a, b, n: sum_elements(g * (1.0 - _linspace_t(n))),
        lambda g, ans, a, b, n: sum_elements(g * _linspace_t(n)),
        None,
    ),
)


@overload
def linspace(a: float, b: float, n: N) -> Vec[N]: ...
@overload
def linspace(a: BVar[float], b: Scalar, n: N) -> BVar[Vec[N]]: ...
@overload
def linspace(a: float, b: BVar[float], n: N) -> BVar[Vec[N]]: ...
def linspace(a: Any, b: Any, n: int) -> Any:
    """``n`` evenly spaced numbers from ``a`` to ``b``, differentiable in both ends."""
    return _apply_n(_LINSPACE, (a, b, n))


# --- products ---


def _dot_fwd(x: Vec[Any], y: Vec[Any]) -> Any:
    if x.array.shape != y.array.shape:
        raise mismatch("dot", x, y, why="; both arguments need the same dimension")
    return number(x.array @ y.array)


_DOT: Op = Op(
    "dot", 2, fwd=_dot_fwd, vjps=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
)


@overload
def dot(x: Vec[N], y: Vec[N]) -> float: ...
@overload
def dot(x: BVar[Vec[N]], y: BVar[Vec[N]] | Vec[N]) -> BVar[float]: ...
@overload
def dot(x: Vec[N], y: BVar[Vec[N]]) -> BVar[float]: ...
def dot(x: Any, y: Any) -> Any:
    """The dot product of two vectors of one dimension.

    Example:
        >>> from typedprop.linalg import dot, vector
        >>> dot(vector([1.0, 2.0]), vector([3.0, 4.0]))
        11.0
    """
    _expect("dot", (Vec, Vec), x, y)
    return _apply2(_DOT, x, y)


_OUTER: Op = Op(
    "outer",
    2,
    fwd=lambda x, y: x._outer(y),
    vjps=(lambda g, ans, x, y: g @ y, lambda g, ans, x, y: x @ g),
)


@overload
def outer(x: Vec[M], y: Vec[N]) -> Mat[M, N]: ...
@overload
def outer(x: BVar[Vec[M]], y: BVar[Vec[N]] | Vec[N]) -> BVar[Mat[M, N]]: ...
@overload
def outer(x: Vec[M], y: BVar[Vec[N]]) -> BVar[Mat[M, N]]: ...
def outer(x: Any, y: Any) -> Any:
    """The outer product ``x yᵀ``."""
    _expect("outer", (Vec, Vec), x, y)
    return _apply2(_OUTER, x, y)


@overload
def tr(m: Mat[M, N]) -> Mat[N, M]: ...
@overload
def tr(m: BVar[Mat[M, N]]) -> BVar[Mat[N, M]]: ...
def tr(m: Any) -> Any:
    """The transpose."""
    _expect("tr", (Mat,), m)
    return _apply1(TRANSPOSE, m)


def _cross_fwd(x: Vec[Any], y: Vec[Any]) -> Vec[Any]:
    _check("cross", x.array.shape == (3,) == y.array.shape, x, y, why="; cross needs Vec[3]")
    return Vec._rewrap(np.cross(x.array, y.array))


_CROSS: Op = Op(
    "cross",
    2,
    fwd=_cross_fwd,
    vjps=(lambda g, ans, x, y: cross(y, g), lambda g, ans, x, y: cross(g, x)),
)


@overload
def cross(x: Vec[N], y: Vec[N]) -> Vec[N]: ...
@overload
def cross(x: BVar[Vec[N]], y: BVar[Vec[N]] | Vec[N]) -> BVar[Vec[N]]: ...
@overload
def cross(x: Vec[N], y: BVar[Vec[N]]) -> BVar[Vec[N]]: ...
def cross(x: Any, y: Any) -> Any:
    """The cross product of two ``Vec[3]``."""
    _expect("cross", (Vec, Vec), x, y)
    return _apply2(_CROSS, x, y)


# --- joining, splitting, reshaping ---


def _slice_fwd(x: Any, spec: tuple[int, int, int]) -> Any:
    axis, start, stop = spec
    arr = x.array[start:stop] if axis == 0 else x.array[:, start:stop]
    return type(x)._rewrap(arr.copy())


def _pad_fwd(g: Any, spec: tuple[int, int, Any]) -> Any:
    axis, start, like = spec
    z = np.zeros(like.array.shape, like.array.dtype)
    n = np.shape(g)[axis]
    if axis == 0:
        z[start : start + n] = np.asarray(g)
    else:
        z[:, start : start + n] = np.asarray(g)
    return type(like)._rewrap(z)


_SLICE: Op = Op(
    "slice",
    2,
    fwd=_slice_fwd,
    vjps=(lambda g, ans, x, spec: _apply2(_PAD, g, (spec[0], spec[1], deep_value(x))), None),
)
_PAD: Op = Op(
    "pad",
    2,
    fwd=_pad_fwd,
    vjps=(
        lambda g, ans, x, spec: _apply2(
            _SLICE, g, (spec[0], spec[1], spec[1] + np.shape(deep_value(x))[spec[0]])
        ),
        None,
    ),
)


def _slice(x: Any, axis: int, start: int, stop: int) -> Any:
    return _apply2(_SLICE, x, (axis, start, stop))


def _join_fwd(axis: int) -> Callable[[Any, Any], Any]:
    def fwd(x: Any, y: Any) -> Any:
        a, b = x.array, y.array
        other = 1 - axis if a.ndim == 2 else None
        if a.ndim != b.ndim or (other is not None and a.shape[other] != b.shape[other]):
            raise mismatch("hstack" if axis == 1 else ("vstack" if a.ndim == 2 else "vjoin"), x, y)
        return type(x)._rewrap(np.concatenate([a, b], axis=axis))

    return fwd


def _join_op(name: str, axis: int) -> Op:
    def first(g: Any, ans: Any, x: Any, y: Any) -> Any:
        return _slice(g, axis, 0, np.shape(deep_value(x))[axis])

    def second(g: Any, ans: Any, x: Any, y: Any) -> Any:
        n = np.shape(deep_value(x))[axis]
        return _slice(g, axis, n, n + np.shape(deep_value(y))[axis])

    return Op(name, 2, fwd=_join_fwd(axis), vjps=(first, second))


_VJOIN: Op = _join_op("vjoin", 0)
_VSTACK: Op = _join_op("vstack", 0)
_HSTACK: Op = _join_op("hstack", 1)


@overload
def vjoin(x: Vec[M], y: Vec[N]) -> Vec[Add[M, N]]: ...
@overload
def vjoin(x: BVar[Vec[M]], y: BVar[Vec[N]] | Vec[N]) -> BVar[Vec[Add[M, N]]]: ...
@overload
def vjoin(x: Vec[M], y: BVar[Vec[N]]) -> BVar[Vec[Add[M, N]]]: ...
def vjoin(x: Any, y: Any) -> Any:
    """The concatenation of two vectors (hmatrix's ``#``)."""
    _expect("vjoin", (Vec, Vec), x, y)
    return _apply2(_VJOIN, x, y)


@overload
def vstack(x: Mat[M, N], y: Mat[K, N]) -> Mat[Add[M, K], N]: ...
@overload
def vstack(x: BVar[Mat[M, N]], y: BVar[Mat[K, N]] | Mat[K, N]) -> BVar[Mat[Add[M, K], N]]: ...
@overload
def vstack(x: Mat[M, N], y: BVar[Mat[K, N]]) -> BVar[Mat[Add[M, K], N]]: ...
def vstack(x: Any, y: Any) -> Any:
    """The rows of ``x`` above the rows of ``y`` (hmatrix's ``===``)."""
    _expect("vstack", (Mat, Mat), x, y)
    return _apply2(_VSTACK, x, y)


@overload
def hstack(x: Mat[M, N], y: Mat[M, K]) -> Mat[M, Add[N, K]]: ...
@overload
def hstack(x: BVar[Mat[M, N]], y: BVar[Mat[M, K]] | Mat[M, K]) -> BVar[Mat[M, Add[N, K]]]: ...
@overload
def hstack(x: Mat[M, N], y: BVar[Mat[M, K]]) -> BVar[Mat[M, Add[N, K]]]: ...
def hstack(x: Any, y: Any) -> Any:
    """The columns of ``x`` left of the columns of ``y`` (hmatrix's ``|||``)."""
    _expect("hstack", (Mat, Mat), x, y)
    return _apply2(_HSTACK, x, y)


def _split(name: str, x: Any, p: int, axis: int) -> tuple[Any, Any]:
    n = np.shape(deep_value(x))[axis]
    if not 0 <= p <= n:
        raise ShapeError(f"{name}: cannot split {show(deep_value(x))} at {p}")
    return _slice(x, axis, 0, p), _slice(x, axis, p, n)


@overload
def split(x: Vec[Any], p: int) -> tuple[Vec[Any], Vec[Any]]: ...
@overload
def split(x: BVar[Vec[Any]], p: int) -> tuple[BVar[Vec[Any]], BVar[Vec[Any]]]: ...
def split(x: Any, p: int) -> tuple[Any, Any]:
    """The first ``p`` elements of a vector and the rest."""
    _expect("split", (Vec,), x)
    return _split("split", x, p, 0)


@overload
def head_tail(x: Vec[Any]) -> tuple[float, Vec[Any]]: ...
@overload
def head_tail(x: BVar[Vec[Any]]) -> tuple[BVar[float], BVar[Vec[Any]]]: ...
def head_tail(x: Any) -> tuple[Any, Any]:
    """The first element of a vector and the rest."""
    _expect("head_tail", (Vec,), x)
    n = np.shape(deep_value(x))[0]
    if n < 1:
        raise ShapeError("head_tail: the vector is empty")
    return _apply2(GETITEM, x, 0), _slice(x, 0, 1, n)


@overload
def split_rows(x: Mat[Any, N], p: int) -> tuple[Mat[Any, N], Mat[Any, N]]: ...
@overload
def split_rows(x: BVar[Mat[Any, N]], p: int) -> tuple[BVar[Mat[Any, N]], BVar[Mat[Any, N]]]: ...
def split_rows(x: Any, p: int) -> tuple[Any, Any]:
    """The first ``p`` rows of a matrix and the rest."""
    _expect("split_rows", (Mat,), x)
    return _split("split_rows", x, p, 0)


@overload
def split_cols(x: Mat[M, Any], p: int) -> tuple[Mat[M, Any], Mat[M, Any]]: ...
@overload
def split_cols(x: BVar[Mat[M, Any]], p: int) -> tuple[BVar[Mat[M, Any]], BVar[Mat[M, Any]]]: ...
def split_cols(x: Any, p: int) -> tuple[Any, Any]:
    """The first ``p`` columns of a matrix and the rest."""
    _expect("split_cols", (Mat,), x)
    return _split("split_cols", x, p, 1)


def _reshape_fwd(x: Any, shape: tuple[int, ...]) -> Any:
    arr = x.array.reshape(shape)
    return (Vec if len(shape) == 1 else Mat)._rewrap(arr.copy())


_RESHAPE: Op = Op(
    "reshape",
    2,
    fwd=_reshape_fwd,
    vjps=(lambda g, ans, x, shape: _reshape(g, np.shape(deep_value(x))), None),
)


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return _apply2(_RESHAPE, x, tuple(shape))


@overload
def row(x: Vec[N]) -> Mat[Literal[1], N]: ...
@overload
def row(x: BVar[Vec[N]]) -> BVar[Mat[Literal[1], N]]: ...
def row(x: Any) -> Any:
    """A vector as a one-row matrix: ``Vec[N]`` to ``Mat[1, N]``."""
    _expect("row", (Vec,), x)
    return _reshape(x, (1, np.shape(deep_value(x))[0]))


@overload
def col(x: Vec[N]) -> Mat[N, Literal[1]]: ...
@overload
def col(x: BVar[Vec[N]]) -> BVar[Mat[N, Literal[1]]]: ...
def col(x: Any) -> Any:
    """A vector as a one-column matrix: ``Vec[N]`` to ``Mat[N, 1]``."""
    _expect("col", (Vec,), x)
    return _reshape(x, (np.shape(deep_value(x))[0], 1))


@overload
def unrow(x: Mat[Literal[1], N]) -> Vec[N]: ...
@overload
def unrow(x: BVar[Mat[Literal[1], N]]) -> BVar[Vec[N]]: ...
def unrow(x: Any) -> Any:
    """A one-row matrix as a vector."""
    _expect("unrow", (Mat,), x)
    r, c = np.shape(deep_value(x))
    _check("unrow", r == 1, x, why="; unrow needs Mat[1, N]")
    return _reshape(x, (c,))


@overload
def uncol(x: Mat[N, Literal[1]]) -> Vec[N]: ...
@overload
def uncol(x: BVar[Mat[N, Literal[1]]]) -> BVar[Vec[N]]: ...
def uncol(x: Any) -> Any:
    """A one-column matrix as a vector."""
    _expect("uncol", (Mat,), x)
    r, c = np.shape(deep_value(x))
    _check("uncol", c == 1, x, why="; uncol needs Mat[N, 1]")
    return _reshape(x, (r,))


@overload
def to_rows(x: Mat[M, N]) -> list[Vec[N]]: ...
@overload
def to_rows(x: BVar[Mat[M, N]]) -> list[BVar[Vec[N]]]: ...
def to_rows(x: Any) -> list[Any]:
    """The rows of a matrix, one vector each (gradients kept sparse: O(rows) in all)."""
    _expect("to_rows", (Mat,), x)
    return [_apply2(GETITEM, x, i) for i in range(np.shape(deep_value(x))[0])]


@overload
def to_columns(x: Mat[M, N]) -> list[Vec[M]]: ...
@overload
def to_columns(x: BVar[Mat[M, N]]) -> list[BVar[Vec[M]]]: ...
def to_columns(x: Any) -> list[Any]:
    """The columns of a matrix, one vector each."""
    _expect("to_columns", (Mat,), x)
    return to_rows(tr(x))


def _from_rows_op(n: int) -> Op:
    return Op(
        "from_rows",
        n,
        fwd=lambda *rows: _stack_rows(rows),
        vjps=[(lambda g, ans, *rows, i=i: g[i]) for i in range(n)],
    )


def _stack_rows(rows: Sequence[Any]) -> Mat[Any, Any]:
    if not rows:
        raise ShapeError(
            "from_rows: no rows, so no width; use zeros(0, n) for a matrix of no rows"
        )
    lengths = {np.shape(r)[0] for r in rows}
    if len(lengths) > 1:
        raise ShapeError(f"from_rows: rows of different dimensions {sorted(lengths)}")
    return Mat._rewrap(np.stack([np.asarray(r.array) for r in rows]))


def from_rows(rows: Sequence[Any]) -> Any:
    """A matrix from vectors of one dimension, one per row."""
    rows = list(rows)
    if not any(type(r) is BVar for r in rows):
        return _stack_rows(rows)
    return _apply_n(_from_rows_op(len(rows)), rows)


def from_columns(cols: Sequence[Any]) -> Any:
    """A matrix from vectors of one dimension, one per column."""
    return tr(from_rows(cols))


_DIAG: Op = Op(
    "diag",
    1,
    fwd=lambda x: Mat._rewrap(np.diag(x.array)),
    vjps=(lambda g, ans, x: take_diag(g),),
)
_TAKE_DIAG: Op = Op(
    "take_diag",
    1,
    fwd=lambda x: Vec._rewrap(np.diag(x.array).copy()),
    vjps=(lambda g, ans, x: diag(g),),
)


@overload
def diag(x: Vec[N]) -> Mat[N, N]: ...
@overload
def diag(x: BVar[Vec[N]]) -> BVar[Mat[N, N]]: ...
def diag(x: Any) -> Any:
    """The square matrix with ``x`` on its diagonal."""
    _expect("diag", (Vec,), x)
    return _apply1(_DIAG, x)


@overload
def take_diag(x: Mat[N, N]) -> Vec[N]: ...
@overload
def take_diag(x: BVar[Mat[N, N]]) -> BVar[Vec[N]]: ...
def take_diag(x: Any) -> Any:
    """The diagonal of a square matrix."""
    _expect("take_diag", (Mat,), x)
    _check("take_diag", _square(x), x, why="; take_diag needs a square matrix")
    return _apply1(_TAKE_DIAG, x)


def _square(x: Any) -> bool:
    s = np.shape(deep_value(x))
    return len(s) == 2 and s[0] == s[1]


@overload
def diag_r(c: float, v: Vec[K], m: M, n: N) -> Mat[M, N]: ...
@overload
def diag_r(c: Scalar, v: BVar[Vec[K]], m: M, n: N) -> BVar[Mat[M, N]]: ...
@overload
def diag_r(c: BVar[float], v: Vec[K] | BVar[Vec[K]], m: M, n: N) -> BVar[Mat[M, N]]: ...
def diag_r(c: Any, v: Any, m: int, n: int) -> Any:
    """An ``m``-by-``n`` matrix with ``v`` on its diagonal and ``c`` everywhere else
    (hmatrix's ``diagR``): where ``v`` is shorter than the diagonal, the rest of the diagonal
    is ``c`` too. The gradient of ``c`` is the sum of the gradient over the places it fills.

    hmatrix-backprop's rule fails at run time unless ``v`` fills the whole diagonal, and
    hmatrix drops the elements of a ``v`` longer than the diagonal; here both work or raise.

    Raises:
        ShapeError: ``v`` is longer than the diagonal, ``min(m, n)``.

    Example:
        >>> from typedprop.linalg import diag_r, vector
        >>> diag_r(0.5, vector([1.0, 2.0]), 2, 3)
        Mat[2, 3]([[1. , 0.5, 0.5],
               [0.5, 2. , 0.5]])
    """
    _expect("diag_r", (Vec,), v)
    _dims("diag_r", m, n)
    k = np.shape(deep_value(v))[0]
    if k > min(m, n):
        raise ShapeError(
            f"diag_r: {show(deep_value(v))} does not fit on the diagonal of Mat[{m}, {n}], "
            f"which has {min(m, n)} elements; give at most that many"
        )
    dt = deep_value(v).array.dtype
    fill = np.ones((m, n), dt)
    fill[np.arange(k), np.arange(k)] = 0.0
    left: Mat[Any, Any] = Mat._rewrap(np.eye(m, k, dtype=dt))
    right: Mat[Any, Any] = Mat._rewrap(np.eye(k, n, dtype=dt))
    return c * Mat._rewrap(fill) + left @ diag(v) @ right


# --- norms and statistics ---


def _sign(x: Any) -> Any:
    """The elementwise sign of ``x``'s value: a constant (the kinks carry no curvature)."""
    v = deep_value(x)
    return type(v)._rewrap(np.sign(v.array))


def _norm1_fwd(x: Any) -> Any:
    a = np.abs(x.array)  # a max over nothing (no columns) is 0, as a sum over nothing
    return number(a.sum() if a.ndim == 1 else a.sum(axis=0).max(initial=0.0))


def _norm1_vjp(g: Any, ans: Any, x: Any) -> Any:
    v = deep_value(x)
    if v.array.ndim == 1:
        return g * _sign(x)
    sums = np.abs(v.array).sum(axis=0)
    mask = Mat._rewrap(np.sign(v.array) * (sums == sums.max(initial=0.0)))
    return g * mask


def _norminf_fwd(x: Any) -> Any:
    a = np.abs(x.array)  # the norm of an empty vector (or of no rows) is 0
    return number(a.max(initial=0.0) if a.ndim == 1 else a.sum(axis=1).max(initial=0.0))


def _norminf_vjp(g: Any, ans: Any, x: Any) -> Any:
    v = deep_value(x)
    a = np.abs(v.array)
    if a.ndim == 1:
        mask = np.sign(v.array) * (a == a.max(initial=0.0))
        return g * Vec._rewrap(mask)
    sums = a.sum(axis=1)
    return g * Mat._rewrap(np.sign(v.array) * (sums == sums.max(initial=0.0))[:, None])


_NORM_1: Op = Op("norm_1", 1, fwd=_norm1_fwd, vjps=(_norm1_vjp,))
_NORM_INF: Op = Op("norm_inf", 1, fwd=_norminf_fwd, vjps=(_norminf_vjp,))


_NORM_0: Op = Op(
    "norm_0", 1, fwd=lambda x: float(np.count_nonzero(x.array)), vjps=(lambda g, ans, x: None,)
)


@overload
def norm_0(x: Vec[Any] | Mat[Any, Any]) -> float: ...
@overload
def norm_0(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]]) -> BVar[float]: ...
def norm_0(x: Any) -> Any:
    """The number of non-zero elements of a vector or matrix; its gradient is zero (a count
    does not change under small changes, away from the zeros).

    Example:
        >>> from typedprop.linalg import norm_0, vector
        >>> norm_0(vector([0.0, 2.0, -1.0]))
        2.0
    """
    _expect("norm_0", (_ANY,), x)
    return _apply1(_NORM_0, x)


@overload
def norm_1(x: Vec[Any] | Mat[Any, Any]) -> float: ...
@overload
def norm_1(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]]) -> BVar[float]: ...
def norm_1(x: Any) -> Any:
    """The 1-norm: ``sum |x_i|`` of a vector, the largest column sum of ``|m|`` of a matrix."""
    _expect("norm_1", (_ANY,), x)
    return _apply1(_NORM_1, x)


@overload
def norm_inf(x: Vec[Any] | Mat[Any, Any]) -> float: ...
@overload
def norm_inf(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]]) -> BVar[float]: ...
def norm_inf(x: Any) -> Any:
    """The infinity norm: ``max |x_i|`` of a vector, the largest row sum of ``|m|`` of a matrix.

    Where several elements tie for the maximum, each gets the gradient (as in hmatrix).
    """
    _expect("norm_inf", (_ANY,), x)
    return _apply1(_NORM_INF, x)


@overload
def norm_2(x: Vec[Any] | Mat[Any, Any]) -> float: ...
@overload
def norm_2(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]]) -> BVar[float]: ...
def norm_2(x: Any) -> Any:
    """The Euclidean norm of a vector; the largest singular value of a matrix."""
    _expect("norm_2", (_ANY,), x)
    v = deep_value(x)
    if type(v) is Mat:
        from typedprop.linalg._decomp import svd  # _decomp builds on this module

        return _apply2(GETITEM, svd(x), 0)
    return sqrt(dot(x, x))


@overload
def mean(x: Vec[Any]) -> float: ...
@overload
def mean(x: BVar[Vec[Any]]) -> BVar[float]: ...
def mean(x: Any) -> Any:
    """The mean of a vector's elements; the gradient is ``g / n`` in every element (hmatrix
    divides by the number of non-zero elements instead, which is wrong)."""
    return _mean(x)


def _rows_mean(x: Any) -> Any:
    m = np.shape(deep_value(x))[0]
    return sum_axis(x, 0, False) * (1.0 / m)


def _cov_fwd(x: Mat[Any, Any]) -> Mat[Any, Any]:
    m = x.array.shape[0]
    if m < 2:
        raise ShapeError(f"cov: needs at least two rows (observations), got {show(x)}")
    xc = x.array - x.array.mean(axis=0)
    return Mat._rewrap(xc.T @ xc / (m - 1))


def _cov_vjp(g: Any, ans: Any, x: Any) -> Any:
    m = np.shape(deep_value(x))[0]
    xc = x - _rows_mean(x)
    return xc @ (g + tr(g)) * (1.0 / (m - 1))


_COV: Op = Op("cov", 1, fwd=_cov_fwd, vjps=(_cov_vjp,))
_MEAN_ROWS: Op = Op(
    "mean_rows",
    1,
    fwd=lambda x: Vec._rewrap(x.array.mean(axis=0)),
    vjps=(
        lambda g, ans, x: _apply2(
            BROADCAST_TO, g * (1.0 / np.shape(deep_value(x))[0]), deep_value(x)
        ),
    ),
)


@overload
def cov(x: Mat[M, N]) -> Mat[N, N]: ...
@overload
def cov(x: BVar[Mat[M, N]]) -> BVar[Mat[N, N]]: ...
def cov(x: Any) -> Any:
    """The covariance of the rows of ``x`` (one observation per row), ``xcᵀ xc / (m - 1)``.

    Its gradient is ``xc (G + Gᵀ) / (m - 1)``; hmatrix-backprop scales by ``2/n`` instead.
    """
    _expect("cov", (Mat,), x)
    return _apply1(_COV, x)


@overload
def mean_cov(x: Mat[M, N]) -> tuple[Vec[N], Mat[N, N]]: ...
@overload
def mean_cov(x: BVar[Mat[M, N]]) -> tuple[BVar[Vec[N]], BVar[Mat[N, N]]]: ...
def mean_cov(x: Any) -> tuple[Any, Any]:
    """The mean and the covariance of the rows of ``x``."""
    _expect("mean_cov", (Mat,), x)
    return _apply1(_MEAN_ROWS, x), cov(x)


@overload
def mean_l(x: Mat[M, N] | Sequence[Vec[N]]) -> Vec[N]: ...
@overload
def mean_l(x: BVar[Mat[M, N]] | Sequence[BVar[Vec[N]]]) -> BVar[Vec[N]]: ...
def mean_l(x: Any) -> Any:
    """The mean of a list of vectors of one dimension: of the rows of a ``Mat`` (hmatrix's
    ``meanL``), or of a sequence of ``Vec``s.

    Raises:
        ShapeError: there are no vectors (no mean), or they differ in dimension.

    Example:
        >>> from typedprop.linalg import mean_l, vector
        >>> mean_l([vector([1.0, 2.0]), vector([3.0, 6.0])])
        Vec[2]([2., 4.])
    """
    if isinstance(x, Sequence):
        x = from_rows(x)
    _expect("mean_l", (Mat,), x)
    if np.shape(deep_value(x))[0] == 0:
        raise ShapeError(f"mean_l: the mean of no vectors ({show(deep_value(x))}) is undefined")
    return _apply1(_MEAN_ROWS, x)


# --- maps ---


def vmap(f: Callable[[Any], Any], x: Any) -> Any:
    """``f`` applied to every element of a vector (``f`` may close over other ``BVar``s).

    General and slow (one node per element); for elementwise functions written with
    ``typedprop.functions``, apply them to the whole vector instead.
    """
    v = deep_value(x)
    return vector([f(x[i]) for i in range(v.array.shape[0])])


def mmap(f: Callable[[Any], Any], x: Any) -> Any:
    """``f`` applied to every element of a matrix."""
    v = deep_value(x)
    r, c = v.array.shape
    rows = to_rows(x) if type(x) is BVar else [v[i] for i in range(r)]
    return matrix([[f(rw[j]) for j in range(c)] for rw in rows])


def zip_with_vector(f: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """``f`` applied to the elements of two vectors of one dimension, pairwise."""
    a, b = deep_value(x), deep_value(y)
    if a.array.shape != b.array.shape:
        raise mismatch("zip_with_vector", a, b)
    return vector([f(x[i], y[i]) for i in range(a.array.shape[0])])


# --- small vectors from numbers ---


def vec2(a: Any, b: Any) -> Any:
    """A ``Vec[2]`` from two numbers (or their ``BVar``s)."""
    return vector([a, b])


def vec3(a: Any, b: Any, c: Any) -> Any:
    """A ``Vec[3]`` from three numbers (or their ``BVar``s)."""
    return vector([a, b, c])


def vec4(a: Any, b: Any, c: Any, d: Any) -> Any:
    """A ``Vec[4]`` from four numbers (or their ``BVar``s)."""
    return vector([a, b, c, d])
