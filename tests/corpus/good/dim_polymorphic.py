"""One function, generic in its dimensions, used at two different sizes."""

from typing import Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, grad_bp
from typedprop.linalg import Mat, Vec, dot, tr

M = TypeVar("M", bound=int)
N = TypeVar("N", bound=int)


def residual(a: BVar[Mat[M, N]], x: Vec[N], y: Vec[M]) -> BVar[float]:
    r = a @ auto(x) - auto(y)
    return dot(r, r)


def normal_step(a: Mat[M, N], x: Vec[N], y: Vec[M]) -> Mat[M, N]:
    g = grad_bp(lambda a_: residual(a_, x, y), a)
    return a - 0.01 * g


def gram(a: Mat[M, N]) -> Mat[N, N]:
    return tr(a) @ a


def main() -> None:
    rng = np.random.default_rng(7)
    small = Mat[Literal[2], Literal[3]](rng.normal(size=(2, 3)))
    x3 = Vec[Literal[3]](rng.normal(size=3))
    y2 = Vec[Literal[2]](rng.normal(size=2))
    small = normal_step(small, x3, y2)
    g3: Mat[Literal[3], Literal[3]] = gram(small)

    big = Mat[Literal[10], Literal[4]](rng.normal(size=(10, 4)))
    x4 = Vec[Literal[4]](rng.normal(size=4))
    y10 = Vec[Literal[10]](rng.normal(size=10))
    big = normal_step(big, x4, y10)
    g4: Mat[Literal[4], Literal[4]] = gram(big)
    assert g3.shape == (3, 3) and g4.shape == (4, 4)


if __name__ == "__main__":
    main()
