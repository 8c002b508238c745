"""Symmetric matrices: the symmetric part ``sym`` and the Gram matrix ``mtm``.

hmatrix-backprop has a type of symmetric matrices (``Sym n``); here they are plain
``Mat[N, N]``. The operations that read a symmetric input (``chol``, ``eigenvalues``,
``eigensystem``, in ``_decomp``) read only its lower triangle and return symmetric gradients;
``sym`` makes any square matrix symmetric for them.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from typedprop._core import BVar
from typedprop.linalg._ops import _check, _expect, _square, tr
from typedprop.linalg._types import Mat

__all__ = ["mtm", "sym"]

N = TypeVar("N", bound=int)
M = TypeVar("M", bound=int)


@overload
def sym(x: Mat[N, N]) -> Mat[N, N]: ...
@overload
def sym(x: BVar[Mat[N, N]]) -> BVar[Mat[N, N]]: ...
def sym(x: Any) -> Any:
    """The symmetric part ``(x + xᵀ) / 2`` of a square matrix; its gradient is the symmetric
    part of the incoming one.

    Raises:
        ShapeError: the matrix is not square.

    Example:
        >>> from typedprop.linalg import matrix, sym
        >>> sym(matrix([[1.0, 2.0], [0.0, 1.0]]))
        Mat[2, 2]([[1., 1.],
               [1., 1.]])
    """
    _expect("sym", (Mat,), x)
    _check("sym", _square(x), x, why="; sym needs a square matrix")
    return (x + tr(x)) * 0.5


@overload
def mtm(x: Mat[M, N]) -> Mat[N, N]: ...
@overload
def mtm(x: BVar[Mat[M, N]]) -> BVar[Mat[N, N]]: ...
def mtm(x: Any) -> Any:
    """``xᵀ x``, the symmetric Gram matrix of ``x``'s columns (hmatrix's ``mTm``); gradient
    ``x (G + Gᵀ)``, which is hmatrix-backprop's ``2 x G`` for a symmetric ``G``.

    Example:
        >>> from typedprop.linalg import matrix, mtm
        >>> mtm(matrix([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]]))
        Mat[2, 2]([[10., 14.],
               [14., 21.]])
    """
    _expect("mtm", (Mat,), x)
    return tr(x) @ x
