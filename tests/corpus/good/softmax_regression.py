"""Softmax regression on 8 features, with inputs built by the checking constructors
``Vec[Literal[8]](array)`` and ``zeros(4, 8)``."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, Vec, zeros


class Softmax(Model):
    weight: Mat[Literal[4], Literal[8]]
    bias: Vec[Literal[4]]


def loss(m: BVar[Softmax], x: Vec[Literal[8]], target: Vec[Literal[4]]) -> BVar[float]:
    logits = (m ^ Softmax.weight) @ auto(x) + (m ^ Softmax.bias)
    return cross_entropy(logits, target)


def step(m: Softmax, x: Vec[Literal[8]], target: Vec[Literal[4]]) -> Softmax:
    return m - 0.1 * grad_bp(lambda m_: loss(m_, x, target), m)


def main() -> None:
    rng = np.random.default_rng(17)
    m = Softmax(zeros(4, 8), zeros(4))
    examples = [
        (Vec[Literal[8]](rng.normal(size=8)), Vec[Literal[4]](np.eye(4)[k])) for k in range(4)
    ]
    for _ in range(10):
        for x, t in examples:
            m = step(m, x, t)
    assert m.weight.shape == (4, 8)


if __name__ == "__main__":
    main()
