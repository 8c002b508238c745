"""Mini-batches: ``batches`` cuts aligned arrays (inputs and targets) into batches of rows.

It works with plain arrays, ``Vec`` (a batch of elements) and ``Mat`` (a batch of rows, a
``Mat`` again), shuffled by a NumPy ``Generator`` when given one::

    rng = np.random.default_rng(0)
    for epoch in range(10):
        for x, t in batches(images, labels, batch_size=64, rng=rng):
            grad = grad_bp(lambda n: loss(n, x, t), net)
            state, net = opt.step(state, net, grad)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from typedprop.errors import ShapeError

__all__ = ["batches"]


def _length(x: Any, i: int) -> int:
    """The number of rows of the ``i``-th array (a 0-d array has none: an error)."""
    shape = np.shape(x)
    if not shape:
        raise ShapeError(f"batches: array {i} is a scalar (shape ()); expected rows to batch")
    return int(shape[0])


def _take(x: Any, rows: slice | np.ndarray) -> Any:
    """Rows of ``x``, of ``x``'s kind (a ``Vec``/``Mat`` stays one; no copy for a slice)."""
    kind = type(x)
    if hasattr(kind, "_rewrap"):  # Vec, Mat
        return kind._rewrap(x.array[rows])
    return x[rows]


def batches(
    *arrays: Any,
    batch_size: int,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """Aligned mini-batches of ``arrays``: tuples of ``batch_size`` rows, the same rows of each.

    In order without ``rng``; shuffled (one permutation per call, so a new order each epoch)
    with it. The last batch is shorter when the length is not a multiple of ``batch_size``,
    unless ``drop_last`` drops it. Plain arrays give array batches (row slices of the
    original array without ``rng``, copies with it); a ``Vec`` gives ``Vec`` batches and a
    ``Mat`` ``Mat`` batches of its rows. The arguments are checked when ``batches`` is called,
    not when the first batch is read.

    Raises:
        ShapeError: the arrays differ in length (the message gives each length), or one is a
            scalar.
        ValueError: ``batch_size`` is not an integer >= 1, or no array is given.
        TypeError: ``rng`` is not a ``numpy.random.Generator``.

    Example:
        >>> import numpy as np
        >>> x, t = np.arange(10).reshape(5, 2), np.arange(5)
        >>> [b[1].tolist() for b in batches(x, t, batch_size=2)]
        [[0, 1], [2, 3], [4]]
        >>> [b[1].tolist() for b in batches(x, t, batch_size=2, drop_last=True)]
        [[0, 1], [2, 3]]
        >>> sorted(int(i) for _, t_ in batches(x, t, batch_size=2, rng=np.random.default_rng(0))
        ...        for i in t_)
        [0, 1, 2, 3, 4]
    """
    if not arrays:
        raise ValueError("batches: expected at least one array")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batches: expected an integer batch_size >= 1, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batches: expected batch_size >= 1, got {batch_size}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"batches: expected rng to be a numpy.random.Generator (np.random.default_rng()), "
            f"got {type(rng).__name__}"
        )
    arrays = tuple(x if hasattr(type(x), "_rewrap") else np.asarray(x) for x in arrays)
    lengths = [_length(x, i) for i, x in enumerate(arrays)]
    if len(set(lengths)) > 1:
        raise ShapeError(
            f"batches: the arrays must have the same length (their first axis), got lengths "
            f"{', '.join(map(str, lengths))}"
        )
    order = rng.permutation(lengths[0]) if rng is not None else None
    return _batches(arrays, lengths[0], int(batch_size), order, drop_last)


def _batches(
    arrays: tuple[Any, ...], n: int, size: int, order: np.ndarray | None, drop_last: bool
) -> Iterator[tuple[Any, ...]]:
    """The batches, read lazily."""
    end = n - n % size if drop_last else n
    for start in range(0, end, size):
        rows: slice | np.ndarray = (
            slice(start, start + size) if order is None else order[start : start + size]
        )
        yield tuple(_take(x, rows) for x in arrays)
