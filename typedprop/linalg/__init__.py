"""Static linear algebra: ``Vec[n]``, ``Mat[m, n]`` and the hmatrix-backprop operation set.

``Vec``/``Mat`` and dimension arithmetic (``Add``) are in ``_types``; the differentiable
operations (products, joins and splits, norms, statistics, inverse and determinant,
factorizations, maps) in ``_ops``. Elementwise functions (``exp``, ``logistic``, ``softmax``...)
are in ``typedprop.functions`` and work on ``Vec`` and ``Mat`` too.

Batches: a ``Mat[B, 784]`` holds one input per row; a layer ``w: Mat[300, 784]`` applies to it
as ``x @ tr(w) + b``, the bias ``Vec[300]`` added to every row, giving a ``Mat[B, 300]``.
"""

from typedprop.linalg import _ops
from typedprop.linalg._ops import *  # noqa: F403
from typedprop.linalg._types import Add as Add
from typedprop.linalg._types import Mat as Mat
from typedprop.linalg._types import Vec as Vec

__all__ = ["Add", "Mat", "Vec"]
__all__ += _ops.__all__  # the form every type checker reads
