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


# --- combinators and isomorphisms ---


@given(arrays(shape=(2, 3)))
def test_op_iso_is_differentiable_twice(m: Array) -> None:
    """op_iso's pullback, given a BVar gradient (a nested derivative), maps it back with its
    inverse recorded as an op: the second derivative is right (it failed before: from_ was
    applied to the BVar as to a plain array)."""
    flat = tp.op_iso(lambda a: a.reshape(-1), lambda v: v.reshape(2, 3), name="flatten")
    check_grad(lambda a: sum_elements(sin(flat(a)) * flat(a)), m)


@given(well_floats(), arrays(shape=(3,)))
def test_op_iso2_and_iso_var2_build_a_record_from_its_fields(a: float, b: Array) -> None:
    """A record built from two fields through an isomorphism: gradients to second order, and
    each field's gradient is the field of the record's gradient."""
    make = tp.op_iso2(_Pair, lambda p: (p.a, p.b), name="pair")

    def f(x: BVar[float], y: BVar[Array]) -> BVar[float]:
        p = make(x, y)
        return sin(p ^ _Pair.a) * sum_elements((p ^ _Pair.b) * (p ^ _Pair.b))

    def g(x: BVar[float], y: BVar[Array]) -> BVar[float]:
        p = tp.iso_var2(_Pair, lambda p: (p.a, p.b), x, y)
        return (p ^ _Pair.a) * sum_elements(sin(p ^ _Pair.b))

    check_grad(f, a, b)
    check_grad(g, a, b)
    ga, gb = tp.grad_bp2(g, a, b)
    assert np.isclose(ga, np.sum(np.sin(b))) and np.allclose(gb, a * np.cos(b))


@given(arrays(shape=(2,)), arrays(shape=(2,)), arrays(shape=(2,)))
def test_op_iso_n_and_iso_var_n_stack_any_number_of_parts(x: Array, y: Array, z: Array) -> None:
    """An isomorphism of n arguments (stacking rows): second-order gradients for n = 2 and 3."""
    stack = tp.op_iso_n(lambda *vs: np.stack(vs), tuple, name="stack")
    weights = np.arange(6.0).reshape(3, 2)
    check_grad(lambda a, b: sum_elements(sin(stack(a, b)) * weights[:2]), x, y)
    check_grad(
        lambda a, b, c: sum_elements(
            tp.iso_var_n(lambda *vs: np.stack(vs), tuple, [a, b, c]) ** 2.0 * weights
        ),
        x,
        y,
        z,
    )
    assert np.array_equal(stack(x, y, z), np.stack([x, y, z]))


def test_an_iso_whose_inverse_returns_the_wrong_number_of_parts_says_so() -> None:
    """op_iso2's from_ must give one part per argument."""
    bad: tp.op.Op2[float, float, float] = tp.op_iso2(
        lambda a, b: a + b,
        lambda c: (c,),  # type: ignore[arg-type, return-value]
        name="sum",
    )
    with pytest.raises(tp.PullbackError, match=r"op_iso 'sum': its from_ must return 2 parts"):
        tp.grad_bp2(lambda a, b: bad(a, b), 1.0, 2.0)


@given(well_floats(), well_floats())
def test_compose_op_applies_an_op_to_the_outputs_of_others(x: float, y: float) -> None:
    """compose_op(mul, square, id_op) is x -> x³; compose_op(square, mul) is (x, y) -> (xy)²;
    gradients summed over the inner ops, checked to second order and in closed form."""
    cube = tp.compose_op(mul, square, tp.id_op)
    assert np.isclose(cube(x), x**3) and np.isclose(tp.grad_bp(cube, x), 3.0 * x * x)
    check_grad(lambda a: cube(a) * my_sin(a), x)
    squared_product = tp.compose_op(square, mul)
    gx, gy = tp.grad_bp2(squared_product, x, y)
    assert np.isclose(gx, 2.0 * x * y * y) and np.isclose(gy, 2.0 * x * x * y)
    check_grad(lambda a, b: squared_product(a, b) * my_sin(b), x, y)
    check_grad(tp.compose_op(total, mul, tp.compose_op(square, mul), mul), x, y)


@given(arrays(shape=(2,)), well_floats())
def test_op_lens_is_a_lens_view_as_an_op(w: Array, b: float) -> None:
    """op_lens(lens) views as the lens does; its gradient is embedded in the record's zero,
    also inside compose_op (a sparse gradient made whole)."""
    view_a = tp.op_lens(_Pair.a)
    view_b = tp.op_lens(_Pair.b)
    p = _Pair(b, w)
    assert view_a(p) == b and view_b(p) is p.b
    g = tp.grad_bp(lambda q: my_sin(view_a(q)) * sum_elements(view_b(q)), p)
    assert np.isclose(g.a, np.cos(b) * np.sum(w)) and np.allclose(g.b, np.sin(b))
    check_grad(lambda q: my_sin(view_a(q)) * sum_elements(view_b(q) * view_b(q)), p)
    both = tp.compose_op(mul, view_a, view_a)
    check_grad(lambda q: both(q) * sum_elements(view_b(q)), p)


@given(well_floats(), well_floats())
def test_op_const_ignores_its_arguments(x: float, y: float) -> None:
    """op_const's value is the constant, whatever the arguments; they get zero gradient."""
    seven = tp.op_const(7.0)
    assert seven(x) == 7.0 and seven(x, y) == 7.0
    assert tp.grad_bp2(lambda a, b: seven(a, b) * a, x, y) == (7.0, 0.0)
    check_grad(lambda a, b: seven(a, b) * my_sin(a) + tp.compose_op(mul, seven, mul)(a, b), x, y)


def test_id_op_passes_values_and_gradients_through() -> None:
    """id_op(x) is x, and its gradient is the incoming one."""
    assert tp.id_op(3.0) == 3.0
    assert tp.grad_bp(lambda x: tp.id_op(x) * tp.id_op(x), 3.0) == 6.0
    check_grad(lambda x: my_sin(tp.id_op(x)) * x, 0.3)


def test_compose_op_refuses_ops_that_do_not_fit() -> None:
    """The outer op takes one argument per inner op, and the inner ops agree on their arity
    (mypy refuses both calls too; at run time they are TypeErrors)."""
    with pytest.raises(TypeError, match="'mul' takes 2 arguments but 1 ops were given"):
        tp.compose_op(mul, square)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="the ops take different numbers of arguments"):
        tp.compose_op(mul, square, mul)  # type: ignore[call-overload]


def test_coerce_var_retypes_without_a_new_node() -> None:
    """coerce_var is the same BVar (no node, same gradient) where the value already is a ``to``;
    anything else is a FieldTypeError that says coerce_var does not convert."""
    from typing import Literal, NewType

    from typedprop.linalg import Vec

    meters = NewType("meters", float)
    seen: list[BVar[Any]] = []

    def f(x: BVar[float]) -> BVar[float]:
        m = tp.coerce_var(meters, x)
        seen.append(m)
        return m * x

    assert tp.grad_bp(f, 3.0) == 6.0 and seen[0] is not None
    assert tp.eval_bp(lambda x: auto(float(tp.coerce_var(meters, x) is x)), 3.0) == 1.0
    v = vector([1.0, 2.0, 3.0])
    assert tp.coerce_var(Vec[Literal[3]], auto(v)).value is v
    with pytest.raises(tp.FieldTypeError, match=r"the value is Vec\[3\], not a Vec\[4\]"):
        tp.coerce_var(Vec[Literal[4]], auto(v))
    with pytest.raises(tp.FieldTypeError, match="the value is an array of shape"):
        tp.coerce_var(Vec[Literal[3]], auto(np.zeros(3)))


# --- lazy gradients ---


def _counting_matvec(forced: list[str]) -> Any:
    """``m @ v`` whose pullback returns both gradients lazily, noting which it computed."""

    @tp.op2
    def matvec(m: Array, v: Array) -> tuple[Array, Any]:
        def pullback(g: Array) -> tuple[Any, Any]:
            def gm() -> Array:
                forced.append("m")
                return np.outer(g, v)

            def gv() -> Array:
                forced.append("v")
                return m.T @ g

            return tp.op.lazy(gm), tp.op.lazy(gv)

        return m @ v, pullback

    return matvec


@given(arrays(shape=(3, 2)), arrays(shape=(2,)))
def test_a_lazy_gradient_is_computed_only_for_a_variable_argument(m: Array, v: Array) -> None:
    """The thunk of a constant argument is never called; a variable's is, once, and its
    gradient is the eager rule's (checked against finite differences)."""
    forced: list[str] = []
    matvec = _counting_matvec(forced)
    gm = tp.grad_bp(lambda m_: sum_elements(matvec(m_, v) ** 2), m)
    assert forced == ["m"]
    np.testing.assert_allclose(gm, 2.0 * np.outer(m @ v, v), atol=1e-12)
    forced.clear()
    gv = tp.grad_bp(lambda v_: sum_elements(matvec(m, v_) ** 2), v)
    assert forced == ["v"]
    np.testing.assert_allclose(gv, 2.0 * m.T @ (m @ v), atol=1e-12)
    forced.clear()
    tp.grad_bp2(lambda m_, v_: sum_elements(matvec(m_, v_)), m, v)
    assert sorted(forced) == ["m", "v"]
    forced.clear()
    check_grad(lambda m_, v_: sum_elements(matvec(m_, v_) ** 2), m, v, order=1)
    assert sorted(set(forced)) == ["m", "v"]


def test_a_lazy_gradient_is_checked_like_an_eager_one() -> None:
    """What a thunk returns must fit its argument, as any pullback's result must."""

    @tp.op2
    def bad(x: Array, y: Array) -> tuple[Array, Any]:
        return x + y, lambda g: (g, tp.op.lazy(lambda: np.zeros(5)))

    with pytest.raises(tp.ShapeError, match="argument 1"):
        tp.grad_bp2(lambda x, y: sum_elements(bad(x, y)), np.ones(2), np.ones(2))
    assert "lazy" in repr(tp.op.lazy(lambda: 1.0))


@given(well_floats(-2.0, 2.0))
def test_a_lazy_gradient_written_with_typedprop_ops_has_a_second_derivative(x: float) -> None:
    """In a nested derivative the thunk runs on the enclosing call's BVars, so it records."""

    @tp.op2
    def scaled_sin(s: float, y: float) -> tuple[float, Any]:
        def pullback(g: Any) -> tuple[Any, Any]:
            return tp.op.lazy(lambda: g * sin(y)), tp.op.lazy(lambda: g * s * cos(y))

        return s * sin(y), pullback

    check_grad(lambda y: scaled_sin(3.0, y), x, order=2)
    assert tp.grad_bp(lambda y: tp.grad_bp(lambda z: scaled_sin(3.0, z), y), x) == pytest.approx(
        -3.0 * np.sin(x)
    )
