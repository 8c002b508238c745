"""A scoring function declared to give 3 scores whose output layer gives 4."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import relu, sum_elements
from typedprop.linalg import Mat, Vec


class Net(Model):
    w1: Mat[Literal[6], Literal[2]]
    w2: Mat[Literal[4], Literal[6]]


def scores(net: BVar[Net], x: BVar[Vec[Literal[2]]]) -> BVar[Vec[Literal[3]]]:
    h = relu((net ^ Net.w1) @ x)
    return (net ^ Net.w2) @ h  # mistake: 4 scores returned where 3 are declared


def main() -> None:
    net = Net(
        Mat[Literal[6], Literal[2]](np.ones((6, 2))), Mat[Literal[4], Literal[6]](np.ones((4, 6)))
    )
    x = Vec[Literal[2]](np.ones(2))
    eval_bp(lambda n: sum_elements(scores(n, auto(x))), net)


if __name__ == "__main__":
    main()
