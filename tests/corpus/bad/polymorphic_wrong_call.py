"""A dimension-generic step called with an input of the wrong length."""

from typing import Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, grad_bp
from typedprop.linalg import Mat, Vec, dot

M = TypeVar("M", bound=int)
N = TypeVar("N", bound=int)


def residual(a: BVar[Mat[M, N]], x: Vec[N], y: Vec[M]) -> BVar[float]:
    r = a @ auto(x) - auto(y)
    return dot(r, r)


def step(a: Mat[M, N], x: Vec[N], y: Vec[M]) -> Mat[M, N]:
    return a - 0.01 * grad_bp(lambda a_: residual(a_, x, y), a)


def main() -> None:
    a = Mat[Literal[2], Literal[3]](np.ones((2, 3)))
    x = Vec[Literal[4]](np.ones(4))
    y = Vec[Literal[2]](np.ones(2))
    step(a, x, y)  # mistake: a is 2 by 3, x has 4 elements


if __name__ == "__main__":
    main()
