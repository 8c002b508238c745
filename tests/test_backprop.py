"""The runners, the tape and ``BVar``: gradients, nesting, constants, errors, memory, threads."""

from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref
from collections import namedtuple
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import BVar, auto
from typedprop.functions import exp, sin, sum_elements
from typedprop.testing import arrays, check_grad, nested, well_floats

from .trees import same, sum_leaves

Array = NDArray[np.float64]


# --- runners ---


def test_eval_bp_returns_the_functions_value() -> None:
    """eval_bp gives what the function computes, as a plain value."""
    assert tp.eval_bp(lambda x: x * x + 1.0, 3.0) == 10.0
    assert tp.eval_bp2(lambda x, y: x - y, 3.0, 1.0) == 2.0
    assert tp.eval_bp_n(lambda x, y, z: x * y * z, 1.0, 2.0, 3.0) == 6.0


def test_backprop_returns_value_and_gradient() -> None:
    """backprop gives the value and the gradient of one call."""
    assert tp.backprop(lambda x: x**3, 2.0) == (8.0, 12.0)
    assert tp.backprop2(lambda x, y: x * y, 3.0, 4.0) == (12.0, (4.0, 3.0))
    assert tp.backprop_n(lambda x, y: x / y, 1.0, 2.0) == (0.5, (0.5, -0.25))


@given(well_floats(), well_floats())
def test_grad_bp2_of_a_product_is_the_other_factor(x: float, y: float) -> None:
    """d(xy)/dx = y and d(xy)/dy = x."""
    assert tp.grad_bp2(lambda a, b: a * b, x, y) == (y, x)


def test_backprop_with_pullback_is_linear_and_reusable() -> None:
    """The pullback maps any output gradient, any number of times."""
    x = np.array([1.0, 2.0, 3.0])
    y, pullback = tp.backprop_with(lambda v: v * v, x)
    np.testing.assert_array_equal(y, x * x)
    np.testing.assert_array_equal(pullback(np.ones(3)), 2 * x)
    np.testing.assert_array_equal(pullback(np.array([0.0, 1.0, 0.0])), [0.0, 4.0, 0.0])
    np.testing.assert_array_equal(pullback(np.ones(3)), 2 * x)


def test_backprop_with2_and_n() -> None:
    """The two- and n-input pullbacks give one gradient per input."""
    _, pb2 = tp.backprop_with2(lambda a, b: a * b, np.ones(2), np.full(2, 3.0))
    ga, gb = pb2(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(ga, [3.0, 6.0])
    np.testing.assert_array_equal(gb, [1.0, 2.0])
    _, pbn = tp.backprop_with_n(lambda a, b, c: a * b + c, 2.0, 3.0, 4.0)
    assert pbn(2.0) == (6.0, 4.0, 2.0)


def test_tuple_output_is_collected_for_backprop_with() -> None:
    """A function returning a tuple of BVars is one output of tuple type."""

    def pair(x: BVar[float]) -> Any:
        return (x * 2.0, x * x)

    y, pullback = tp.backprop_with(pair, 3.0)
    assert y == (6.0, 9.0)
    assert pullback((1.0, 1.0)) == 8.0


# --- identity, branches and constants ---


def test_identity_has_gradient_one() -> None:
    """The gradient of the identity is one of the input's type."""
    assert tp.grad_bp(lambda x: x, 3.0) == 1.0
    assert tp.grad_bp2(lambda x, y: x, 3.0, np.ones(2))[0] == 1.0
    np.testing.assert_array_equal(tp.grad_bp2(lambda x, y: y, 3.0, 7.0), (0.0, 1.0))


def test_branch_returning_the_input_has_gradient_one() -> None:
    """backprop issue #13: `if x < 0 then x else x` must not lose the gradient."""

    def f(x: BVar[float]) -> BVar[float]:
        if x < 0:
            return x
        return x

    assert tp.grad_bp(f, 2.0) == 1.0
    assert tp.grad_bp(f, -2.0) == 1.0


def test_comparisons_branch_on_values() -> None:
    """Comparisons compare values, so a hand-written abs differentiates both ways."""

    def my_abs(x: BVar[float]) -> BVar[float]:
        return -x if x < 0 else x

    assert tp.grad_bp(my_abs, -3.0) == -1.0
    assert tp.grad_bp(my_abs, 3.0) == 1.0
    x = auto(2.0)
    assert x == 2.0 and x != 3.0 and x <= 2.0 and x >= 2.0 and x > 1.0


def test_constant_output_gives_zero_gradients() -> None:
    """A function returning a constant has zero gradients, even after recording nodes."""
    assert tp.grad_bp(lambda x: auto(5.0), 3.0) == 0.0

    def after_nodes(x: BVar[Array]) -> BVar[float]:
        if sum_elements(x * 2.0) > 0:
            return auto(1.0)
        return sum_elements(x)

    np.testing.assert_array_equal(tp.grad_bp(after_nodes, np.ones(3)), np.zeros(3))


def test_unused_inputs_get_zero_of_their_type() -> None:
    """An input the output ignores gets its zero: an array of zeros, a dict of zeros."""
    gx, gy = tp.grad_bp2(lambda x, y: x * 2.0, 1.0, {"a": np.ones(2), "b": 3.0})
    assert gx == 2.0
    assert gy["b"] == 0.0
    np.testing.assert_array_equal(gy["a"], np.zeros(2))


def test_auto_is_a_constant() -> None:
    """auto(x) takes part in the value but gets no gradient; auto of a BVar is that BVar."""
    assert tp.grad_bp(lambda w: w * auto(3.0) + auto(1.0), 2.0) == 3.0
    b = auto(1.0)
    assert auto(b) is b


def test_fan_out_is_summed() -> None:
    """A value used several times gets the sum of its uses' gradients."""
    assert tp.grad_bp(lambda x: x * x + x + sin(x) * 0.0, 3.0) == 7.0
    g = tp.grad_bp(lambda d: d["a"] * d["a"] + d["a"] * d["b"], {"a": 2.0, "b": 5.0})
    assert g == {"a": 9.0, "b": 2.0}


def test_mixing_bvars_and_constants_on_either_side() -> None:
    """Plain numbers and arrays combine with BVars on the left and on the right."""
    a = np.array([1.0, 2.0])
    g = tp.grad_bp(lambda x: sum_elements(2.0 - x + a / x * 3.0 - x**2.0 + a @ x), a)
    # a @ x is a number broadcast over both elements of the sum, so it counts twice
    np.testing.assert_allclose(g, -1.0 - 3.0 * a / a**2 - 2.0 * a + 2.0 * a)


def test_broadcast_gradients_are_summed_to_each_shape() -> None:
    """A (3, 1) plus a (4,) gives each input a gradient of its own shape."""
    gx, gy = tp.grad_bp2(lambda x, y: sum_elements(x + y), np.ones((3, 1)), np.ones(4))
    np.testing.assert_array_equal(gx, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(gy, np.full(4, 3.0))
    g_scalar = tp.grad_bp2(lambda s, v: sum_elements(s * v), 2.0, np.ones(5))[0]
    assert g_scalar == 5.0 and isinstance(g_scalar, float)


def test_heterogeneous_inputs() -> None:
    """A tuple of a float, an array and a dict is one input, and its gradient has its shape."""
    params = (2.0, np.array([1.0, 2.0]), {"k": 3.0})

    def f(p: BVar[tuple[float, Array, dict[str, float]]]) -> BVar[float]:
        parts: Any = tp.sequence_var(p)  # a heterogeneous tuple's elements have no common type
        s, v, d = parts
        product: BVar[float] = s * sum_elements(v) * d["k"]
        return product

    gs, gv, gd = tp.grad_bp(f, params)
    assert gs == 9.0
    np.testing.assert_array_equal(gv, [6.0, 6.0])
    assert gd == {"k": 6.0}


# --- higher order ---


def test_nested_grad_is_the_second_derivative() -> None:
    """The gradient of the gradient of y**3 at 2 is 12, and the third derivative of x**4 is 24x."""
    assert tp.grad_bp(lambda x: tp.grad_bp(lambda y: y**3, x), 2.0) == 12.0

    def second(y: BVar[float]) -> BVar[float]:
        return tp.grad_bp(lambda z: z**4, y)

    assert tp.grad_bp(lambda x: tp.grad_bp(second, x), 1.5) == pytest.approx(36.0)


def test_inner_function_may_close_over_the_outer_variable() -> None:
    """d/dx [d/dy (x * y * y) at y=3] = d/dx (6x) = 6; the gradient is a BVar of the outer call."""

    def inner(x: BVar[float]) -> BVar[float]:
        return cast(BVar[float], tp.grad_bp(lambda y: x * y * y, 3.0))

    def ignores_y(x: BVar[float]) -> BVar[float]:
        return auto(tp.grad_bp(lambda y: x, 1.0))

    assert tp.grad_bp(inner, 2.0) == 6.0
    assert tp.grad_bp(ignores_y, 2.0) == 0.0


@given(arrays(shape=(4,)), arrays(shape=(4,)))
def test_hessian_vector_product_of_cubic(x: Array, v: Array) -> None:
    """For f(x) = sum(x**3 + x0 * x), H v = 6 x v + (v0 on all but...) matches the closed form."""

    def hvp(x0: Array) -> Array:
        def directional(xb: BVar[Array]) -> BVar[float]:
            g = tp.grad_bp(lambda y: sum_elements(y**3) + sum_elements(exp(y) * y[0]), xb)
            return sum_elements(g * v)

        return tp.grad_bp(directional, x0)

    e = np.exp(x)
    hessian = np.diag(6 * x + 0.0)
    hessian += np.diag(np.r_[0.0, e[1:]] * x[0])  # d2/dxi2 of exp(xi) x0 for i > 0
    hessian[0, 1:] += e[1:]
    hessian[1:, 0] += e[1:]
    hessian[0, 0] += (2 + x[0]) * e[0]  # d2/dx0^2 of x0 exp(x0)
    np.testing.assert_allclose(hvp(x), hessian @ v, rtol=1e-9, atol=1e-9)


# --- sequence_var / collect_var ---

Pair = namedtuple("Pair", ["left", "right"])


def test_sequence_var_keeps_the_container_kind() -> None:
    """Tuples, named tuples, lists and dicts split into BVars and their gradients keep the kind."""
    assert tp.grad_bp(lambda p: tp.sequence_var(p)[0] * 2.0, (1.0, 5.0)) == (2.0, 0.0)
    g = tp.grad_bp(lambda p: tp.sequence_var(p)[0] * 3.0, Pair(1.0, 2.0))
    assert isinstance(g, Pair) and g == Pair(3.0, 0.0)
    assert tp.grad_bp(lambda p: tp.sequence_var(p)[1], [1.0, 2.0, 3.0]) == [0.0, 1.0, 0.0]

    def second(d: BVar[dict[str, float]]) -> BVar[float]:
        return tp.sequence_var(d)["b"]

    assert tp.grad_bp(second, {"a": 1.0, "b": 2.0}) == {"a": 0.0, "b": 1.0}


def test_collect_var_gathers_gradients_by_position() -> None:
    """collect_var of BVars and constants gives each BVar the gradient of its position."""
    g = tp.grad_bp2(
        lambda x, y: sum_elements(tp.collect_var([x, auto(2.0), y * 3.0])[2] * x), 1.0, 2.0
    )
    assert g == (6.0, 3.0)
    gd = tp.grad_bp(lambda x: tp.collect_var({"a": x, "b": x * x})["b"], 3.0)
    assert gd == 6.0


@given(nested())
def test_sequence_then_collect_is_the_identity(value: Any) -> None:
    """collect_var(sequence_var(x)) has gradient one(x) for any container."""
    if not isinstance(value, tuple | list | dict):
        value = (value,)
    g = tp.grad_bp(lambda x: sum_leaves(tp.collect_var(tp.sequence_var(x))), value)
    assert same(g, tp.one(value))


def test_reading_elements_of_a_long_tuple_costs_one_assembly() -> None:
    """Reading k elements of an n-tuple assembles one gradient, not k zero-filled tuples."""
    n = 2000
    value = tuple(float(i) for i in range(n))

    def f(p: BVar[tuple[float, ...]]) -> BVar[float]:
        total: BVar[float] = auto(0.0)
        for i in range(0, n, 2):
            total = total + p[i]
        return total

    g = tp.grad_bp(f, value)
    assert g == tuple(1.0 if i % 2 == 0 else 0.0 for i in range(n))


def test_iterating_an_array_bvar() -> None:
    """Iterating a BVar of an array yields element BVars whose gradients land in place."""
    g = tp.grad_bp(lambda x: sum(xi * xi for xi in x) * 1.0, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])


# --- errors ---


def test_grad_bp_of_a_non_scalar_output_says_to_use_backprop_with() -> None:
    """grad_bp of a vector-valued function raises NonScalarOutputError naming backprop_with."""
    with pytest.raises(tp.NonScalarOutputError, match=r"shape \(3,\).*backprop_with"):
        tp.grad_bp(lambda x: x * 2.0, np.ones(3))


def test_escaped_bvar_is_an_error() -> None:
    """A BVar kept after its call and used again raises EscapedBVarError."""
    kept: list[BVar[float]] = []

    def f(x: BVar[float]) -> BVar[float]:
        kept.append(x)
        return x * 2.0

    tp.grad_bp(f, 1.0)
    with pytest.raises(tp.EscapedBVarError, match="after the grad_bp"):
        kept[0] + 1.0
    with pytest.raises(tp.EscapedBVarError):
        tp.grad_bp(lambda y: y * kept[0], 1.0)
    assert kept[0].value == 1.0


def test_missing_instance_names_the_type_and_the_fix() -> None:
    """A value with no Backprop instance raises MissingInstanceError saying how to register."""

    class Opaque:
        pass

    with pytest.raises(tp.MissingInstanceError, match=r"Opaque.*register_backprop"):
        tp.grad_bp2(lambda x, o: x * 2.0, 1.0, Opaque())


def test_pullback_checks_the_output_gradient_shape() -> None:
    """backprop_with's pullback rejects an output gradient of the wrong shape."""
    _, pullback = tp.backprop_with(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(tp.ShapeError, match=r"shape \(2,\).*shape \(3,\)"):
        pullback(np.ones(2))
    _, of_float = tp.backprop_with(lambda x: x * 2.0, 1.0)
    with pytest.raises(tp.ShapeError, match=r"array of shape \(3,\).*the output.*a float"):
        of_float(np.ones(3))


# --- inputs, memory and threads ---


@given(arrays(shape=(3,)), nested())
def test_inputs_are_never_mutated(x: Array, tree: Any) -> None:
    """Gradients never write into the caller's arrays, whatever the accumulation path."""
    x_before = x.copy()
    tp.grad_bp(lambda v: sum_elements(v * v + v[0] + v[1:2] * v[0] + v), x)
    np.testing.assert_array_equal(x, x_before)
    snapshot = repr(tree)
    tp.grad_bp(lambda t: sum_leaves(t) * 2.0 + sum_leaves(t), tree)
    assert repr(tree) == snapshot


def test_tape_is_freed_after_the_call() -> None:
    """Intermediate values are released once grad_bp returns, even if a BVar escaped."""
    refs: list[weakref.ref[Any]] = []
    kept: list[BVar[Array]] = []

    def f(x: BVar[Array]) -> BVar[float]:
        y = x * np.ones(100_000)
        refs.append(weakref.ref(y.value))
        kept.append(y)
        return sum_elements(exp(y))

    tp.grad_bp(f, np.zeros(100_000))
    kept[0].value = np.zeros(1)  # drop the value the test itself holds
    gc.collect()
    assert refs[0]() is None


def test_a_million_operations_differentiate_without_recursion_or_leak() -> None:
    """A chain of 10**6 ops differentiates iteratively, and the whole tape is released."""
    n = 1_000_000
    refs: list[weakref.ref[Any]] = []

    def chain(x: BVar[float]) -> BVar[float]:
        first = x * np.ones(1)  # an array on the tape's first node, to watch with a weakref
        refs.append(weakref.ref(first.value))
        y = sum_elements(first)
        for _ in range(n):
            y = y * 1.0000001
        return y

    g = tp.grad_bp(chain, 1.0)
    gc.collect()
    assert g == pytest.approx(1.0000001**n, rel=1e-9)
    assert refs[0]() is None


def test_tape_memory_returns_after_the_call() -> None:
    """tracemalloc sees the tape's memory come back once grad_bp has returned."""

    def chain(x: BVar[float]) -> BVar[float]:
        for _ in range(20_000):
            x = sin(x) * 1.0
        return x

    tracemalloc.start()
    try:
        tp.grad_bp(chain, 0.5)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak > 2_000_000  # the tape held 40,000 nodes...
    assert current < 200_000  # ...and gave them back


def test_threads_differentiate_independently() -> None:
    """Four threads differentiating at once get exactly their serial results."""
    xs = [np.linspace(-1.0, 1.0, 5) * (k + 1) for k in range(4)]

    def f(x: BVar[Array]) -> BVar[float]:
        y = x
        for _ in range(50):
            y = sin(y) * 1.01 + x * 0.01
        return sum_elements(y * y)

    expected = [tp.grad_bp(f, x) for x in xs]
    results: dict[int, list[Array]] = {k: [] for k in range(4)}

    def work(k: int) -> None:
        for _ in range(20):
            results[k].append(tp.grad_bp(f, xs[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert len(results[k]) == 20
        for r in results[k]:
            np.testing.assert_array_equal(r, expected[k])


def test_a_bvar_of_a_call_running_in_another_thread_is_an_error() -> None:
    """A BVar of another thread's running call is not an enclosing call's: combining it with
    this thread's BVars raises EscapedBVarError instead of recording on the other tape."""
    shared: list[BVar[float]] = []
    published, release = threading.Event(), threading.Event()

    def other(x: BVar[float]) -> BVar[float]:
        shared.append(x)
        published.set()
        release.wait(10.0)
        return x * x

    worker = threading.Thread(target=lambda: tp.grad_bp(other, 3.0))
    worker.start()
    try:
        assert published.wait(10.0)
        foreign = shared[0]
        with pytest.raises(tp.EscapedBVarError, match="another thread"):
            tp.grad_bp(lambda y: y * foreign, 2.0)
        with pytest.raises(tp.EscapedBVarError, match="another thread"):
            tp.grad_bp(lambda y: foreign + y, 2.0)
        with pytest.raises(tp.EscapedBVarError, match="another thread"):
            tp.grad_bp_n(lambda y, z: tp.collect_var([y, foreign, z])[0], 2.0, 1.0)
    finally:
        release.set()
        worker.join()


def test_bvar_repr_and_value() -> None:
    """A BVar shows its value; the value is public."""
    assert repr(auto(2.0)) == "BVar(constant 2.0)"
    assert tp.eval_bp(lambda x: auto(x.value * 2.0), 3.0) == 6.0


# --- gradients the user receives never share memory ---


def _overlapping(arrays: list[Any]) -> bool:
    return any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])


def test_gradients_of_a_sum_are_separate_arrays() -> None:
    """`a + b` hands both arguments the same gradient array; the runner copies one of them."""
    x, y = np.ones(3), np.ones(3)
    ga, gb = tp.grad_bp2(lambda a, b: sum_elements(a + b), x, y)
    ga *= 0.5
    assert np.array_equal(gb, np.ones(3))
    assert not _overlapping([ga, gb, x, y])


def test_gradients_that_are_views_of_one_another_are_separate_arrays() -> None:
    """`a + b.T` gives b the transpose (a view) of a's gradient, among many array inputs (the
    runner's all-arrays path): each gradient the user receives has memory of its own."""
    x, y, z = np.ones((2, 3)), np.ones((3, 2)), np.ones(3)
    ga, gb, gz = tp.grad_bp_n(lambda a, b, c: sum_elements(a + b.T) + c @ c, x, y, z)
    ga *= 0.5
    assert np.array_equal(gb, np.ones((3, 2)))
    assert not _overlapping([ga, gb, gz, x, y, z])


def test_gradient_leaves_of_tuples_and_dicts_are_separate_arrays() -> None:
    x, y = np.ones(2), np.ones(2)
    gt = tp.grad_bp(lambda p: sum_elements(p[0] + p[1]), (x, y))
    gd = tp.grad_bp(lambda p: sum_elements(p["a"] + p["b"]), {"a": x, "b": y})
    assert not _overlapping([gt[0], gt[1], x, y])
    assert not _overlapping([gd["a"], gd["b"], x, y])


@tp.op1
def _sum_returning_its_argument(v: Array) -> tuple[float, Any]:
    return float(np.sum(v)), lambda g: v  # a wrong but legal pullback: the input itself


def test_a_gradient_is_never_an_input_or_the_output_gradient() -> None:
    x = np.ones(3)
    g = tp.grad_bp(_sum_returning_its_argument, x)
    assert not np.shares_memory(g, x)
    _, pullback = tp.backprop_with(lambda a: a, x)
    seed = np.ones(3)
    assert not np.shares_memory(pullback(seed), seed)


# --- the kind of a gradient ---


def test_a_float_inputs_gradient_is_a_float() -> None:
    """numpy scalars made along the way (np.mean, np.sin, a product with np.float64) do not
    leak into the gradient of a float, alone or inside a container."""
    from typedprop.functions import mean

    for f in (mean, sin, lambda a: a * np.float64(2.0), lambda a: np.float64(2.0) ** a):
        g = tp.grad_bp(f, 1.0)
        assert type(g) is float
    gs = tp.grad_bp(lambda p: sin(p[0]) * p[1], (1.0, 2.0))
    assert [type(g) for g in gs] == [float, float]
    assert all(type(g) is float for g in tp.grad_bp_n(lambda a, b: mean(a * b), 1.0, 2.0))


def test_a_real_inputs_gradient_is_the_real_part() -> None:
    """Through complex numbers, a real input's gradient is that of the output's real part."""
    assert tp.grad_bp(lambda x: x * 1j, 1.0) == 0.0
    g = tp.grad_bp(lambda x: x * (2.0 + 3.0j), 1.0)
    assert type(g) is float and g == 2.0
    ga = tp.grad_bp(lambda x: sum_elements(x * (2.0 + 3.0j)), np.ones(2))
    assert ga.dtype == np.float64
    np.testing.assert_array_equal(ga, [2.0, 2.0])
    gc = tp.grad_bp(lambda x: sum_elements(x * 2.0), np.ones(2, complex))
    assert gc.dtype == np.complex128


# --- tuple and list inputs: each element an entry of its own ---


def _reads(p: Any) -> Any:
    """Every way of reading a tuple or list input: by index, negative index, unpacking,
    sequence_var, a slice, and the container used whole (collect-free: a lens-less op)."""
    a, b, c = p
    first = p[0] * p[-1]
    second = tp.sequence_var(p)[1]
    tail = sum_elements(p[1:][1] * p[1:][1])
    return sum_elements(sin(a * b) + first * 2.0 + second * c) + tail


@given(x=arrays((3,)), y=arrays((3,)), z=arrays((3,)))
def test_tuple_and_list_inputs_differentiate_like_separate_inputs(
    x: Array, y: Array, z: Array
) -> None:
    """Reading a tuple or list input's elements (by index, unpacked, sequence_var, slices)
    gives the gradients of three separate inputs, of the container's kind, first and second
    order; no element read records a node."""
    want = tp.grad_bp_n(lambda a, b, c: _reads((a, b, c)), x, y, z)
    for container in [(x, y, z), [x, y, z]]:
        got = tp.grad_bp(_reads, container)
        assert type(got) is type(container)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(
            tp.eval_bp(_reads, container),
            tp.eval_bp_n(lambda a, b, c: _reads((a, b, c)), x, y, z),
            rtol=1e-14,
        )
    check_grad(_reads, (x, y, z), order=2)


def test_a_tuple_input_used_whole_and_by_element_sums_both_gradients() -> None:
    """The container's own BVar, given whole to an op (here a lens-free view of the pair by a
    user op), sends its gradient to the elements, added to what element reads sent."""

    @tp.op1
    def second_squared(p: tuple[float, float]) -> tuple[float, Any]:
        return p[1] ** 2, lambda g: (0.0, 2.0 * p[1] * g)

    g = tp.grad_bp(lambda p: second_squared(p) + p[1] * 3.0 + p[0], (1.0, 2.0))
    assert g == (1.0, 7.0)
    assert tp.grad_bp(lambda p: p[1], (1.0, 2.0)) == (0.0, 1.0)
    assert tp.grad_bp(lambda p: p[0] * 0.0 + 1.0, (1.0, [2.0])) == (0.0, [0.0])


def test_an_element_of_a_tuple_input_read_after_the_call_is_an_escaped_bvar() -> None:
    kept: list[BVar[Any]] = []

    def f(p: BVar[tuple[float, float]]) -> BVar[float]:
        kept.append(p)
        return p[0]

    tp.grad_bp(f, (1.0, 2.0))
    with pytest.raises(tp.EscapedBVarError):
        kept[0][0]


def test_tuple_inputs_nest() -> None:
    """A gradient of a tuple input taken inside another grad_bp: second derivatives."""

    def inner(x: BVar[float]) -> BVar[float]:
        g = tp.grad_bp(lambda p: p[0] * p[0] * p[1], (x, x * 2.0))
        return g[0] + g[1]  # 2 x (2x) + x^2 = 5 x^2

    assert tp.grad_bp(inner, 3.0) == pytest.approx(30.0)


def test_reading_an_element_of_a_tuple_input_records_nothing() -> None:
    """An element read is the element's own entry (the same BVar each time), not a view node."""
    seen: list[bool] = []

    def f(p: BVar[tuple[float, float]]) -> BVar[float]:
        seen.append(p[0] is p[0] and p[-2] is p[0])
        return p[0] * p[1]

    assert tp.grad_bp(f, (1.0, 2.0)) == (2.0, 1.0)
    assert tp.eval_bp(f, (1.0, 2.0)) == 2.0
    assert seen == [True, True]


def test_a_container_read_by_slice_and_by_lens_gets_both_gradients() -> None:
    """Sparse gradients keyed by index (a slice read) and by lens are assembled, not merged
    by key (the lens's part was dropped, or the assembly raised AttributeError)."""
    second: tp.Lens[tuple[float, float], float] = tp.Lens(
        lambda p: p[1], lambda p, a: (p[0], a), name="second"
    )
    for f in [
        lambda p: (p ^ second) * 3.0 + p[1:][0] * 1.0,
        lambda p: p[1:][0] * 1.0 + (p ^ second) * 3.0,
        lambda p: p[1] * 1.0 + (p ^ second) * 3.0,
    ]:
        assert tp.grad_bp(f, (1.0, 2.0)) == (0.0, 4.0)
