"""Decompositions and what one factorisation gives: inverse, determinants, the SVD, the
symmetric eigensystem, Cholesky.

Every rule is written with typedprop's own operations, so each differentiates again (the
second derivatives of ``svd``, ``eigenvalues`` and the matrix ``norm_2`` go through the
differentiable rules of ``svd_full`` and ``eigensystem``). Where equal eigenvalues or singular
values leave the vectors undetermined, a gradient that needs them raises ``DegenerateError``
instead of returning NaN. Products, norms and statistics are in ``_ops``; ``sym`` and ``mtm``
in ``_sym``.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

import numpy as np

from typedprop._core import BVar, Op, _apply1, deep_value
from typedprop.errors import DegenerateError, SingularMatrixError
from typedprop.linalg._ops import _check, _expect, _square, diag, outer, tr
from typedprop.linalg._types import Mat, Vec, number

__all__ = [
    "chol",
    "det",
    "eigensystem",
    "eigenvalues",
    "inv",
    "invlndet",
    "lndet",
    "svd",
    "svd_full",
]

N = TypeVar("N", bound=int)
M = TypeVar("M", bound=int)


# --- inverse and determinant ---


def _inv_fwd(x: Mat[Any, Any]) -> Mat[Any, Any]:
    _check("inv", _square(x), x, why="; inv needs a square matrix")
    return Mat._rewrap(_inverse("inv", x.array))


def _inverse(name: str, a: Any) -> Any:
    """``a``'s inverse, or a ``SingularMatrixError`` naming the operation that needed it."""
    try:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError as e:
        raise SingularMatrixError(
            f"{name}: the matrix is singular (its determinant is 0), so it has no inverse "
            f"({e}); {_SINGULAR_HINT}"
        ) from e
    if not np.isfinite(inverse).all() and np.isfinite(a).all():
        raise SingularMatrixError(
            f"{name}: the matrix is singular to working precision (its inverse overflows to "
            f"inf); {_SINGULAR_HINT}"
        )
    return inverse


_SINGULAR_HINT = "check it with det(m) first, or regularise it (m + eps * eye(n))"


def _cofactors(a: Any) -> Any:
    """The matrix of cofactors of ``a`` (the adjugate's transpose, the gradient of ``det``),
    from the SVD ``U S Vᵀ``: ``det(U) det(V) U diag(prod_{j != i} s_j) Vᵀ``. Defined and
    accurate for singular matrices too, where ``det(X) X⁻ᵀ`` is not."""
    u, sv, vt = np.linalg.svd(a)
    n = sv.shape[0]
    one = np.ones(1, sv.dtype)
    before = np.concatenate((one, np.cumprod(sv[:-1]))) if n else sv
    after = np.concatenate((np.cumprod(sv[::-1][:-1])[::-1], one)) if n else sv
    sign = np.sign(np.linalg.det(u) * np.linalg.det(vt))
    return (u * (sign * before * after)) @ vt


def _det(a: Any) -> Any:
    """numpy's determinant, without the divide-by-zero warning LAPACK's LU raises on some
    singular matrices (a zero pivot): the determinant there is 0, not a warning."""
    with np.errstate(divide="ignore"):
        return np.linalg.det(a)


def _slogdet(a: Any) -> Any:
    """numpy's ``slogdet``, without the warning of a zero pivot (``log |det|`` is -inf there)."""
    with np.errstate(divide="ignore"):
        return np.linalg.slogdet(a)


def _det_vjp(g: Any, ans: Any, x: Any) -> Any:
    if type(x) is not BVar and type(g) is not BVar:
        return Mat._rewrap(_cofactors(x.array)) * g
    if deep_value(ans) == 0.0:
        raise SingularMatrixError(
            "det: its second derivative at a singular matrix is not implemented (the first "
            "derivative there, the cofactor matrix, is); differentiate det once at this point"
        )
    return tr(inv(x)) * (g * ans)


def _lndet_vjp(g: Any, ans: Any, x: Any) -> Any:
    if deep_value(ans) == -np.inf:
        raise SingularMatrixError(
            f"lndet: log |det X| is -inf at a singular matrix and has no gradient there; "
            f"{_SINGULAR_HINT}"
        )
    return tr(inv(x)) * g


_INV: Op = Op("inv", 1, fwd=_inv_fwd, vjps=(lambda g, ans, x: -(tr(ans) @ g @ tr(ans)),))
_DET: Op = Op("det", 1, fwd=lambda x: number(_det(x.array)), vjps=(_det_vjp,))
_LNDET: Op = Op(
    "lndet",
    1,
    fwd=lambda x: number(_slogdet(x.array)[1]),
    vjps=(_lndet_vjp,),
)


@overload
def inv(x: Mat[N, N]) -> Mat[N, N]: ...
@overload
def inv(x: BVar[Mat[N, N]]) -> BVar[Mat[N, N]]: ...
def inv(x: Any) -> Any:
    """The inverse of a square matrix; gradient ``-X⁻ᵀ G X⁻ᵀ``.

    Raises:
        SingularMatrixError: the matrix is singular.
    """
    _expect("inv", (Mat,), x)
    return _apply1(_INV, x)


@overload
def det(x: Mat[N, N]) -> float: ...
@overload
def det(x: BVar[Mat[N, N]]) -> BVar[float]: ...
def det(x: Any) -> Any:
    """The determinant of a square matrix; gradient ``g`` times the cofactor matrix (``det(X)
    X⁻ᵀ`` where ``X`` is invertible), also at a singular matrix; the second derivative is
    there only where ``X`` is invertible.

    Raises:
        SingularMatrixError: a second derivative at a singular matrix.
    """
    _expect("det", (Mat,), x)
    _check("det", _square(x), x, why="; det needs a square matrix")
    return _apply1(_DET, x)


@overload
def lndet(x: Mat[N, N]) -> float: ...
@overload
def lndet(x: BVar[Mat[N, N]]) -> BVar[float]: ...
def lndet(x: Any) -> Any:
    """``log |det X|`` of a square matrix; gradient ``g X⁻ᵀ``; ``-inf`` at a singular matrix.

    Raises:
        SingularMatrixError: the gradient at a singular matrix (there is none).
    """
    _expect("lndet", (Mat,), x)
    _check("lndet", _square(x), x, why="; lndet needs a square matrix")
    return _apply1(_LNDET, x)


def _invlndet_fwd(x: Mat[Any, Any]) -> tuple[Mat[Any, Any], Any, Any]:
    _check("invlndet", _square(x), x, why="; invlndet needs a square matrix")
    sign, logdet = _slogdet(x.array)
    if sign == 0.0 or logdet == -np.inf:
        raise SingularMatrixError(
            f"invlndet: the matrix is singular (its determinant is 0), so it has no inverse "
            f"and log |det| is -inf; {_SINGULAR_HINT}"
        )
    return Mat._rewrap(_inverse("invlndet", x.array)), number(logdet), number(sign)


def _invlndet_vjp(g: Any, ans: Any, x: Any) -> Any:
    """``-X⁻ᵀ gI X⁻ᵀ + gL X⁻ᵀ``; the sign is piecewise constant, so its gradient is 0."""
    ti = tr(ans[0])
    return ti * g[1] - ti @ g[0] @ ti


_INVLNDET: Op = Op("invlndet", 1, fwd=_invlndet_fwd, vjps=(_invlndet_vjp,))


@overload
def invlndet(x: Mat[N, N]) -> tuple[Mat[N, N], float, float]: ...
@overload
def invlndet(x: BVar[Mat[N, N]]) -> tuple[BVar[Mat[N, N]], BVar[float], BVar[float]]: ...
def invlndet(x: Any) -> Any:
    """The inverse, ``log |det X|`` and the sign of ``det X`` of a square matrix, in one node:
    ``(inverse, lndet, sign)`` (hmatrix's ``invlndet`` nests the last two in a pair). The
    sign's gradient is 0; numpy exposes no LU factors, so this is two LAPACK calls in one node.

    Raises:
        SingularMatrixError: the matrix is singular.

    Example:
        >>> from typedprop.linalg import invlndet, matrix
        >>> inverse, logdet, sign = invlndet(matrix([[0.0, 2.0], [1.0, 0.0]]))
        >>> inverse
        Mat[2, 2]([[0. , 1. ],
                   [0.5, 0. ]])
        >>> round(logdet, 6), sign
        (0.693147, -1.0)
    """
    _expect("invlndet", (Mat,), x)
    r = _apply1(_INVLNDET, x)
    return (r[0], r[1], r[2]) if type(r) is BVar else r


# --- the symmetric eigensystem and the SVD ---

# Two eigenvalues (singular values) closer than this, relative to the largest in size, count as
# equal: their vectors are then determined to fewer than half the digits, and the gradient
# through them (which divides by the gap) is noise or infinite.
_GAP_RTOL = 1e-8


def _live(g: Any) -> bool:
    """Whether a gradient part can contribute: a ``BVar`` (its derivative may not vanish even
    where its value does), or a value with a non-zero element."""
    return type(g) is BVar or bool(np.any(deep_value(g).array))


def _require_distinct(name: str, what: str, values: Any) -> None:
    """Raise ``DegenerateError`` unless ``values`` (ascending or descending) differ pairwise."""
    w = np.sort(values)
    if w.shape[0] < 2:
        return
    gaps = np.diff(w)
    i = int(np.argmin(gaps))
    scale = float(np.max(np.abs(w)))
    if gaps[i] <= _GAP_RTOL * scale:
        raise DegenerateError(
            f"{name}: two {what} are equal ({w[i]:.6g} and {w[i + 1]:.6g}, {gaps[i]:.3g} apart, "
            f"at most {_GAP_RTOL:g} times the largest, {scale:.6g}), so their vectors are not "
            f"determined and the gradient through the vectors is undefined; use only "
            f"functions of the values here, or perturb the matrix"
        )


def _gap_inverses(w: Any) -> Any:
    """The matrix ``F`` with ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it."""
    wv = deep_value(w).array
    n, dt = wv.shape[0], wv.dtype
    ones: Vec[Any] = Vec._rewrap(np.ones(n, dt))
    identity: Mat[Any, Any] = Mat._rewrap(np.eye(n, dtype=dt))
    off: Mat[Any, Any] = Mat._rewrap(1.0 - np.eye(n, dtype=dt))
    gaps = outer(ones, w) - outer(w, ones) + identity  # 1 on the diagonal, masked out below
    return off * (1.0 / gaps)


def _scale_rows(s: Any, a: Any) -> Any:
    """``diag(s) @ a``: row ``i`` of ``a`` times ``s[i]``."""
    return tr(tr(a) * s)


def _eigh_fwd(x: Mat[Any, Any]) -> tuple[Vec[Any], Mat[Any, Any]]:
    _check("eigensystem", _square(x), x, why="; eigensystem needs a symmetric matrix")
    w, v = np.linalg.eigh(x.array)
    return Vec._rewrap(w), Mat._rewrap(v)


def _eigh_vjp(g: Any, ans: Any, x: Any) -> Any:
    """``V (diag(gw) + F o (Vᵀ gV)) Vᵀ``, symmetrised (the input is read as symmetric)."""
    gw, gv = g[0], g[1]
    w, v = ans[0], ans[1]
    inner = diag(gw)
    if _live(gv):
        _require_distinct("eigensystem", "eigenvalues", deep_value(w).array)
        inner = inner + _gap_inverses(w) * (tr(v) @ gv)
    a = v @ inner @ tr(v)
    return (a + tr(a)) * 0.5


_EIGENSYSTEM: Op = Op("eigensystem", 1, fwd=_eigh_fwd, vjps=(_eigh_vjp,))


@overload
def eigensystem(x: Mat[N, N]) -> tuple[Vec[N], Mat[N, N]]: ...
@overload
def eigensystem(x: BVar[Mat[N, N]]) -> tuple[BVar[Vec[N]], BVar[Mat[N, N]]]: ...
def eigensystem(x: Any) -> Any:
    """The eigenvalues of a symmetric matrix, ascending, and its eigenvectors, one per column:
    ``x @ vectors == vectors * values`` (column ``i`` belongs to ``values[i]``).

    The input is read as symmetric: only its lower triangle is read, and the gradient is
    symmetric (``sym(m)`` makes any square matrix symmetric). Each eigenvector is determined
    up to its sign, so differentiate functions that do not see the sign (``v * v``,
    ``outer(v, v)``).

    Raises:
        ShapeError: the matrix is not square.
        DegenerateError: a gradient through the eigenvectors where two eigenvalues are equal.

    Example:
        >>> from typedprop.linalg import eigensystem, matrix
        >>> values, vectors = eigensystem(matrix([[2.0, 1.0], [1.0, 2.0]]))
        >>> values
        Vec[2]([1., 3.])
    """
    _expect("eigensystem", (Mat,), x)
    r = _apply1(_EIGENSYSTEM, x)
    return (r[0], r[1]) if type(r) is BVar else r


def _eig_vjp(g: Any, ans: Any, x: Any) -> Any:
    if type(x) is BVar or type(g) is BVar:  # a derivative to be differentiated again
        v = eigensystem(x)[1]
        return (v * g) @ tr(v)
    _, v = np.linalg.eigh(x.array)
    return Mat._rewrap((v * g.array) @ v.T)


def _eig_fwd(x: Mat[Any, Any]) -> Vec[Any]:
    _check("eigenvalues", _square(x), x, why="; eigenvalues needs a symmetric matrix")
    return Vec._rewrap(np.linalg.eigvalsh(x.array))


_EIGENVALUES: Op = Op("eigenvalues", 1, fwd=_eig_fwd, vjps=(_eig_vjp,))


@overload
def eigenvalues(x: Mat[N, N]) -> Vec[N]: ...
@overload
def eigenvalues(x: BVar[Mat[N, N]]) -> BVar[Vec[N]]: ...
def eigenvalues(x: Any) -> Any:
    """The eigenvalues of a symmetric matrix, ascending; gradient ``V diag(g) Vᵀ``.

    The input is read as symmetric (only the lower triangle is read; the gradient is
    symmetric). The second derivative goes through the eigenvectors, so it raises
    ``DegenerateError`` where two eigenvalues are equal.
    """
    _expect("eigenvalues", (Mat,), x)
    return _apply1(_EIGENVALUES, x)


def _svd_fwd(x: Mat[Any, Any]) -> tuple[Mat[Any, Any], Vec[Any], Mat[Any, Any]]:
    u, s, vt = np.linalg.svd(x.array, full_matrices=False)
    return Mat._rewrap(u), Vec._rewrap(s), Mat._rewrap(vt.T.copy())


def _svd_full_vjp(g: Any, ans: Any, x: Any) -> Any:
    """Townsend (2016): ``U [(F o (UᵀgU - gUᵀU)) S + diag(gs) + S (F o (VᵀgV - gVᵀV))] Vᵀ``
    with ``F[i, j] = 1 / (s_j² - s_i²)``, plus for a non-square matrix the part outside the
    span of ``U`` (``(I - UUᵀ) gU S⁻¹ Vᵀ``, tall) or of ``V`` (``U S⁻¹ gVᵀ (I - VVᵀ)``, wide)."""
    gu, gs, gv = g[0], g[1], g[2]
    u, s, v = ans[0], ans[1], ans[2]
    m, n = np.shape(deep_value(x))
    inner = diag(gs)
    live_u, live_v = _live(gu), _live(gv)
    if not (live_u or live_v):
        return u @ inner @ tr(v)
    sv = deep_value(s).array
    _require_distinct("svd_full", "singular values", sv)
    if m != n and sv.shape[0] and sv.min() <= _GAP_RTOL * sv.max():
        raise DegenerateError(
            f"svd_full: a singular value of the {m}-by-{n} matrix is 0 ({sv.min():.3g}), so "
            f"its singular vectors are not determined and the gradient through them is "
            f"undefined; use only functions of the singular values here"
        )
    f = _gap_inverses(s * s)
    if live_u:
        j = tr(u) @ gu
        inner = inner + (f * (j - tr(j))) * s
    if live_v:
        k = tr(v) @ gv
        inner = inner + _scale_rows(s, f * (k - tr(k)))
    a = u @ inner @ tr(v)
    if live_u and m > n:
        a = a + ((gu - u @ (tr(u) @ gu)) * (1.0 / s)) @ tr(v)
    if live_v and n > m:
        a = a + u @ tr((gv - v @ (tr(v) @ gv)) * (1.0 / s))
    return a


_SVD_FULL: Op = Op("svd_full", 1, fwd=_svd_fwd, vjps=(_svd_full_vjp,))


@overload
def svd_full(x: Mat[M, N]) -> tuple[Mat[M, Any], Vec[Any], Mat[N, Any]]: ...
@overload
def svd_full(
    x: BVar[Mat[M, N]],
) -> tuple[BVar[Mat[M, Any]], BVar[Vec[Any]], BVar[Mat[N, Any]]]: ...
def svd_full(x: Any) -> Any:
    """The singular value decomposition ``x = u diag(s) vᵀ`` of an ``m``-by-``n`` matrix, with
    ``k = min(m, n)``: ``u`` is ``m``-by-``k``, ``s`` the ``k`` singular values, largest first,
    ``v`` is ``n``-by-``k``; the columns of ``u`` and of ``v`` are orthonormal.

    This is the reduced (thin) SVD, numpy's ``full_matrices=False``: the columns a full
    ``u`` or ``v`` would add are not determined by ``x``, so they have no gradient. A pair of
    singular vectors ``u[:, i]``, ``v[:, i]`` is determined up to one sign for both, so
    differentiate functions that do not see it (``outer(u_i, v_i)``, ``u_i * u_i``).

    Raises:
        DegenerateError: a gradient through the singular vectors where two singular values are
            equal, or (non-square matrix) one is 0.

    Example:
        >>> from typedprop.linalg import matrix, svd_full
        >>> u, s, v = svd_full(matrix([[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]]))
        >>> u.shape, s, v.shape
        ((3, 2), Vec[2]([4., 3.]), (2, 2))
    """
    _expect("svd_full", (Mat,), x)
    r = _apply1(_SVD_FULL, x)
    return (r[0], r[1], r[2]) if type(r) is BVar else r


def _svd_vjp(g: Any, ans: Any, x: Any) -> Any:
    if type(x) is BVar or type(g) is BVar:  # a derivative to be differentiated again
        u, _, v = svd_full(x)
        return (u * g) @ tr(v)
    u, _, vt = np.linalg.svd(x.array, full_matrices=False)
    return Mat._rewrap((u * g.array) @ vt)


_SVD: Op = Op(
    "svd",
    1,
    fwd=lambda x: Vec._rewrap(np.linalg.svd(x.array, compute_uv=False)),
    vjps=(_svd_vjp,),
)


@overload
def svd(x: Mat[M, N]) -> Vec[Any]: ...
@overload
def svd(x: BVar[Mat[M, N]]) -> BVar[Vec[Any]]: ...
def svd(x: Any) -> Any:
    """The singular values of a matrix, largest first; gradient ``U diag(g) Vᵀ``.

    The second derivative goes through the singular vectors, so it raises
    ``DegenerateError`` where two singular values are equal (or, non-square, one is 0).
    """
    _expect("svd", (Mat,), x)
    return _apply1(_SVD, x)


# --- Cholesky ---


def _phi(a: Any) -> Any:
    """The lower triangle with the diagonal halved (Murray 2016's Φ)."""
    av = deep_value(a).array
    n = av.shape[0]
    mask = np.tril(np.ones((n, n), av.dtype)) - av.dtype.type(0.5) * np.eye(n, dtype=av.dtype)
    return a * Mat._rewrap(mask)


def _chol_vjp(g: Any, ans: Any, x: Any) -> Any:
    linv = inv(ans)
    s = tr(linv) @ _phi(tr(ans) @ g) @ linv
    return (s + tr(s)) * 0.5


def _chol_fwd(x: Mat[Any, Any]) -> Mat[Any, Any]:
    _check("chol", _square(x), x, why="; chol needs a symmetric positive definite matrix")
    try:
        return Mat._rewrap(np.linalg.cholesky(x.array))
    except np.linalg.LinAlgError as e:
        raise SingularMatrixError(
            f"chol: the matrix is not positive definite ({e}); chol needs a symmetric positive "
            f"definite matrix (a covariance plus eps * eye(n), say)"
        ) from e


_CHOL: Op = Op("chol", 1, fwd=_chol_fwd, vjps=(_chol_vjp,))


@overload
def chol(x: Mat[N, N]) -> Mat[N, N]: ...
@overload
def chol(x: BVar[Mat[N, N]]) -> BVar[Mat[N, N]]: ...
def chol(x: Any) -> Any:
    """The lower Cholesky factor ``L`` of a symmetric positive definite ``X = L Lᵀ``.

    The input is read as symmetric: only its lower triangle is read (``sym(m)`` makes any
    square matrix symmetric). The gradient (Murray 2016) is symmetric; it differentiates again.

    Raises:
        SingularMatrixError: the matrix is not positive definite.
    """
    _expect("chol", (Mat,), x)
    return _apply1(_CHOL, x)
