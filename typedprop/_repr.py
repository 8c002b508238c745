"""Short reprs for big arrays: a record of a 784-300-100-10 network prints in a few lines.

An array of at most ``THRESHOLD`` numbers shows every value, as NumPy shows it. A bigger one
shows, on one line and with 4 significant digits, its first and last two entries along each axis
around NumPy's ``...``; its shape is in its type (``Mat[300, 784](...)``) or after it
(``array(..., shape=(300, 784))``). Shared by ``Vec``/``Mat`` and ``@model`` records.
"""

from __future__ import annotations

import reprlib
from typing import Any

import attrs
import numpy as np

THRESHOLD = 32
"""Arrays with more numbers than this are summarised."""


def summary(a: np.ndarray) -> str:
    """``a``'s entries, summarised on one line."""
    text = np.array2string(
        a, threshold=0, edgeitems=2, precision=4, separator=", ", max_line_width=2**31
    )
    return " ".join(text.split())


def array_repr(a: np.ndarray) -> str:
    """A plain array's repr: NumPy's when small, a one-line summary with its shape when big."""
    if a.size <= THRESHOLD:
        return repr(a)
    dtype = "" if a.dtype == np.float64 else f", dtype={a.dtype}"
    return f"array({summary(a)}, shape={a.shape}{dtype})"


def value_repr(v: Any) -> str:
    """A field value's repr, with plain arrays (also inside tuples, lists and dicts) summarised
    when big; any other value's own repr."""
    kind = type(v)
    if kind is np.ndarray:
        return array_repr(v)
    if kind is list:
        return "[" + ", ".join(value_repr(x) for x in v) + "]"
    if kind is tuple:
        return f"({value_repr(v[0])},)" if len(v) == 1 else f"({', '.join(map(value_repr, v))})"
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {value_repr(x)}" for k, x in v.items()) + "}"
    return repr(v)


@reprlib.recursive_repr()
def record_repr(self: Any) -> str:
    """A ``@model`` record's repr, as attrs writes it (``Name(field=value, ...)``, the fields
    whose ``repr`` is on), its big arrays summarised."""
    name = type(self).__qualname__.rsplit(">.", 1)[-1]
    parts = []
    for f in attrs.fields(type(self)):
        if f.repr is False:
            continue
        show = f.repr if callable(f.repr) else value_repr
        parts.append(f"{f.name}={show(getattr(self, f.name))}")
    return f"{name}({', '.join(parts)})"
