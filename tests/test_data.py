"""batches: aligned, complete, shuffled on request, checked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from typedprop import ShapeError
from typedprop.data import batches
from typedprop.linalg import Mat, Vec


@given(st.integers(0, 40), st.integers(1, 12), st.booleans(), st.booleans())
def test_batches_cover_every_row_once_and_stay_aligned(
    n: int, size: int, shuffle: bool, drop_last: bool
) -> None:
    """Every row appears once (or, with drop_last, all but the remainder), the same rows of
    each array together, in batches of batch_size (the last one shorter unless dropped)."""
    x = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    t = np.arange(n)
    rng = np.random.default_rng(n) if shuffle else None
    got = list(batches(x, t, batch_size=size, rng=rng, drop_last=drop_last))
    sizes = [len(b[1]) for b in got]
    full, rest = divmod(n, size)
    assert sizes == [size] * full + ([rest] if rest and not drop_last else [])
    for xb, tb in got:
        np.testing.assert_array_equal(xb, x[tb])
    seen = np.concatenate([tb for _, tb in got]) if got else np.array([], dtype=int)
    assert len(set(seen.tolist())) == len(seen) == sum(sizes)
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(sum(sizes)))


def test_a_generator_shuffles_and_each_call_draws_a_new_order() -> None:
    """With rng, the order is a permutation, reproducible from the seed, new each epoch."""
    t = np.arange(100)

    def epoch(rng: np.random.Generator) -> list[int]:
        out: list[int] = np.concatenate(
            [b for (b,) in batches(t, batch_size=10, rng=rng)]
        ).tolist()
        return out

    rng = np.random.default_rng(1)
    first, second = epoch(rng), epoch(rng)
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second
    assert epoch(np.random.default_rng(1)) == first


def test_vec_and_mat_give_batches_of_their_kind() -> None:
    """A Mat gives Mat batches of its rows, a Vec Vec batches; plain lists become arrays."""
    m: Mat[Any, Any] = Mat(np.arange(12.0).reshape(6, 2))
    v: Vec[Any] = Vec(np.arange(6.0) * 10)
    out = list(batches(m, v, [0, 1, 2, 3, 4, 5], batch_size=4))
    (mb, vb, lb), (mb2, vb2, _) = out
    assert isinstance(mb, Mat) and mb.shape == (4, 2) and isinstance(vb, Vec)
    assert mb == Mat(np.arange(8.0).reshape(4, 2)) and vb == Vec([0.0, 10.0, 20.0, 30.0])
    assert mb2 == Mat([[8.0, 9.0], [10.0, 11.0]]) and vb2 == Vec([40.0, 50.0])
    np.testing.assert_array_equal(lb, [0, 1, 2, 3])
    shuffled = list(batches(m, v, batch_size=3, rng=np.random.default_rng(0)))
    for mb, vb in shuffled:
        assert isinstance(mb, Mat) and isinstance(vb, Vec)
        np.testing.assert_array_equal(mb.array[:, 0] * 5, vb.array)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros(5), np.zeros(4)), {"batch_size": 2}, ShapeError, "got lengths 5, 4"),
        ((Mat(np.zeros((3, 2))), Vec([1.0, 2.0])), {"batch_size": 1}, ShapeError, "3, 2"),
        ((np.zeros(3), np.float64(1.0)), {"batch_size": 1}, ShapeError, "array 1 is a scalar"),
        ((np.zeros(3),), {"batch_size": 0}, ValueError, "batch_size >= 1, got 0"),
        ((np.zeros(3),), {"batch_size": 2.0}, ValueError, "integer batch_size >= 1, got 2.0"),
        ((np.zeros(3),), {"batch_size": True}, ValueError, "integer batch_size"),
        ((), {"batch_size": 2}, ValueError, "at least one array"),
        ((np.zeros(3),), {"batch_size": 1, "rng": 0}, TypeError, "got int"),
    ],
)
def test_bad_arguments_raise_when_called(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Errors come at the call (before any batch is read), saying what was expected."""
    with pytest.raises(error, match=message):
        batches(*args, **kwargs)
