"""Helpers for tests over nested containers of numbers and arrays."""

from __future__ import annotations

from typing import Any

import attrs
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


def _fields(a: Any, b: Any) -> list[tuple[Any, Any]] | None:
    """The field pairs of two records of one class, or None if a is not a record."""
    if not attrs.has(type(a)):
        return None
    if type(b) is not type(a):
        return []
    return [(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a))]


def _numeric(a: Any) -> bool:
    return isinstance(a, int | float | complex | np.ndarray | np.generic)


def same(a: Any, b: Any) -> bool:
    """Exact structural equality, container kinds and array values alike."""
    pairs = _fields(a, b)
    if pairs is not None:
        return bool(pairs) and all(same(x, y) for x, y in pairs)
    if not _numeric(a) and not isinstance(a, tuple | list | dict):
        return bool(a == b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if a is None:
        return b is None
    return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))


def close(a: Any, b: Any) -> bool:
    """Structural equality up to float rounding."""
    pairs = _fields(a, b)
    if pairs is not None:
        return bool(pairs) and all(close(x, y) for x, y in pairs)
    if not _numeric(a) and not isinstance(a, tuple | list | dict):
        return bool(a == b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(close, a, b))
    if a is None:
        return b is None
    return bool(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-12, atol=1e-12))
