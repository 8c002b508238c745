"""Building operations: op1/op2/op3/op_n, op_iso, lift_op*, no_grad, and their checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import BVar, auto
from typedprop.functions import cos, sin, sum_elements
from typedprop.linalg import matrix, vector
from typedprop.testing import arrays, check_grad, well_floats

Array = NDArray[np.float64]


@tp.model
class _Pair:
    a: float
    b: Array


@tp.op1
def square(x: float) -> tuple[float, Any]:
    return x * x, lambda g: 2.0 * x * g


@tp.op2
def mul(x: float, y: float) -> tuple[float, Any]:
    return x * y, lambda g: (g * y, g * x)


@tp.op3
def fma(x: float, y: float, z: float) -> tuple[float, Any]:
    return x * y + z, lambda g: (g * y, g * x, g)


@tp.op_n
def total(*xs: float) -> tuple[float, Any]:
    return sum(xs), lambda g: tuple(g for _ in xs)


@tp.op1
def my_sin(x: Any) -> tuple[Any, Any]:
    """sin written with typedprop operations: differentiable twice."""
    return sin(x), lambda g: g * cos(x)


def test_ops_work_on_plain_values() -> None:
    """An op called on plain values is its forward function."""
    assert square(3.0) == 9.0 and mul(2.0, 3.0) == 6.0 and fma(2.0, 3.0, 1.0) == 7.0
    assert total(1.0, 2.0, 3.0, 4.0) == 10.0


@given(well_floats(), well_floats(), well_floats())
def test_op_gradients(x: float, y: float, z: float) -> None:
    """op1, op2, op3 and op_n pass their pullbacks' gradients on, with constants mixed in."""
    assert tp.grad_bp(square, x) == 2.0 * x
    assert tp.grad_bp2(mul, x, y) == (y, x)
    assert tp.grad_bp_n(fma, x, y, z) == (y, x, 1.0)
    assert tp.grad_bp2(lambda a, b: total(a, auto(z), b, a), x, y) == (2.0, 1.0)
    assert tp.grad_bp(lambda a: mul(a, 5.0) + mul(5.0, a), x) == 10.0


def test_lift_ops_apply_ops_to_bvars() -> None:
    """lift_op1/2/3/n are backprop's liftOp: application to BVars."""
    assert tp.grad_bp(lambda a: tp.lift_op1(square, a), 3.0) == 6.0
    assert tp.grad_bp(lambda a: tp.lift_op2(mul, a, a), 3.0) == 6.0
    assert tp.grad_bp(lambda a: tp.lift_op3(fma, a, a, a), 3.0) == 7.0
    assert tp.grad_bp(lambda a: tp.lift_op_n(total, [a, a]), 3.0) == 2.0
    assert tp.lift_op1(square, 3.0).value == 9.0


@given(well_floats())
def test_user_op_written_with_typedprop_ops_has_a_second_derivative(x: float) -> None:
    """An op whose pullback uses typedprop functions differentiates twice."""
    check_grad(my_sin, x, order=2)
    assert tp.grad_bp(lambda a: tp.grad_bp(my_sin, a), x) == pytest.approx(-np.sin(x))


def test_user_op_with_raw_numpy_in_a_nested_derivative_says_why() -> None:
    """A raw-numpy op asked for a second derivative fails with a clear TypeError."""

    @tp.op1
    def np_sin(x: Any) -> tuple[Any, Any]:
        return np.sin(x), lambda g: g * np.cos(x)

    assert tp.grad_bp(np_sin, 0.0) == 1.0
    with pytest.raises(TypeError, match="nested derivative"):
        tp.grad_bp(lambda a: tp.grad_bp(np_sin, a), 0.0)


def test_constant_inputs_record_nothing() -> None:
    """An op given only constants records no node: its pullback is never called."""
    calls = []

    @tp.op1
    def watched(x: float) -> tuple[float, Any]:
        def pullback(g: float) -> float:
            calls.append(g)
            return g

        return x, pullback

    assert tp.grad_bp(lambda a: watched(auto(2.0)) * a, 1.0) == 2.0
    assert calls == []
    tp.grad_bp(lambda a: watched(a) * 2.0, 1.0)
    assert calls == [2.0]


def test_wrong_gradient_shape_is_a_shape_error() -> None:
    """A pullback returning a gradient of the wrong shape raises ShapeError naming the op."""

    @tp.op1
    def bad(x: Array) -> tuple[Array, Any]:
        return x * 2.0, lambda g: g[:1]

    with pytest.raises(tp.ShapeError, match=r"op 'bad'.*shape \(1,\).*shape \(3,\)"):
        tp.grad_bp(lambda v: sum_elements(bad(v)), np.ones(3))


def test_wrong_number_of_gradients_is_an_error() -> None:
    """A two-argument pullback must return two gradients."""

    @tp.op2
    def bad(x: float, y: float) -> tuple[float, Any]:
        return x + y, lambda g: (g,)

    with pytest.raises(tp.PullbackError, match=r"op 'bad'.*tuple of 2 gradients.*1 values"):
        tp.grad_bp2(bad, 1.0, 2.0)

    @tp.op2
    def bare(x: float, y: float) -> tuple[float, Any]:
        return x + y, lambda g: g  # one gradient, not a tuple of two

    with pytest.raises(tp.PullbackError, match=r"op 'bare'.*tuple of 2 gradients.*a float"):
        tp.grad_bp2(bare, 1.0, 2.0)


def _returning(g: Any) -> Any:
    """An op of one argument whose pullback returns ``g`` whatever the argument."""

    @tp.op1
    def wrong(x: Any) -> tuple[Any, Any]:
        return 0.0, lambda _: g

    return wrong


_WRONG_GRADIENTS = [
    # (argument, gradient, error, message)
    (vector([1.0, 2.0, 3.0]), vector([1.0, 2.0, 3.0, 4.0]), tp.ShapeError, r"Vec\[4\].*Vec\[3\]"),
    (vector([1.0, 2.0, 3.0]), 1.0, tp.ShapeError, r"a float.*Vec\[3\]"),
    (matrix([[1.0, 2.0]]), matrix([[1.0], [2.0]]), tp.ShapeError, r"Mat\[2, 1\].*Mat\[1, 2\]"),
    (matrix([[1.0, 2.0]]), "g", tp.PullbackError, r"a str.*Mat\[1, 2\]"),
    (1.0, np.ones(3), tp.ShapeError, r"an array of shape \(3,\).*a float"),
    (1.0, "g", tp.PullbackError, r"a str.*a float"),
    (1.0, None, None, ""),  # no gradient
    (np.ones(2), np.ones(3), tp.ShapeError, r"shape \(3,\).*shape \(2,\)"),
    ((1.0, np.ones(2)), (1.0,), tp.PullbackError, r"a tuple.*a tuple"),
    ((1.0, np.ones(2)), [1.0, np.ones(2)], tp.PullbackError, r"a list.*a tuple"),
    ((1.0, np.ones(2)), (1.0, np.ones(3)), tp.ShapeError, r"argument 0, element 1"),
    ({"a": 1.0}, {"a": "x"}, tp.PullbackError, r"argument 0, key 'a'"),
    (_Pair(1.0, np.ones(2)), _Pair(1.0, np.ones(1)), tp.ShapeError, r"field 'b'"),
    (_Pair(1.0, np.ones(2)), (1.0, np.ones(2)), tp.PullbackError, r"a tuple.*a _Pair"),
]


@pytest.mark.parametrize(("x", "g", "error", "message"), _WRONG_GRADIENTS)
def test_a_pullbacks_gradient_must_fit_its_argument(
    x: Any, g: Any, error: type[Exception] | None, message: str
) -> None:
    """Every argument kind is checked (arrays, Vec, Mat, numbers, containers, records), so a
    wrong gradient never broadcasts silently into the argument's gradient."""
    wrong = _returning(g)
    if error is None:
        assert tp.grad_bp(lambda v: wrong(v) + 1.0, x) == tp.zero(x)
        return
    with pytest.raises(error, match=f"op 'wrong'.*{message}"):
        tp.grad_bp(lambda v: wrong(v) + 1.0, x)


@given(arrays(shape=(2, 3)))
def test_op_iso_maps_gradients_back(m: Array) -> None:
    """op_iso's gradient is its inverse applied to the output gradient."""
    flat = tp.op_iso(lambda a: a.reshape(-1), lambda v: v.reshape(2, 3), name="flatten")
    weights = np.arange(6.0)
    g = tp.grad_bp(lambda a: sum_elements(flat(a) * weights), m)
    np.testing.assert_array_equal(g, weights.reshape(2, 3))


def test_no_grad_blocks_the_gradient() -> None:
    """no_grad's result is a constant: the gradient flows only around it."""
    frozen = tp.no_grad(lambda x: x * 10.0)
    assert tp.grad_bp(lambda x: x + frozen(x), 1.0) == 1.0
    assert tp.eval_bp(lambda x: x + frozen(x), 1.0) == 11.0
    argmax = tp.no_grad(np.argmax)
    assert tp.grad_bp(lambda v: v[argmax(v)], np.array([1.0, 5.0, 2.0]))[1] == 1.0


def test_strict_no_grad_raises_when_a_gradient_reaches_it() -> None:
    """no_grad(f, strict=True) (backprop's noGrad) gives f's value, and its backward pass raises
    NoGradientError naming f when the result is used in what is differentiated, even times 0."""
    frozen = tp.no_grad(np.square, strict=True)
    assert tp.eval_bp(lambda x: x + frozen(x), 3.0) == 12.0
    for used in (lambda x: x + frozen(x), lambda x: x + 0.0 * frozen(x)):
        with pytest.raises(tp.NoGradientError, match=r"no_grad\(square, strict=True\)"):
            tp.grad_bp(used, 1.0)
    with pytest.raises(tp.NoGradientError):
        tp.grad_bp2(lambda x, y: x * tp.no_grad(np.add, strict=True)(x, y), 1.0, 2.0)


def test_strict_no_grad_is_silent_when_no_gradient_reaches_it() -> None:
    """A strict no_grad result used only to decide (an index, a branch) or not at all costs no
    error, and the gradient around it is right; on plain values it is a constant BVar."""
    argmax = tp.no_grad(np.argmax, strict=True)
    g = tp.grad_bp(lambda v: v[argmax(v)] * 2.0, np.array([1.0, 5.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0])
    big = tp.no_grad(lambda x: x > 0.0, strict=True)
    assert tp.grad_bp(lambda x: x * 3.0 if big(x).value else -x, 2.0) == 3.0
    out = tp.no_grad(np.square, strict=True)(3.0)
    assert type(out) is BVar and out.value == 9.0


def test_ops_from_op_n_check_arity_per_call() -> None:
    """An op with fixed arity rejects a call with another number of arguments."""
    with pytest.raises(TypeError, match="takes 2 arguments, got 3"):
        tp.Op.__call__(mul, 1.0, 2.0, 3.0)


def test_bvar_of_op_in_eval_bp() -> None:
    """eval_bp runs ops on BVars without recording and returns the value."""
    assert tp.eval_bp(lambda a: square(a) + mul(a, a), 3.0) == 18.0


def test_op_repr() -> None:
    """An op shows its name and arity."""
    assert repr(mul) == "<Op mul/2>"
    isinstance(square(auto(1.0)), BVar)


def test_op_iso_checks_the_gradient_its_inverse_returns() -> None:
    """A from_ that maps the gradient back to the wrong shape is caught, naming the op."""
    flat = tp.op_iso(lambda m: m.reshape(-1), lambda v: v.reshape(3, 2), name="flat")
    with pytest.raises(tp.ShapeError, match=r"op_iso 'flat'.*\(3, 2\).*\(2, 3\)"):
        tp.grad_bp(lambda m: sum_elements(flat(m)), np.zeros((2, 3)))
