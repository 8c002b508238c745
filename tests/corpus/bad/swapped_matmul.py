"""A one-layer classifier that multiplies in the wrong order."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, Vec


class Net(Model):
    weight: Mat[Literal[3], Literal[5]]
    bias: Vec[Literal[3]]


def loss(net: BVar[Net], x: Vec[Literal[5]], t: Vec[Literal[3]]) -> BVar[float]:
    logits = auto(x) @ (net ^ Net.weight) + (net ^ Net.bias)  # mistake: x @ w instead of w @ x
    return cross_entropy(logits, t)


def main() -> None:
    net = Net(Mat[Literal[3], Literal[5]](np.zeros((3, 5))), Vec[Literal[3]](np.zeros(3)))
    x = Vec[Literal[5]](np.ones(5))
    t = Vec[Literal[3]]([1.0, 0.0, 0.0])
    grad_bp(lambda n: loss(n, x, t), net)


if __name__ == "__main__":
    main()
