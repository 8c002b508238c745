"""Training helpers: SGD, momentum, Adam and AdamW, learning-rate schedules and gradient
clipping, functional and typed by the model.

Each optimizer is an immutable value with ``init(params)`` and
``step(state, params, grad) -> (state, params)``; its state is a record made of values of the
model's own type (Adam's moments are two ``Network``s), so a training loop stays typed end to
end::

    opt = Adam(lr=1e-3)
    state = opt.init(net)
    for x, t in batches:
        grad = grad_bp(lambda n: loss(n, x, t), net)
        state, net = opt.step(state, net, grad)

They work on any value whose numbers ``typedprop`` can reach: ``@model`` records, arrays,
``Vec``/``Mat``, tuples, lists, dicts. Static fields and integers are carried unchanged, and every
parameter keeps its dtype (a float32 array stays float32, in the parameters and in the state,
whatever the precision of the gradient or of the hyper-parameters).

**Learning rates.** Every optimizer's ``lr`` is a number or a schedule: a function from the step
(the number of steps taken before this one, 0 for the first) to the rate, such as ``StepDecay``
or ``WarmupCosine``. Every state counts the steps taken (its field ``t``), so a resumed run
continues its schedule where it stopped.

Every state is a ``@model`` record that ``typedprop.checkpoint`` saves: ``SGDState``,
``MomentumState[Network]``, ``AdamState[Network]`` (Adam and AdamW). To resume training later,
save the model and the state together in a ``@model`` record of your own (see
``typedprop.checkpoint``), and build the optimizer again with the same settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Generic, TypeAlias, TypeVar

import attrs
import numpy as np

from typedprop import classes
from typedprop._core import deep_value
from typedprop._tree import is_real, leaves, tree_map
from typedprop.record import _info, _make, model

__all__ = [
    "SGD",
    "Adam",
    "AdamState",
    "AdamW",
    "Constant",
    "Momentum",
    "MomentumState",
    "SGDState",
    "Schedule",
    "StepDecay",
    "WarmupCosine",
    "clip_by_global_norm",
]

T = TypeVar("T")

Schedule: TypeAlias = Callable[[int], float]
"""A learning-rate schedule: the rate for a step, given the number of steps taken before it."""


def _numbers(fn: Any) -> Any:
    """``fn`` on leaves that hold real numbers, its result in the leaf's own dtype (a float64
    gradient must not promote a float32 parameter); other leaves (ints, statics) pass through."""

    def leaf(p: Any, *rest: Any) -> Any:
        if not is_real(p):
            return p
        new = fn(p, *rest)
        if isinstance(p, np.ndarray | np.generic) and new.dtype != p.dtype:
            return new.astype(p.dtype)
        wrapper: Any = p  # a Vec or Mat: its array's dtype
        if hasattr(type(wrapper), "_rewrap") and new.array.dtype is not wrapper.array.dtype:
            return type(wrapper)._rewrap(new.array.astype(wrapper.array.dtype))
        return new

    return leaf


# --- learning-rate schedules ---


def _rate(lr: float | Schedule) -> float | Schedule:
    """An optimizer's ``lr`` as given: a schedule (any callable), or a number as a Python float
    (a NumPy scalar would promote float32 parameters)."""
    if callable(lr):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.integer | np.floating):
        raise TypeError(
            f"lr: expected a number or a schedule (a function of the step), got {lr!r}"
        )
    return float(lr)


def _lr_at(lr: float | Schedule, t: int) -> float:
    """The learning rate of the step that follows ``t`` steps."""
    return float(lr(t)) if callable(lr) else lr


def _positive(name: str) -> Callable[[Any, Any, Any], None]:
    """An attrs validator: the value must be a number > 0."""

    def check(_: Any, attribute: Any, value: Any) -> None:
        if not value > 0:
            raise ValueError(f"{name}: expected a number > 0, got {value!r}")

    return check


@attrs.frozen
class Constant:
    """The same rate at every step.

    Example:
        >>> Constant(0.1)(0), Constant(0.1)(1000)
        (0.1, 0.1)
    """

    value: float = attrs.field(converter=float)

    def __call__(self, step: int) -> float:
        """The rate at ``step``."""
        return self.value


@attrs.frozen
class StepDecay:
    """``value`` multiplied by ``factor`` every ``every`` steps: ``value * factor**(step //
    every)``.

    Example:
        >>> s = StepDecay(1.0, every=10, factor=0.5)
        >>> s(0), s(9), s(10), s(25)
        (1.0, 1.0, 0.5, 0.25)
    """

    value: float = attrs.field(converter=float)
    every: int = attrs.field(validator=_positive("StepDecay: every"))
    factor: float = attrs.field(default=0.1, converter=float)

    def __call__(self, step: int) -> float:
        """The rate at ``step``."""
        return self.value * self.factor ** (step // self.every)


@attrs.frozen
class WarmupCosine:
    """A linear warm-up from 0 to ``peak`` over ``warmup`` steps, then a cosine decay to
    ``final`` at step ``total``, and ``final`` after it.

    Example:
        >>> s = WarmupCosine(1.0, total=110, warmup=10)
        >>> s(0), s(5), s(10), s(60), s(110), s(500)
        (0.0, 0.5, 1.0, 0.5, 0.0, 0.0)
    """

    peak: float = attrs.field(converter=float)
    total: int = attrs.field(validator=_positive("WarmupCosine: total"))
    warmup: int = 0
    final: float = attrs.field(default=0.0, converter=float)

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.warmup <= self.total:
            raise ValueError(
                f"WarmupCosine: expected 0 <= warmup <= total, got warmup={self.warmup}, "
                f"total={self.total}"
            )

    def __call__(self, step: int) -> float:
        """The rate at ``step``."""
        if step < self.warmup:
            return self.peak * step / self.warmup
        if step >= self.total:
            return self.final
        done = (step - self.warmup) / (self.total - self.warmup)
        return self.final + 0.5 * (self.peak - self.final) * (1.0 + math.cos(math.pi * done))


# --- gradient clipping ---


def _square_sum(leaf: Any) -> float:
    """The sum of the squares of a leaf's real numbers (0 for any other leaf)."""
    if not is_real(leaf):
        return 0.0
    a = np.asarray(deep_value(leaf), dtype=np.float64)
    return float(np.sum(a * a))


def clip_by_global_norm(grads: T, max_norm: float) -> tuple[T, float]:
    """``grads`` scaled down so that their global norm is at most ``max_norm``, and the norm they
    had.

    The global norm is the Euclidean norm of all the gradient's real numbers together, over any
    record or container (every parameter is scaled by the same factor, so the direction is
    kept). Gradients within the bound come back unchanged; so do gradients whose norm is not
    finite (check the returned norm to skip such a step). Each leaf keeps its dtype.

    Raises:
        ValueError: ``max_norm`` is not a number > 0.

    Example:
        >>> import numpy as np
        >>> g, norm = clip_by_global_norm((np.array([3.0]), 4.0), max_norm=1.0)
        >>> norm, g
        (5.0, (array([0.6]), 0.8))
    """
    if isinstance(max_norm, bool) or not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: expected max_norm > 0, got {max_norm!r}")
    norm = math.sqrt(sum(_square_sum(leaf) for leaf in leaves(grads)))
    if not math.isfinite(norm) or norm <= max_norm:
        return grads, norm
    scale = float(max_norm) / norm
    clipped: T = tree_map(_numbers(lambda g: g * scale), grads)
    return clipped, norm


# --- SGD and momentum ---


@model
class SGDState:
    """SGD's state: the number of steps taken (what a schedule reads)."""

    t: int


@attrs.frozen
class SGD:
    """Plain gradient descent: ``params - lr * grad``.

    Example:
        >>> from typedprop.optim import SGD
        >>> opt = SGD(lr=0.5)
        >>> opt.step(opt.init(3.0), 3.0, 2.0)
        (SGDState(t=1), 2.0)
    """

    lr: float | Schedule = attrs.field(converter=_rate)

    def init(self, params: Any) -> SGDState:
        """No steps taken yet."""
        return _make(_info(SGDState), (0,))  # type: ignore[no-any-return]

    def step(self, state: SGDState, params: T, grad: T) -> tuple[SGDState, T]:
        """One step down the gradient."""
        lr = _lr_at(self.lr, state.t)
        stepped: T = tree_map(_numbers(lambda p, g: p - lr * g), params, grad)
        return _make(_info(SGDState), (state.t + 1,)), stepped


@model
class MomentumState(Generic[T]):
    """Momentum's state: the velocity (of the parameters' type) and the number of steps taken;
    ``checkpoint.load(path, MomentumState[Net])`` reads it back."""

    velocity: T
    t: int


@attrs.frozen
class Momentum:
    """Gradient descent with momentum: ``v = beta v + grad``, ``params - lr v``.

    The state's velocity is a value of the parameters' own type.

    Example:
        >>> from typedprop.optim import Momentum, StepDecay
        >>> opt = Momentum(lr=StepDecay(0.1, every=1, factor=0.5), beta=0.5)
        >>> state, x = opt.step(opt.init(1.0), 1.0, 2.0)  # v = 2, lr = 0.1
        >>> state, x = opt.step(state, x, 2.0)  # v = 0.5 * 2 + 2 = 3, lr = 0.05
        >>> state.velocity, state.t, round(x, 6)
        (3.0, 2, 0.65)
    """

    lr: float | Schedule = attrs.field(converter=_rate)
    beta: float = attrs.field(default=0.9, converter=float)

    def init(self, params: T) -> MomentumState[T]:
        """A zero velocity shaped like the parameters."""
        state: MomentumState[T] = _make(_info(MomentumState), (classes.zero(params), 0))
        return state

    def step(self, state: MomentumState[T], params: T, grad: T) -> tuple[MomentumState[T], T]:
        """One step with momentum."""
        beta, lr = self.beta, _lr_at(self.lr, state.t)
        velocity: T = tree_map(_numbers(lambda v, g: beta * v + g), state.velocity, grad)
        stepped: T = tree_map(_numbers(lambda p, v: p - lr * v), params, velocity)
        new: MomentumState[T] = _make(_info(MomentumState), (velocity, state.t + 1))
        return new, stepped


# --- Adam and AdamW ---


@model
class AdamState(Generic[T]):
    """Adam's (and AdamW's) state: the first and second moment estimates (each of the
    parameters' type) and the number of steps taken; a ``@model`` record, so ``checkpoint.save``
    stores it and ``checkpoint.load(path, AdamState[Net])`` reads it back."""

    m: T
    v: T
    t: int


def _adam_state(m: T, v: T, t: int) -> AdamState[T]:
    """An ``AdamState`` of values computed here: no validation, no copies (as in record
    arithmetic); the constructor's checks cost more than the rest of a small step."""
    state: AdamState[T] = _make(_info(AdamState), (m, v, t))
    return state


def _adam_step(
    opt: Adam | AdamW, state: AdamState[T], params: T, grad: T, decay: float
) -> tuple[AdamState[T], T]:
    """Adam's step, with the parameters first shrunk by ``lr * decay`` (AdamW)."""
    b1, b2, eps = opt.beta1, opt.beta2, opt.eps
    lr = _lr_at(opt.lr, state.t)
    t = state.t + 1
    m: T = tree_map(_numbers(lambda m, g: b1 * m + (1.0 - b1) * g), state.m, grad)
    v: T = tree_map(_numbers(lambda v, g: b2 * v + (1.0 - b2) * (g * g)), state.v, grad)
    rate = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
    shrink = lr * decay

    def update(p: Any, m_: Any, v_: Any) -> Any:
        step = rate * m_ / (np.sqrt(v_) + eps)
        return p - shrink * p - step if shrink else p - step

    stepped: T = tree_map(_numbers(update), params, m, v)
    return _adam_state(m, v, t), stepped


@attrs.frozen
class Adam:
    """Adam (Kingma & Ba, 2015), with the usual bias correction.

    Example:
        >>> from typedprop.optim import Adam
        >>> opt = Adam(lr=0.1)
        >>> state = opt.init(1.0)
        >>> state, x = opt.step(state, 1.0, 4.0)
        >>> print(round(x, 6))  # the first step is lr against the sign of the gradient
        0.9
    """

    lr: float | Schedule = attrs.field(default=1e-3, converter=_rate)
    beta1: float = attrs.field(default=0.9, converter=float)
    beta2: float = attrs.field(default=0.999, converter=float)
    eps: float = attrs.field(default=1e-8, converter=float)

    def init(self, params: T) -> AdamState[T]:
        """Zero moments shaped like the parameters."""
        zero = classes.zero(params)
        return _adam_state(zero, zero, 0)

    def step(self, state: AdamState[T], params: T, grad: T) -> tuple[AdamState[T], T]:
        """One Adam step."""
        return _adam_step(self, state, params, grad, 0.0)


@attrs.frozen
class AdamW:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): each step also shrinks
    every parameter by ``lr * weight_decay`` of itself, outside the adaptive scaling
    (``p - lr * weight_decay * p - adam_step``, as PyTorch's ``AdamW``). It decays every real
    parameter, biases included. Its state is an ``AdamState``.

    Example:
        >>> from typedprop.optim import AdamW
        >>> opt = AdamW(lr=0.1, weight_decay=0.5)
        >>> state, x = opt.step(opt.init(1.0), 1.0, 0.0)  # no gradient: only the decay
        >>> print(round(x, 6))
        0.95
    """

    lr: float | Schedule = attrs.field(default=1e-3, converter=_rate)
    beta1: float = attrs.field(default=0.9, converter=float)
    beta2: float = attrs.field(default=0.999, converter=float)
    eps: float = attrs.field(default=1e-8, converter=float)
    weight_decay: float = attrs.field(default=0.01, converter=float)

    def init(self, params: T) -> AdamState[T]:
        """Zero moments shaped like the parameters."""
        zero = classes.zero(params)
        return _adam_state(zero, zero, 0)

    def step(self, state: AdamState[T], params: T, grad: T) -> tuple[AdamState[T], T]:
        """One AdamW step."""
        return _adam_step(self, state, params, grad, self.weight_decay)
