"""Training helpers: SGD, momentum and Adam, functional and typed by the model.

Each optimizer is an immutable value with ``init(params)`` and
``step(state, params, grad) -> (state, params)``; its state is made of records of the model's
own type (Adam's moments are two ``Network``s), so a training loop stays typed end to end::

    opt = Adam(lr=1e-3)
    state = opt.init(net)
    for x, t in batches:
        grad = grad_bp(lambda n: loss(n, x, t), net)
        state, net = opt.step(state, net, grad)

They work on any value whose numbers ``typedprop`` can reach: ``@model`` records, arrays,
``Vec``/``Mat``, tuples, lists, dicts. Static fields and integers are carried unchanged, and every
parameter keeps its dtype (a float32 array stays float32, in the parameters and in the state,
whatever the precision of the gradient or of the hyper-parameters).

Every state is a value ``typedprop.checkpoint`` can save: ``None`` (SGD), a record of the model's
type (momentum), an ``AdamState`` record. To resume training later, save the model and the state
together in a ``@model`` record of your own (see ``typedprop.checkpoint``).
"""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar

import attrs
import numpy as np

from typedprop import classes
from typedprop._tree import is_real, tree_map
from typedprop.record import _info, _make, model

__all__ = ["SGD", "Adam", "AdamState", "Momentum"]

T = TypeVar("T")


def _numbers(fn: Any) -> Any:
    """``fn`` on leaves that hold real numbers, its result in the leaf's own dtype (a float64
    gradient must not promote a float32 parameter); other leaves (ints, statics) pass through."""

    def leaf(p: Any, *rest: Any) -> Any:
        if not is_real(p):
            return p
        new = fn(p, *rest)
        if isinstance(p, np.ndarray | np.generic) and new.dtype != p.dtype:
            return new.astype(p.dtype)
        return new

    return leaf


@attrs.frozen
class SGD:
    """Plain gradient descent: ``params - lr * grad``.

    Example:
        >>> from typedprop.optim import SGD
        >>> SGD(lr=0.5).step(None, 3.0, 2.0)
        (None, 2.0)
    """

    lr: float = attrs.field(converter=float)

    def init(self, params: Any) -> None:
        """SGD keeps no state."""
        return None

    def step(self, state: None, params: T, grad: T) -> tuple[None, T]:
        """One step down the gradient."""
        lr = self.lr
        stepped: T = tree_map(_numbers(lambda p, g: p - lr * g), params, grad)
        return None, stepped


@attrs.frozen
class Momentum:
    """Gradient descent with momentum: ``v = beta v + grad``, ``params - lr v``.

    The state is the velocity, a value of the parameters' own type.
    """

    lr: float = attrs.field(converter=float)
    beta: float = attrs.field(default=0.9, converter=float)

    def init(self, params: T) -> T:
        """A zero velocity shaped like the parameters."""
        return classes.zero(params)

    def step(self, state: T, params: T, grad: T) -> tuple[T, T]:
        """One step with momentum."""
        beta, lr = self.beta, self.lr
        velocity: T = tree_map(_numbers(lambda v, g: beta * v + g), state, grad)
        stepped: T = tree_map(_numbers(lambda p, v: p - lr * v), params, velocity)
        return velocity, stepped


@model
class AdamState(Generic[T]):
    """Adam's state: the first and second moment estimates (each of the parameters' type) and
    the number of steps taken; a ``@model`` record, so ``checkpoint.save`` stores it and
    ``checkpoint.load(path, AdamState[Net])`` reads it back."""

    m: T
    v: T
    t: int


def _adam_state(m: T, v: T, t: int) -> AdamState[T]:
    """An ``AdamState`` of values computed here: no validation, no copies (as in record
    arithmetic); the constructor's checks cost more than the rest of a small step."""
    state: AdamState[T] = _make(_info(AdamState), (m, v, t))
    return state


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

    lr: float = attrs.field(default=1e-3, converter=float)
    beta1: float = attrs.field(default=0.9, converter=float)
    beta2: float = attrs.field(default=0.999, converter=float)
    eps: float = attrs.field(default=1e-8, converter=float)

    def init(self, params: T) -> AdamState[T]:
        """Zero moments shaped like the parameters."""
        zero = classes.zero(params)
        return _adam_state(zero, zero, 0)

    def step(self, state: AdamState[T], params: T, grad: T) -> tuple[AdamState[T], T]:
        """One Adam step."""
        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = state.t + 1
        m: T = tree_map(_numbers(lambda m, g: b1 * m + (1.0 - b1) * g), state.m, grad)
        v: T = tree_map(_numbers(lambda v, g: b2 * v + (1.0 - b2) * (g * g)), state.v, grad)
        rate = self.lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)

        def update(p: Any, m_: Any, v_: Any) -> Any:
            return p - rate * m_ / (np.sqrt(v_) + eps)

        stepped: T = tree_map(_numbers(update), params, m, v)
        return _adam_state(m, v, t), stepped
