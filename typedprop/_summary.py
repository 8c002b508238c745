"""A model's size: ``count_params`` and ``summary`` (a table of its parameters by field path).

A parameter is a real number the optimizers train: the numbers of the float arrays, ``Vec``s,
``Mat``s and floats in a record's differentiable fields, through nested records, tuples, lists
and dicts. Static fields, integers and ``None`` are not parameters. Field paths are the ones
``typedprop.checkpoint`` stores the arrays under (``layer1.weight``, ``layers.0.bias``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from typedprop._tree import is_real, leaves
from typedprop.record import fields_of, is_model

__all__ = ["count_params", "summary"]


def _size(leaf: Any) -> int:
    """How many parameters one leaf holds."""
    return int(np.size(leaf.array if hasattr(type(leaf), "_rewrap") else leaf))


def count_params(model: Any) -> int:
    """The number of parameters (real numbers with gradients) in a model or any value.

    Example:
        >>> import numpy as np
        >>> from typedprop import model, static
        >>> @model
        ... class Affine:
        ...     weight: np.ndarray
        ...     bias: float
        ...     size: int = static(default=3)
        >>> count_params(Affine(np.zeros((3, 4)), 0.0))
        13
    """
    return sum(_size(leaf) for leaf in leaves(model) if is_real(leaf))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _rows(x: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Each parameter leaf of ``x`` with its field path."""
    if is_model(x) and not isinstance(x, type):
        for name in fields_of(type(x), differentiable_only=True):
            yield from _rows(getattr(x, name), _join(path, name))
    elif isinstance(x, tuple | list):
        for i, v in enumerate(x):
            yield from _rows(v, _join(path, str(i)))
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _rows(v, _join(path, str(k)))
    elif is_real(x):
        yield path or "(value)", x


def _type_name(leaf: Any) -> str:
    """A leaf's type as the table shows it: ``Mat[300, 784]``, ``ndarray[float32]``, ``float``."""
    if hasattr(type(leaf), "_rewrap"):
        dims = ", ".join(map(str, leaf.shape))
        return f"{type(leaf).__name__}[{dims}]"
    if isinstance(leaf, np.ndarray):
        return f"ndarray[{leaf.dtype}]"
    if isinstance(leaf, np.generic):
        return str(leaf.dtype)
    return type(leaf).__name__


def summary(model: Any) -> str:
    """A table of a model's parameters: each field path, its type (with its dimensions), shape
    and number of parameters, then the total.

    Example:
        >>> from typedprop import model
        >>> from typedprop.linalg import Mat, Vec
        >>> @model
        ... class Dense:
        ...     weight: Mat[3, 4]
        ...     bias: Vec[3]
        >>> @model
        ... class Net:
        ...     hidden: Dense
        ...     out: Dense
        ...     scale: float
        >>> import numpy as np
        >>> d = Dense(Mat(np.zeros((3, 4))), Vec(np.zeros(3)))
        >>> print(summary(Net(d, d, 1.0)))
        Net: 31 parameters
        field          type       shape   count
        hidden.weight  Mat[3, 4]  (3, 4)     12
        hidden.bias    Vec[3]     (3,)        3
        out.weight     Mat[3, 4]  (3, 4)     12
        out.bias       Vec[3]     (3,)        3
        scale          float      ()          1
        total                                31
    """
    rows = [
        (path, _type_name(leaf), str(np.shape(leaf)), f"{_size(leaf):,}")
        for path, leaf in _rows(model, "")
    ]
    total = f"{sum(_size(leaf) for _, leaf in _rows(model, '')):,}"
    header = ("field", "type", "shape", "count")
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    count_width = max(len(total), *(len(r[3]) for r in table))
    lines = [f"{type(model).__qualname__}: {total} parameters"]
    for path, kind, shape, count in table:
        cells = [path.ljust(widths[0]), kind.ljust(widths[1]), shape.ljust(widths[2])]
        lines.append("  ".join([*cells, count.rjust(count_width)]))
    lines.append("total".ljust(sum(widths) + 4) + "  " + total.rjust(count_width))
    return "\n".join(line.rstrip() for line in lines)
