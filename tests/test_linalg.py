"""Property tests for ``typedprop.linalg``: every operation's value against numpy with the
declared result dimensions, its first and second derivatives against finite differences
(``check_grad``; eigen and singular vectors through functions blind to their signs), gradients of
the arguments' own types, the places where hmatrix-backprop's gradients are wrong (``mean``,
``cov``), dimension mismatches, immutability, batches, and the ``Backprop`` laws of Vec and Mat."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

import typedprop.functions as fn
import typedprop.linalg as la
from typedprop import (
    BVar,
    DegenerateError,
    FieldTypeError,
    ShapeError,
    SingularMatrixError,
    add,
    auto,
    backprop_with_n,
    eval_bp,
    eval_bp_n,
    grad_bp,
    grad_bp_n,
    one,
    zero,
)
from typedprop.linalg import (
    Add,
    Mat,
    Vec,
    chol,
    col,
    cov,
    cross,
    det,
    diag,
    diag_r,
    dot,
    eigensystem,
    eigenvalues,
    eye,
    from_columns,
    from_rows,
    head_tail,
    hstack,
    inv,
    invlndet,
    konst,
    linspace,
    lndet,
    matrix,
    mean,
    mean_cov,
    mean_l,
    mmap,
    mtm,
    norm_0,
    norm_1,
    norm_2,
    norm_inf,
    outer,
    row,
    split,
    split_cols,
    split_rows,
    svd,
    svd_full,
    sym,
    take_diag,
    to_columns,
    to_rows,
    tr,
    uncol,
    unrow,
    vec2,
    vec3,
    vec4,
    vector,
    vjoin,
    vmap,
    vstack,
    zeros,
    zip_with_vector,
)
from typedprop.testing import arrays, check_grad, nonzero_floats, well_floats

Array = NDArray[np.float64]
Args = tuple[Any, ...]
Shape = tuple[int, ...]

# ``Vec[3]`` and ``Mat[2, 3]`` with run-time dimensions (mypy only accepts literal types there).
AnyVec: Any = Vec
AnyMat: Any = Mat
AnyAdd: Any = Add

DIM = st.integers(1, 6)
ELEMENTS = well_floats()
UNIT = well_floats(-1.0, 1.0)
DENOMINATORS = nonzero_floats(0.5, 3.0)

# Slow properties (many nodes, or a second derivative through a factorization) run a third of
# the profile's examples.
SLOW = settings(max_examples=max(8, settings().max_examples // 3))


# --- strategies ---


def _raw(x: Any) -> Any:
    """A ``Vec``/``Mat`` as its numpy array; anything else as it is."""
    return x.array if isinstance(x, Vec | Mat) else x


def _value(x: Any) -> Any:
    """The value of a ``BVar``, or the value itself."""
    return x.value if isinstance(x, BVar) else x


def _shape(x: Any) -> Shape:
    return tuple(np.shape(_raw(_value(x))))


@st.composite
def args(
    draw: st.DrawFn,
    *spec: str,
    elements: SearchStrategy[float] = ELEMENTS,
    last: SearchStrategy[float] | None = None,
    low: int = 1,
) -> Args:
    """Arguments by a spec: ``"Vn"`` a Vec[n], ``"Mmn"`` a Mat[m, n], ``"f"`` a float. A letter is
    a random dimension (``low``..6) shared by every argument that names it, a digit a fixed one;
    ``last`` gives the elements of the last argument (a denominator, say)."""
    dims: dict[str, int] = {}

    def dim(c: str) -> int:
        if c.isdigit():
            return int(c)
        if c not in dims:
            dims[c] = draw(st.integers(low, 6))
        return dims[c]

    out: list[Any] = []
    for i, s in enumerate(spec):
        elems = last if last is not None and i == len(spec) - 1 else elements
        if s == "f":
            out.append(draw(elems))
        elif s[0] == "V":
            out.append(Vec(draw(arrays((dim(s[1]),), elems))))
        else:
            out.append(Mat(draw(arrays((dim(s[1]), dim(s[2])), elems))))
    return tuple(out)


@st.composite
def well_conditioned(draw: st.DrawFn) -> Args:
    """A square Mat[n, n]: entries in [-1, 1] plus (n + 1) I (diagonally dominant by 1, so
    ``|inv|_inf <= 1``), its rows multiplied by random signs (so ``det`` takes both signs)."""
    n = draw(DIM)
    a = draw(arrays((n, n), UNIT)) + (n + 1) * np.eye(n)
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    return (Mat(signs[:, None] * a),)


@st.composite
def spread_square(draw: st.DrawFn) -> Args:
    """A Mat[n, n] with entries in [-1, 1] plus diag(0, 3n, 6n, ...): its symmetric part has
    eigenvalues at least n apart (Weyl), so each is a smooth function of the matrix."""
    n = draw(DIM)
    a = draw(arrays((n, n), UNIT)) + np.diag(3.0 * n * np.arange(n))
    return (Mat(a),)


@st.composite
def separated(draw: st.DrawFn) -> Args:
    """A Mat[m, n] with entries in [-1, 1] plus diagonal entries 3s, 6s, ... (s = max(m, n)):
    its singular values are positive and at least s apart, so each is smooth."""
    m, n = draw(DIM), draw(DIM)
    s = max(m, n)
    b = np.zeros((m, n))
    k = min(m, n)
    b[np.arange(k), np.arange(k)] = 3.0 * s * np.arange(k, 0, -1)
    return (Mat(draw(arrays((m, n), UNIT)) + b),)


@st.composite
def peaked(draw: st.DrawFn, spec: str) -> Args:
    """A Vec (``"V"``) or Mat (``"M0"``: one column, ``"M1"``: one row) with entries of size
    0.01..1 except one element / column / row of size 2..3: no zeros (no kinks of ``abs``) and one
    clear maximum (no ties in ``norm_inf`` / the matrix ``norm_1``)."""
    small = nonzero_floats(0.01, 1.0)
    big = nonzero_floats(2.0, 3.0)
    if spec == "V":
        n = draw(DIM)
        x = draw(arrays((n,), small))
        x[draw(st.integers(0, n - 1))] = draw(big)
        return (Vec(x),)
    m, n = draw(DIM), draw(DIM)
    a = draw(arrays((m, n), small))
    if spec == "M0":
        a[:, draw(st.integers(0, n - 1))] = draw(arrays((m,), big))
    else:
        a[draw(st.integers(0, m - 1)), :] = draw(arrays((n,), big))
    return (Mat(a),)


@st.composite
def rows_of(draw: st.DrawFn) -> Args:
    """1..6 vectors of one dimension 1..6."""
    m, n = draw(DIM), draw(DIM)
    return tuple(Vec(draw(arrays((n,), ELEMENTS))) for _ in range(m))


@st.composite
def one_hot(draw: st.DrawFn, b: int, n: int) -> Mat[Any, Any]:
    """A Mat[b, n] of one-hot rows."""
    hot = draw(st.lists(st.integers(0, n - 1), min_size=b, max_size=b))
    return Mat(np.eye(n)[hot])


# --- the operations under test ---


@dataclass(frozen=True)
class Case:
    """An operation: its arguments, the function, numpy's value (of the arguments' arrays), the
    declared result dimensions (a shape, or a list of shapes for a tuple/list result), the order of
    derivatives to check, and an optional static parameter drawn after the arguments and passed
    last (a split point, a length)."""

    covers: tuple[str, ...]
    args: SearchStrategy[Args]
    f: Callable[..., Any]
    ref: Callable[..., Any]
    dims: Callable[..., Any]
    order: int = 2
    static: Callable[[Args], SearchStrategy[Any]] | None = None


def _np_cov(x: Array) -> Array:
    return np.atleast_2d(np.cov(x, rowvar=False))


def _sym(a: Any) -> Any:
    return (a + tr(a)) * 0.5


def _spd(a: Any) -> Any:
    """A symmetric positive definite matrix from a square one with entries in [-1, 1]."""
    n = _shape(a)[0]
    return _sym(a) + (n + 1.0) * eye(n)


def _np_sym(a: Array) -> Array:
    return (a + a.T) * 0.5


def _squared_vectors(parts: Any) -> Any:
    """A decomposition with each matrix of vectors squared elementwise: blind to their signs."""
    return tuple(p * p if len(_shape(p)) == 2 else p for p in parts)


def _projector(v: Any) -> Any:
    """``sum_i (i + 1) v_i v_iᵀ`` over the columns of ``v``: blind to their signs."""
    return _weighted_pairs(v, v)


def _pairs(usv: Any) -> Any:
    """``sum_i (i + 1) u_i v_iᵀ`` of an SVD: blind to a sign flip of a pair ``u_i``, ``v_i``."""
    return _weighted_pairs(usv[0], usv[2])


def _weighted_pairs(u: Any, v: Any) -> Any:
    weights = np.arange(1.0, _shape(u)[1] + 1.0)
    return (u * (Vec(weights) if isinstance(u, Mat | BVar) else weights)) @ v.T


def _np_svd(x: Array) -> tuple[Array, Array, Array]:
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    return u, s, vt.T


def _np_diag_r(c: float, v: Array, mn: tuple[int, int]) -> Array:
    out = np.full(mn, c)
    out[np.arange(len(v)), np.arange(len(v))] = v
    return out


def _rows(x: Any) -> list[Any]:
    r, c = _shape(x)
    return [[x[i, j] for j in range(c)] for i in range(r)]


CASES: dict[str, Case] = {
    # products
    "dot": Case(("dot",), args("Vn", "Vn"), dot, np.dot, lambda x, y: ()),
    "outer": Case(("outer",), args("Vm", "Vn"), outer, np.outer, lambda x, y: (len(x), len(y))),
    "tr": Case(("tr",), args("Mmn"), tr, np.transpose, lambda x: _shape(x)[::-1]),
    "Mat @ Vec": Case(("@",), args("Mmn", "Vn"), operator.matmul, np.dot, lambda x, y: (len(x),)),
    "Mat @ Mat": Case(
        ("@",),
        args("Mmk", "Mkn"),
        operator.matmul,
        np.dot,
        lambda x, y: (_shape(x)[0], _shape(y)[1]),
    ),
    "Vec @ Mat": Case(
        ("@",), args("Vm", "Mmn"), operator.matmul, np.dot, lambda x, y: (_shape(y)[1],)
    ),
    "Vec @ Vec": Case(("@",), args("Vn", "Vn"), operator.matmul, np.dot, lambda x, y: ()),
    "cross": Case(("cross",), args("V3", "V3"), cross, np.cross, lambda x, y: (3,)),
    # construction and destruction of vectors
    "vec2": Case(("vec2",), args("f", "f"), vec2, lambda a, b: np.array([a, b]), lambda *_: (2,)),
    "vec3": Case(
        ("vec3",),
        args("f", "f", "f"),
        vec3,
        lambda a, b, c: np.array([a, b, c]),
        lambda *_: (3,),
    ),
    "vec4": Case(
        ("vec4",),
        args("f", "f", "f", "f"),
        vec4,
        lambda a, b, c, d: np.array([a, b, c, d]),
        lambda *_: (4,),
    ),
    "vector": Case(
        ("vector",),
        args("Vn"),
        lambda x: vector([x[i] for i in range(len(_value(x)))]),
        lambda x: x,
        lambda x: (len(x),),
    ),
    "konst (vector)": Case(
        ("konst",),
        args("f"),
        lambda x, n: konst(x, n),
        lambda x, n: np.full(n, x),
        lambda x, n: (n,),
        static=lambda a: DIM,
    ),
    "konst (matrix)": Case(
        ("konst",),
        args("f"),
        lambda x, mn: konst(x, *mn),
        lambda x, mn: np.full(mn, x),
        lambda x, mn: mn,
        static=lambda a: st.tuples(DIM, DIM),
    ),
    "linspace": Case(
        ("linspace",),
        args("f", "f"),
        linspace,
        np.linspace,
        lambda a, b, n: (n,),
        static=lambda a: DIM,
    ),
    "vjoin": Case(
        ("vjoin",),
        args("Vm", "Vn"),
        vjoin,
        lambda x, y: np.hstack([x, y]),
        lambda x, y: (len(x) + len(y),),
    ),
    "split": Case(
        ("split",),
        args("Vn"),
        split,
        lambda x, p: (x[:p], x[p:]),
        lambda x, p: [(p,), (len(x) - p,)],
        static=lambda a: st.integers(0, len(a[0])),
    ),
    "head_tail": Case(
        ("head_tail",),
        args("Vn"),
        head_tail,
        lambda x: (x[0], x[1:]),
        lambda x: [(), (len(x) - 1,)],
    ),
    # construction and reshaping of matrices
    "matrix": Case(("matrix",), args("Mmn"), lambda x: matrix(_rows(x)), lambda x: x, _shape),
    "row": Case(("row",), args("Vn"), row, lambda x: x[None, :], lambda x: (1, len(x))),
    "col": Case(("col",), args("Vn"), col, lambda x: x[:, None], lambda x: (len(x), 1)),
    "unrow": Case(("unrow",), args("M1n"), unrow, lambda x: x[0], lambda x: (_shape(x)[1],)),
    "uncol": Case(("uncol",), args("Mm1"), uncol, lambda x: x[:, 0], lambda x: (_shape(x)[0],)),
    "hstack": Case(
        ("hstack",),
        args("Mmn", "Mmk"),
        hstack,
        lambda x, y: np.hstack([x, y]),
        lambda x, y: (_shape(x)[0], _shape(x)[1] + _shape(y)[1]),
    ),
    "vstack": Case(
        ("vstack",),
        args("Mmn", "Mkn"),
        vstack,
        lambda x, y: np.vstack([x, y]),
        lambda x, y: (_shape(x)[0] + _shape(y)[0], _shape(x)[1]),
    ),
    "split_rows": Case(
        ("split_rows",),
        args("Mmn"),
        split_rows,
        lambda x, p: (x[:p], x[p:]),
        lambda x, p: [(p, _shape(x)[1]), (_shape(x)[0] - p, _shape(x)[1])],
        static=lambda a: st.integers(0, _shape(a[0])[0]),
    ),
    "split_cols": Case(
        ("split_cols",),
        args("Mmn"),
        split_cols,
        lambda x, p: (x[:, :p], x[:, p:]),
        lambda x, p: [(_shape(x)[0], p), (_shape(x)[0], _shape(x)[1] - p)],
        static=lambda a: st.integers(0, _shape(a[0])[1]),
    ),
    "to_rows": Case(
        ("to_rows",),
        args("Mmn"),
        to_rows,
        list,
        lambda x: [(_shape(x)[1],)] * _shape(x)[0],
    ),
    "to_columns": Case(
        ("to_columns",),
        args("Mmn"),
        to_columns,
        lambda x: list(x.T),
        lambda x: [(_shape(x)[0],)] * _shape(x)[1],
    ),
    "from_rows": Case(
        ("from_rows",),
        rows_of(),
        lambda *rs: from_rows(rs),
        lambda *rs: np.stack(rs),
        lambda *rs: (len(rs), len(rs[0])),
    ),
    "from_columns": Case(
        ("from_columns",),
        rows_of(),
        lambda *cs: from_columns(cs),
        lambda *cs: np.stack(cs, axis=1),
        lambda *cs: (len(cs[0]), len(cs)),
    ),
    "diag": Case(("diag",), args("Vn"), diag, np.diag, lambda x: (len(x), len(x))),
    "take_diag": Case(("take_diag",), args("Mnn"), take_diag, np.diag, lambda x: (len(x),)),
    # norms
    "norm_1 (Vec)": Case(
        ("norm_1",), peaked("V"), norm_1, lambda x: np.linalg.norm(x, 1), lambda x: ()
    ),
    "norm_2 (Vec)": Case(
        ("norm_2",),
        args("Vn", elements=nonzero_floats()),
        norm_2,
        np.linalg.norm,
        lambda x: (),
    ),
    "norm_inf (Vec)": Case(
        ("norm_inf",), peaked("V"), norm_inf, lambda x: np.linalg.norm(x, np.inf), lambda x: ()
    ),
    "norm_1 (Mat)": Case(
        ("norm_1",), peaked("M0"), norm_1, lambda x: np.linalg.norm(x, 1), lambda x: ()
    ),
    "norm_2 (Mat)": Case(
        ("norm_2",), separated(), norm_2, lambda x: np.linalg.norm(x, 2), lambda x: ()
    ),
    "norm_inf (Mat)": Case(
        ("norm_inf",), peaked("M1"), norm_inf, lambda x: np.linalg.norm(x, np.inf), lambda x: ()
    ),
    # statistics
    "mean": Case(("mean",), args("Vn"), mean, np.mean, lambda x: ()),
    "cov": Case(("cov",), args("Mmn", low=2), cov, _np_cov, lambda x: (len(x[0]),) * 2),
    "mean_cov": Case(
        ("mean_cov",),
        args("Mmn", low=2),
        mean_cov,
        lambda x: (x.mean(axis=0), _np_cov(x)),
        lambda x: [(len(x[0]),), (len(x[0]),) * 2],
    ),
    # inverse and determinant
    "inv": Case(("inv",), well_conditioned(), inv, np.linalg.inv, _shape),
    "det": Case(("det",), well_conditioned(), det, np.linalg.det, lambda x: ()),
    "lndet": Case(
        ("lndet",), well_conditioned(), lndet, lambda x: np.linalg.slogdet(x)[1], lambda x: ()
    ),
    # factorizations
    "svd": Case(
        ("svd",),
        separated(),
        svd,
        lambda x: np.linalg.svd(x, compute_uv=False),
        lambda x: (min(_shape(x)),),
    ),
    "eigenvalues": Case(
        ("eigenvalues",),
        spread_square(),
        lambda a: eigenvalues(_sym(a)),
        lambda a: np.linalg.eigvalsh(_np_sym(a)),
        lambda a: (len(a),),
    ),
    "chol": Case(
        ("chol",),
        args("Mnn", elements=UNIT),
        lambda a: chol(_spd(a)),
        lambda a: np.linalg.cholesky(_np_sym(a) + (len(a) + 1.0) * np.eye(len(a))),
        _shape,
    ),
    # eigenvectors and singular vectors through functions that do not see their signs
    "eigensystem": Case(
        ("eigensystem",),
        spread_square(),
        lambda a: _squared_vectors(eigensystem(sym(a))),
        lambda a: _squared_vectors(np.linalg.eigh(_np_sym(a))),
        lambda a: [(len(a),), _shape(a)],
    ),
    "eigensystem (projectors)": Case(
        ("eigensystem",),
        spread_square(),
        lambda a: _projector(eigensystem(sym(a))[1]),
        lambda a: _projector(np.linalg.eigh(_np_sym(a))[1]),
        _shape,
    ),
    "svd_full": Case(
        ("svd_full",),
        separated(),
        lambda x: _squared_vectors(svd_full(x)),
        lambda x: _squared_vectors(_np_svd(x)),
        lambda x: [(len(x), min(_shape(x))), (min(_shape(x)),), (len(x[0]), min(_shape(x)))],
    ),
    "svd_full (pairs)": Case(
        ("svd_full",),
        separated(),
        lambda x: _pairs(svd_full(x)),
        lambda x: _pairs(_np_svd(x)),
        lambda x: _shape(x),
    ),
    # symmetric matrices and the rest of hmatrix-backprop
    "sym": Case(("sym",), args("Mnn"), sym, _np_sym, _shape),
    "mtm": Case(("mtm",), args("Mmn"), mtm, lambda x: x.T @ x, lambda x: (_shape(x)[1],) * 2),
    "invlndet": Case(
        ("invlndet",),
        well_conditioned(),
        invlndet,
        lambda x: (np.linalg.inv(x), np.linalg.slogdet(x)[1], np.linalg.slogdet(x)[0]),
        lambda x: [_shape(x), (), ()],
    ),
    "diag_r": Case(
        ("diag_r",),
        args("f", "Vk", low=0),
        lambda c, v, mn: diag_r(c, v, *mn),
        _np_diag_r,
        lambda c, v, mn: mn,
        static=lambda xs: st.tuples(st.integers(len(xs[1]), 6), st.integers(len(xs[1]), 6)),
    ),
    "mean_l (Mat)": Case(
        ("mean_l",), args("Mmn"), mean_l, lambda x: x.mean(axis=0), lambda x: (len(x[0]),)
    ),
    "mean_l (list)": Case(
        ("mean_l",),
        rows_of(),
        lambda *rows: mean_l(list(rows)),
        lambda *rows: np.mean(rows, axis=0),
        lambda *rows: (len(rows[0]),),
    ),
    "norm_0 (Vec)": Case(("norm_0",), peaked("V"), norm_0, np.count_nonzero, lambda x: ()),
    "norm_0 (Mat)": Case(("norm_0",), peaked("M0"), norm_0, np.count_nonzero, lambda x: ()),
    # maps (the function closes over another BVar)
    "vmap": Case(
        ("vmap",),
        args("Vn", "f"),
        lambda x, c: vmap(lambda e: fn.sin(e) * c + e * e, x),
        lambda x, c: np.sin(x) * c + x * x,
        lambda x, c: (len(x),),
    ),
    "mmap": Case(
        ("mmap",),
        args("Mmn", "f"),
        lambda x, c: mmap(lambda e: fn.sin(e) * c + e * e, x),
        lambda x, c: np.sin(x) * c + x * x,
        lambda x, c: _shape(x),
    ),
    "zip_with_vector": Case(
        ("zip_with_vector",),
        args("Vn", "Vn"),
        lambda x, y: zip_with_vector(lambda p, q: p * q + fn.sin(p), x, y),
        lambda x, y: x * y + np.sin(x),
        lambda x, y: (len(x),),
    ),
    # typedprop.functions on Vec and Mat
    "logistic (Vec)": Case(
        (), args("Vn"), fn.logistic, lambda x: 1.0 / (1.0 + np.exp(-x)), _shape
    ),
    "logistic (Mat)": Case(
        (), args("Mmn"), fn.logistic, lambda x: 1.0 / (1.0 + np.exp(-x)), _shape
    ),
    "exp (Vec)": Case((), args("Vn"), fn.exp, np.exp, _shape),
    "exp (Mat)": Case((), args("Mmn"), fn.exp, np.exp, _shape),
    "softmax (Vec)": Case(
        (), args("Vn"), fn.softmax, lambda x: np.exp(x) / np.exp(x).sum(), _shape
    ),
    "softmax (Mat)": Case(
        (),
        args("Mmn"),
        fn.softmax,
        lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True),
        _shape,
    ),
    "cross_entropy (Vec)": Case(
        (),
        args("Vn", "Vn"),
        fn.cross_entropy,
        lambda y, t: -np.sum(t * (y - np.log(np.exp(y).sum()))),
        lambda y, t: (),
    ),
    "cross_entropy (Mat)": Case(
        (),
        args("Mmn", "Mmn"),
        fn.cross_entropy,
        lambda y, t: -np.sum(t * (y - np.log(np.exp(y).sum(axis=1, keepdims=True)))),
        lambda y, t: (),
    ),
    # arithmetic
    "-Vec": Case((), args("Vn"), operator.neg, operator.neg, _shape),
    "-Mat": Case((), args("Mmn"), operator.neg, operator.neg, _shape),
}

ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
OPERANDS = {
    ("Vec", "Vec"): ("Vn", "Vn"),
    ("Mat", "Mat"): ("Mmn", "Mmn"),
    ("Vec", "float"): ("Vn", "f"),
    ("float", "Vec"): ("f", "Vn"),
    ("Mat", "float"): ("Mmn", "f"),
    ("float", "Mat"): ("f", "Mmn"),
    ("Mat", "Vec"): ("Mmn", "Vn"),  # the bias on every row of a batch
    ("Vec", "Mat"): ("Vn", "Mmn"),
}
for _symbol, _op in ARITHMETIC.items():
    for (_left, _right), _spec in OPERANDS.items():
        if _symbol == "/" and _left == "Vec" and _right == "Mat":
            continue  # not declared: Mat.__rtruediv__ takes a float
        CASES[f"{_left} {_symbol} {_right}"] = Case(
            (),
            args(*_spec, last=DENOMINATORS if _symbol == "/" else None),
            _op,
            _op,
            lambda x, y: max(_shape(x), _shape(y), key=len),
        )

# One node per element, or a second derivative through a factorization: fewer examples.
SLOW_NAMES = {"vmap", "mmap", "zip_with_vector", "matrix", "vector", "chol", "inv", "det", "lndet"}
SLOW_NAMES |= {"svd", "eigenvalues", "norm_2 (Mat)", "invlndet"}
SLOW_NAMES |= {"eigensystem", "eigensystem (projectors)", "svd_full", "svd_full (pairs)"}
FAST_NAMES = sorted(set(CASES) - SLOW_NAMES)


class Bound(NamedTuple):
    """A case with its arguments drawn and its static parameter bound."""

    f: Callable[..., Any]
    args: Args
    ref: Callable[..., Any]
    dims: Callable[..., Any]


def bound(data: st.DataObject, case: Case) -> Bound:
    """Draw a case's arguments (and static parameter) and bind the parameter."""
    xs = data.draw(case.args, label="args")
    if case.static is None:
        return Bound(case.f, xs, case.ref, case.dims)
    p = data.draw(case.static(xs), label="static")
    return Bound(
        lambda *a: case.f(*a, p), xs, lambda *a: case.ref(*a, p), lambda *a: case.dims(*a, p)
    )


def parts(r: Any) -> list[Any]:
    """A tuple or list result as a list of its parts; any other result as a list of itself."""
    return list(r) if isinstance(r, tuple | list) else [r]


def assert_declared(r: Any, shape: Shape) -> None:
    """``r`` is a float for ``()``, a ``Vec[n]`` for ``(n,)``, a ``Mat[m, n]`` for ``(m, n)``."""
    if shape == ():
        assert isinstance(r, float), repr(r)
    elif len(shape) == 1:
        assert type(r) is Vec and isinstance(r, AnyVec[shape[0]]), (repr(r), shape)
    else:
        assert type(r) is Mat and isinstance(r, AnyMat[shape[0], shape[1]]), (repr(r), shape)
    assert np.shape(_raw(r)) == shape


def each_part(b: Bound) -> list[Callable[..., Any]]:
    """The function itself, or for a tuple/list result one function per part (the pullback of a
    tuple of parts of different shapes is pinned on its own: see test_pullback_of_tuple_output)."""
    r = b.f(*b.args)
    if not isinstance(r, tuple | list):
        return [b.f]
    return [lambda *xs, i=i: b.f(*xs)[i] for i in range(len(r))]


def check_case(b: Bound, order: int) -> None:
    for f in each_part(b):
        check_grad(f, *b.args, order=order)


def check_values(b: Bound) -> None:
    r = b.f(*b.args)
    expected = parts(b.ref(*(_raw(a) for a in b.args)))
    dims = b.dims(*b.args)
    shapes = dims if isinstance(dims, list) else [dims]
    got = parts(r)
    assert len(got) == len(expected) == len(shapes)
    for g, e, s in zip(got, expected, shapes, strict=True):
        assert_declared(g, s)
        np.testing.assert_allclose(_raw(g), e, rtol=1e-10, atol=1e-12)
    under_bvars = parts(eval_bp_n(b.f, *b.args))
    assert len(under_bvars) == len(got)
    for u, g in zip(under_bvars, got, strict=True):
        assert type(u) is type(g)
        np.testing.assert_array_equal(_raw(u), _raw(g))


def check_gradient_types(b: Bound) -> None:
    for f in each_part(b):
        value, pullback = backprop_with_n(f, *b.args)
        grads = pullback(one(value))
        assert len(grads) == len(b.args)
        for g, a in zip(grads, b.args, strict=True):
            if isinstance(a, float):
                assert isinstance(g, float), (repr(g), repr(a))
            else:
                assert type(g) is type(a), (repr(g), repr(a))
            assert _shape(g) == _shape(a)


@pytest.mark.parametrize("name", FAST_NAMES)
@given(data=st.data())
def test_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    """First and second derivatives of each op agree with finite differences at dims 1..6."""
    check_case(bound(data, CASES[name]), CASES[name].order)


@pytest.mark.parametrize("name", sorted(SLOW_NAMES))
@SLOW
@given(data=st.data())
def test_slow_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    """As above for per-element maps, constructors, inv, det, lndet, chol (fewer examples)."""
    check_case(bound(data, CASES[name]), CASES[name].order)


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_values_match_numpy_with_declared_dims(name: str, data: st.DataObject) -> None:
    """Each op's value is numpy's, of the declared type and dims; eval_bp gives the same."""
    check_values(bound(data, CASES[name]))


@pytest.mark.parametrize("name", sorted(CASES))
@SLOW
@given(data=st.data())
def test_gradients_have_the_argument_types(name: str, data: st.DataObject) -> None:
    """Each argument's gradient has its type and shape (Vec for Vec, Mat for Mat, float)."""
    check_gradient_types(bound(data, CASES[name]))


TUPLE_RESULTS: dict[str, tuple[Callable[..., Any], Any]] = {
    "head_tail": (head_tail, vector([1.0, 2.0, 3.0])),
    "split": (lambda x: split(x, 1), vector([1.0, 2.0, 3.0])),
    "split_cols": (lambda x: split_cols(x, 1), matrix([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])),
    "mean_cov": (mean_cov, matrix([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])),
}


@pytest.mark.parametrize("name", sorted(TUPLE_RESULTS))
def test_pullback_of_tuple_output(name: str) -> None:
    """A tuple result's pullback sums its parts' pullbacks, also for parts of unlike shapes."""
    f, x = TUPLE_RESULTS[name]
    value, pullback = backprop_with_n(f, x)
    expected = zero(x)
    for i, part in enumerate(value):
        _, pb = backprop_with_n(lambda a, i=i: f(a)[i], x)
        expected = add(expected, pb(one(part))[0])
    (g,) = pullback(one(value))
    assert type(g) is type(x)
    np.testing.assert_allclose(g.array, expected.array, rtol=1e-12, atol=1e-12)
    check_grad(f, x, order=2)


def test_every_public_name_is_tested() -> None:
    """Every name typedprop.linalg exports is exercised by a case here or a test below."""
    covered = {n for c in CASES.values() for n in c.covers}
    covered |= {"Vec", "Mat", "Add", "zeros", "eye", "as_vec", "as_mat"}  # own tests below
    assert set(la.__all__) - covered == set()


# --- decompositions: closed forms, degenerate points ---


@SLOW
@given(data=st.data())
def test_decompositions_rebuild_their_matrix_and_its_gradient(data: st.DataObject) -> None:
    """``u diag(s) vᵀ`` of svd_full is the matrix, and ``V diag(w) Vᵀ`` of eigensystem its
    symmetric part: so their gradients are the weights (their symmetric part), exactly."""
    (x,) = data.draw(separated())
    (a,) = data.draw(spread_square())
    w: Mat[Any, Any] = Mat(data.draw(arrays(_shape(x), ELEMENTS)))
    b: Mat[Any, Any] = Mat(data.draw(arrays(_shape(a), ELEMENTS)))

    def rebuilt_svd(m: Any) -> Any:
        u, s, v = svd_full(m)
        return fn.sum_elements((u * s) @ tr(v) * w)

    def rebuilt_eig(m: Any) -> Any:
        values, vectors = eigensystem(m)
        return fn.sum_elements((vectors * values) @ tr(vectors) * b)

    np.testing.assert_allclose(grad_bp(rebuilt_svd, x).array, w.array, atol=1e-9)
    g = grad_bp(rebuilt_eig, sym(a))
    np.testing.assert_allclose(g.array, _np_sym(b.array), atol=1e-9)


def test_degenerate_decompositions_raise_instead_of_nan() -> None:
    """A gradient through eigen or singular vectors where they are not determined (equal
    values, or a zero singular value of a non-square matrix) raises DegenerateError; one
    through the values alone does not."""
    weights = matrix([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]])
    with pytest.raises(DegenerateError, match=r"^eigensystem: two eigenvalues are equal"):
        grad_bp(lambda a: fn.sum_elements(eigensystem(a)[1] ** 2 * weights), eye(3))
    assert grad_bp(lambda a: fn.sum_elements(eigensystem(a)[0]), eye(3)) == eye(3)
    with pytest.raises(DegenerateError, match=r"^svd_full: two singular values are equal"):
        grad_bp(lambda a: fn.sum_elements(svd_full(a)[0] ** 2 * weights), eye(3))
    tall = matrix([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(DegenerateError, match=r"^svd_full: a singular value of the 3-by-2"):
        grad_bp(lambda a: fn.sum_elements(svd_full(a)[0] ** 2 * Mat(np.ones((3, 2)))), tall)
    with pytest.raises(DegenerateError, match=r"^svd_full: a singular value of the 2-by-3"):
        grad_bp(lambda a: fn.sum_elements(svd_full(a)[2] ** 2 * Mat(np.ones((3, 2)))), tr(tall))
    assert isinstance(grad_bp(lambda a: fn.sum_elements(svd_full(a)[1]), tall), Mat)
    # second derivatives of the values go through the vectors
    w = vector([1.0, 2.0, 3.0])
    values: Callable[[Any], Any]
    for name, values in (("eigensystem", eigenvalues), ("svd_full", svd)):

        def gradient_sum(a: Any, values: Callable[[Any], Any] = values) -> Any:
            return fn.sum_elements(grad_bp(lambda b: dot(values(b), w), a))

        with pytest.raises(DegenerateError, match=rf"^{name}: two .* are equal"):
            grad_bp(gradient_sum, eye(3))
    with pytest.raises(DegenerateError, match=r"^svd_full: two singular values are equal"):
        grad_bp(lambda a: fn.sum_elements(grad_bp(norm_2, a) * weights), eye(3))


def test_new_operations_refuse_bad_input_with_typed_errors() -> None:
    """Non-square input to sym/eigensystem/invlndet, a diagonal too long for diag_r, a mean of
    no vectors, a singular matrix for invlndet: each a typed error naming the operation."""
    wide: Any = zeros(2, 3)  # mypy reports these calls itself: tests/mypy/cases
    with pytest.raises(ShapeError, match=re.escape("Dimension mismatch in sym: Mat[2, 3]")):
        sym(wide)
    with pytest.raises(ShapeError, match=re.escape("in eigensystem: Mat[2, 3]")):
        eigensystem(wide)
    with pytest.raises(ShapeError, match=re.escape("in invlndet: Mat[2, 3]")):
        invlndet(wide)
    with pytest.raises(ShapeError, match=re.escape("diag_r: Vec[3] does not fit")):
        diag_r(0.0, vector([1.0, 2.0, 3.0]), 2, 4)
    with pytest.raises(ShapeError, match=r"^mean_l: the mean of no vectors"):
        mean_l(zeros(0, 3))
    with pytest.raises(SingularMatrixError, match=r"^invlndet: the matrix is singular"):
        invlndet(matrix([[1.0, 2.0], [2.0, 4.0]]))


def test_diag_r_is_hmatrix_diag_r() -> None:
    """diag_r fills with c everywhere but the first len(v) diagonal entries, as hmatrix's
    diagR; the gradient of c sums the filled places, that of v reads the diagonal (where
    hmatrix-backprop's rule fails unless v covers the diagonal)."""
    v = vector([5.0, 6.0])
    assert diag_r(1.0, v, 3, 4) == matrix(
        [[5.0, 1.0, 1.0, 1.0], [1.0, 6.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    )
    weights: Mat[Any, Any] = Mat(np.arange(12.0).reshape(3, 4))

    def weighted(c: Any, u: Any) -> Any:
        return fn.sum_elements(diag_r(c, u, 3, 4) * weights)

    gc, gv = grad_bp_n(weighted, 1.0, v)
    assert gc == float(np.sum(weights.array) - 0.0 - 5.0)  # all but weights[0, 0], [1, 1]
    assert gv == vector([0.0, 5.0])


def test_norm_0_counts_nonzeros_with_zero_gradient() -> None:
    """norm_0 counts the non-zero elements; its gradient is a zero of the argument's kind."""
    x = matrix([[0.0, 1.5], [-2.0, 0.0]])
    assert norm_0(x) == 2.0 and norm_0(vector([0.0, 0.0])) == 0.0
    assert grad_bp(norm_0, x) == zeros(2, 2)


@given(data=st.data())
def test_chol_and_eigenvalues_gradients_are_symmetric(data: st.DataObject) -> None:
    """At a symmetric matrix the gradients of chol and eigenvalues are symmetric Mats."""
    (a,) = data.draw(args("Mnn", elements=UNIT))
    (b,) = data.draw(spread_square())
    n = a.shape[0]
    weights: Mat[Any, Any] = Mat(data.draw(arrays((n, n), ELEMENTS)))
    g = grad_bp(lambda x: fn.sum_elements(chol(x) * weights), _spd(a))
    assert type(g) is Mat
    np.testing.assert_allclose(g.array, g.array.T, rtol=1e-9, atol=1e-12)
    w: Vec[Any] = Vec(data.draw(arrays((b.shape[0],), ELEMENTS)))
    h = grad_bp(lambda x: dot(eigenvalues(x), w), _sym(b))
    assert type(h) is Mat
    np.testing.assert_allclose(h.array, h.array.T, rtol=1e-9, atol=1e-12)


# --- where hmatrix-backprop's gradients are wrong and ours are right ---


@given(
    x=st.integers(2, 6).flatmap(
        lambda n: arrays((n,), st.one_of(st.just(0.0), ELEMENTS)).filter(
            lambda a: bool(np.any(a == 0.0))
        )
    )
)
def test_mean_gradient_is_one_over_n_with_zeros(x: Array) -> None:
    """mean's gradient is 1/n everywhere even with zeros (hmatrix divides by non-zeros)."""
    v: Vec[Any] = Vec(x)
    g = grad_bp(mean, v)
    assert type(g) is Vec
    np.testing.assert_allclose(g.array, np.full(len(x), 1.0 / len(x)), rtol=1e-15)
    check_grad(mean, v, order=2)


def test_mean_gradient_example() -> None:
    """The gradient of mean at [0, 0, 2] is [1/3, 1/3, 1/3] (hmatrix gives [1, 1, 1])."""
    g = grad_bp(mean, vector([0.0, 0.0, 2.0]))
    np.testing.assert_allclose(g.array, [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)


@pytest.mark.parametrize("shape", [(5, 2), (4, 3), (2, 5), (6, 1), (3, 2)])
@SLOW
@given(data=st.data())
def test_cov_gradient_scales_by_m_minus_1(shape: Shape, data: st.DataObject) -> None:
    """cov's gradient is xc (G + Gᵀ) / (m - 1) also where m - 1 != n (hmatrix: 2/n)."""
    m, n = shape
    x: Mat[Any, Any] = Mat(data.draw(arrays(shape, ELEMENTS)))
    w = data.draw(arrays((n, n), ELEMENTS))
    check_grad(cov, x, order=2)
    g = grad_bp(lambda a: fn.sum_elements(cov(a) * Mat(w)), x)
    xc = x.array - x.array.mean(axis=0)
    assert type(g) is Mat
    np.testing.assert_allclose(g.array, xc @ (w + w.T) / (m - 1), rtol=1e-10, atol=1e-12)


@given(data=st.data())
def test_softmax_gradient_matches_closed_form(data: st.DataObject) -> None:
    """The gradient of sum(w * softmax(x)) is s * (w - sum(w * s)) per row, Vec or Mat."""
    x, w = data.draw(st.one_of(args("Vn", "Vn"), args("Mmn", "Mmn")))
    s = np.exp(x.array) / np.exp(x.array).sum(axis=-1, keepdims=True)
    g = grad_bp(lambda v: fn.sum_elements(fn.softmax(v) * w), x)
    assert type(g) is type(x)
    expected = s * (w.array - np.sum(w.array * s, axis=-1, keepdims=True))
    np.testing.assert_allclose(g.array, expected, rtol=1e-10, atol=1e-13)


# --- batches ---


@given(data=st.data())
def test_batch_layer_maps_rows(data: st.DataObject) -> None:
    """A Mat[B, 4] batch through x @ tr(w) + b is a Mat[B, 3]; b's gradient sums the rows."""
    (x,) = data.draw(args("MB4"))
    w, b = data.draw(args("M34", "V3"))
    batch = x.shape[0]
    y = x @ tr(w) + b
    assert isinstance(y, AnyMat[batch, 3])
    np.testing.assert_allclose(y.array, x.array @ w.array.T + b.array, rtol=1e-12, atol=1e-12)
    check_grad(lambda xx, ww, bb: xx @ tr(ww) + bb, x, w, b, order=2)
    up = data.draw(arrays((batch, 3), ELEMENTS))
    _, pullback = backprop_with_n(lambda xx, ww, bb: xx @ tr(ww) + bb, x, w, b)
    gx, gw, gb = pullback(Mat(up))
    assert isinstance(gx, AnyMat[batch, 4]) and isinstance(gw, AnyMat[3, 4])
    assert isinstance(gb, AnyVec[3])
    np.testing.assert_allclose(gb.array, up.sum(axis=0), rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_cross_entropy_batch_one_hot_gradient(data: st.DataObject) -> None:
    """cross_entropy over one-hot rows of a Mat[B, n] has gradient softmax(y) - t per row."""
    (y,) = data.draw(args("Mbn"))
    batch, n = y.shape
    t = data.draw(one_hot(batch, n))
    g = grad_bp(lambda v: fn.cross_entropy(v, auto(t)), y)
    s = np.exp(y.array) / np.exp(y.array).sum(axis=1, keepdims=True)
    assert isinstance(g, AnyMat[batch, n])
    np.testing.assert_allclose(g.array, s - t.array, rtol=1e-12, atol=1e-14)


@given(data=st.data())
def test_logistic_keeps_mat(data: st.DataObject) -> None:
    """logistic of a Mat[m, n] is a Mat[m, n]: plain, under eval_bp, and its gradient."""
    (x,) = data.draw(args("Mmn"))
    kind = AnyMat[x.shape[0], x.shape[1]]
    assert isinstance(fn.logistic(x), kind)
    assert isinstance(eval_bp(fn.logistic, x), kind)
    assert isinstance(grad_bp(lambda v: fn.sum_elements(fn.logistic(v)), x), kind)


# --- constructors and dimension types ---


@given(m=DIM, n=DIM, x=ELEMENTS)
def test_constructors(m: int, n: int, x: float) -> None:
    """zeros, eye, konst, vector and matrix make a Vec[n] / Mat[m, n] of the right numbers."""
    assert isinstance(zeros(n), AnyVec[n]) and not np.any(zeros(n).array)
    assert isinstance(zeros(m, n), AnyMat[m, n]) and not np.any(zeros(m, n).array)
    assert isinstance(eye(n), AnyMat[n, n])
    np.testing.assert_array_equal(eye(n).array, np.eye(n))
    assert konst(x, n) == Vec(np.full(n, x))
    assert konst(x, m, n) == Mat(np.full((m, n), x))
    assert vector([x] * n) == Vec(np.full(n, x))
    assert matrix([[x] * n] * m) == Mat(np.full((m, n), x))


def test_dimension_arithmetic() -> None:
    """Add[2, 3] is the dimension 5: Vec[Add[2, 3]] is Vec[5], as vjoin's result is."""
    five = AnyAdd[2, 3]
    assert five == 5
    assert AnyVec[five] is AnyVec[5]
    assert AnyVec[AnyAdd[Literal[2], Literal[3]]] is AnyVec[5]
    assert isinstance(vjoin(zeros(2), zeros(3)), AnyVec[five])
    assert isinstance(vstack(zeros(2, 4), zeros(3, 4)), AnyMat[five, 4])


@given(m=DIM, n=DIM)
def test_isinstance_checks_dimensions(m: int, n: int) -> None:
    """isinstance(x, Vec[n]) / isinstance(x, Mat[m, n]) holds exactly for those dims."""
    v: Any = zeros(n)
    a: Any = zeros(m, n)
    assert isinstance(v, AnyVec) and not isinstance(v, AnyMat)
    assert isinstance(a, AnyMat) and not isinstance(a, AnyVec)
    assert isinstance(v, AnyVec[n]) and not isinstance(v, AnyVec[n + 1])
    assert isinstance(a, AnyMat[m, n]) and not isinstance(a, AnyMat[m, n + 1])
    assert not isinstance(a, AnyMat[m + 1, n]) and not isinstance(v, AnyMat[1, n])


def test_construction_checks_shapes() -> None:
    """Vec[3](zeros(4)), Mat[2, 3](zeros((3, 2))), Vec(2-D array) raise ShapeError."""
    with pytest.raises(ShapeError, match=r"Vec\[3\]"):
        AnyVec[3](np.zeros(4))
    with pytest.raises(ShapeError, match=r"Vec\[3\]"):
        Vec[Literal[3]](np.zeros(4))
    with pytest.raises(ShapeError, match=r"Mat\[2, 3\]"):
        AnyMat[2, 3](np.zeros((3, 2)))
    with pytest.raises(ShapeError):
        Vec(np.zeros((2, 2)))
    with pytest.raises(ShapeError):
        Vec(np.zeros((3, 1)))
    with pytest.raises(ShapeError):
        Mat(np.zeros(3))
    assert isinstance(Vec[Literal[3]](np.zeros(3)), AnyVec[3])
    assert isinstance(Mat[Literal[2], Literal[3]](np.zeros((2, 3))), AnyMat[2, 3])


# --- immutability ---


@given(data=st.data())
def test_vec_and_mat_are_immutable(data: st.DataObject) -> None:
    """Setting an attribute of a Vec or Mat raises AttributeError; .array is read-only."""
    v, a = data.draw(args("Vn", "Mmn"))
    for x in (v, a, v + 1.0, tr(a), outer(v, v), a @ v):
        with pytest.raises(AttributeError):
            x.array = np.zeros(3)
        with pytest.raises(AttributeError):
            x.other = 1
        assert not x.array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            x.array[0] = 1.0


def test_construction_does_not_alias_or_freeze_the_input() -> None:
    """Vec(a) and Mat(a) copy a writeable a: later writes don't show; a stays writeable."""
    arr, arr2 = np.arange(3.0), np.ones((2, 2))
    v: Vec[Any] = Vec(arr)
    a: Mat[Any, Any] = Mat(arr2)
    arr[0] = 9.0
    arr2[0, 0] = 9.0
    assert v == vector([0.0, 1.0, 2.0]) and a == matrix([[1.0, 1.0], [1.0, 1.0]])
    assert arr.flags.writeable and arr2.flags.writeable


# --- dimension mismatches ---


def mismatch_cases(m: int, n: int, d: int) -> dict[str, tuple[Callable[..., Any], Args, str]]:
    """For dimensions m, n and n + d: each mismatch as (operation, arguments, message regex)."""
    k = n + d
    vn, vk, vm = zeros(n), zeros(k), zeros(m)
    mn, mk = zeros(m, n), zeros(m, k)

    def msg(op: str, a: str, b: str) -> str:
        return re.escape(f"Dimension mismatch in {op}: {a} {op} {b}")

    c3 = 3 + d if d < 3 else 3 - d + 1  # a length other than 3
    out: dict[str, tuple[Callable[..., Any], Args, str]] = {
        "Mat @ Vec": (operator.matmul, (mn, vk), msg("@", f"Mat[{m}, {n}]", f"Vec[{k}]")),
        "Mat @ Mat": (
            operator.matmul,
            (mn, zeros(k, m)),
            msg("@", f"Mat[{m}, {n}]", f"Mat[{k}, {m}]"),
        ),
        "Vec @ Mat": (operator.matmul, (vk, zeros(n, m)), msg("@", f"Vec[{k}]", f"Mat[{n}, {m}]")),
        "Vec @ Vec": (operator.matmul, (vn, vk), msg("@", f"Vec[{n}]", f"Vec[{k}]")),
        "Mat + Vec": (operator.add, (mn, vk), msg("+", f"Mat[{m}, {n}]", f"Vec[{k}]")),
        "Mat + Mat": (operator.add, (mn, mk), msg("+", f"Mat[{m}, {n}]", f"Mat[{m}, {k}]")),
        "dot": (dot, (vn, vk), msg("dot", f"Vec[{n}]", f"Vec[{k}]")),
        "vjoin": (vjoin, (vm, mn), msg("vjoin", f"Vec[{m}]", f"Mat[{m}, {n}]")),
        "hstack": (
            hstack,
            (mn, zeros(m + d, n)),
            msg("hstack", f"Mat[{m}, {n}]", f"Mat[{m + d}, {n}]"),
        ),
        "vstack": (vstack, (mn, mk), msg("vstack", f"Mat[{m}, {n}]", f"Mat[{m}, {k}]")),
        "cross": (
            cross,
            (zeros(3), zeros(c3)),
            rf"Dimension mismatch in cross: .*Vec\[3\].*Vec\[{c3}\]",
        ),
        "zip_with_vector": (
            lambda x, y: zip_with_vector(operator.mul, x, y),
            (vn, vk),
            msg("zip_with_vector", f"Vec[{n}]", f"Vec[{k}]"),
        ),
    }
    for sign, op in (("-", operator.sub), ("*", operator.mul), ("/", operator.truediv)):
        out[f"Vec {sign} Vec"] = (op, (vn, vk), msg(sign, f"Vec[{n}]", f"Vec[{k}]"))
        out[f"Mat {sign} Mat"] = (op, (mn, mk), msg(sign, f"Mat[{m}, {n}]", f"Mat[{m}, {k}]"))
    out["Vec + Vec"] = (operator.add, (vn, vk), msg("+", f"Vec[{n}]", f"Vec[{k}]"))
    for name, f in (("inv", inv), ("det", det), ("lndet", lndet), ("take_diag", take_diag)):
        out[name] = (f, (zeros(n, k),), re.escape(f"Dimension mismatch in {name}: Mat[{n}, {k}]"))
    for name, g in (("chol", chol), ("eigenvalues", eigenvalues)):
        out[name] = (g, (zeros(n, k),), re.escape(f"Dimension mismatch in {name}: Mat[{n}, {k}]"))
    return out


MISMATCH_NAMES = sorted(mismatch_cases(2, 3, 1))


def _scalar(r: Any) -> Any:
    return r if isinstance(_value(r), float) else fn.sum_elements(r)


@pytest.mark.parametrize("name", MISMATCH_NAMES)
@given(m=DIM, n=DIM, d=st.integers(1, 3))
def test_mismatch_raises_shape_error_naming_op_and_shapes(
    name: str, m: int, n: int, d: int
) -> None:
    """Mismatched dims raise ShapeError naming the op and both shapes, plain and BVar."""
    f, xs, pattern = mismatch_cases(m, n, d)[name]
    with pytest.raises(ShapeError, match=pattern):
        f(*xs)
    with pytest.raises(ShapeError, match=pattern):
        grad_bp_n(lambda *a: _scalar(f(*a)), *xs)


CLEAN_MESSAGES = ["Mat @ Vec", "Mat + Vec", "Vec + Vec", "dot", "vjoin", "hstack", "vstack"]


def test_mismatch_message_starts_with_declared_shapes() -> None:
    """The message starts 'Dimension mismatch in op: A op B', not with numpy tuples."""
    wrong = []
    for name in CLEAN_MESSAGES:
        f, xs, pattern = mismatch_cases(2, 3, 1)[name]
        for path, run in (
            ("plain", lambda f=f, xs=xs: f(*xs)),
            ("BVar", lambda f=f, xs=xs: grad_bp_n(lambda *a: _scalar(f(*a)), *xs)),
        ):
            with pytest.raises(ShapeError) as info:
                run()
            if not re.match(pattern, str(info.value)):
                wrong.append(f"{name} ({path}): {info.value}")
    assert not wrong, "\n".join(wrong)


def test_mismatch_message_example() -> None:
    """The design's example: zeros(20, 100) @ zeros(99) names Mat[20, 100], Vec[99]."""
    w: Any = zeros(20, 100)  # Any: the plugin rejects this product statically, as it should
    v: Any = zeros(99)
    with pytest.raises(ShapeError, match=r"^Dimension mismatch in @: Mat\[20, 100\] @ Vec\[99\]$"):
        w @ v


# --- Backprop laws ---


@given(data=st.data())
def test_backprop_laws_for_vec_and_mat(data: st.DataObject) -> None:
    """Vec/Mat Backprop laws: zero, one by shape; add(x, zero(x)) == x; add commutes."""
    x, y, z = data.draw(st.one_of(args("Vn", "Vn", "Vn"), args("Mmn", "Mmn", "Mmn")))
    for value, fill in ((zero(x), 0.0), (one(x), 1.0)):
        assert type(value) is type(x) and value.shape == x.shape
        np.testing.assert_array_equal(value.array, np.full(x.shape, fill))
    assert add(x, zero(x)) == x
    assert add(zero(x), x) == x
    assert add(x, y) == add(y, x)
    assert type(add(x, y)) is type(x)
    np.testing.assert_allclose(
        add(add(x, y), z).array, add(x, add(y, z)).array, rtol=1e-15, atol=1e-14
    )


# --- typed values from data ---


def test_checked_constructors_type_and_check_data() -> None:
    """Vec[Literal[n]](data), as_vec(data, n) and as_mat(data, m, n) make the value and raise
    ShapeError naming the expected and the actual shape when the data does not fit."""
    from typedprop.linalg import as_mat, as_vec

    v: Vec[Literal[3]] = as_vec(np.arange(3.0), 3)
    w = Vec[Literal[3]](np.arange(3.0))
    m: Mat[Literal[2], Literal[3]] = as_mat(np.ones((2, 3)), 2, 3)
    assert v == w and m.shape == (2, 3)
    with pytest.raises(ShapeError, match=r"as_vec: expected Vec\[8\], got an .* shape \(9,\)"):
        as_vec(np.zeros(9), 8)
    with pytest.raises(ShapeError, match=r"Vec\[8\]: expected shape \(8,\), got Vec\[9\]"):
        Vec[Literal[8]](np.zeros(9))
    with pytest.raises(ShapeError, match=r"as_mat: expected Mat\[3, 4\], got .* \(4, 3\)"):
        as_mat(np.zeros((4, 3)), 3, 4)
    with pytest.raises(ShapeError, match=r"expected an array of 1 axes"):
        as_vec(np.zeros((2, 2)), 4)


# --- singular matrices ---


@given(arrays(shape=(3, 3), elements=well_floats(-3.0, 3.0)), st.integers(0, 2))
def test_det_has_a_gradient_at_a_singular_matrix(a: Array, k: int) -> None:
    """det's gradient is the cofactor matrix (the adjugate's transpose), also where det is 0:
    checked against the closed form det(X) X⁻ᵀ nearby and against finite differences."""
    singular = a.copy()
    singular[k] = singular[(k + 1) % 3] - 2.0 * singular[(k + 2) % 3]
    g: Any = grad_bp(det, Mat(singular))
    check_grad(det, Mat(singular), order=1)
    bumped = singular + 1e-4 * np.eye(3)
    if abs(np.linalg.det(bumped)) > 1e-10:  # the cofactors are continuous
        near = np.linalg.det(bumped) * np.linalg.inv(bumped).T
        np.testing.assert_allclose(g.array, near, atol=1e-2 * (1.0 + np.abs(near).max()))
    np.testing.assert_allclose(
        grad_bp(det, matrix([[1.0, 2.0], [2.0, 4.0]])).array, [[4.0, -2.0], [-2.0, 1.0]]
    )


def test_a_zero_pivot_gives_a_determinant_of_zero_not_a_warning() -> None:
    """A singular matrix on which LAPACK's LU meets an exact zero pivot (numpy warns "divide by
    zero encountered in det" there): det is 0, lndet -inf, invlndet a SingularMatrixError, and
    no warning (the suite turns warnings into errors); inv, whose LU finds no exact zero pivot
    there, raises rather than return infinities."""
    rows = np.array([[1.0, 7.29e-97, 1.0], [5.66e-220, 0.0, 1.0]])
    s: Mat[Any, Any] = Mat(np.vstack([rows[0] - 2.0 * rows[1], rows]))
    assert det(s) == 0.0
    assert lndet(s) == -np.inf
    check_grad(det, s, order=1)
    with pytest.raises(SingularMatrixError, match=r"^invlndet: the matrix is singular"):
        invlndet(s)
    with pytest.raises(SingularMatrixError, match=r"^inv: the matrix is singular to working"):
        inv(s)


def test_singular_matrices_give_typed_errors_not_numpys() -> None:
    """inv, chol, lndet's gradient and det's second derivative at a singular matrix raise
    SingularMatrixError naming the operation; lndet's value there is -inf."""
    s = matrix([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(SingularMatrixError, match=r"^inv: the matrix is singular"):
        inv(s)
    with pytest.raises(SingularMatrixError, match=r"^inv: the matrix is singular"):
        grad_bp(lambda x: fn.sum_elements(inv(x)), s)
    assert lndet(s) == -np.inf
    with pytest.raises(SingularMatrixError, match=r"^lndet: .*no gradient"):
        grad_bp(lndet, s)
    with pytest.raises(SingularMatrixError, match=r"^det: its second derivative"):
        grad_bp(lambda x: grad_bp(det, x)[0, 0], s)
    with pytest.raises(SingularMatrixError, match=r"^chol: the matrix is not positive definite"):
        chol(matrix([[1.0, 2.0], [2.0, 1.0]]))


# --- @ over every mix of Vec, Mat and plain arrays ---

_MATMUL_KINDS: dict[str, Callable[[np.random.Generator, int, int], Any]] = {
    "Vec": lambda rng, m, n: Vec(rng.normal(size=n)),
    "Mat": lambda rng, m, n: Mat(rng.normal(size=(m, n))),
    "array1": lambda rng, m, n: rng.normal(size=n),
    "array2": lambda rng, m, n: rng.normal(size=(m, n)),
}
_MATMUL_TABLE = [
    (left, right, bvars)
    for left in _MATMUL_KINDS
    for right in _MATMUL_KINDS
    for bvars in ("both", "left", "right")
]


def _kind_of_product(x: Any, y: Any) -> type:
    """What x @ y is: a number for two vectors, else by its axes, a wrapper if either is."""
    nd = np.ndim(_raw(x)) + np.ndim(_raw(y)) - 2
    if nd == 0:
        return float
    if not isinstance(x, Vec | Mat) and not isinstance(y, Vec | Mat):
        return np.ndarray
    return Vec if nd == 1 else Mat


@pytest.mark.parametrize(("left", "right", "bvars"), _MATMUL_TABLE)
def test_matmul_runs_both_ways_for_every_mix_of_kinds(left: str, right: str, bvars: str) -> None:
    """Vec, Mat and plain arrays of 1 and 2 axes under @, constants or BVars on either side:
    numpy's value, the documented kind, gradients of each argument's kind, checked against
    finite differences to second order."""
    rng = np.random.default_rng(len(left) * 7 + len(right))
    x = _MATMUL_KINDS[left](rng, 2, 3)
    y = (
        _MATMUL_KINDS[right](rng, 3, 2)
        if right in ("Mat", "array2")
        else (_MATMUL_KINDS[right](rng, 3, 3))
    )
    expected = _raw(x) @ _raw(y)
    kind = _kind_of_product(x, y)
    plain = x @ y
    assert type(plain) is (np.float64 if kind is float and left == right == "array1" else kind)
    np.testing.assert_allclose(_raw(plain), expected, rtol=1e-13)
    fs: dict[str, Callable[..., Any]] = {
        "both": lambda a, b: _scalar(a @ b),
        "left": lambda a: _scalar(a @ y),
        "right": lambda b: _scalar(x @ b),
    }
    f = fs[bvars]
    args = {"both": (x, y), "left": (x,), "right": (y,)}[bvars]
    np.testing.assert_allclose(
        _raw(eval_bp_n(lambda *a: _lhs_rhs(bvars, a, x, y), *args)), expected
    )
    grads = grad_bp_n(f, *args)
    assert [type(g) for g in grads] == [type(a) for a in args]
    check_grad(f, *args, order=2)


def _lhs_rhs(bvars: str, a: tuple[Any, ...], x: Any, y: Any) -> Any:
    lhs, rhs = {"both": a, "left": (a[0], y), "right": (x, a[0])}[bvars]
    return lhs @ rhs


@pytest.mark.parametrize(("left", "right"), [(a, b) for a in _MATMUL_KINDS for b in _MATMUL_KINDS])
def test_matmul_of_mismatched_kinds_raises_shape_error_before_recording(
    left: str, right: str
) -> None:
    """Inner dimensions that differ raise ShapeError naming @ (plain, and under grad_bp, where
    the forward computation raises before its node is recorded)."""
    rng = np.random.default_rng(0)
    x = _MATMUL_KINDS[left](rng, 2, 3)
    y = _MATMUL_KINDS[right](rng, 4, 4)
    if "array" not in left or "array" not in right:  # two plain arrays are numpy's business
        with pytest.raises(ShapeError, match="Dimension mismatch in @"):
            x @ y
    with pytest.raises(ShapeError, match="Dimension mismatch in @"):
        grad_bp_n(lambda a, b: _scalar(a @ b), x, y)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv])
def test_a_vector_meets_each_row_of_a_plain_matrix_on_either_side(
    op: Callable[[Any, Any], Any],
) -> None:
    """Vec[3] with ndarray(2, 3) is a Mat[2, 3] whichever side the vector is on (as with a
    Mat), with gradients of each argument's kind; other broadcasts out of Vec raise."""
    v, a = vector([1.0, 2.0, 4.0]), np.array([[1.0, -2.0, 3.0], [0.5, 1.5, -1.0]])
    for r, expected in ((op(v, a), op(v.array, a)), (op(a, v), op(a, v.array))):
        assert type(r) is Mat
        np.testing.assert_allclose(r.array, expected)
    check_grad(lambda x, y: fn.sum_elements(op(x, y)), v, a, order=2)
    check_grad(lambda x, y: fn.sum_elements(op(y, x)), v, a, order=2)
    gv, ga = grad_bp_n(lambda x, y: fn.sum_elements(op(x, y)), v, a)
    assert type(gv) is Vec and type(ga) is np.ndarray
    with pytest.raises(ShapeError, match=r"Vec\[3\] . array\(2, 4\)"):
        op(v, np.ones((2, 4)))


# --- edge cases: empty values, slices, wrong kinds, comparisons ---


def test_norms_of_empty_values_are_zero() -> None:
    """norm_inf of Vec[0] and the norms of matrices with no rows or columns are 0 (a max over
    nothing, like the sum over nothing of norm_1), not numpy's reduction error."""
    assert norm_inf(Vec(np.zeros(0))) == 0.0
    assert norm_1(Vec(np.zeros(0))) == 0.0
    for shape in ((0, 3), (3, 0)):
        assert norm_inf(Mat(np.zeros(shape))) == 0.0
        assert norm_1(Mat(np.zeros(shape))) == 0.0
    assert grad_bp(norm_inf, Vec(np.zeros(0))) == Vec(np.zeros(0))


def test_a_vec_slice_is_a_vec_as_a_mat_slice_is_a_mat() -> None:
    """v[1:3] is a Vec (it raised an unrelated TypeError), with a gradient under grad_bp."""
    v = vector([1.0, 2.0, 3.0, 4.0])
    assert v[1:3] == vector([2.0, 3.0])
    assert v[-1] == 4.0 and type(v[-1]) is float
    g = grad_bp(lambda x: fn.sum_elements(x[1:3] * 2.0), v)
    assert g == vector([0.0, 2.0, 2.0, 0.0])
    check_grad(lambda x: fn.sum_elements(x[1:3] * x[0:2]), v, order=2)


_V, _M, _A = vector([1.0, 2.0, 3.0]), matrix([[1.0, 2.0], [3.0, 4.0]]), np.ones(3)
_WRONG_KINDS: list[tuple[str, Callable[..., Any], tuple[Any, ...], str]] = [
    ("svd", svd, (_V,), r"svd: Vec\[3\]; svd takes a Mat"),
    ("dot", dot, (_M, _M), r"dot: Mat\[2, 2\] dot Mat\[2, 2\]; dot takes a Vec and a Vec"),
    ("dot", dot, (_V, _A), r"dot: Vec\[3\] dot array\(3,\)"),
    ("outer", outer, (_M, _V), r"outer: Mat\[2, 2\] outer Vec\[3\]"),
    ("cross", cross, (_A, _V), r"cross: array\(3,\) cross Vec\[3\]"),
    ("vjoin", vjoin, (_V, 1.0), r"vjoin: Vec\[3\] vjoin float"),
    ("hstack", hstack, (_M, _A), r"hstack: Mat\[2, 2\] hstack array\(3,\)"),
    ("tr", tr, (_V,), r"tr: Vec\[3\]; tr takes a Mat"),
    ("diag", diag, (_A,), r"diag: array\(3,\); diag takes a Vec"),
    ("norm_2", norm_2, (_A,), r"norm_2: array\(3,\); norm_2 takes a Vec or Mat"),
    ("cov", cov, (_V,), r"cov: Vec\[3\]; cov takes a Mat"),
    ("row", row, (_M,), r"row: Mat\[2, 2\]; row takes a Vec"),
    ("unrow", unrow, (_V,), r"unrow: Vec\[3\]; unrow takes a Mat"),
    ("to_columns", to_columns, (_V,), r"to_columns: Vec\[3\]"),
    ("head_tail", head_tail, (1.0,), r"head_tail: float; head_tail takes a Vec"),
    ("split_rows", lambda x: split_rows(x, 1), (_V,), r"split_rows: Vec\[3\]"),
    ("eigenvalues", eigenvalues, (_A,), r"eigenvalues: array\(3,\)"),
]


@pytest.mark.parametrize(("name", "f", "xs", "message"), _WRONG_KINDS)
def test_a_vec_mat_or_array_of_the_wrong_kind_is_a_shape_error(
    name: str, f: Callable[..., Any], xs: tuple[Any, ...], message: str
) -> None:
    """Each operation checks its arguments' kinds first, plain and as BVars: ShapeError naming
    the operation, what it takes and what it got (not an AttributeError or LinAlgError)."""
    with pytest.raises(ShapeError, match=f"^Dimension mismatch in {message}"):
        f(*xs)
    with pytest.raises(ShapeError, match=f"^Dimension mismatch in {message}"):
        eval_bp_n(lambda *a: f(*a), *xs)


def test_dimensions_must_be_non_negative_integers() -> None:
    for make in (lambda: zeros(-1), lambda: eye(-2), lambda: konst(1.0, 2, -3)):
        with pytest.raises(ShapeError, match="a dimension is an integer >= 0"):
            make()


def test_vec_and_mat_compare_whole_and_have_no_order() -> None:
    """== and != compare whole values (one bool: same kind, shape and numbers), with numbers
    and plain arrays too (never equal); <, <=, >, >= raise TypeError pointing at .array."""
    v = vector([1.0, 1.0])
    assert (v == vector([1.0, 1.0])) is True
    assert (v == vector([1.0, 2.0])) is False
    assert (v == 1.0) is False and (v != 1.0) is True
    assert (np.ones(2) == v) is False and (v == np.ones(2)) is False
    assert (np.ones(2) != v) is True
    assert (matrix([[1.0]]) == matrix([[1.0]])) is True
    for compare in (
        lambda: v > 1.0,
        lambda: v <= v,
        lambda: 1.0 < v,  # noqa: SIM300  - the reflected comparison is the case tested
        lambda: np.ones(2) >= v,
        lambda: matrix([[1.0]]) < 0.0,
    ):
        with pytest.raises(TypeError, match=r"not defined for (Vec|Mat).*v\.array"):
            compare()
    np.testing.assert_array_equal(v.array > 0.5, [True, True])
    g = grad_bp(lambda x: fn.sum_elements(fn.relu(x)), vector([-1.0, 2.0]))
    assert g == vector([0.0, 1.0])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: vector(cast(Any, [None, 1.0])), r"^Vec: .*dtype object holding NoneType"),
        (lambda: matrix(cast(Any, [[None, 1.0]])), r"^Mat: .*dtype object holding NoneType"),
        (lambda: vector(cast(Any, ["1", 2.0])), r"^Vec: .*dtype <U"),
        (lambda: Vec(np.array([1j, 2.0])), r"^Vec: .*complex128 \(its imaginary part"),
        (lambda: Mat(np.array([[None]])), r"^Mat: .*dtype object"),
    ],
)
def test_constructors_reject_what_is_not_a_real_number(
    make: Callable[[], Any], message: str
) -> None:
    """None became NaN, a string its number and a complex its real part (with only a warning):
    each is a FieldTypeError saying what was found."""
    with pytest.raises(FieldTypeError, match=message):
        make()
    assert Vec(np.array([1, 2], dtype=object)) == vector([1.0, 2.0])  # numbers in objects pass


def test_a_matrix_of_no_rows_has_no_width() -> None:
    for make in (lambda: matrix([]), lambda: from_rows([])):
        with pytest.raises(ShapeError, match="no rows, so no width; use zeros"):
            make()
    assert zeros(0, 3).shape == (0, 3)
