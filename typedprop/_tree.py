"""Walking the numbers inside a differentiable value: containers and records are trees whose
leaves are numbers and arrays (through each type's ``Backprop.children``/``rebuild``).

Shared by ``testing`` (random directions, inner products), ``flatten`` and ``optim``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from typedprop import classes
from typedprop._core import BVar, deep_value


def children(x: Any) -> Any:
    """The parts of a container or record, ``None`` for a leaf (a ``BVar`` is a leaf)."""
    if type(x) is BVar or x is None:
        return None
    return classes.instance_for(x).children(x)


def tree_map(fn: Callable[..., Any], x: Any, *rest: Any) -> Any:
    """``fn`` applied leaf by leaf to ``x`` and values shaped like it, rebuilt like ``x``."""
    parts = children(x)
    if parts is None:
        return fn(x, *rest)
    others = [children(r) for r in rest]
    mapped = [tree_map(fn, c, *(o[i] for o in others)) for i, c in enumerate(parts)]
    return classes.instance_for(x).rebuild(x, mapped)


def leaves(x: Any) -> list[Any]:
    """The leaves of ``x``, in order."""
    parts = children(x)
    if parts is None:
        return [x]
    return [leaf for c in parts for leaf in leaves(c)]


def is_real(v: Any) -> bool:
    """Whether a leaf holds real floating-point numbers (the ones that have gradients)."""
    v = deep_value(v)
    if hasattr(type(v), "_rewrap"):  # an array wrapper such as linalg's Vec
        return True
    if isinstance(v, np.ndarray | np.generic):
        return v.dtype.kind == "f"
    return isinstance(v, float)
