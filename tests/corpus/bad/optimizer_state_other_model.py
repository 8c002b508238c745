"""One Adam state shared by two different models."""

from typing import Literal

import numpy as np

from typedprop import Model, grad_bp
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.optim import Adam


class Small(Model):
    w: Mat[Literal[2], Literal[2]]


class Big(Model):
    w: Mat[Literal[4], Literal[4]]
    b: Vec[Literal[4]]


def main() -> None:
    opt = Adam(lr=0.1)
    small = Small(Mat[Literal[2], Literal[2]](np.ones((2, 2))))
    big = Big(Mat[Literal[4], Literal[4]](np.ones((4, 4))), Vec[Literal[4]](np.zeros(4)))
    state = opt.init(small)
    grad = grad_bp(lambda m: sum_elements((m ^ Big.w) * (m ^ Big.w)), big)
    state, big = opt.step(state, big, grad)  # mistake: the state was made for Small, not Big
    print(state, big)


if __name__ == "__main__":
    main()
