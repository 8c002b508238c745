"""One Adam state shared by two different models."""

from typing import Literal

import numpy as np

from typedprop import grad_bp, model
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.optim import Adam


@model
class Small:
    w: Mat[Literal[2], Literal[2]]


@model
class Big:
    w: Mat[Literal[4], Literal[4]]
    b: Vec[Literal[4]]


def main() -> None:
    opt = Adam(lr=0.1)
    small = Small(Mat(np.ones((2, 2))))
    big = Big(Mat(np.ones((4, 4))), Vec(np.zeros(4)))
    state = opt.init(small)
    grad = grad_bp(lambda m: sum_elements((m ^ Big.w) * (m ^ Big.w)), big)
    state, big = opt.step(state, big, grad)  # mistake: the state was made for Small, not Big
    print(state, big)


if __name__ == "__main__":
    main()
