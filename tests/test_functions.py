"""Property tests for ``typedprop.functions``: values against numpy, gradients against finite
differences (first and second order, ``check_grad``) and against closed forms, error cases, and
numerical robustness for large inputs."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

import typedprop.functions as fn
from typedprop import (
    BVar,
    NoGradientError,
    ShapeError,
    backprop,
    backprop_with,
    eval_bp,
    eval_bp2,
    grad_bp,
    grad_bp2,
)
from typedprop.linalg import Mat, Vec
from typedprop.testing import (
    arrays,
    check_grad,
    nonzero_floats,
    operands,
    operands_like,
    shapes,
    well_floats,
)

Array = NDArray[np.float64]
Draw = Callable[[SearchStrategy[Any]], Any]
Fn = Callable[[Any], Any]


# --- strategies ---


@st.composite
def same_shape_pairs(
    draw: st.DrawFn,
    first: SearchStrategy[float] | None = None,
    second: SearchStrategy[float] | None = None,
    min_dims: int = 1,
    max_dims: int = 2,
) -> tuple[Any, Any]:
    """Two arrays of one random shape (or two floats when ``min_dims == 0``)."""
    x = draw(operands(first, min_dims, max_dims))
    return x, draw(operands_like(x, second))


@st.composite
def one_hot_rows(draw: st.DrawFn, min_dims: int = 1, max_dims: int = 2) -> tuple[Array, Array]:
    """Logits of a random shape and one-hot targets of that shape (one hot per row)."""
    y: Array = draw(arrays(shapes(min_dims, max_dims)))
    n = y.shape[-1]
    rows = int(np.prod(y.shape[:-1]))
    hot = draw(st.lists(st.integers(0, n - 1), min_size=rows, max_size=rows))
    t = np.eye(n)[hot].reshape(y.shape)
    return y, t


# --- reference implementations ---


def ref_logistic(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def ref_softmax(x: Array) -> Array:
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)  # type: ignore[no-any-return]


def ref_log_softmax(x: Array) -> Array:
    return x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))  # type: ignore[no-any-return]


# name: (function, numpy's value, closed-form derivative, inputs where both are well-behaved)
ELEMENTWISE: dict[str, tuple[Fn, Fn, Fn, SearchStrategy[float]]] = {
    "exp": (fn.exp, np.exp, np.exp, well_floats()),
    "log": (fn.log, np.log, lambda x: 1.0 / x, well_floats(0.1, 5.0)),
    "sqrt": (fn.sqrt, np.sqrt, lambda x: 0.5 / np.sqrt(x), well_floats(0.1, 5.0)),
    "sin": (fn.sin, np.sin, np.cos, well_floats()),
    "cos": (fn.cos, np.cos, lambda x: -np.sin(x), well_floats()),
    "tan": (fn.tan, np.tan, lambda x: 1.0 / np.cos(x) ** 2, well_floats(-1.2, 1.2)),
    "tanh": (fn.tanh, np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, well_floats()),
    "sinh": (fn.sinh, np.sinh, np.cosh, well_floats()),
    "cosh": (fn.cosh, np.cosh, np.sinh, well_floats()),
    "logistic": (
        fn.logistic,
        ref_logistic,
        lambda x: ref_logistic(x) * (1.0 - ref_logistic(x)),
        well_floats(),
    ),
    "relu": (
        fn.relu,
        lambda x: np.maximum(x, 0.0),
        lambda x: np.where(np.asarray(x) > 0, 1.0, 0.0),
        nonzero_floats(),
    ),
    "softplus": (fn.softplus, lambda x: np.log1p(np.exp(x)), ref_logistic, well_floats()),
    "asin": (fn.asin, np.arcsin, lambda x: 1.0 / np.sqrt(1.0 - x * x), well_floats(-0.9, 0.9)),
    "acos": (fn.acos, np.arccos, lambda x: -1.0 / np.sqrt(1.0 - x * x), well_floats(-0.9, 0.9)),
    "atan": (fn.atan, np.arctan, lambda x: 1.0 / (1.0 + x * x), well_floats()),
    "asinh": (fn.asinh, np.arcsinh, lambda x: 1.0 / np.sqrt(x * x + 1.0), well_floats()),
    "acosh": (fn.acosh, np.arccosh, lambda x: 1.0 / np.sqrt(x * x - 1.0), well_floats(1.1, 4.0)),
    "atanh": (fn.atanh, np.arctanh, lambda x: 1.0 / (1.0 - x * x), well_floats(-0.9, 0.9)),
    "sign": (fn.sign, np.sign, lambda x: np.zeros(np.shape(x)), nonzero_floats()),
}
NAMES = sorted(ELEMENTWISE)


# --- elementwise functions ---


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_elementwise_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    """First and second derivatives of each elementwise function (alone, and with an
    input-dependent output gradient) agree with central finite differences."""
    f, _, _, elements = ELEMENTWISE[name]
    x = data.draw(operands(elements))
    check_grad(f, x, order=2)
    check_grad(lambda v: f(v) * v, x, order=2)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_elementwise_values_match_numpy(name: str, data: st.DataObject) -> None:
    """On plain floats and arrays each function is numpy's computation (a plain value of the
    same shape), and eval_bp on a BVar gives exactly the plain value."""
    f, ref, _, elements = ELEMENTWISE[name]
    x = data.draw(operands(elements))
    y = f(x)
    assert not isinstance(y, BVar)
    assert np.shape(y) == np.shape(x)
    np.testing.assert_allclose(y, ref(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(eval_bp(f, x), y)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_elementwise_gradients_match_closed_form(name: str, data: st.DataObject) -> None:
    """grad of sum(f(x)) is f'(x) (e.g. exp for exp), and the pullback of weights w is
    w * f'(x), with x's shape."""
    f, _, df, elements = ELEMENTWISE[name]
    x = data.draw(operands(elements))
    g = grad_bp(lambda v: fn.sum_elements(f(v)), x)
    assert np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, df(x), rtol=1e-12, atol=1e-15)
    w = data.draw(operands_like(x))
    _, pullback = backprop_with(f, x)
    np.testing.assert_allclose(pullback(w), w * df(x), rtol=1e-12, atol=1e-15)


def test_relu_derivative_at_zero_is_zero() -> None:
    """relu's derivative is 0 at 0 itself (as documented), 1 above and 0 below."""
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(grad_bp(lambda v: fn.sum_elements(fn.relu(v)), x), [0, 0, 1])
    assert grad_bp(fn.relu, 0.0) == 0.0


# --- reductions ---

REDUCTIONS: dict[str, tuple[Fn, Fn]] = {
    "sum_elements": (fn.sum_elements, np.sum),
    "mean": (fn.mean, np.mean),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(x=operands(max_dims=3))
def test_reduction_gradients_match_finite_differences(name: str, x: Any) -> None:
    """First and second derivatives of sum_elements and mean (alone, and under a nonlinearity
    so their output gradient depends on x) agree with finite differences."""
    f, _ = REDUCTIONS[name]
    check_grad(f, x, order=2)
    check_grad(lambda v: fn.sin(f(v * v)), x, order=2)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(x=operands(max_dims=3))
def test_reduction_values_match_numpy(name: str, x: Any) -> None:
    """sum_elements and mean of floats and arrays are np.sum and np.mean, single numbers, and
    eval_bp on a BVar gives the same number."""
    f, ref = REDUCTIONS[name]
    y = f(x)
    assert np.shape(y) == ()
    np.testing.assert_allclose(y, ref(x), rtol=1e-12, atol=1e-12)
    assert eval_bp(f, x) == y


@given(x=operands(max_dims=3))
def test_sum_elements_gradient_is_ones(x: Any) -> None:
    """The gradient of sum_elements is 1 in every position, shaped like its input."""
    g = grad_bp(fn.sum_elements, x)
    assert np.shape(g) == np.shape(x)
    np.testing.assert_array_equal(g, np.ones(np.shape(x)))


@given(x=operands(max_dims=3))
def test_mean_gradient_is_one_over_size(x: Any) -> None:
    """The gradient of mean is 1 / size in every position, shaped like its input."""
    g = grad_bp(fn.mean, x)
    assert np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, np.full(np.shape(x), 1.0 / np.size(x)), rtol=1e-15)


def summed(f: Fn) -> Fn:
    """The function v -> sum_elements(f(v))."""
    return lambda v: fn.sum_elements(f(v))


def test_gradients_have_the_input_type() -> None:
    """grad_bp gives "a value of x's type" through every function: a float for a float, an
    ndarray for an array, 0-d arrays included."""
    wrong = []
    for name, (f, *_) in ELEMENTWISE.items():
        for x in (0.5, np.array(0.5), np.array([0.5, 1.5])):
            with np.errstate(invalid="ignore"):  # asin(1.5), acosh(0.5): nan, of the type
                g = grad_bp(summed(f), x)
            if not isinstance(g, type(x)):
                wrong.append(f"{name}: the gradient at {x!r} is {g!r}")
    for name, (f, _) in REDUCTIONS.items():
        for x in (0.5, np.array(0.5), np.array([0.5, 1.5])):
            g = grad_bp(f, x)
            if not isinstance(g, type(x)):
                wrong.append(f"{name}: the gradient at {x!r} is {g!r}")
    assert not wrong, "\n".join(wrong)


# --- softmax and log_softmax ---

SOFTMAXES: dict[str, tuple[Fn, Fn]] = {
    "softmax": (fn.softmax, ref_softmax),
    "log_softmax": (fn.log_softmax, ref_log_softmax),
}


@pytest.mark.parametrize("name", sorted(SOFTMAXES))
@given(x=arrays(shapes(1, 3)))
def test_softmax_gradients_match_finite_differences(name: str, x: Array) -> None:
    """First and second derivatives of softmax and log_softmax (vectors and batches, alone and
    with an input-dependent output gradient) agree with finite differences."""
    f, _ = SOFTMAXES[name]
    check_grad(f, x, order=2)
    check_grad(lambda v: f(v) * v, x, order=2)


@pytest.mark.parametrize("name", sorted(SOFTMAXES))
@given(x=arrays(shapes(1, 3)))
def test_softmax_values_match_direct_formula(name: str, x: Array) -> None:
    """softmax is exp(x) / sum(exp(x)) and log_softmax is x - log(sum(exp(x))) along the last
    axis, row by row; eval_bp on a BVar gives exactly the plain value."""
    f, ref = SOFTMAXES[name]
    y = f(x)
    assert not isinstance(y, BVar)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, ref(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(eval_bp(f, x), y)


@given(x=arrays(shapes(1, 3)))
def test_softmax_rows_are_distributions(x: Array) -> None:
    """Each row of softmax is positive and sums to 1; exp(log_softmax) is softmax."""
    s = fn.softmax(x)
    assert np.all(s > 0)
    np.testing.assert_allclose(np.sum(s, axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.exp(fn.log_softmax(x)), s, rtol=1e-13)


@given(xw=same_shape_pairs(max_dims=3))
def test_softmax_gradient_matches_closed_form(xw: tuple[Array, Array]) -> None:
    """The gradient of sum(w * softmax(x)) is s * (w - sum(w * s)) row by row."""
    x, w = xw
    s = ref_softmax(x)
    g = grad_bp(lambda v: fn.sum_elements(w * fn.softmax(v)), x)
    expected = s * (w - np.sum(w * s, axis=-1, keepdims=True))
    np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-13)


@given(xw=same_shape_pairs(max_dims=3))
def test_log_softmax_gradient_matches_closed_form(xw: tuple[Array, Array]) -> None:
    """The gradient of sum(w * log_softmax(x)) is w - softmax(x) * sum(w) row by row."""
    x, w = xw
    g = grad_bp(lambda v: fn.sum_elements(w * fn.log_softmax(v)), x)
    expected = w - ref_softmax(x) * np.sum(w, axis=-1, keepdims=True)
    np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-13)


# --- cross_entropy ---


@given(yt=same_shape_pairs())
def test_cross_entropy_gradients_match_finite_differences(yt: tuple[Array, Array]) -> None:
    """First and second derivatives of cross_entropy in both the logits and the target (any
    real targets, vectors and batches) agree with finite differences."""
    y, t = yt
    check_grad(fn.cross_entropy, y, t, order=2)
    check_grad(lambda a, b: fn.cross_entropy(a * a, b) * fn.sum_elements(b), y, t, order=2)


@given(yt=same_shape_pairs())
def test_cross_entropy_value_matches_log_softmax(yt: tuple[Array, Array]) -> None:
    """cross_entropy(y, t) is -sum(t * log_softmax(y)) summed over all rows, a single number;
    eval_bp2 on BVars gives exactly the plain value."""
    y, t = yt
    ce = fn.cross_entropy(y, t)
    assert np.shape(ce) == ()
    np.testing.assert_allclose(ce, -np.sum(t * ref_log_softmax(y)), rtol=1e-10, atol=1e-12)
    assert eval_bp2(fn.cross_entropy, y, t) == ce
    assert eval_bp(lambda v: fn.cross_entropy(v, t), y) == ce


@given(yt=one_hot_rows())
def test_cross_entropy_gradient_for_one_hot_targets(yt: tuple[Array, Array]) -> None:
    """For one-hot targets the logits' gradient is softmax(y) - t, for each row of a batch."""
    y, t = yt
    g = grad_bp(lambda v: fn.cross_entropy(v, t), y)
    assert g.shape == y.shape
    np.testing.assert_allclose(g, ref_softmax(y) - t, rtol=1e-12, atol=1e-14)


@given(yt=same_shape_pairs())
def test_cross_entropy_gradients_match_closed_form(yt: tuple[Array, Array]) -> None:
    """For any targets the logits' gradient is softmax(y) * sum(t) - t per row, and the
    target's gradient is -log_softmax(y)."""
    y, t = yt
    gy, gt = grad_bp2(fn.cross_entropy, y, t)
    expected = ref_softmax(y) * np.sum(t, axis=-1, keepdims=True) - t
    np.testing.assert_allclose(gy, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gt, -ref_log_softmax(y), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(grad_bp(lambda b: fn.cross_entropy(y, b), t), gt)
    np.testing.assert_array_equal(grad_bp(lambda a: fn.cross_entropy(a, t), y), gy)


# --- errors ---

LAST_AXIS: dict[str, Fn] = {
    "softmax": fn.softmax,
    "log_softmax": fn.log_softmax,
    "cross_entropy": lambda x: fn.cross_entropy(x, x),
}


@pytest.mark.parametrize("name", sorted(LAST_AXIS))
@pytest.mark.parametrize("x", [2.0, np.array(2.0)], ids=["float", "0d-array"])
def test_last_axis_functions_reject_numbers(name: str, x: Any) -> None:
    """softmax, log_softmax and cross_entropy of a number (plain, 0-d, or a BVar of one) raise
    ShapeError naming the function."""
    f = LAST_AXIS[name]
    with pytest.raises(ShapeError, match=rf"^{name}: .*got a number"):
        f(x)
    with pytest.raises(ShapeError, match=rf"^{name}: .*got a number"):
        grad_bp(lambda v: fn.sum_elements(f(v)), x)


@given(data=st.data())
def test_cross_entropy_mismatched_shapes_name_both(data: st.DataObject) -> None:
    """cross_entropy of logits and targets of different shapes raises ShapeError naming both
    shapes, on plain arrays and on BVars."""
    sl = data.draw(shapes(1, 2))
    st_ = data.draw(shapes(0, 2))
    assume(sl != st_)
    y, t = np.zeros(sl), np.zeros(st_)
    pattern = rf"logits of shape {re.escape(str(sl))} and target of shape {re.escape(str(st_))}"
    with pytest.raises(ShapeError, match=pattern):
        fn.cross_entropy(y, t)
    with pytest.raises(ShapeError, match=pattern):
        grad_bp2(fn.cross_entropy, y, t)


def test_cross_entropy_mismatch_example() -> None:
    """The concrete message for (2, 3) logits against (3,) targets names (2, 3) and (3,)."""
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(3,\)"):
        fn.cross_entropy(np.zeros((2, 3)), np.zeros(3))


# --- numerical robustness ---


@given(x=arrays(shapes(1, 2), well_floats(-1000.0, 1000.0)))
def test_softmax_family_is_finite_for_large_logits(x: Array) -> None:
    """softmax, log_softmax and cross_entropy of logits up to +-1000 give finite values and
    finite gradients (no overflow warnings: pytest turns warnings into errors)."""
    for f in (fn.softmax, fn.log_softmax):
        assert np.all(np.isfinite(f(x)))

        def loss(v: BVar[Array], f: Fn = f) -> BVar[float]:
            y: BVar[Array] = f(v)
            return fn.sum_elements(y * x)

        assert np.all(np.isfinite(grad_bp(loss, x)))
    t = ref_softmax(np.zeros(x.shape))
    assert np.isfinite(fn.cross_entropy(x, t))
    gy, gt = grad_bp2(fn.cross_entropy, x, t)
    assert np.all(np.isfinite(gy))
    assert np.all(np.isfinite(gt))


@given(x=arrays(shapes(1, 2)))
def test_softmax_is_shift_invariant_at_1000(x: Array) -> None:
    """Adding 1000 to every logit leaves softmax and its gradient unchanged (computed stably)."""
    w = np.cos(np.arange(x.size)).reshape(x.shape)
    np.testing.assert_allclose(fn.softmax(x + 1000.0), fn.softmax(x), rtol=1e-10, atol=1e-15)

    def loss(v: BVar[Array]) -> BVar[float]:
        return fn.sum_elements(fn.softmax(v) * w)

    np.testing.assert_allclose(grad_bp(loss, x + 1000.0), grad_bp(loss, x), atol=1e-10)


def test_large_logits_example() -> None:
    """Logits [1000, 0, -1000] with target class 0: loss 0, gradient softmax - t = 0; with
    target class 2: loss 2000, gradient [1, 0, -1]."""
    y = np.array([1000.0, 0.0, -1000.0])
    np.testing.assert_array_equal(fn.softmax(y), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(fn.log_softmax(y), [0.0, -1000.0, -2000.0])
    first, last = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    assert fn.cross_entropy(y, first) == 0.0
    np.testing.assert_array_equal(grad_bp(lambda v: fn.cross_entropy(v, first), y), [0, 0, 0])
    assert fn.cross_entropy(y, last) == 2000.0
    np.testing.assert_array_equal(grad_bp(lambda v: fn.cross_entropy(v, last), y), [1, 0, -1])


@given(sign=st.sampled_from([-1.0, 1.0]), shape=shapes(0, 2))
def test_logistic_and_softplus_are_finite_at_1000(sign: float, shape: tuple[int, ...]) -> None:
    """logistic(+-1000) is exactly 1 or 0 with derivative 0, and softplus(+-1000) is 1000 or 0
    with derivative 1 or 0: finite values and gradients, no overflow."""
    x = np.full(shape, sign * 1000.0)
    big = sign > 0
    np.testing.assert_array_equal(fn.logistic(x), np.full(shape, 1.0 if big else 0.0))
    np.testing.assert_array_equal(grad_bp(lambda v: fn.sum_elements(fn.logistic(v)), x), 0.0)
    np.testing.assert_array_equal(fn.softplus(x), np.full(shape, 1000.0 if big else 0.0))
    g = grad_bp(lambda v: fn.sum_elements(fn.softplus(v)), x)
    np.testing.assert_array_equal(g, np.full(shape, 1.0 if big else 0.0))
    assert fn.logistic(sign * 1000.0) == (1.0 if big else 0.0)
    assert grad_bp(fn.logistic, sign * 1000.0) == 0.0


def _exact_logistic(x: float) -> float:
    """1 / (1 + exp(-x)) in 50-digit decimal arithmetic."""
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        return float(1 / (1 + (-decimal.Decimal(x)).exp()))


@given(st.one_of(well_floats(-700.0, 700.0), st.sampled_from([-31.4, -37.5, -40.0, -700.0])))
def test_logistic_is_accurate_on_the_whole_line(x: float) -> None:
    """Relative error within a few ulps everywhere, also far below 0 where 0.5 tanh(x/2) + 0.5
    cancels (7e-4 at -31.4, exactly 0 below -37), for floats, arrays and second derivatives."""
    exact = _exact_logistic(x)
    assert abs(fn.logistic(x) - exact) <= 4e-16 * exact
    assert abs(fn.logistic(np.array([x, 0.0]))[0] - exact) <= 4e-16 * exact
    g = grad_bp(fn.softplus, x)
    assert abs(g - exact) <= 4e-16 * exact


def test_log_of_logistic_far_below_zero() -> None:
    """log(logistic(-40)) is -40 with gradient 1 (it was -inf with a NaN gradient)."""
    value, g = backprop(lambda v: fn.log(fn.logistic(v)), -40.0)
    assert value == pytest.approx(-40.0, rel=1e-15)
    assert g == pytest.approx(1.0, rel=1e-15)
    check_grad(fn.logistic, np.array([-40.0, -3.0, 0.0, 2.0]), order=2)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cross_entropy"])
def test_an_empty_last_axis_is_a_shape_error(name: str) -> None:
    """Rows of no classes (shape (3, 0)) raise ShapeError naming the function, not numpy's
    'zero-size array to reduction' error."""
    x = np.zeros((3, 0))
    f = {
        "softmax": fn.softmax,
        "log_softmax": fn.log_softmax,
        "cross_entropy": lambda v: fn.cross_entropy(v, x),
    }[name]
    with pytest.raises(ShapeError, match=rf"^{name}: the last axis of shape \(3, 0\)"):
        f(x)


# --- domain edges of the inverse functions ---

# (function, x, numpy's value, the derivative there)
EDGES = [
    (fn.asin, 1.0, np.pi / 2, np.inf),
    (fn.asin, -1.0, -np.pi / 2, np.inf),
    (fn.asin, 2.0, np.nan, np.nan),
    (fn.acos, 1.0, 0.0, -np.inf),
    (fn.acos, -1.5, np.nan, np.nan),
    (fn.acosh, 1.0, 0.0, np.inf),
    (fn.acosh, 0.5, np.nan, np.nan),
    (fn.atanh, 1.0, np.inf, np.inf),
    (fn.atanh, -1.0, -np.inf, np.inf),
    (fn.atanh, 2.0, np.nan, -1.0 / 3.0),
]


@pytest.mark.parametrize(("f", "x", "value", "slope"), EDGES)
def test_inverse_functions_give_numpys_inf_and_nan_at_domain_edges(
    f: Fn, x: float, value: float, slope: float
) -> None:
    """At and beyond the edges of their domains the inverse functions and their gradients are
    numpy's inf/nan (with numpy's warning), for floats and arrays, never a Python exception."""
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(f(x), value)
        np.testing.assert_array_equal(f(np.array([x, x])), [value, value])
        np.testing.assert_array_equal(grad_bp(f, x), slope)
        np.testing.assert_array_equal(grad_bp(summed(f), np.array([x])), [slope])
    with pytest.warns(RuntimeWarning):
        f(x) if np.isnan(value) or np.isinf(value) else grad_bp(f, x)


# --- log_base ---


@given(bx=same_shape_pairs(well_floats(1.5, 5.0), well_floats(0.2, 5.0), min_dims=0))
def test_log_base_gradients_match_finite_differences(bx: tuple[Any, Any]) -> None:
    """log_base is differentiable in both the base and the argument, to second order, and its
    value is log(x) / log(b)."""
    b, x = bx
    check_grad(fn.log_base, b, x, order=2)
    check_grad(lambda v: fn.log_base(2.0, v), x, order=2)
    check_grad(lambda v: fn.log_base(v, 3.0), b, order=2)
    np.testing.assert_allclose(fn.log_base(b, x), np.log(x) / np.log(b), rtol=1e-12)
    np.testing.assert_allclose(eval_bp2(fn.log_base, b, x), np.log(x) / np.log(b), rtol=1e-12)


def test_log_base_example() -> None:
    """log_base(2, 8) is 3; d/dx is 1 / (x ln 2), d/db is -log_b(x) / (b ln b)."""
    assert fn.log_base(2.0, 8.0) == pytest.approx(3.0)
    gb, gx = grad_bp2(fn.log_base, 2.0, 8.0)
    assert gx == pytest.approx(1.0 / (8.0 * np.log(2.0)))
    assert gb == pytest.approx(-3.0 / (2.0 * np.log(2.0)))


# --- logsumexp ---


@st.composite
def arrays_and_axes(
    draw: st.DrawFn, elements: SearchStrategy[float] | None = None, max_dims: int = 3
) -> tuple[Array, int | None]:
    """An array of 1..``max_dims`` axes and one of its axes (negative or not) or None."""
    x: Array = draw(arrays(shapes(1, max_dims), elements))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return x, axis


@given(xa=arrays_and_axes())
def test_logsumexp_gradients_match_finite_differences(xa: tuple[Array, int | None]) -> None:
    """logsumexp along any axis (or all) has first and second derivatives that agree with
    finite differences."""
    x, axis = xa
    check_grad(lambda v: fn.logsumexp(v, axis=axis), x, order=2)
    check_grad(lambda v: fn.sin(fn.logsumexp(v * v, axis=axis)), x, order=2)


@given(xa=arrays_and_axes())
def test_logsumexp_is_the_direct_formula_and_its_gradient_softmax(
    xa: tuple[Array, int | None],
) -> None:
    """On moderate inputs logsumexp is log(sum(exp(x))), and the gradient of its sum is the
    softmax along the axis."""
    x, axis = xa
    ref = np.log(np.sum(np.exp(x), axis=axis))
    np.testing.assert_allclose(fn.logsumexp(x, axis=axis), ref, rtol=1e-12, atol=1e-15)
    g = grad_bp(lambda v: fn.sum_elements(fn.logsumexp(v, axis=axis)), x)
    e = np.exp(x)
    np.testing.assert_allclose(g, e / np.sum(e, axis=axis, keepdims=True), rtol=1e-12)
    if axis in (-1, x.ndim - 1):
        np.testing.assert_allclose(g, fn.softmax(x), rtol=1e-12)


@given(x=arrays(shapes(1, 2), well_floats(-1000.0, 1000.0)), shift=st.sampled_from([1e3, 7e2]))
def test_logsumexp_does_not_overflow(x: Array, shift: float) -> None:
    """Large inputs (where exp overflows) give a finite value, shift-equivariant, and a finite
    gradient, the softmax."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = fn.logsumexp(x + shift)
        g = grad_bp(lambda v: fn.sum_elements(fn.logsumexp(v)), x + shift)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(y, fn.logsumexp(x) + shift, rtol=1e-12)
    np.testing.assert_allclose(g, fn.softmax(x), rtol=1e-9, atol=1e-12)


def test_logsumexp_of_infinities() -> None:
    """A row of -inf gives -inf (log 0) and one with +inf gives inf, without warnings."""
    out = fn.logsumexp(np.array([[-np.inf, -np.inf], [1.0, np.inf]]))
    np.testing.assert_array_equal(out, [-np.inf, np.inf])


def test_logsumexp_of_vec_and_mat() -> None:
    """A Vec gives a number, a Mat a Vec per row (or per column with axis=0), and the
    gradients are a Vec and a Mat."""
    v: Vec[Any] = Vec(np.array([1.0, 2.0, 3.0]))
    m: Mat[Any, Any] = Mat(np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 3.0]]))
    assert fn.logsumexp(v) == pytest.approx(np.log(np.sum(np.exp(v.array))))
    rows = fn.logsumexp(m)
    assert isinstance(rows, Vec) and rows.shape == (3,)
    cols = fn.logsumexp(m, axis=0)
    assert isinstance(cols, Vec) and cols.shape == (2,)
    g = grad_bp(fn.logsumexp, v)
    assert isinstance(g, Vec)
    np.testing.assert_allclose(g.array, fn.softmax(v.array), rtol=1e-12)
    gm = grad_bp(lambda x: fn.sum_elements(fn.logsumexp(x, axis=0)), m)
    assert isinstance(gm, Mat)
    check_grad(lambda x: fn.logsumexp(x, axis=0), m, order=2)
    check_grad(fn.logsumexp, v, order=2)


@pytest.mark.parametrize(
    ("x", "axis", "message"),
    [
        (2.0, -1, "got a number; pass axis=None"),
        (np.zeros((2, 3)), 2, "axis 2 does not exist"),
        (np.zeros((2, 0)), -1, "no elements along axis -1"),
        ("abc", -1, "got str"),
    ],
)
def test_logsumexp_rejects_what_has_no_axis(x: Any, axis: int, message: str) -> None:
    """A number with an axis, a missing or empty axis, a string: ShapeError saying so."""
    with pytest.raises(ShapeError, match=re.escape(message)):
        fn.logsumexp(x, axis=axis)


def test_logsumexp_of_a_number_over_all_axes_is_the_number() -> None:
    """logsumexp(x, axis=None) of a number is the number, its derivative 1."""
    assert fn.logsumexp(3.0, axis=None) == 3.0
    assert grad_bp(lambda v: fn.logsumexp(v, axis=None), 3.0) == 1.0


# --- maximum, minimum, product ---

EXTREMA: dict[str, tuple[Fn, Callable[..., Any]]] = {
    "maximum": (fn.maximum, np.max),
    "minimum": (fn.minimum, np.min),
}
REDUCERS: dict[str, Callable[..., Any]] = {
    "maximum": fn.maximum,
    "minimum": fn.minimum,
    "product": fn.product,
}
NP_REDUCERS: dict[str, Callable[..., Any]] = {
    "maximum": np.max,
    "minimum": np.min,
    "product": np.prod,
}


def _separated(x: Array, axis: int | None, gap: float = 1e-3) -> bool:
    """No two elements along the axis closer than ``gap`` (finite differences see no kink)."""
    s = np.sort(x, axis=axis)
    return bool(np.all(np.diff(s, axis=-1 if axis is None else axis) > gap))


@pytest.mark.parametrize("name", sorted(REDUCERS))
@given(xa=arrays_and_axes())
def test_reduction_values_match_numpy_along_axes(name: str, xa: tuple[Array, int | None]) -> None:
    """maximum, minimum and product of arrays along any axis (or all) are numpy's, and
    eval_bp gives the same."""
    x, axis = xa
    f, ref = REDUCERS[name], NP_REDUCERS[name]
    np.testing.assert_allclose(f(x, axis=axis), ref(x, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(eval_bp(lambda v: f(v, axis=axis), x), ref(x, axis=axis))


@pytest.mark.parametrize("name", sorted(REDUCERS))
@given(data=st.data())
def test_reduction_gradients_along_axes_match_finite_differences(
    name: str, data: st.DataObject
) -> None:
    """First and second derivatives of maximum, minimum and product along any axis agree with
    finite differences (away from ties, where max and min have no derivative; products of
    moderate size, where finite differences keep their accuracy)."""
    f = REDUCERS[name]
    if name == "product":
        x, axis = data.draw(arrays_and_axes(well_floats(-1.5, 1.5), max_dims=2))
    else:
        x, axis = data.draw(arrays_and_axes())
        assume(_separated(x, axis))
    check_grad(lambda v: f(v, axis=axis), x, order=2)
    check_grad(lambda v: fn.sin(f(fn.tanh(v), axis=axis)), x, order=2)


@pytest.mark.parametrize("name", sorted(EXTREMA))
@given(
    data=st.data(),
    n=st.integers(2, 6),
    ties=st.integers(2, 6),
)
def test_ties_share_the_gradient_equally(
    name: str, data: st.DataObject, n: int, ties: int
) -> None:
    """When k elements tie for the extremum each gets g / k and the rest 0, for arrays and for
    lists (Python's max would give the first all of it)."""
    f, ref = EXTREMA[name]
    ties = min(ties, n)
    x = np.array(data.draw(st.lists(well_floats(), min_size=n, max_size=n)))
    best = ref(x) + (1.0 if name == "maximum" else -1.0)
    where = data.draw(st.permutations(range(n)))[:ties]
    x[where] = best
    expected = np.zeros(n)
    expected[where] = 1.0 / ties
    np.testing.assert_array_equal(grad_bp(f, x), expected)
    np.testing.assert_array_equal(grad_bp(f, list(x)), list(expected))
    _, pullback = backprop_with(f, x)
    np.testing.assert_allclose(pullback(3.0), 3.0 * expected)


def test_ties_along_an_axis_share_within_their_row() -> None:
    """Along an axis each row shares its own gradient among its own ties."""
    x = np.array([[1.0, 5.0, 5.0], [2.0, 2.0, 2.0], [0.0, 1.0, -1.0]])
    g = grad_bp(lambda v: fn.sum_elements(fn.maximum(v, axis=1)), x)
    np.testing.assert_allclose(g, np.array([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0]]))


def _others(x: Array) -> Array:
    """For each element, the product of all the others (by deleting it)."""
    flat = x.reshape(-1)
    return np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)]).reshape(x.shape)


@given(
    x=arrays(shapes(1, 1, max_side=6), well_floats(-2.0, 2.0)),
    data=st.data(),
)
def test_product_with_zeros_is_exact(x: Array, data: st.DataObject) -> None:
    """With some elements set to zero (none, one, two, three or more), the gradient of product
    is exactly the product of the others (no division by zero, no nan), and its first and
    second derivatives agree with finite differences."""
    k = data.draw(st.integers(0, x.size))
    x = x.copy()
    x[list(data.draw(st.permutations(range(x.size))))[:k]] = 0.0
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        g = grad_bp(fn.product, x)
    np.testing.assert_allclose(g, _others(x), rtol=1e-12, atol=1e-300)
    check_grad(fn.product, x, order=2)
    check_grad(lambda v: fn.sin(fn.product(fn.tanh(v))) * fn.sum_elements(v), x, order=2)


def test_product_with_a_zero_example() -> None:
    """The product of (2, 0, 5): the zero's gradient is 2 * 5 = 10, the others' 0; of a row
    with two zeros every gradient is 0, yet the Hessian between the two zeros is 3."""
    np.testing.assert_array_equal(grad_bp(fn.product, np.array([2.0, 0.0, 5.0])), [0, 10, 0])
    x = np.array([0.0, 3.0, 0.0])
    np.testing.assert_array_equal(grad_bp(fn.product, x), [0, 0, 0])
    _, pullback = backprop_with(lambda v: grad_bp(fn.product, v), x)
    np.testing.assert_array_equal(pullback(np.array([1.0, 0.0, 0.0])), [0, 0, 3])


@pytest.mark.parametrize("name", sorted(REDUCERS))
@given(xs=st.lists(well_floats(), min_size=1, max_size=5), data=st.data())
def test_reductions_over_lists_and_tuples(name: str, xs: list[float], data: st.DataObject) -> None:
    """A BVar of a list or tuple of numbers reduces across its elements; its gradient is a
    list or tuple of floats, and agrees with finite differences to second order."""
    f, ref = REDUCERS[name], NP_REDUCERS[name]
    if name != "product":
        assume(_separated(np.array(xs), None))
    kind: type[Any] = data.draw(st.sampled_from([list, tuple]))
    x: Any = kind(xs)
    assert f(x) == pytest.approx(ref(np.array(xs)), rel=1e-12)
    g: Any = grad_bp(f, x)
    assert type(g) is kind
    assert all(type(e) is float for e in g)
    check_grad(f, x, order=2)


@pytest.mark.parametrize("name", sorted(REDUCERS))
@given(x=arrays(shapes(1, 2)), n=st.integers(1, 4), data=st.data())
def test_reductions_across_lists_of_arrays_are_elementwise(
    name: str, x: Array, n: int, data: st.DataObject
) -> None:
    """A list of arrays of one shape reduces elementwise across the list (numpy's reduction
    along a new first axis), with gradients to second order."""
    f, ref = REDUCERS[name], NP_REDUCERS[name]
    xs = [x] + [data.draw(arrays(x.shape)) for _ in range(n - 1)]
    stacked = np.stack(xs)
    if name != "product":
        assume(_separated(stacked, 0))
    np.testing.assert_allclose(f(xs), ref(stacked, axis=0), rtol=1e-12)
    check_grad(f, xs, order=2)


def test_reductions_of_a_list_of_bvars() -> None:
    """A plain list of BVars (maximum([a, b])) works like a BVar of the list."""
    assert grad_bp2(lambda a, b: fn.maximum([a, b]), 1.0, 4.0) == (0.0, 1.0)
    assert grad_bp2(lambda a, b: fn.product((a, b, a)), 2.0, 3.0) == (12.0, 4.0)


def test_reductions_of_vec_and_mat() -> None:
    """A Vec or Mat reduces to a number (a Mat along an axis to a Vec), and its gradient is a
    Vec or Mat."""
    v: Vec[Any] = Vec(np.array([1.0, 4.0, 2.0]))
    m: Mat[Any, Any] = Mat(np.array([[1.0, 4.0], [3.0, -2.0]]))
    assert fn.maximum(v) == 4.0
    assert fn.minimum(m) == -2.0
    assert fn.product(v) == 8.0
    cols = fn.maximum(m, axis=0)
    assert isinstance(cols, Vec)
    np.testing.assert_array_equal(cols.array, [3.0, 4.0])
    g = grad_bp(fn.product, v)
    assert isinstance(g, Vec)
    np.testing.assert_array_equal(g.array, [8.0, 2.0, 4.0])
    gm = grad_bp(lambda x: fn.sum_elements(fn.minimum(x, axis=1)), m)
    assert isinstance(gm, Mat)
    np.testing.assert_array_equal(gm.array, [[1.0, 0.0], [0.0, 1.0]])
    check_grad(lambda x: fn.product(x, axis=1), m, order=2)


@pytest.mark.parametrize("name", sorted(REDUCERS))
@pytest.mark.parametrize(
    ("x", "axis", "message"),
    [
        ([], None, "the list is empty"),
        ((), None, "the tuple is empty"),
        ([1.0, np.zeros(2)], None, "its elements' shapes are (), (2,)"),
        ([1.0, 2.0], 0, "reduced across its elements"),
        ("abc", None, "got a value of type str"),
        (np.zeros((2, 3)), -3, "axis -3 does not exist"),
        (np.zeros(0), None, "has no elements"),
    ],
)
def test_reductions_reject_bad_input(name: str, x: Any, axis: int | None, message: str) -> None:
    """Empty or ragged containers, a string, a missing or empty axis: ShapeError saying what
    was expected and what was found."""
    with pytest.raises(ShapeError, match=re.escape(f"{name}: ")) as caught:
        REDUCERS[name](x, axis=axis)
    assert message in str(caught.value)


def test_product_third_derivative_is_a_clear_error() -> None:
    """A third derivative of product raises NoGradientError saying so (not a numpy error)."""

    def hessian_sum(v: Any) -> Any:
        return fn.sum_elements(grad_bp(lambda w: fn.sum_elements(grad_bp(fn.product, w)), v))

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        grad_bp(lambda w: fn.sum_elements(grad_bp(fn.product, w)), x), [5, 4, 3]
    )
    with pytest.raises(NoGradientError, match="third derivative"):
        grad_bp(hessian_sum, x)
