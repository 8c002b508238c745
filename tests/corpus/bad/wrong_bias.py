"""A two-layer network whose first layer adds the second layer's bias."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec


class Net(Model):
    w1: Mat[Literal[8], Literal[4]]
    b1: Vec[Literal[8]]
    w2: Mat[Literal[2], Literal[8]]
    b2: Vec[Literal[2]]


def run(net: BVar[Net], x: BVar[Vec[Literal[4]]]) -> BVar[float]:
    h = logistic((net ^ Net.w1) @ x + (net ^ Net.b2))  # mistake: b2 (2) added to an 8-vector
    return sum_elements((net ^ Net.w2) @ h + (net ^ Net.b2))


def main() -> None:
    net = Net(
        Mat[Literal[8], Literal[4]](np.zeros((8, 4))),
        Vec[Literal[8]](np.zeros(8)),
        Mat[Literal[2], Literal[8]](np.zeros((2, 8))),
        Vec[Literal[2]](np.zeros(2)),
    )
    x = Vec[Literal[4]](np.ones(4))
    eval_bp(lambda n: run(n, auto(x)), net)


if __name__ == "__main__":
    main()
