"""``flatten``: any differentiable value as one flat float vector, and back.

For handing a model to an optimizer that wants a single array (``scipy.optimize.minimize``,
L-BFGS implementations): ``vector, unflatten = flatten(net)``; ``unflatten(vector)`` is a record
of ``net``'s type and shapes. Static fields, integers and ``None`` are carried, not flattened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from typedprop._tree import is_real, leaves, tree_map
from typedprop.errors import ShapeError

__all__ = ["flatten"]

T = TypeVar("T")


def flatten(x: T) -> tuple[NDArray[np.float64], Callable[[NDArray[np.float64]], T]]:
    """The float numbers of ``x`` as one vector, and the function that rebuilds ``x``'s shape.

    Example:
        >>> import numpy as np
        >>> from typedprop import flatten
        >>> v, unflatten = flatten({"w": np.ones((2, 2)), "b": 3.0})
        >>> v
        array([1., 1., 1., 1., 3.])
        >>> unflatten(v * 2)
        {'w': array([[2., 2.],
               [2., 2.]]), 'b': 6.0}
    """
    numbers = [v for v in leaves(x) if is_real(v)]
    total = sum(int(np.size(v)) for v in numbers)
    vector = (
        np.concatenate([np.ravel(np.asarray(v)).astype(np.float64) for v in numbers])
        if numbers
        else np.zeros(0)
    )

    def unflatten(v: NDArray[np.float64]) -> T:
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (total,):
            raise ShapeError(
                f"unflatten: expected a vector of shape ({total},), the size of the flattened "
                f"value, got shape {v.shape}"
            )
        offset = [0]

        def piece(node: Any) -> Any:
            if not is_real(node):
                return node
            n = int(np.size(node))
            part = v[offset[0] : offset[0] + n]
            offset[0] += n
            if hasattr(type(node), "_rewrap"):
                return type(node)._rewrap(part.reshape(node.shape).copy())
            if isinstance(node, np.ndarray):
                return part.reshape(node.shape).astype(node.dtype, copy=True)
            return type(node)(part[0])

        result: T = tree_map(piece, x)
        return result

    return vector, unflatten
