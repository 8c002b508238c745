"""Helpers for tests over nested containers of numbers and arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

import typedprop as tp
from typedprop import BVar, auto
from typedprop.functions import sum_elements


def sum_leaves(x: BVar[Any]) -> BVar[float]:
    """The sum of every number in a nested container, differentiably."""
    if not isinstance(x.value, tuple | list | dict):
        return sum_elements(x)
    parts: Any = tp.sequence_var(x)
    total: BVar[float] = auto(0.0)
    for v in parts.values() if isinstance(parts, dict) else parts:
        total = total + sum_leaves(v)
    return total


def same(a: Any, b: Any) -> bool:
    """Exact structural equality, container kinds and array values alike."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if a is None:
        return b is None
    return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))


def close(a: Any, b: Any) -> bool:
    """Structural equality up to float rounding."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(close, a, b))
    if a is None:
        return b is None
    return bool(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-12, atol=1e-12))
