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
from typedprop.optim import SGD, Adam, AdamState, Momentum
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
    state, q = SGD(lr=0.3).step(None, p, g)
    assert state is None
    np.testing.assert_array_equal(q, p - 0.3 * g)


@given(arrays(shape=(3,)), arrays(shape=(3,)), arrays(shape=(3,)))
def test_momentum_follows_its_formula(p: Array, g1: Array, g2: Array) -> None:
    """v = beta v + g, p = p - lr v, over two steps."""
    opt = Momentum(lr=0.1, beta=0.5)
    v, q = opt.step(opt.init(p), p, g1)
    v, q = opt.step(v, q, g2)
    np.testing.assert_allclose(v, 0.5 * g1 + g2)
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


@pytest.mark.parametrize("opt", [SGD(lr=0.1), Momentum(lr=0.05), Adam(lr=0.1)])
def test_optimizers_train_a_record_and_keep_its_type(opt: SGD | Momentum | Adam) -> None:
    """Each optimizer drives the bowl's loss down on a record, keeping statics and types."""
    params = make(0)
    state = opt.init(params)
    start = tp.eval_bp(loss, params)
    for _ in range(200):
        grad = tp.grad_bp(loss, params)
        state, params = opt.step(state, params, grad)  # type: ignore[arg-type]
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


def state_records(opt: SGD | Momentum | Adam, state: Any) -> list[Mixed]:
    """The records of the parameters' type inside an optimizer's state."""
    if isinstance(opt, Adam):
        return [state.m, state.v]
    return [] if state is None else [state]


@pytest.mark.parametrize(
    "opt",
    [
        SGD(lr=0.1),
        Momentum(lr=0.1),
        Adam(lr=0.1),
        SGD(lr=np.float64(0.1)),
        Momentum(lr=np.float64(0.1), beta=np.float64(0.9)),
        Adam(lr=np.float64(0.1), beta1=np.float64(0.9), eps=np.float64(1e-8)),
    ],
    ids=["sgd", "momentum", "adam", "sgd-np-lr", "momentum-np-lr", "adam-np-lr"],
)
@pytest.mark.parametrize("grad_precision", ["same", "float64"])
def test_optimizers_keep_each_parameters_dtype(
    opt: SGD | Momentum | Adam, grad_precision: str
) -> None:
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
