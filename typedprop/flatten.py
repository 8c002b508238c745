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

from typedprop import classes
from typedprop.errors import ShapeError

__all__ = ["flatten"]

T = TypeVar("T")


def _is_float_leaf(v: Any) -> bool:
    if hasattr(type(v), "_rewrap"):  # an array wrapper such as linalg's Vec
        return True
    if isinstance(v, np.ndarray | np.generic):
        return bool(np.issubdtype(v.dtype, np.floating))
    return isinstance(v, float)


def _leaves(x: Any, out: list[Any]) -> None:
    parts = None if x is None else classes.instance_for(x).children(x)
    if parts is None:
        if _is_float_leaf(x):
            out.append(x)
        return
    for p in parts:
        _leaves(p, out)


def flatten(x: T) -> tuple[NDArray[np.float64], Callable[[NDArray[np.float64]], T]]:
    """The float numbers of ``x`` as one vector, and the function that rebuilds ``x``'s shape.

    Example:
        >>> import numpy as np
        >>> from typedprop.flatten import flatten
        >>> v, unflatten = flatten({"w": np.ones((2, 2)), "b": 3.0})
        >>> v
        array([1., 1., 1., 1., 3.])
        >>> unflatten(v * 2)
        {'w': array([[2., 2.],
               [2., 2.]]), 'b': 6.0}
    """
    leaves: list[Any] = []
    _leaves(x, leaves)
    sizes = [int(np.size(v)) for v in leaves]
    total = sum(sizes)
    vector = (
        np.concatenate([np.ravel(v).astype(np.float64) for v in leaves]) if leaves else np.zeros(0)
    )

    def unflatten(v: NDArray[np.float64]) -> T:
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (total,):
            raise ShapeError(
                f"unflatten: expected a vector of shape ({total},), the size of the flattened "
                f"value, got shape {v.shape}"
            )
        offset = [0]

        def rebuild(node: Any) -> Any:
            parts = None if node is None else classes.instance_for(node).children(node)
            if parts is None:
                if not _is_float_leaf(node):
                    return node
                n = int(np.size(node))
                piece = v[offset[0] : offset[0] + n]
                offset[0] += n
                if hasattr(type(node), "_rewrap"):
                    return type(node)._rewrap(piece.reshape(node.shape).copy())
                if isinstance(node, np.ndarray):
                    return piece.reshape(node.shape).astype(node.dtype, copy=True)
                return type(node)(piece[0])
            return classes.instance_for(node).rebuild(node, [rebuild(p) for p in parts])

        result: T = rebuild(x)
        return result

    return vector, unflatten
