"""Optimizers: their updates by formula, their typed state, and that they train."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import BVar, model, static
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.optim import (
    SGD,
    Adam,
    AdamState,
    AdamW,
    Constant,
    Momentum,
    MomentumState,
    SGDState,
    StepDecay,
    WarmupCosine,
    clip_by_global_norm,
)
from typedprop.testing import arrays

Array = NDArray[np.float64]


@model
class Params:
    w: Mat[2, 3]
    b: Vec[2]
    steps: int = static(default=0)


def make(seed: int) -> Params:
    rng = np.random.default_rng(seed)
    return Params(Mat(rng.normal(size=(2, 3))), Vec(rng.normal(size=2)), steps=7)


def loss(p: BVar[Params]) -> BVar[float]:
    """A convex bowl with its minimum at w = 1, b = -2."""
    return sum_elements(((p ^ Params.w) - 1.0) ** 2.0) + sum_elements(
        ((p ^ Params.b) + 2.0) ** 2.0
    )


@given(arrays(shape=(3,)), arrays(shape=(3,)))
def test_sgd_is_params_minus_lr_grad(p: Array, g: Array) -> None:
    """SGD's step is exactly p - lr * g."""
    opt = SGD(lr=0.3)
    state, q = opt.step(opt.init(p), p, g)
    assert state == SGDState(1)
    np.testing.assert_array_equal(q, p - 0.3 * g)


@given(arrays(shape=(3,)), arrays(shape=(3,)), arrays(shape=(3,)))
def test_momentum_follows_its_formula(p: Array, g1: Array, g2: Array) -> None:
    """v = beta v + g, p = p - lr v, over two steps."""
    opt = Momentum(lr=0.1, beta=0.5)
    state, q = opt.step(opt.init(p), p, g1)
    state, q = opt.step(state, q, g2)
    assert state.t == 2
    np.testing.assert_allclose(state.velocity, 0.5 * g1 + g2)
    np.testing.assert_allclose(q, p - 0.1 * g1 - 0.1 * (0.5 * g1 + g2))


@given(arrays(shape=(4,)), arrays(shape=(4,)))
def test_adam_follows_its_formula(p: Array, g: Array) -> None:
    """Adam's bias-corrected step, written out, over two steps."""
    opt = Adam(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-8)
    state, q = opt.step(opt.init(p), p, g)
    state, q = opt.step(state, q, 2 * g)
    m = 0.8 * (0.2 * g) + 0.2 * (2 * g)
    v = 0.9 * (0.1 * g * g) + 0.1 * (4 * g * g)
    first = p - 0.01 * np.sqrt(1 - 0.9) / (1 - 0.8) * (0.2 * g) / (np.sqrt(0.1 * g * g) + 1e-8)
    second = first - 0.01 * np.sqrt(1 - 0.9**2) / (1 - 0.8**2) * m / (np.sqrt(v) + 1e-8)
    assert state.t == 2
    np.testing.assert_allclose(state.m, m)
    np.testing.assert_allclose(q, second, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "opt",
    [
        SGD(lr=0.1),
        Momentum(lr=0.05),
        Adam(lr=0.1),
        AdamW(lr=0.1, weight_decay=1e-4),
        SGD(lr=StepDecay(0.2, every=50, factor=0.5)),
        Adam(lr=WarmupCosine(0.2, total=200, warmup=20)),
    ],
    ids=["sgd", "momentum", "adam", "adamw", "sgd-step-decay", "adam-warmup-cosine"],
)
def test_optimizers_train_a_record_and_keep_its_type(opt: Any) -> None:
    """Each optimizer drives the bowl's loss down on a record, keeping statics and types."""
    params = make(0)
    state = opt.init(params)
    start = tp.eval_bp(loss, params)
    for _ in range(200):
        grad = tp.grad_bp(loss, params)
        state, params = opt.step(state, params, grad)
    assert isinstance(params, Params) and params.steps == 7
    assert isinstance(params.w, Mat) and isinstance(params.b, Vec)
    assert tp.eval_bp(loss, params) < 1e-3 * start


def test_adam_state_is_records_of_the_model_type() -> None:
    """Adam's moments are Params records; the step count starts at zero."""
    state = Adam().init(make(1))
    assert isinstance(state, AdamState)
    assert isinstance(state.m, Params) and isinstance(state.v, Params) and state.t == 0
    assert np.all(state.m.w.array == 0.0)


@model
class Mixed:
    """Plain numpy parameters of two precisions (Vec and Mat are float64 only)."""

    w32: NDArray[np.float32]
    w64: Array
    b32: np.float32
    pair: tuple[NDArray[np.float32], Array]


def make_mixed(seed: int) -> Mixed:
    rng = np.random.default_rng(seed)
    return Mixed(
        rng.normal(size=(2, 3)).astype(np.float32),
        rng.normal(size=3),
        np.float32(rng.normal()),
        (rng.normal(size=2).astype(np.float32), rng.normal(size=(1, 2))),
    )


def dtypes(x: Mixed) -> list[np.dtype[Any]]:
    return [x.w32.dtype, x.w64.dtype, x.b32.dtype, x.pair[0].dtype, x.pair[1].dtype]


EXPECTED = [np.dtype(np.float32), np.dtype(np.float64)] + [np.dtype(np.float32)] * 2
EXPECTED.append(np.dtype(np.float64))


def state_records(opt: Any, state: Any) -> list[Mixed]:
    """The records of the parameters' type inside an optimizer's state."""
    if isinstance(opt, Adam | AdamW):
        return [state.m, state.v]
    return [state.velocity] if isinstance(opt, Momentum) else []


@pytest.mark.parametrize(
    "opt",
    [
        SGD(lr=0.1),
        Momentum(lr=0.1),
        Adam(lr=0.1),
        SGD(lr=np.float64(0.1)),
        Momentum(lr=np.float64(0.1), beta=np.float64(0.9)),
        Adam(lr=np.float64(0.1), beta1=np.float64(0.9), eps=np.float64(1e-8)),
        AdamW(lr=0.1, weight_decay=np.float64(0.1)),
        SGD(lr=lambda t: np.float64(0.1) / (t + 1)),
        Adam(lr=WarmupCosine(np.float64(0.1), total=4, warmup=2)),
    ],
    ids=[
        "sgd",
        "momentum",
        "adam",
        "sgd-np-lr",
        "momentum-np-lr",
        "adam-np-lr",
        "adamw-np-decay",
        "sgd-np-schedule",
        "adam-schedule",
    ],
)
@pytest.mark.parametrize("grad_precision", ["same", "float64"])
def test_optimizers_keep_each_parameters_dtype(opt: Any, grad_precision: str) -> None:
    """float32 parameters stay float32 and float64 stay float64, in the parameters and in the
    state, over several steps, whatever the hyper-parameters' and the gradients' types."""
    params = make_mixed(0)
    state: Any = opt.init(params)
    for i in range(4):
        grad = make_mixed(i + 1)
        if grad_precision == "float64":
            grad = Mixed(
                grad.w32.astype(np.float64),
                grad.w64,
                np.float64(grad.b32),  # type: ignore[arg-type]
                (grad.pair[0].astype(np.float64), grad.pair[1]),
            )
        state, params = opt.step(state, params, grad)
        for record in [params, *state_records(opt, state)]:
            assert dtypes(record) == EXPECTED
            assert isinstance(record.b32, np.float32)


# --- AdamW ---


@given(arrays(shape=(4,)), arrays(shape=(4,)))
def test_adamw_is_adam_plus_decoupled_decay(p: Array, g: Array) -> None:
    """AdamW's step is Adam's step minus lr * weight_decay * p, over two steps."""
    adam = Adam(lr=0.01, beta1=0.8, beta2=0.9)
    adamw = AdamW(lr=0.01, beta1=0.8, beta2=0.9, weight_decay=0.3)
    sa, qa = adam.step(adam.init(p), p, g)
    sw, qw = adamw.step(adamw.init(p), p, g)
    np.testing.assert_allclose(qw, qa - 0.01 * 0.3 * p, rtol=1e-12, atol=1e-14)
    sa2, qa2 = adam.step(sa, qw, 2 * g)
    sw2, qw2 = adamw.step(sw, qw, 2 * g)
    np.testing.assert_allclose(qw2, qa2 - 0.01 * 0.3 * qw, rtol=1e-12, atol=1e-14)
    assert sw2.t == 2
    np.testing.assert_array_equal(sw2.m, sa2.m)


def test_adamw_with_no_decay_is_adam() -> None:
    """weight_decay=0 makes AdamW's steps Adam's, bit for bit."""
    params = make(2)
    adam, adamw = Adam(lr=0.05), AdamW(lr=0.05, weight_decay=0.0)
    sa, sw, pa, pw = adam.init(params), adamw.init(params), params, params
    for _ in range(5):
        sa, pa = adam.step(sa, pa, tp.grad_bp(loss, pa))
        sw, pw = adamw.step(sw, pw, tp.grad_bp(loss, pw))
    assert pa == pw


def test_adamw_decay_pulls_parameters_towards_zero() -> None:
    """With a zero gradient, each step multiplies every parameter by (1 - lr * decay)."""
    params = make(3)
    opt = AdamW(lr=0.1, weight_decay=0.5)
    state, out = opt.init(params), params
    for _ in range(3):
        state, out = opt.step(state, out, tp.zero(params))
    np.testing.assert_allclose(out.w.array, params.w.array * 0.95**3)
    np.testing.assert_allclose(out.b.array, params.b.array * 0.95**3)
    assert out.steps == 7


# --- schedules ---


def test_schedules_follow_their_formulas() -> None:
    """Constant, step decay and warm-up + cosine at chosen steps."""
    assert [Constant(0.3)(t) for t in (0, 7, 10**6)] == [0.3, 0.3, 0.3]
    s = StepDecay(2.0, every=3, factor=0.5)
    assert [s(t) for t in range(7)] == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5]
    w = WarmupCosine(1.0, total=14, warmup=4, final=0.1)
    assert [w(t) for t in range(5)] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert w(9) == pytest.approx(0.1 + 0.45 * (1 + np.cos(np.pi * 0.5)))
    assert w(14) == w(100) == 0.1
    assert WarmupCosine(1.0, total=10)(0) == 1.0  # no warm-up: starts at the peak


@pytest.mark.parametrize(
    ("make_schedule", "message"),
    [
        (lambda: StepDecay(1.0, every=0), "every: expected a number > 0, got 0"),
        (lambda: WarmupCosine(1.0, total=0), "total: expected a number > 0, got 0"),
        (lambda: WarmupCosine(1.0, total=5, warmup=6), "warmup <= total, got warmup=6, total=5"),
        (lambda: SGD(lr="0.1"), "lr: expected a number or a schedule"),  # type: ignore[arg-type]
        (lambda: Adam(lr=True), "lr: expected a number or a schedule"),
    ],
)
def test_bad_schedules_and_rates_are_refused(make_schedule: Any, message: str) -> None:
    """Bad settings raise at construction, saying what was expected and what came."""
    with pytest.raises((ValueError, TypeError), match=message):
        make_schedule()


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam", "adamw"])
def test_every_optimizer_reads_its_schedule_at_the_step_count(kind: str) -> None:
    """With lr = a schedule, step k uses schedule(k): the same as a constant rate of that value
    for that one step, from the same state."""
    schedule = StepDecay(0.1, every=2, factor=0.5)

    def build(lr: Any) -> Any:
        return {
            "sgd": SGD(lr=lr),
            "momentum": Momentum(lr=lr),
            "adam": Adam(lr=lr),
            "adamw": AdamW(lr=lr, weight_decay=0.1),
        }[kind]

    scheduled = build(schedule)
    params = make(4)
    state = scheduled.init(params)
    for k in range(5):
        grad = tp.grad_bp(loss, params)
        _, expected = build(schedule(k)).step(state, params, grad)
        state, params = scheduled.step(state, params, grad)
        assert state.t == k + 1
        assert params == expected


# --- clipping ---


def test_clip_by_global_norm_scales_every_leaf_by_one_factor() -> None:
    """A gradient with norm 10 clipped to 2 is the gradient times 0.2; statics pass through."""
    g = Params(Mat([[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), Vec([0.0, 8.0]), steps=3)
    clipped, norm = clip_by_global_norm(g, max_norm=2.0)
    assert norm == 10.0
    assert isinstance(clipped, Params) and clipped.steps == 3
    np.testing.assert_allclose(clipped.w.array, 0.2 * g.w.array)
    np.testing.assert_allclose(clipped.b.array, [0.0, 1.6])
    same, norm = clip_by_global_norm(g, max_norm=10.0)
    assert same is g and norm == 10.0


@given(arrays(shape=(3,)), arrays(shape=(2, 2)))
def test_clipped_norm_is_at_most_the_bound(a: Array, b: Array) -> None:
    """After clipping, the global norm is min(norm, max_norm), over a container of arrays."""
    grads = {"a": a, "b": [b, 1.5]}
    clipped, norm = clip_by_global_norm(grads, max_norm=1.0)
    expected = np.sqrt(np.sum(a * a) + np.sum(b * b) + 1.5**2)
    assert norm == pytest.approx(expected)
    _, after = clip_by_global_norm(clipped, max_norm=1e9)
    assert after == pytest.approx(min(expected, 1.0))


def test_clipping_keeps_dtypes_and_refuses_bad_bounds() -> None:
    """float32 leaves stay float32; max_norm must be > 0; a non-finite norm changes nothing."""
    g = make_mixed(0)
    clipped, _ = clip_by_global_norm(g, max_norm=1e-3)
    assert dtypes(clipped) == EXPECTED and isinstance(clipped.b32, np.float32)
    with pytest.raises(ValueError, match="expected max_norm > 0, got 0"):
        clip_by_global_norm(g, max_norm=0)
    bad = np.array([np.inf, 1.0])
    out, norm = clip_by_global_norm(bad, max_norm=1.0)
    assert norm == np.inf and out is bad


def test_momentum_state_is_a_record_of_the_model_type() -> None:
    """Momentum's velocity is a Params record; SGD's state only counts steps."""
    state = Momentum(lr=0.1).init(make(1))
    assert isinstance(state, MomentumState) and isinstance(state.velocity, Params)
    assert state.t == 0 and SGD(lr=0.1).init(make(1)) == SGDState(0)
