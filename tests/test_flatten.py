"""flatten: a value's float numbers as one vector, and the inverse that rebuilds its shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import model, static
from typedprop.functions import sum_elements
from typedprop.testing import nested

from .trees import same

Array = NDArray[np.float64]


@model
class Layer:
    weight: Array
    bias: Array
    size: int = static(default=2)


@given(nested())
def test_unflatten_of_flatten_is_the_identity(x: Any) -> None:
    """unflatten(flatten(x)[0]) == x for nested containers of floats and arrays."""
    vector, unflatten = tp.flatten(x)
    assert vector.ndim == 1
    assert same(unflatten(vector), x)


def test_records_flatten_their_differentiable_fields() -> None:
    """A record's vector holds its arrays in field order; statics are carried."""
    layer = Layer(np.arange(4.0).reshape(2, 2), np.array([10.0, 20.0]), size=7)
    vector, unflatten = tp.flatten(layer)
    np.testing.assert_array_equal(vector, [0.0, 1.0, 2.0, 3.0, 10.0, 20.0])
    back = unflatten(vector * 2.0)
    assert isinstance(back, Layer) and back.size == 7
    np.testing.assert_array_equal(back.bias, [20.0, 40.0])


def test_flatten_bridges_gradients_to_a_flat_optimizer() -> None:
    """The flattened gradient is the gradient of the function of the flat vector."""
    layer = Layer(np.ones((2, 2)), np.zeros(2))
    vector, _ = tp.flatten(layer)

    def loss(lay: Any) -> Any:
        return sum_elements((lay ^ Layer.weight) * 3.0) + sum_elements(lay ^ Layer.bias)

    grad_record = tp.grad_bp(loss, layer)
    flat_grad, _ = tp.flatten(grad_record)
    np.testing.assert_array_equal(flat_grad, [3.0, 3.0, 3.0, 3.0, 1.0, 1.0])
    assert flat_grad.shape == vector.shape


def test_unflatten_checks_the_size() -> None:
    """A vector of the wrong length raises ShapeError naming both sizes."""
    _, unflatten = tp.flatten((1.0, np.ones(3)))
    with pytest.raises(tp.ShapeError, match=r"shape \(4,\).*shape \(5,\)"):
        unflatten(np.ones(5))


def test_unflatten_keeps_each_leafs_dtype() -> None:
    """float32 and float16 leaves (arrays and numpy scalars) come back in their own precision,
    though the flat vector is float64."""
    x: dict[str, Any] = {
        "a": np.ones((2, 2), np.float32),
        "b": np.float32(2.0),
        "c": np.arange(3.0),
        "d": np.array(1.5, np.float16),
    }
    v, unflatten = tp.flatten(x)
    assert v.dtype == np.float64
    y = unflatten(v * 2)
    assert {k: np.asarray(val).dtype for k, val in y.items()} == {
        k: np.asarray(val).dtype for k, val in x.items()
    }
    assert type(y["b"]) is np.float32
    np.testing.assert_array_equal(y["a"], 2 * x["a"])
