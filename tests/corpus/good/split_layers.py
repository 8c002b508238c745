"""A residual network of three same-size blocks with ``split_bv`` and Momentum SGD."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop, split_bv
from typedprop.functions import mean, relu
from typedprop.linalg import Mat, Vec, konst, tr
from typedprop.optim import Momentum

B = Literal[8]
W = Literal[6]


class ResNet(Model):
    w1: Mat[W, W]
    w2: Mat[W, W]
    w3: Mat[W, W]
    bias: Vec[W]


def run(net: BVar[ResNet], x: BVar[Mat[B, W]]) -> BVar[Mat[B, W]]:
    p = split_bv(net)
    h = x + relu(x @ tr(p.w1) + p.bias)
    h = h + relu(h @ tr(p.w2))
    return h + relu(h @ tr(p.w3))


def main() -> None:
    rng = np.random.default_rng(18)

    def w() -> Mat[W, W]:
        return Mat[W, W](rng.normal(scale=0.2, size=(6, 6)))

    net = ResNet(w(), w(), w(), konst(0.0, 6))
    x = Mat[B, W](rng.normal(size=(8, 6)))
    opt = Momentum(lr=0.01)
    velocity = opt.init(net)
    for _ in range(3):
        _, grad = backprop(lambda n: mean(run(n, auto(x)) * run(n, auto(x))), net)
        velocity, net = opt.step(velocity, net, grad)
    assert net.w2.shape == (6, 6)


if __name__ == "__main__":
    main()
