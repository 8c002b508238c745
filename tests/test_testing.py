"""check_grad catches wrong first and second derivatives; assert_allclose/allclose compare
whole values and say where they differ; the strategies make what they say."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import auto
from typedprop._core import deep_value
from typedprop.functions import cos, exp, sin, sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.testing import (
    allclose,
    arrays,
    assert_allclose,
    check_grad,
    mats,
    nested,
    nonzero_floats,
    records,
    shapes,
    vecs,
    well_floats,
)

Array = NDArray[np.float64]


def test_check_grad_accepts_correct_rules() -> None:
    """Correct gradients pass at orders 1 and 2, on numbers, arrays and containers."""
    check_grad(lambda x: sin(x) * x, 0.3)
    check_grad(lambda x: sum_elements(exp(x) * x), np.linspace(-1, 1, 4))
    check_grad(lambda p: p["a"] * sum_elements(p["b"] ** 2.0), {"a": 1.5, "b": np.ones(2)})
    check_grad(lambda x, y: x * y, np.ones((2, 2)), 3.0)


def test_check_grad_rejects_a_wrong_first_derivative() -> None:
    """A pullback off by a factor fails at order 1."""

    @tp.op1
    def bad_square(x: Any) -> tuple[Any, Any]:
        return x * x, lambda g: 3.0 * x * g

    with pytest.raises(tp.GradientCheckError, match="the gradient disagrees"):
        check_grad(bad_square, 1.2, order=1)


def test_check_grad_rejects_a_wrong_second_derivative() -> None:
    """A pullback that is right but treats cos(x) as a constant fails only at order 2."""

    @tp.op1
    def sin_first_order_only(x: Any) -> tuple[Any, Any]:
        return sin(x), lambda g: g * auto(np.cos(deep_value(x)))

    check_grad(sin_first_order_only, 0.7, order=1)
    with pytest.raises(tp.GradientCheckError, match="derivative of order 2"):
        check_grad(sin_first_order_only, 0.7, order=2)


def test_check_grad_handles_vector_outputs() -> None:
    """Non-scalar outputs are checked through a random output weighting."""
    check_grad(lambda x: cos(x) * 2.0, np.array([0.1, 0.2, 0.3]))


def test_check_grad_ignores_integer_inputs() -> None:
    """Integer inputs are not perturbed (they have no tangent direction)."""
    check_grad(lambda x, n: x * n, 1.5, 3)


@given(arrays())
def test_arrays_are_finite_float64(a: Array) -> None:
    """arrays() makes float64 arrays with finite, moderate values."""
    assert a.dtype == np.float64 and np.all(np.abs(a) <= 3.0)


@given(shapes(min_dims=1, max_dims=3, max_side=4))
def test_shapes_respect_bounds(shape: tuple[int, ...]) -> None:
    """shapes() gives 1..3 axes of length 1..4."""
    assert 1 <= len(shape) <= 3 and all(1 <= n <= 4 for n in shape)


@given(nonzero_floats(margin=0.1), well_floats(-1.0, 1.0))
def test_float_strategies_respect_bounds(x: float, y: float) -> None:
    """nonzero_floats stays away from zero; well_floats stays in range."""
    assert 0.1 <= abs(x) <= 3.0 and -1.0 <= y <= 1.0


@given(nested())
def test_nested_values_have_backprop_instances(x: Any) -> None:
    """Every nested() value can be zeroed, so it can be an input."""
    tp.zero(x)


@given(vecs(3), mats(2, 4), vecs())
def test_vec_and_mat_strategies_have_their_dimensions(v: Any, m: Any, w: Any) -> None:
    """vecs(n) and mats(m, n) make Vec and Mat of those dimensions (1..6 when unspecified)."""
    assert isinstance(v, Vec) and v.shape == (3,) and isinstance(m, Mat) and m.shape == (2, 4)
    assert 1 <= len(w) <= 6


@tp.model
class Layer:
    weight: Mat[3, 4]
    bias: Vec[3]
    scale: float
    width: int = tp.static(default=7)


@tp.model
class TwoLayers:
    first: Layer
    second: Layer


@given(records(TwoLayers))
def test_records_strategy_builds_valid_records(net: TwoLayers) -> None:
    """records(cls) draws records whose fields have their declared shapes; statics default."""
    assert net.first.weight.shape == (3, 4) and net.second.bias.shape == (3,)
    assert net.first.width == 7
    check_grad(lambda n: sum_elements((n ^ TwoLayers.first ^ Layer.weight) * 2.0), net, order=1)


# --- assert_allclose / allclose ---


@tp.model
class Hidden:
    weight: Mat[5, 6]
    bias: Vec[5]


@tp.model
class Net:
    hidden: Hidden
    out: NDArray[np.float32]
    scale: float
    name: str = tp.static(default="net")


def make_net(seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)
    return Net(
        Hidden(Mat(rng.normal(size=(5, 6))), Vec(rng.normal(size=5))),
        rng.normal(size=(2, 3)).astype(np.float32),
        0.5,
    )


def test_assert_allclose_names_the_first_differing_field_and_index() -> None:
    """A change at hidden.weight[3, 4] is reported there, with both values and the count."""
    a = make_net()
    w = a.hidden.weight.array.copy()
    w[3, 4] += 0.1
    w[4, 0] += 0.1
    b = Net(Hidden(Mat(w), a.hidden.bias), a.out, a.scale)
    x, y = float(a.hidden.weight.array[3, 4]), float(w[3, 4])
    expected = f"hidden.weight[3, 4]: {x!r} != {y!r} (rtol=1e-05, atol=1e-08; 2 of 30 numbers"
    with pytest.raises(AssertionError) as e:
        assert_allclose(a, b)
    assert str(e.value).startswith(expected)
    assert not allclose(a, b) and not tp.allclose(a, b)
    assert allclose(a, b, atol=0.11) and tp.allclose(a, b, atol=0.11)
    assert_allclose(a, b, atol=0.11)


def test_close_values_pass_and_tolerances_are_numpys() -> None:
    """Equal up to rtol * |b| + atol passes; a float32 field compares with its own numbers."""
    a = make_net()
    b = Net(
        Hidden(a.hidden.weight * (1 + 1e-7), a.hidden.bias),
        a.out + np.float32(1e-7),
        a.scale,
    )
    assert_allclose(a, b)
    assert allclose(a, a) and allclose(0.0, 1e-9) and not allclose(0.0, 1e-7)
    assert allclose(1.0, 1.1, rtol=0.1) and not allclose(1.0, 1.1, rtol=0.05)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (Vec([1.0, 2.0]), np.array([1.0, 2.0]), "value: Vec != ndarray of shape (2,)"),
        (Vec([1.0, 2.0]), Vec([1.0, 2.0, 3.0]), "value: shape (2,) != (3,)"),
        ([1.0, 2.0], [1.0], "value: length 2 != 1"),
        ([1.0, 2.0], (1.0, 2.0), "value: list != tuple"),
        ({"a": 1.0}, {"b": 1.0}, "value: keys ['a'] != ['b']"),
        ({"a": [np.zeros(2), 3.0]}, {"a": [np.zeros(2), 4.0]}, "['a'][1]: 3.0 != 4.0 (rtol"),
        ((np.zeros((2, 2)),), (np.ones((2, 2)),), "[0][0, 0]: 0.0 != 1.0"),
        (np.array(["x"]), np.array(["y"]), "value: array(['x'], dtype='<U1') != array(['y']"),
        (np.float32(1.0), np.float32(2.0), "value: 1.0 != 2.0 (rtol=1e-05, atol=1e-08)"),
        (float("nan"), float("nan"), "value: nan != nan"),
    ],
)
def test_differences_of_structure_are_named(a: Any, b: Any, message: str) -> None:
    """Types, shapes, lengths, keys and non-numbers are reported at their path."""
    with pytest.raises(AssertionError) as e:
        assert_allclose(a, b)
    assert str(e.value).startswith(message)
    assert not allclose(a, b)


def test_statics_and_records_of_other_classes_differ() -> None:
    """A static field compares by equality; a record of another class is another type."""
    a = make_net()
    with pytest.raises(AssertionError, match=r"^name: 'net' != 'other'$"):
        assert_allclose(a, Net(a.hidden, a.out, a.scale, name="other"))
    with pytest.raises(AssertionError, match=r"^value: Net != Hidden$"):
        assert_allclose(a, a.hidden)


def test_nan_is_close_to_nan_when_asked() -> None:
    """equal_nan=True makes NaN equal to NaN, as in numpy."""
    assert allclose(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), equal_nan=True)
    assert_allclose(float("nan"), float("nan"), equal_nan=True)


@given(nested())
def test_every_value_is_close_to_itself_and_not_to_a_shifted_copy(x: Any) -> None:
    """Any nested container of arrays and floats: close to itself, not to itself + 1."""
    assert allclose(x, x)
    shifted = tp.add(x, tp.one(x))
    assert not allclose(x, shifted)
