"""Property tests for the rules behind ``BVar``'s operators (``typedprop._arith``): ``+ - * /
**``, unary ``-`` and ``abs``, ``@`` for every 1-D/2-D/3-D combination, ``.T``, indexing (ints,
slices, fancy indices), constants on either side, and broadcasting. Each is checked against
numpy's value, central finite differences (first and second order) and closed-form gradients."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

from typedprop import BVar, backprop_with2, eval_bp, eval_bp2, grad_bp, grad_bp2
from typedprop._arith import sum_axis
from typedprop.functions import sin, sum_elements
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
Fn2 = Callable[[Any, Any], Any]


# --- strategies and references ---


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Reference: ``g`` summed over the axes numpy broadcast to turn ``shape`` into its own."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    g = np.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return np.sum(g, axis=axes, keepdims=True)


POSITIVE = well_floats(0.2, 3.0)
EXPONENT = well_floats(-2.0, 2.0)

# name: (operator, x's elements, y's elements, closed-form gradients of sum(op(x, y)))
BINARY: dict[str, tuple[Fn2, SearchStrategy[float], SearchStrategy[float], Fn2]] = {
    "+": (operator.add, well_floats(), well_floats(), lambda x, y: (1.0 + 0 * x, 1.0 + 0 * y)),
    "-": (operator.sub, well_floats(), well_floats(), lambda x, y: (1.0 + 0 * x, -1.0 + 0 * y)),
    "*": (operator.mul, well_floats(), well_floats(), lambda x, y: (y, x)),
    "/": (operator.truediv, well_floats(), nonzero_floats(0.2), lambda x, y: (1 / y, -x / y**2)),
    "**": (
        operator.pow,
        POSITIVE,
        EXPONENT,
        lambda x, y: (y * x ** (y - 1), x**y * np.log(x)),
    ),
}
OPS = sorted(BINARY)


# --- binary arithmetic on BVars of one shape ---


@pytest.mark.parametrize("name", OPS)
@given(data=st.data())
def test_binary_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    """First and second derivatives of x + y, x - y, x * y, x / y and x ** y (positive bases),
    both operands variable floats or same-shape arrays, agree with finite differences."""
    op, ex, ey, _ = BINARY[name]
    x = data.draw(operands(ex))
    y = data.draw(operands_like(x, ey))
    check_grad(op, x, y, order=2)
    check_grad(lambda a, b: op(a, b) * op(a, b), x, y, order=2)


@pytest.mark.parametrize("name", OPS)
@given(data=st.data())
def test_binary_values_match_numpy(name: str, data: st.DataObject) -> None:
    """eval_bp2 of each operator on BVars gives exactly numpy's (or Python's) value."""
    op, ex, ey, _ = BINARY[name]
    x = data.draw(operands(ex))
    y = data.draw(operands_like(x, ey))
    out = eval_bp2(op, x, y)
    assert not isinstance(out, BVar)
    np.testing.assert_array_equal(out, op(x, y))
    assert np.shape(out) == np.shape(x)


@pytest.mark.parametrize("name", OPS)
@given(data=st.data())
def test_binary_gradients_match_closed_form(name: str, data: st.DataObject) -> None:
    """The gradients of sum(op(x, y)) are the textbook partial derivatives (1/y and -x/y**2
    for /, y x**(y-1) and x**y log x for **), shaped like each operand."""
    op, ex, ey, closed = BINARY[name]
    x = data.draw(operands(ex))
    y = data.draw(operands_like(x, ey))
    gx, gy = grad_bp2(lambda a, b: sum_elements(op(a, b)), x, y)
    ex_x, ex_y = closed(x, y)
    assert np.shape(gx) == np.shape(x)
    assert np.shape(gy) == np.shape(y)
    np.testing.assert_allclose(gx, ex_x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gy, ex_y, rtol=1e-12, atol=1e-15)


@given(
    xy=st.one_of(
        st.tuples(POSITIVE, arrays(shapes(1, 2), EXPONENT)),
        st.tuples(arrays(shapes(1, 2), POSITIVE), EXPONENT),
    )
)
def test_pow_float_against_array(xy: tuple[Any, Any]) -> None:
    """x ** y with both BVars, a float base against an array exponent and the reverse: numpy's
    value, finite-difference derivatives, and gradients summed to each operand's shape."""
    x, y = xy
    np.testing.assert_array_equal(eval_bp2(operator.pow, x, y), x**y)
    check_grad(operator.pow, x, y, order=2)
    gx, gy = grad_bp2(lambda a, b: sum_elements(a**b), x, y)
    assert np.shape(gx) == np.shape(x)
    assert np.shape(gy) == np.shape(y)
    np.testing.assert_allclose(gx, sum_to(y * x ** (y - 1), np.shape(x)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gy, sum_to(x**y * np.log(x), np.shape(y)), rtol=1e-12, atol=1e-14)


def summed(op: Fn2) -> Fn2:
    """The function (a, b) -> sum_elements(op(a, b))."""
    return lambda a, b: sum_elements(op(a, b))


def test_gradients_have_the_input_types() -> None:
    """grad_bp2 gives each input a gradient of its own type ("a value of x's type"): a float
    for a float, an ndarray for an array, 0-d arrays included, whatever the other operand."""
    kinds = [1.5, np.array(1.5), np.array([1.5, 0.5])]
    wrong = []
    for name, (op, *_) in BINARY.items():
        for x in kinds:
            for y in kinds:
                grads = grad_bp2(summed(op), x, y)
                for which, v, g in zip("xy", (x, y), grads, strict=True):
                    if not isinstance(g, type(v)):
                        wrong.append(
                            f"x {name} y, x={x!r}, y={y!r}: the gradient of {which} "
                            f"({type(v).__name__}) is {g!r}"
                        )
    assert not wrong, "\n".join(wrong)


# --- unary ---


@given(x=operands(nonzero_floats(), max_dims=3))
def test_neg_and_abs_gradients_match_finite_differences(x: Any) -> None:
    """-x and abs(x) (away from 0) have first and second derivatives that agree with finite
    differences, alone and with an input-dependent output gradient."""
    check_grad(operator.neg, x, order=2)
    check_grad(abs, x, order=2)
    check_grad(lambda v: abs(v) * v, x, order=2)
    check_grad(lambda v: -v * v, x, order=2)


@given(x=operands(nonzero_floats(), max_dims=3))
def test_neg_and_abs_values_and_closed_forms(x: Any) -> None:
    """-x and abs(x) on a BVar are numpy's values, and their gradients are -1 and sign(x)."""
    np.testing.assert_array_equal(eval_bp(operator.neg, x), -np.asarray(x))
    np.testing.assert_array_equal(eval_bp(abs, x), np.abs(x))
    assert eval_bp(lambda v: +v, x) is x
    g_neg = grad_bp(lambda v: sum_elements(-v), x)
    g_abs = grad_bp(lambda v: sum_elements(abs(v)), x)
    assert np.shape(g_neg) == np.shape(g_abs) == np.shape(x)
    np.testing.assert_array_equal(g_neg, np.full(np.shape(x), -1.0))
    np.testing.assert_array_equal(g_abs, np.sign(x))


# --- constants on either side ---

# name: (function of one BVar and a constant c, closed-form gradient of sum(f(x)))
WITH_CONSTANT: dict[str, tuple[Fn2, Fn2]] = {
    "x + c": (lambda x, c: x + c, lambda x, c: 1.0 + 0 * (x + c)),
    "c + x": (lambda x, c: c + x, lambda x, c: 1.0 + 0 * (x + c)),
    "x - c": (lambda x, c: x - c, lambda x, c: 1.0 + 0 * (x + c)),
    "c - x": (lambda x, c: c - x, lambda x, c: -1.0 + 0 * (x + c)),
    "x * c": (lambda x, c: x * c, lambda x, c: c + 0 * x),
    "c * x": (lambda x, c: c * x, lambda x, c: c + 0 * x),
    "x / c": (lambda x, c: x / c, lambda x, c: 1 / c + 0 * x),
    "c / x": (lambda x, c: c / x, lambda x, c: -c / x**2),
    "x ** c": (lambda x, c: x**c, lambda x, c: c * x ** (c - 1)),
    "c ** x": (lambda x, c: c**x, lambda x, c: c**x * np.log(c)),
}


CONSTANT_KINDS = ["float", "same-shape array", "array, float BVar"]


@pytest.mark.parametrize("name", sorted(WITH_CONSTANT))
@pytest.mark.parametrize("kind", CONSTANT_KINDS)
@given(data=st.data())
def test_bvar_with_constant_on_either_side(name: str, kind: str, data: st.DataObject) -> None:
    """A BVar combined with a plain float or array on either side (2.0 - x, arr / x, ...),
    also a float BVar against an array constant: numpy's value, finite-difference first and
    second derivatives, and the closed-form gradient summed to the BVar's shape."""
    f, closed = WITH_CONSTANT[name]
    c: Any
    if kind == "float":
        x = data.draw(operands(POSITIVE))
        c = data.draw(POSITIVE)
    elif kind == "same-shape array":
        x = data.draw(operands(POSITIVE, min_dims=1))
        c = data.draw(operands_like(x, POSITIVE))
    else:
        x = data.draw(POSITIVE)
        c = data.draw(arrays(shapes(1, 2), POSITIVE))
    check_grad(lambda v: f(v, c), x, order=2)
    np.testing.assert_array_equal(eval_bp(lambda v: f(v, c), x), f(x, c))
    g = grad_bp(lambda v: sum_elements(f(v, c)), x)
    assert np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, sum_to(closed(x, c), np.shape(x)), rtol=1e-12, atol=1e-14)


@given(x=operands(nonzero_floats(), max_dims=2), n=st.sampled_from([2, 3, -1]))
def test_integer_powers_of_any_sign(x: Any, n: int) -> None:
    """x ** n for an integer constant n accepts negative bases, with derivative n x**(n-1)."""
    check_grad(lambda v: v**n, x, order=2)
    g = grad_bp(lambda v: sum_elements(v**n), x)
    np.testing.assert_allclose(g, n * np.asarray(x, dtype=float) ** (n - 1), rtol=1e-12)


@given(arrays(shapes(1, 2), well_floats(0.5, 2.0)))
def test_a_zero_base_gives_the_exponent_a_zero_gradient(y: Any) -> None:
    """d(0 ** y)/dy is 0 (0 ** y is constant in y), not 0 * log 0 = NaN, and one zero in an
    array base leaves the other elements' exponent gradients alone (as in JAX)."""
    x = np.zeros(np.shape(y))
    x.flat[1:] = 2.0
    with np.errstate(divide="ignore"):  # d(x ** y)/dx is infinite at x == 0 for y < 1
        _, gy = grad_bp2(lambda a, b: sum_elements(a**b), x, y)
    expected = np.where(x == 0, 0.0, x**y * np.log(np.where(x == 0, 1.0, x)))
    np.testing.assert_allclose(gy, expected, rtol=1e-12, atol=1e-14)
    assert grad_bp2(lambda a, b: a**b, 0.0, 2.5) == (0.0, 0.0)
    check_grad(lambda b: sum_elements(x**b), y, order=2)


def test_a_zero_exponent_gives_the_base_a_zero_gradient() -> None:
    """d(x ** 0)/dx is 0 everywhere, also at x == 0 (not 0 * 0 ** -1)."""
    assert grad_bp(lambda a: a**0.0, 0.0) == 0.0
    g = grad_bp(lambda a: sum_elements(a ** np.array([0.0, 2.0])), np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_python_float_powers_give_numpys_answers_in_the_backward_pass() -> None:
    """The gradient of x ** 0.5 at 0 and of x ** -2 at 1e-120 are infinite, as numpy's are for
    arrays (with numpy's warning), not ZeroDivisionError or OverflowError; a negative base with
    a fractional exponent gives NaN, not a complex number."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        g = grad_bp(lambda a: a**0.5, 0.0)
        assert type(g) is float and g == np.inf
        g = grad_bp(lambda a: a**-2, 1e-120)
        assert type(g) is float and g == -np.inf
        assert grad_bp(lambda a: sum_elements(a**-2), np.array([1e-120]))[0] == -np.inf
        v = eval_bp(lambda a: a**0.5, -4.0)
        assert type(v) is float and np.isnan(v)
        assert eval_bp(lambda a: a**-1, 0) == np.inf  # Python ints too
        assert eval_bp(lambda a: a**2, 3) == 9
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        grad_bp(lambda a: a**0.5, 0.0)


def test_constant_examples() -> None:
    """Concrete mixed-constant gradients: d(2 - x) = -1, d(arr / x) = -sum(arr) / x**2."""
    assert grad_bp(lambda x: 2.0 - x, 3.0) == -1.0
    arr = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad_bp(lambda x: sum_elements(arr / x), 2.0), -6.0 / 4.0)
    np.testing.assert_array_equal(grad_bp(lambda x: sum_elements(arr / x), np.ones(3)), -arr)


# --- broadcasting ---


@pytest.mark.parametrize("name", OPS)
@given(
    data=st.data(),
    bs=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
)
def test_broadcasting_gradients_sum_back(
    name: str, data: st.DataObject, bs: hnp.BroadcastableShapes
) -> None:
    """Operands of different but broadcastable shapes: numpy's value, finite-difference
    derivatives, and each gradient summed back to its own operand's shape."""
    op, ex, ey, closed = BINARY[name]
    sx, sy = bs.input_shapes
    x: Array = data.draw(arrays(sx, ex))
    y: Array = data.draw(arrays(sy, ey))
    np.testing.assert_array_equal(eval_bp2(op, x, y), op(x, y))
    check_grad(op, x, y, order=2)
    gx, gy = grad_bp2(lambda a, b: sum_elements(op(a, b)), x, y)
    assert np.shape(gx) == sx
    assert np.shape(gy) == sy
    xb, yb = np.broadcast_arrays(x, y)
    ex_x, ex_y = closed(xb, yb)
    np.testing.assert_allclose(gx, sum_to(ex_x, sx), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gy, sum_to(ex_y, sy), rtol=1e-12, atol=1e-14)


def test_broadcasting_example_column_plus_row() -> None:
    """A (3, 1) BVar plus a (4,) BVar makes (3, 4); the gradients of its sum are 4 for each
    entry of the column and 3 for each entry of the row."""
    x, y = np.arange(3.0).reshape(3, 1), np.arange(4.0)
    out = eval_bp2(lambda a, b: a + b, x, y)
    np.testing.assert_array_equal(out, x + y)
    gx, gy = grad_bp2(lambda a, b: sum_elements(a + b), x, y)
    np.testing.assert_array_equal(gx, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(gy, np.full(4, 3.0))
    gx, gy = grad_bp2(lambda a, b: sum_elements(a * b), x, y)
    np.testing.assert_array_equal(gx, np.full((3, 1), y.sum()))
    np.testing.assert_array_equal(gy, np.full(4, x.sum()))


@given(x=well_floats(), y=arrays(shapes(1, 3)))
def test_float_bvar_against_array_bvar(x: float, y: Array) -> None:
    """A float BVar times an array BVar: the float's gradient is a single number, sum(y)."""
    gx, gy = grad_bp2(lambda a, b: sum_elements(a * b), x, y)
    assert np.shape(gx) == ()
    np.testing.assert_allclose(gx, np.sum(y), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(gy, np.full(y.shape, x))


# --- matrix products ---

MATMUL_DIMS = [(nx, ny) for nx in (1, 2, 3) for ny in (1, 2, 3)]


@st.composite
def matmul_operands(draw: st.DrawFn, nx: int, ny: int) -> tuple[Array, Array]:
    """Operands of x @ y with ``nx`` and ``ny`` axes; 3-D batches may broadcast (1 vs b)."""
    side = st.integers(1, 4)
    n, k, m, b = draw(side), draw(side), draw(side), draw(side)
    bx = b if nx < 3 or ny < 3 else draw(st.sampled_from([b, 1]))
    by = b if nx < 3 or ny < 3 else draw(st.sampled_from([b, 1]))
    sx = {1: (k,), 2: (n, k), 3: (bx, n, k)}[nx]
    sy = {1: (k,), 2: (k, m), 3: (by, k, m)}[ny]
    return draw(arrays(sx)), draw(arrays(sy))


def matmul_grads(x: Array, y: Array, w: Array) -> tuple[Array, Array]:
    """Reference: the gradients of sum(w * (x @ y)), by promoting vectors to matrices."""
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    w2 = np.reshape(w, np.matmul(x2, y2).shape)
    gx = np.matmul(w2, np.swapaxes(y2, -1, -2))
    gy = np.matmul(np.swapaxes(x2, -1, -2), w2)
    return sum_to(gx, x2.shape).reshape(x.shape), sum_to(gy, y2.shape).reshape(y.shape)


@pytest.mark.parametrize(("nx", "ny"), MATMUL_DIMS, ids=[f"{a}d@{b}d" for a, b in MATMUL_DIMS])
@given(data=st.data())
def test_matmul_gradients_match_finite_differences(nx: int, ny: int, data: st.DataObject) -> None:
    """x @ y for every 1-D/2-D/3-D combination numpy's matmul accepts (broadcast batches too):
    first and second derivatives agree with finite differences."""
    x, y = data.draw(matmul_operands(nx, ny))
    check_grad(operator.matmul, x, y, order=2)
    check_grad(lambda a, b: sin(a @ b), x, y, order=2)


@pytest.mark.parametrize(("nx", "ny"), MATMUL_DIMS, ids=[f"{a}d@{b}d" for a, b in MATMUL_DIMS])
@given(data=st.data())
def test_matmul_values_and_closed_form(nx: int, ny: int, data: st.DataObject) -> None:
    """x @ y on BVars is np.matmul's value, and the pullback of w gives w @ y.T and x.T @ w
    (vectors promoted, broadcast batches summed back), shaped like x and y."""
    x, y = data.draw(matmul_operands(nx, ny))
    out, pullback = backprop_with2(operator.matmul, x, y)
    np.testing.assert_allclose(out, np.matmul(x, y), rtol=1e-14, atol=1e-14)
    w: Array = data.draw(arrays(np.shape(out)))
    seed: Any = w if np.ndim(out) else float(w)
    gx, gy = pullback(seed)
    assert np.shape(gx) == x.shape
    assert np.shape(gy) == y.shape
    ex_x, ex_y = matmul_grads(x, y, w)
    np.testing.assert_allclose(gx, ex_x, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gy, ex_y, rtol=1e-12, atol=1e-13)


@given(data=st.data(), which=st.sampled_from(["left", "right"]))
def test_matmul_with_constant_array(data: st.DataObject, which: str) -> None:
    """A BVar @ a plain array and a plain array @ a BVar (2-D by 1-D and 2-D) differentiate
    like the all-BVar product."""
    x, y = data.draw(matmul_operands(2, data.draw(st.sampled_from([1, 2]))))
    if which == "left":
        check_grad(lambda a: a @ y, x, order=2)
        np.testing.assert_array_equal(eval_bp(lambda a: a @ y, x), x @ y)
    else:
        check_grad(lambda b: x @ b, y, order=2)
        np.testing.assert_array_equal(eval_bp(lambda b: x @ b, y), x @ y)


@given(data=st.data(), k=st.integers(1, 4), m=st.integers(1, 4))
def test_matmul_rank_one_gradients(data: st.DataObject, k: int, m: int) -> None:
    """A batch of one row, (1, k) @ (k, m), and one output column, (m, k) @ (k, 1), make a
    gradient with an inner dimension of 1 (x.T @ g, g @ y.T), taken as a rank-1 product: the
    values are the closed form's, first and second derivatives agree with finite differences,
    as a BVar's and as a constant's partner."""
    for x, y in [
        (data.draw(arrays((1, k))), data.draw(arrays((k, m)))),
        (data.draw(arrays((m, k))), data.draw(arrays((k, 1)))),
    ]:
        w: Array = data.draw(arrays((x.shape[0], y.shape[1])))
        gx, gy = backprop_with2(operator.matmul, x, y)[1](w)
        np.testing.assert_allclose(gx, w @ y.T, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(gy, x.T @ w, rtol=1e-14, atol=1e-14)
        check_grad(lambda a, b: sin(a @ b), x, y, order=2)
        check_grad(lambda b, x=x: sin(x @ b), y, order=2)
        check_grad(lambda a, y=y: sin(a @ y), x, order=2)


# --- transpose ---


@given(x=arrays(shapes(1, 3)))
def test_transpose(x: Array) -> None:
    """x.T reverses the axes like numpy; its derivatives agree with finite differences and the
    gradient of sum(w * x.T) is w.T."""
    np.testing.assert_array_equal(eval_bp(lambda v: v.T, x), x.T)
    check_grad(lambda v: v.T, x, order=2)
    check_grad(lambda v: v.T * v.T, x, order=2)
    w = np.cos(np.arange(x.size)).reshape(x.T.shape)
    g = grad_bp(lambda v: sum_elements(w * v.T), x)
    np.testing.assert_array_equal(g, w.T)


# --- indexing ---


@given(data=st.data(), x=arrays(shapes(1, 3)))
def test_integer_index(data: st.DataObject, x: Array) -> None:
    """x[i] (negative i too) is numpy's x[i]; its derivatives agree with finite differences
    and the gradient of sum(w * x[i]) is w at position i and zero elsewhere."""
    n = x.shape[0]
    i = data.draw(st.integers(-n, n - 1))
    np.testing.assert_array_equal(eval_bp(lambda v: v[i], x), x[i])
    check_grad(lambda v: v[i], x, order=2)
    check_grad(lambda v: v[i] * v[i], x, order=2)
    w = np.cos(np.arange(np.size(x[i]))).reshape(np.shape(x[i]))
    expected = np.zeros_like(x)
    expected[i] = w
    np.testing.assert_array_equal(grad_bp(lambda v: sum_elements(w * v[i]), x), expected)


@given(data=st.data(), x=arrays(shapes(2, 3)))
def test_tuple_index(data: st.DataObject, x: Array) -> None:
    """x[i, j] on a matrix or 3-D array picks numpy's element or row; gradient one-hot there."""
    i = data.draw(st.integers(-x.shape[0], x.shape[0] - 1))
    j = data.draw(st.integers(-x.shape[1], x.shape[1] - 1))
    np.testing.assert_array_equal(eval_bp(lambda v: v[i, j], x), x[i, j])
    check_grad(lambda v: v[i, j] * v[i, j], x, order=2)
    expected = np.zeros_like(x)
    expected[i, j] = 1.0
    np.testing.assert_array_equal(grad_bp(lambda v: sum_elements(v[i, j]), x), expected)


@given(data=st.data(), x=arrays(shapes(1, 3)))
def test_slice_index(data: st.DataObject, x: Array) -> None:
    """x[1:] and random slices x[a:b:s] are numpy's; derivatives agree with finite differences
    and the gradient of sum(x[s]) is 1 on the selected rows, 0 elsewhere."""
    sl = data.draw(st.one_of(st.just(slice(1, None)), st.slices(x.shape[0])))
    picked = x[sl]
    np.testing.assert_array_equal(eval_bp(lambda v: v[sl], x), picked)
    if picked.size:
        check_grad(lambda v: v[sl] * v[sl], x, order=2)
    expected = np.zeros_like(x)
    expected[sl] = 1.0
    np.testing.assert_array_equal(grad_bp(lambda v: sum_elements(v[sl]), x), expected)


@given(data=st.data(), x=arrays(shapes(1, 3)))
def test_fancy_index_accumulates_repeats(data: st.DataObject, x: Array) -> None:
    """x[[i, j, ...]] with repeated indices: numpy's value, finite-difference derivatives, and
    a gradient that counts each repeat (row k gets the number of times k was picked)."""
    n = x.shape[0]
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=8))
    np.testing.assert_array_equal(eval_bp(lambda v: v[idx], x), x[idx])
    check_grad(lambda v: v[idx], x, order=2)
    check_grad(lambda v: v[idx] * v[idx], x, order=2)
    counts = np.bincount(np.asarray(idx) % n, minlength=n).astype(float)
    expected = np.broadcast_to(counts.reshape((n,) + (1,) * (x.ndim - 1)), x.shape)
    np.testing.assert_array_equal(grad_bp(lambda v: sum_elements(v[idx]), x), expected)


def test_fancy_index_example() -> None:
    """grad of sum(x[[0, 0, 1]]) is [2, 1, 0]: the repeated index accumulates."""
    g = grad_bp(lambda v: sum_elements(v[[0, 0, 1]]), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0])


@given(data=st.data(), x=arrays(shapes(1, 2)))
def test_repeated_integer_reads_accumulate(data: st.DataObject, x: Array) -> None:
    """Many reads x[i] + x[j] + ... (repeats, negative aliases of one position) accumulate:
    the gradient counts each position's reads, and second derivatives agree with finite
    differences when the reads are mixed with uses of the whole array."""
    n = x.shape[0]
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6))

    def reads(v: BVar[Array]) -> BVar[float]:
        total = sum_elements(v[idx[0]])
        for i in idx[1:]:
            total = total + sum_elements(v[i])
        return total

    counts = np.bincount(np.asarray(idx) % n, minlength=n).astype(float)
    expected = np.broadcast_to(counts.reshape((n,) + (1,) * (x.ndim - 1)), x.shape)
    np.testing.assert_array_equal(grad_bp(reads, x), expected)
    check_grad(lambda v: reads(v) * reads(v), x, order=2)
    check_grad(lambda v: sum_elements(v * v) + reads(v * v), x, order=2)
    check_grad(lambda v: reads(v * v) + sum_elements(v * v), x, order=2)


# --- sum over an axis (the reduction behind softmax) ---


@given(data=st.data(), x=arrays(shapes(1, 3)))
def test_sum_axis(data: st.DataObject, x: Array) -> None:
    """sum_axis(x, axis, keepdims) is np.sum's value; derivatives agree with finite differences
    and its gradient is 1 everywhere, shaped like x."""
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    keepdims = data.draw(st.booleans())
    np.testing.assert_allclose(
        eval_bp(lambda v: sum_axis(v, axis, keepdims), x),
        np.sum(x, axis=axis, keepdims=keepdims),
        rtol=1e-14,
        atol=1e-14,
    )
    check_grad(lambda v: sum_axis(v, axis, keepdims), x, order=2)
    check_grad(lambda v: sin(sum_axis(v * v, axis, keepdims)), x, order=2)
    g = grad_bp(lambda v: sum_elements(sum_axis(v, axis, keepdims)), x)
    np.testing.assert_array_equal(g, np.ones(x.shape))


# --- a composite, to exercise the rules together at second order ---


@given(data=st.data(), w=arrays(shapes(2, 2, 4)))
def test_layer_second_order(data: st.DataObject, w: Array) -> None:
    """A small layer, sum(abs(w @ x + b) ** 1.5 / (1 + x[0] ** 2)), mixes every rule; its
    first and second derivatives in all three inputs agree with finite differences."""
    x: Array = data.draw(arrays(w.shape[1:]))
    b: Array = data.draw(arrays(w.shape[:1], nonzero_floats(0.5)))

    def layer(w_: BVar[Array], x_: BVar[Array], b_: BVar[Array]) -> BVar[float]:
        return sum_elements(abs(w_ @ x_ + b_) ** 1.5 / (1.0 + x_[0] ** 2))

    w = w * 0.01  # keep |w @ x| < 0.5 <= |b|, away from abs's kink
    check_grad(layer, w, x, b, order=2)


# --- mixed operands: the run-time kinds the operators' overloads declare ---


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv])
def test_mixed_operands_give_the_kind_their_types_declare(op: Any) -> None:
    """A vector with a matrix gives a matrix (either side, BVar or plain), a number with a
    vector gives the vector: what BVar's overloads and Vec/Mat's declare, checked by
    tests/test_pyright.py and the mypy cases."""
    from typedprop.linalg import Mat, Vec, matrix, vector

    m = matrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = vector([1.0, 2.0, 4.0])

    def kinds(x: Any, y: Any) -> list[type]:
        """The result's kind with both operands BVars, only the left, only the right, none."""
        return [
            type(eval_bp2(op, x, y)),
            type(eval_bp(lambda a: op(a, y), x)),
            type(eval_bp(lambda b: op(x, b), y)),
            type(op(x, y)),
        ]

    for x, y, kind in [(v, m, Mat), (m, v, Mat), (2.0, v, Vec), (v, 2.0, Vec), (2.0, m, Mat)]:
        assert kinds(x, y) == [kind] * 4


def test_transpose_of_a_bvar_matrix() -> None:
    """BVar.T of a Mat[2, 3] is a Mat[3, 2] (typed BVar[Mat[N, M]]), with its gradient."""
    from typedprop.linalg import Mat, matrix

    m = matrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    t = eval_bp(lambda x: x.T, m)
    assert type(t) is Mat and t.shape == (3, 2)
    g = grad_bp(lambda x: sum_elements(x.T * x.T), m)
    np.testing.assert_array_equal(np.asarray(g), 2.0 * np.asarray(m))
