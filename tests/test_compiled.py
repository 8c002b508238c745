"""compile_grad / compile_eval: a replay equals the eager runners, and what a replay could not
repeat is refused (or run eagerly with ``fallback=True``)."""

from __future__ import annotations

import functools
import importlib.util
import itertools
import sys
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import typedprop as tp
import typedprop.compiled as compiled_module
from typedprop import (
    BVar,
    Model,
    TraceError,
    auto,
    backprop_n,
    compile_eval,
    compile_grad,
    eval_bp_n,
    grad_bp,
    grad_bp_n,
    no_grad,
    sequence_var,
)
from typedprop._tree import tree_map
from typedprop.functions import (
    cross_entropy,
    logistic,
    relu,
    softplus,
    sum_elements,
    tanh,
)
from typedprop.linalg import Mat, Vec, tr

from .trees import same

Array = NDArray[np.float64]
ROOT = Path(__file__).resolve().parent.parent
GOOD = sorted((ROOT / "tests" / "corpus" / "good").glob("*.py"))
ACTIVATIONS: dict[str, Callable[[BVar[Any]], BVar[Any]]] = {
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "softplus": softplus,
}


def _network(
    sizes: list[int], batch: int, layout: str, act: str, seed: int
) -> tuple[Callable[..., BVar[float]], Callable[[int], tuple[Array, ...]]]:
    """A loss of a dense network's parameters and data, and a maker of its inputs (by seed)."""
    f = ACTIVATIONS[act]

    def loss(*args: BVar[Array]) -> BVar[float]:
        *params, x, t = args
        h: BVar[Array] = x
        for k in range(0, len(params), 2):
            w, b = params[k], params[k + 1]
            z = w @ h + b if layout == "vector" else h @ w + b
            h = f(z) if k + 2 < len(params) else z
        return cross_entropy(h, t)

    def inputs(s: int) -> tuple[Array, ...]:
        rng = np.random.default_rng(seed * 1000 + s)
        out: list[Array] = []
        for n_in, n_out in itertools.pairwise(sizes):
            shape = (n_out, n_in) if layout == "vector" else (n_in, n_out)
            out += [rng.uniform(-0.5, 0.5, shape), rng.uniform(-0.5, 0.5, n_out)]
        if layout == "vector":
            x, t = rng.uniform(0, 1, sizes[0]), np.eye(sizes[-1])[rng.integers(sizes[-1])]
        else:
            x = rng.uniform(0, 1, (batch, sizes[0]))
            t = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
        return (*out, x, t)

    return loss, inputs


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    batch=st.integers(1, 5),
    layout=st.sampled_from(["vector", "row"]),
    act=st.sampled_from(sorted(ACTIVATIONS)),
    seed=st.integers(0, 10**6),
)
def test_random_networks_replay_as_eager(
    sizes: list[int], batch: int, layout: str, act: str, seed: int
) -> None:
    loss, inputs = _network(sizes, batch, layout, act, seed)
    cg = compile_grad(loss)
    ce = compile_eval(loss)
    for s in range(3):  # the trace, then two replays on new values
        xs = inputs(s)
        assert same(cg(*xs), grad_bp_n(loss, *xs))
        assert same(cg.value_and_grad(*xs), backprop_n(loss, *xs))
        assert same(ce(*xs), eval_bp_n(loss, *xs))
    assert cg.traces == 1
    assert ce.traces == 1


@settings(max_examples=10)
@given(
    sizes=st.lists(st.integers(30, 60), min_size=2, max_size=3),
    batch=st.integers(36, 40),
    seed=st.integers(0, 10**6),
)
def test_wide_networks_replay_as_eager(sizes: list[int], batch: int, seed: int) -> None:
    loss, inputs = _network(sizes, batch, "row", "logistic", seed)
    cg = compile_grad(loss)
    cg(*inputs(0))  # the trace
    first = cg(*inputs(0))  # a replay
    kept = tuple(g.copy() for g in first)
    for s in range(1, 3):
        xs = inputs(s)
        assert same(cg(*xs), grad_bp_n(loss, *xs))
    assert same(first, kept)  # earlier answers are never written to


def test_a_value_that_views_a_product_is_fresh_at_each_call() -> None:
    def rows(w: BVar[Array], x: BVar[Array]) -> BVar[Array]:
        return (x @ w)[0]  # a view of the product

    ce = compile_eval(rows)
    w, x = np.ones((40, 40)), np.ones((40, 40))
    ce(w, x)  # the trace
    first = ce(w, x)  # a replay
    ce(w * 2.0, x)
    assert same(first, np.full(40, 40.0))


def test_threads_share_a_compiled_function() -> None:
    loss, inputs = _network([40, 40, 3], 40, "row", "tanh", 1)
    cg = compile_grad(loss)
    cg(*inputs(0))
    cases = [inputs(s) for s in range(8)]
    wants = [grad_bp_n(loss, *xs) for xs in cases]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            gots = list(pool.map(lambda xs: cg(*xs), cases))
            assert all(same(g, w) for g, w in zip(gots, wants, strict=True))


class Net(Model):
    """A record of Mat/Vec parameters, read through lenses."""

    w1: Mat[Literal[4], Literal[3]]
    b1: Vec[Literal[4]]
    w2: Mat[Literal[2], Literal[4]]
    b2: Vec[Literal[2]]


def _net(rng: np.random.Generator) -> Net:
    return Net(
        w1=Mat[Literal[4], Literal[3]](rng.normal(size=(4, 3))),
        b1=Vec[Literal[4]](rng.normal(size=4)),
        w2=Mat[Literal[2], Literal[4]](rng.normal(size=(2, 4))),
        b2=Vec[Literal[2]](rng.normal(size=2)),
    )


def _net_loss(net: BVar[Net], x: BVar[Mat[Any, Literal[3]]]) -> BVar[float]:
    h = tanh(x @ tr(net ^ Net.w1) + (net ^ Net.b1))
    y = h @ tr(net ^ Net.w2) + (net ^ Net.b2)
    return sum_elements(y * y) + sum_elements(net ^ Net.b1) * 0.5


@given(seed=st.integers(0, 10**6), batch=st.integers(1, 4))
def test_records_of_mat_and_vec_replay_as_eager(seed: int, batch: int) -> None:
    cg = compile_grad(_net_loss)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        net = _net(rng)
        x = Mat[Any, Literal[3]](rng.normal(size=(batch, 3)))
        got, want = cg(net, x), grad_bp_n(_net_loss, net, x)
        assert type(got[0]) is Net and type(got[0].w1) is type(net.w1)
        assert same(got, want)
    assert cg.traces == 1


def test_containers_floats_and_unused_inputs() -> None:
    def f(p: BVar[tuple[Array, Array]], s: BVar[float], unused: BVar[Array]) -> BVar[float]:
        a, b = sequence_var(p)
        return sum_elements(a * b) * s + s * s

    cg = compile_grad(f)
    for k in range(3):
        xs = ((np.arange(3.0) + k, np.ones(3) * k), 2.0 + k, np.zeros(2))
        got = cg(*xs)
        assert same(got, grad_bp_n(f, *xs))
        assert type(got[1]) is float
        assert same(got[2], np.zeros(2))


def test_shared_gradients_are_separate_arrays() -> None:
    def f(x: BVar[Array], y: BVar[Array]) -> BVar[float]:
        return sum_elements(x + y)  # both get the same gradient array in the sweep

    cg = compile_grad(f)
    x, y = np.ones(3), np.ones(3)
    cg(x, y)
    gx, gy = cg(x, y)
    assert not np.shares_memory(gx, gy)
    gx *= 10.0
    assert same(gy, np.ones(3))


def test_returned_gradients_are_fresh_and_inputs_untouched() -> None:
    loss, inputs = _network([3, 4, 2], 2, "row", "logistic", 0)
    cg = compile_grad(loss)
    xs = inputs(0)
    kept = tuple(a.copy() for a in xs)
    first = cg(*xs)
    want = tuple(g.copy() for g in first)
    for g in first:
        g *= -7.0  # the user's to keep and change
    second = cg(*xs)
    assert same(second, want)
    assert all(not np.shares_memory(a, b) for a, b in zip(first, second, strict=True))
    _value, third = cg.value_and_grad(*xs)
    assert same(third, want)
    assert same(xs, kept)


def test_output_is_an_input_or_ignores_them() -> None:
    cg = compile_grad(lambda x, y: x)
    assert same(cg(2.0, 3.0), (1.0, 0.0))
    assert same(cg(5.0, 3.0), grad_bp_n(lambda x, y: x, 5.0, 3.0))
    const = compile_grad(lambda x: auto(4.0))
    assert same(const.value_and_grad(np.ones(2)), (4.0, (np.zeros(2),)))


def test_new_shape_dtype_or_structure_traces_again_within_the_bound() -> None:
    def f(x: BVar[Any]) -> BVar[float]:
        return sum_elements(x * x)

    cg = compile_grad(f, max_traces=2)
    cg(np.ones(3))
    cg(np.ones(3) * 2.0)
    assert cg.traces == 1
    assert same(cg(np.ones(4)), (np.full(4, 2.0),))
    assert cg.traces == 2
    assert same(cg(np.ones(3, np.float32)), (np.full(3, 2.0, np.float32),))
    assert cg.traces == 3  # the bound is 2: the (3,) float64 trace was dropped
    cg(np.ones(3))
    assert cg.traces == 4
    cg.clear()
    cg(np.ones(3))
    assert cg.traces == 5
    with pytest.raises(ValueError, match="max_traces"):
        compile_grad(f, max_traces=0)


def test_ints_and_static_values_are_part_of_the_signature() -> None:
    def f(x: BVar[Array], k: BVar[int]) -> BVar[float]:
        return sum_elements(x * float(k.value))  # the int is baked in: it is in the key

    cg = compile_grad(f)
    assert same(cg(np.ones(2), 2)[0], np.full(2, 2.0))
    assert same(cg(np.ones(2), 3)[0], np.full(2, 3.0))
    assert cg.traces == 2


def _branchy(x: BVar[float]) -> BVar[float]:
    if x > 0.0:  # decided by the value
        return x * 2.0
    return x * 3.0


def test_a_branch_on_a_traced_value_is_refused_with_the_users_line() -> None:
    cg = compile_grad(_branchy)
    with pytest.raises(TraceError, match=r"comparison \(>\) at .*test_compiled.py:\d+: if x > 0"):
        cg(1.0)


@pytest.mark.parametrize(
    ("f", "xs"),
    [
        (lambda x: x * 2.0 if x else x, (1.0,)),
        (lambda x: x * 2.0 if x == 1.0 else x, (1.0,)),
        (lambda x: sum_elements(x * (x > 0.0)), (np.ones(2),)),
        (lambda x, k: x[k] * 2.0, (np.ones(2), 1)),
    ],
    ids=["bool", "eq", "mask", "index"],
)
def test_every_value_read_it_can_see_is_refused(
    f: Callable[..., Any], xs: tuple[Any, ...]
) -> None:
    with pytest.raises(TraceError, match="depends on the value of a traced BVar"):
        compile_grad(f)(*xs)


def test_a_refusal_caught_by_the_function_is_still_refused() -> None:
    def f(x: BVar[float]) -> BVar[float]:
        try:
            big = bool(x > 0.0)
        except TypeError:
            big = True
        return x * 2.0 if big else x

    with pytest.raises(TraceError):
        compile_grad(f)(1.0)


def test_fallback_runs_refused_signatures_eagerly() -> None:
    runs = []

    def f(x: BVar[float]) -> BVar[float]:
        runs.append(1)
        return _branchy(x)

    cg = compile_grad(f, fallback=True)
    assert cg(1.0) == (2.0,)
    assert cg(-1.0) == (3.0,)  # a replay would have said 2.0
    assert cg.value_and_grad(-2.0) == (-6.0, (3.0,))
    assert len(runs) == 4  # the refused trace, then three eager runs
    ce = compile_eval(_branchy, fallback=True)
    assert (ce(1.0), ce(-1.0)) == (2.0, -3.0)


def test_a_traced_value_read_into_a_constant_is_refused() -> None:
    def f(x: BVar[Array]) -> BVar[float]:
        return sum_elements(x * x.value)

    with pytest.raises(TraceError, match=r"'\*' at .*test_compiled.py:\d+: .*\.value"):
        compile_grad(f)(np.ones(2))


def test_no_grad_is_replayed_on_the_new_values() -> None:
    scale = no_grad(lambda v: 1.0 / np.sum(v))

    def f(x: BVar[Array]) -> BVar[float]:
        return sum_elements(x * x) * scale(x)

    cg = compile_grad(f)
    for k in range(1, 4):
        x = np.arange(3.0) + k
        assert same(cg(x), grad_bp_n(f, x))


def test_nested_derivatives_are_refused_both_ways() -> None:
    inner = compile_grad(lambda y: y * y * y)
    with pytest.raises(TraceError, match="called with a BVar"):
        grad_bp(lambda x: inner(x)[0], 2.0)
    with pytest.raises(TraceError, match="nested derivative"):
        compile_grad(lambda x: grad_bp(lambda y: y * y * y, x))(2.0)

    def outer(x: BVar[float]) -> BVar[float]:
        gy: BVar[float] = compile_grad(lambda y: y * x)(3.0)[0]
        return gy * 1.0

    with pytest.raises(TraceError, match="enclosing"):
        grad_bp(outer, 2.0)


def test_compiled_functions_type_check_as_their_runners() -> None:
    """The static types (checked by mypy --strict over this file): one gradient per input."""
    cg = compile_grad(lambda x, y: x * y)
    gx, gy = cg(2.0, 3.0)
    total: float = gx + gy
    value, (dx, dy) = cg.value_and_grad(2.0, 3.0)
    assert (total, value, dx, dy) == (5.0, 6.0, 3.0, 2.0)


# --- the realistic programs of tests/corpus/good, their runners swapped for checking ones ---


def _nudged(x: Any, k: int) -> Any:
    """``x`` with every float leaf moved a little (a new call of the same signature)."""

    def leaf(v: Any) -> Any:
        if isinstance(v, float):
            return v * (1.0 + 0.01 * k) + 0.001 * k
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            return v * (1.0 + 0.01 * k) + 0.001 * k
        if hasattr(type(v), "_rewrap"):
            return type(v)._rewrap(leaf(v.array))
        return v

    return tree_map(leaf, x)


class _Checker:
    """Runner stand-ins: each call also compiles its function and checks two replays (the same
    inputs, then nudged ones) against the eager runner."""

    def __init__(self) -> None:
        self.replayed = 0
        self.refused: list[str] = []

    def grads(self, f: Callable[..., Any], *xs: Any) -> tuple[Any, tuple[Any, ...]]:
        want = backprop_n(f, *xs)
        cg = compile_grad(f)
        try:
            first = cg.value_and_grad(*xs)
        except TraceError as e:
            self.refused.append(str(e))
            return want
        assert same(first, want)
        assert same(cg.value_and_grad(*xs), want)
        nudged = tuple(_nudged(x, 1) for x in xs)
        assert same(cg.value_and_grad(*nudged), backprop_n(f, *nudged))
        self.replayed += 1
        return want

    def value(self, f: Callable[..., Any], *xs: Any) -> Any:
        want = eval_bp_n(f, *xs)
        try:
            ce = compile_eval(f)
            assert same(ce(*xs), want)
            assert same(ce(*xs), want)
            self.replayed += 1
        except TraceError as e:
            self.refused.append(str(e))
        return want


@contextmanager
def _checking(module: Any, checker: _Checker) -> Iterator[None]:
    swaps: dict[str, Any] = {
        "grad_bp": lambda f, x: checker.grads(f, x)[1][0],
        "grad_bp2": lambda f, x, y: checker.grads(f, x, y)[1],
        "grad_bp_n": lambda f, *xs: checker.grads(f, *xs)[1],
        "backprop": lambda f, x: (lambda r: (r[0], r[1][0]))(checker.grads(f, x)),
        "backprop2": lambda f, x, y: checker.grads(f, x, y),
        "backprop_n": lambda f, *xs: checker.grads(f, *xs),
        "eval_bp": lambda f, x: checker.value(f, x),
        "eval_bp_n": lambda f, *xs: checker.value(f, *xs),
    }
    saved = {k: getattr(module, k) for k in swaps if hasattr(module, k)}
    for k in saved:
        setattr(module, k, swaps[k])
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_corpus_programs_replay_as_eager(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"_compiled_corpus_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        checker = _Checker()
        with _checking(module, checker):
            module.main()
    finally:
        del sys.modules[spec.name]
    assert checker.refused == []
    assert checker.replayed > 0 or not any(
        hasattr(module, k) for k in ("grad_bp", "backprop", "grad_bp_n", "backprop_n")
    )


def test_public_names() -> None:
    assert tp.compile_grad is compile_grad
    assert tp.compile_eval is compile_eval
    assert issubclass(TraceError, tp.TypedpropError)
    assert issubclass(TraceError, TypeError)


def test_dropout_draws_a_fresh_mask_at_each_replay() -> None:
    def loss(w: BVar[Mat[Any, Any]], rng: np.random.Generator) -> BVar[float]:
        h = tp.nn.dropout(w * 2.0, 0.5, rng)
        return sum_elements(h * h)

    eager_rng, compiled_rng = np.random.default_rng(7), np.random.default_rng(7)
    cg = compile_grad(lambda w: loss(w, compiled_rng))
    w = Mat[Any, Any](np.ones((6, 6)))
    answers = []
    for _ in range(4):  # the same draws in the same order: the same masks, call by call
        got, want = cg(w), grad_bp_n(lambda v: loss(v, eager_rng), w)
        assert same(got, want)
        answers.append(got[0].array)
    assert not all(np.array_equal(answers[0], a) for a in answers[1:])


def test_a_pullback_that_gives_a_gradient_by_value_is_caught() -> None:
    def pull(x: float, y: float) -> tuple[float, Callable[[float], tuple[Any, Any]]]:
        return x * y, lambda g: (g * y, g * x if x > 0 else None)

    mul = tp.op2(pull)
    cg = compile_grad(lambda x, y: mul(x, y))
    assert cg(1.0, 2.0) == (2.0, 1.0)
    with pytest.raises(TraceError, match="gave a gradient in a replay where it gave none"):
        cg(-1.0, 2.0)
    cg2 = compile_grad(lambda x, y: mul(x, y))
    assert cg2(-1.0, 2.0) == (2.0, 0.0)
    with pytest.raises(TraceError, match="or none where it gave one"):
        cg2(1.0, 2.0)


def test_a_lazy_gradient_is_forced_for_a_variable_and_skipped_for_a_constant() -> None:
    """A pullback's ``lazy`` gradient replays as eagerly: computed (not handed on as a thunk)
    for an argument being differentiated, never computed for a constant one."""
    forced: list[str] = []

    def pull(m: Array, v: Array) -> tuple[Array, Callable[[Array], tuple[Any, Any]]]:
        def pullback(g: Array) -> tuple[Any, Any]:
            def grad_v() -> Array:
                forced.append("v")
                return m.T @ g

            return np.outer(g, v), tp.op.lazy(grad_v)

        return m @ v, pullback

    matvec = tp.op2(pull)
    m, v = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5])
    both = compile_grad(lambda m, v: sum_elements(matvec(m, v)))
    for _ in range(3):
        assert same(both(m, v), grad_bp_n(lambda m, v: sum_elements(matvec(m, v)), m, v))
    assert forced == ["v"] * 6
    forced.clear()
    only_m = compile_grad(lambda m: sum_elements(matvec(m, v)))
    for _ in range(3):
        assert same(only_m(m), (np.outer(np.ones(2), v),))
    assert forced == []


def test_a_non_scalar_output_is_refused_as_grad_bp_n_does() -> None:
    with pytest.raises(tp.NonScalarOutputError):
        compile_grad(lambda x: x * 2.0)(np.ones(2))


# --- every operation of the library replays as it runs eagerly ---

_POSITIVE = ("acosh", "log", "sqrt", "log_base")
_UNIT = ("acos", "asin", "atanh")


def _elementwise_input(name: str, rng: np.random.Generator) -> Array:
    if name in _POSITIVE:
        return rng.uniform(1.5, 3.0, (3, 4))
    if name in _UNIT:
        return rng.uniform(-0.8, 0.8, (3, 4))
    return rng.normal(size=(3, 4))


_FUNCTIONS = [n for n in tp.functions.__all__ if n != "cross_entropy"]


@pytest.mark.parametrize("name", _FUNCTIONS)
def test_every_function_replays_as_eager(name: str) -> None:
    fn: Any = getattr(tp.functions, name)

    def f(x: BVar[Array], w: BVar[Array]) -> BVar[float]:
        y: BVar[Any] = fn(2.0, x) if name == "log_base" else fn(x)
        return sum_elements(y * w) if np.ndim(y.value) == 2 else sum_elements(y * y)

    cg = compile_grad(f)
    rng = np.random.default_rng(len(name))
    for _ in range(3):
        xs = (_elementwise_input(name, rng), rng.normal(size=(3, 4)))
        assert same(cg.value_and_grad(*xs), backprop_n(f, *xs))
    assert cg.traces == 1


def _spd(rng: np.random.Generator) -> Mat[Any, Any]:
    a = rng.normal(size=(3, 3))
    return Mat[Any, Any](a @ a.T + 3.0 * np.eye(3))


_LINALG: dict[str, Callable[[BVar[Any], BVar[Any]], BVar[Any]]] = {
    "dot": lambda m, v: tp.linalg.dot(m @ v, v),
    "norm_1": lambda m, v: tp.linalg.norm_1(m @ v),
    "norm_2": lambda m, v: tp.linalg.norm_2(m @ v),
    "norm_inf": lambda m, v: tp.linalg.norm_inf(m @ v),
    "det": lambda m, v: tp.linalg.det(m),
    "lndet": lambda m, v: tp.linalg.lndet(m),
    "inv": lambda m, v: sum_elements(tp.linalg.inv(m) @ v),
    "chol": lambda m, v: sum_elements(tp.linalg.chol(m) @ v),
    "mtm": lambda m, v: sum_elements(tp.linalg.mtm(m) @ v),
    "sym": lambda m, v: sum_elements(tp.linalg.sym(m) @ v),
    "outer": lambda m, v: sum_elements(tp.linalg.outer(v, m @ v)),
    "diag": lambda m, v: sum_elements(tp.linalg.diag(v) @ (m @ v)),
    "take_diag": lambda m, v: tp.linalg.dot(tp.linalg.take_diag(m), v),
    "cross": lambda m, v: sum_elements(tp.linalg.cross(m @ v, v)),
    "eigenvalues": lambda m, v: sum_elements(tp.linalg.eigenvalues(tp.linalg.sym(m)) * v),
    "tr": lambda m, v: sum_elements(tr(m) @ v),
}


@pytest.mark.parametrize("name", sorted(_LINALG))
def test_every_linalg_operation_replays_as_eager(name: str) -> None:
    f = _LINALG[name]
    cg = compile_grad(f)
    rng = np.random.default_rng(len(name))
    for _ in range(3):
        xs = (_spd(rng), Vec[Any](rng.normal(size=3)))
        assert same(cg.value_and_grad(*xs), backprop_n(f, *xs))
    assert cg.traces == 1


def test_float32_replays_as_eager_and_stays_float32() -> None:
    loss, inputs = _network([5, 4, 3], 6, "row", "logistic", 3)
    cg = compile_grad(loss)
    for s in range(3):
        xs = tuple(a.astype(np.float32) for a in inputs(s))
        got, want = cg.value_and_grad(*xs), backprop_n(loss, *xs)
        assert same(got, want)
        assert all(g.dtype == np.float32 for g in got[1])
    assert cg.traces == 1


def test_a_vec_read_into_a_constant_is_refused() -> None:
    def f(x: BVar[Vec[Any]]) -> BVar[float]:
        return tp.linalg.dot(x, x.value)

    with pytest.raises(TraceError, match="holds the value of a traced input"):
        compile_grad(f)(Vec[Any](np.ones(3)))


class _Scaled(Model):
    w: float
    scale: float = tp.static(default=2.0)


def test_a_static_field_is_part_of_the_signature() -> None:
    def f(p: BVar[_Scaled]) -> BVar[float]:
        return (p ^ _Scaled.w) * (p ^ _Scaled.scale)

    cg = compile_grad(f)
    assert cg(_Scaled(1.0, scale=2.0))[0] == _Scaled(2.0, scale=2.0)
    assert cg(_Scaled(5.0, scale=2.0))[0] == _Scaled(2.0, scale=2.0)
    assert cg.traces == 1
    assert cg(_Scaled(1.0, scale=3.0))[0] == _Scaled(3.0, scale=3.0)  # baked in: traced again
    assert cg.traces == 2


# --- fast forms: library rules written out in a replay, where they give the rule's answer ---


def _called(c: Any) -> set[str]:
    """The names of the functions a compiled function's (only) replay calls."""
    (replay,) = c._cache.entries.values()
    return {getattr(v, "__name__", "") for v in replay.__globals__.values()}


_RULES = {"_logistic", "_logistic_vjp", "_cross_entropy_const_target", "_flat_unaliased"}


def _const_target_network(
    sizes: list[int], batch: int, layout: str, t: Array
) -> tuple[Callable[..., BVar[float]], Callable[[int], tuple[Array, ...]]]:
    """``_network``'s loss with the data and target closed over (the target a constant)."""
    loss, inputs = _network(sizes, batch, layout, "logistic", 0)
    x = inputs(0)[-2]

    def closed(*params: BVar[Array]) -> BVar[float]:
        return loss(*params, cast(Any, x), cast(Any, t))

    return closed, lambda s: inputs(s)[:-2]


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    batch=st.integers(1, 4),
    layout=st.sampled_from(["vector", "row"]),
    scale=st.sampled_from([1.0, 0.5, 3.0]),
    seed=st.integers(0, 10**6),
)
def test_fast_forms_replay_as_eager(
    sizes: list[int], batch: int, layout: str, scale: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shape = sizes[-1] if layout == "vector" else (batch, sizes[-1])
    t = rng.uniform(0.0, 1.0, shape) * scale  # rows summing to anything: the weight is used
    loss, inputs = _const_target_network(sizes, batch, layout, t)
    cg, ce = compile_grad(loss), compile_eval(loss)
    for s in range(3):
        xs = inputs(s)
        assert same(cg.value_and_grad(*xs), backprop_n(loss, *xs))
        assert same(ce(*xs), eval_bp_n(loss, *xs))
    assert not _called(cg) & _RULES  # all written out, the gradients not checked for aliases
    assert not _called(ce) & _RULES


def test_a_fast_form_reads_a_constant_target_at_each_call() -> None:
    t = np.array([0.0, 1.0])
    loss, inputs = _const_target_network([3, 4, 2], 1, "vector", t)
    cg = compile_grad(loss)
    cg(*inputs(0))
    t[:] = [0.7, 0.7]  # changed in place: the closure rule reads its new values
    assert same(cg.value_and_grad(*inputs(1)), backprop_n(loss, *inputs(1)))


def test_fast_form_gradients_are_fresh_arrays() -> None:
    loss, inputs = _const_target_network([3, 4, 2], 2, "row", np.eye(2))
    cg = compile_grad(loss)
    xs = inputs(0)
    cg(*xs)
    first = cg(*xs)
    want = tuple(g.copy() for g in first)
    for g in first:
        g *= -7.0
    second = cg(*xs)
    assert same(second, want)
    arrays = (*first, *second, *xs)
    assert not any(
        np.shares_memory(a, b) for a, b in itertools.combinations(arrays, 2) if a is not b
    )
    assert "_flat_unaliased" not in _called(cg)


def _logistic_sum(x: BVar[Any]) -> BVar[float]:
    return sum_elements(logistic(x) * 2.0)


@pytest.mark.parametrize(
    ("what", "f", "x", "rules"),
    [
        ("a logistic of a number", _logistic_sum, 0.3, {"_logistic", "_logistic_vjp"}),
        ("a logistic of a 0-d array", _logistic_sum, np.array(0.3), {"_logistic"}),
        ("a logistic of a Vec", _logistic_sum, Vec[Any](np.ones(3)), {"_logistic"}),
        (
            "a cross-entropy of float32 logits",
            lambda z: cross_entropy(z, np.eye(3, dtype=np.float32)),
            np.ones((3, 3), np.float32),
            {"_cross_entropy_const_target"},
        ),
        (
            "a cross-entropy of 3-d logits",
            lambda z: cross_entropy(z, np.ones((2, 2, 3)) / 3.0),
            np.ones((2, 2, 3)),
            {"_cross_entropy_const_target"},
        ),
        (
            "a cross-entropy whose target is a BVar constant",
            lambda z: cross_entropy(z, auto(np.array([0.0, 1.0]))),
            np.array([1.0, -1.0]),
            set(),
        ),
        (
            "a gradient passed on to two inputs",
            lambda x: sum_elements(x + x),
            np.ones(3),
            set(),
        ),
    ],
)
def test_where_a_fast_form_is_not_taken_the_rule_runs(
    what: str, f: Callable[[BVar[Any]], BVar[float]], x: Any, rules: set[str]
) -> None:
    cg = compile_grad(f)
    for k in (1.0, 2.0, -3.0):
        xk = x * k
        assert same(cg.value_and_grad(xk), backprop_n(f, xk)), what
    assert rules <= _called(cg), what


def test_a_gradient_passed_on_twice_is_still_unaliased() -> None:
    def f(x: BVar[Array], y: BVar[Array]) -> BVar[float]:
        return sum_elements(logistic(x + y))  # one fast-form gradient for both inputs

    cg = compile_grad(f)
    x, y = np.ones(3), np.zeros(3)
    cg(x, y)
    gx, gy = cg(x, y)
    assert not np.shares_memory(gx, gy)
    assert "_flat_unaliased" in _called(cg)


def test_overflow_warnings_in_a_replay_are_eagers() -> None:
    def hidden(x: BVar[Array]) -> BVar[float]:
        return sum_elements(logistic(x))  # logistic's own exp overflows quietly

    def shown(x: BVar[Array]) -> BVar[float]:
        return sum_elements(tp.functions.exp(logistic(x) * 1000.0))  # this one warns

    x = np.array([-800.0, 0.0, 800.0])
    for f, warns in ((hidden, 0), (shown, 1)):
        cg = compile_grad(f)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cg(x)  # the trace
        said = []
        for run in (functools.partial(grad_bp_n, f), cg):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                run(x)
            said.append([str(w.message) for w in seen])
        assert said[0] == said[1]
        assert said[1].count("overflow encountered in exp") == warns
        assert "_logistic" not in _called(cg)


def test_a_replayed_logistic_keeps_the_callers_other_error_settings() -> None:
    x = np.array([800.0, 0.0])  # exp(-800) underflows; exp(800) of -x overflows
    cg = compile_grad(_logistic_sum)
    cg(x)
    with np.errstate(under="raise", over="raise"):
        before = np.geterr()
        for run in (functools.partial(grad_bp_n, _logistic_sum), cg):
            with pytest.raises(FloatingPointError, match="underflow encountered in exp"):
                run(x)
            assert np.geterr() == before
        assert same(cg(-x), grad_bp_n(_logistic_sum, -x))  # the overflow quiet in both
        assert np.geterr() == before
    assert "_logistic" not in _called(cg)


_WRONG = compiled_module._Form("{t} = {g} * 0.5")  # a form that is never the rule's answer


@pytest.mark.parametrize(
    ("form", "rule"),
    [
        ("_LOGISTIC_VJP", "_logistic_vjp"),
        ("_CE_VEC_VJP", "_cross_entropy_const_target"),
        ("_CE_ROWS_VJP", "_cross_entropy_const_target"),
    ],
)
def test_a_form_that_differs_from_its_rule_is_not_taken(
    form: str, rule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled_module, form, _WRONG)
    layout = "row" if "ROWS" in form else "vector"
    t = np.full(2 if layout == "vector" else (2, 2), 0.75)  # rows that sum to 1.5
    loss, inputs = _const_target_network([3, 4, 2], 2, layout, t)
    cg = compile_grad(loss)
    for s in range(3):
        assert same(cg.value_and_grad(*inputs(s)), backprop_n(loss, *inputs(s)))
    assert rule in _called(cg)


def test_a_matmul_form_that_differs_from_its_rule_is_not_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = dict.fromkeys(compiled_module._MM_FORMS, _WRONG)
    monkeypatch.setattr(compiled_module, "_MM_FORMS", wrong)
    loss, inputs = _const_target_network([3, 4, 2], 2, "row", np.eye(2))
    cg = compile_grad(loss)
    for s in range(3):
        assert same(cg.value_and_grad(*inputs(s)), backprop_n(loss, *inputs(s)))
    assert {"_dot_tn", "_mm_x_mat"} <= _called(cg)
