"""A two-layer perceptron trained for a few steps of gradient descent on one batch."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop
from typedprop.functions import cross_entropy, relu
from typedprop.linalg import Mat, Vec, tr

Batch = Literal[16]
Inputs = Literal[6]
Hidden = Literal[12]
Classes = Literal[3]


class MLP(Model):
    w1: Mat[Hidden, Inputs]
    b1: Vec[Hidden]
    w2: Mat[Classes, Hidden]
    b2: Vec[Classes]


def forward(net: BVar[MLP], x: BVar[Mat[Batch, Inputs]]) -> BVar[Mat[Batch, Classes]]:
    h = relu(x @ tr(net ^ MLP.w1) + (net ^ MLP.b1))
    return h @ tr(net ^ MLP.w2) + (net ^ MLP.b2)


def loss(net: BVar[MLP], x: Mat[Batch, Inputs], y: Mat[Batch, Classes]) -> BVar[float]:
    return cross_entropy(forward(net, auto(x)), y) / 16.0


def init(rng: np.random.Generator) -> MLP:
    return MLP(
        w1=Mat[Hidden, Inputs](rng.normal(scale=0.4, size=(12, 6))),
        b1=Vec[Hidden](np.zeros(12)),
        w2=Mat[Classes, Hidden](rng.normal(scale=0.4, size=(3, 12))),
        b2=Vec[Classes](np.zeros(3)),
    )


def main() -> None:
    rng = np.random.default_rng(0)
    x = Mat[Batch, Inputs](rng.normal(size=(16, 6)))
    y = Mat[Batch, Classes](np.eye(3)[rng.integers(0, 3, size=16)])
    net = init(rng)
    first = None
    for _ in range(10):
        value, grad = backprop(lambda n: loss(n, x, y), net)
        first = value if first is None else first
        net = net - 0.5 * grad
    last, _ = backprop(lambda n: loss(n, x, y), net)
    assert first is not None and last < first


if __name__ == "__main__":
    main()
