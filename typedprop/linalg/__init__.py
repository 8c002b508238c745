"""Static linear algebra: ``Vec[n]``, ``Mat[m, n]`` and the hmatrix-backprop operation set.

``Vec``/``Mat`` and dimension arithmetic (``Add``) are in ``_types``; the differentiable
operations (products, joins and splits, norms, statistics, maps) in ``_ops``; decompositions
(inverse, determinants, SVD, symmetric eigensystem, Cholesky) in ``_decomp``; symmetric
matrices (``sym``, ``mtm``) in ``_sym``. Elementwise functions (``exp``, ``logistic``,
``softmax``...) are in ``typedprop.functions`` and work on ``Vec`` and ``Mat`` too.

Batches: a ``Mat[B, 784]`` holds one input per row; a layer ``w: Mat[300, 784]`` applies to it
as ``x @ tr(w) + b``, the bias ``Vec[300]`` added to every row, giving a ``Mat[B, 300]``.
"""

from typedprop.linalg import _decomp, _ops, _sym
from typedprop.linalg._decomp import *  # noqa: F403
from typedprop.linalg._ops import *  # noqa: F403
from typedprop.linalg._sym import *  # noqa: F403
from typedprop.linalg._types import Add as Add
from typedprop.linalg._types import Mat as Mat
from typedprop.linalg._types import Vec as Vec

__all__ = ["Add", "Mat", "Vec"]
__all__ += _ops.__all__  # the form every type checker reads
__all__ += _decomp.__all__
__all__ += _sym.__all__
