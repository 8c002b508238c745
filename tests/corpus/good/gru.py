"""A GRU cell unrolled over a short sequence, with a linear read-out trained for two steps (the
portable spelling of gru_mypy_only.py: a ``Model`` record, its fields viewed through lenses)."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop
from typedprop.functions import logistic, tanh
from typedprop.linalg import Mat, Vec, dot, zeros

X = Literal[3]
H = Literal[5]


class GRU(Model):
    w_z: Mat[H, X]
    u_z: Mat[H, H]
    b_z: Vec[H]
    w_r: Mat[H, X]
    u_r: Mat[H, H]
    b_r: Vec[H]
    w_h: Mat[H, X]
    u_h: Mat[H, H]
    b_h: Vec[H]
    out: Vec[H]


def gru_step(cell: BVar[GRU], x: BVar[Vec[X]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    z = logistic((cell ^ GRU.w_z) @ x + (cell ^ GRU.u_z) @ h + (cell ^ GRU.b_z))
    r = logistic((cell ^ GRU.w_r) @ x + (cell ^ GRU.u_r) @ h + (cell ^ GRU.b_r))
    candidate = tanh((cell ^ GRU.w_h) @ x + (cell ^ GRU.u_h) @ (r * h) + (cell ^ GRU.b_h))
    return (1.0 - z) * h + z * candidate


def predict(cell: BVar[GRU], xs: list[Vec[X]]) -> BVar[float]:
    h: BVar[Vec[H]] = auto(zeros(5))
    for x in xs:
        h = gru_step(cell, auto(x), h)
    return dot(cell ^ GRU.out, h)


def main() -> None:
    rng = np.random.default_rng(11)

    def w() -> Mat[H, X]:
        return Mat[H, X](rng.normal(scale=0.4, size=(5, 3)))

    def u() -> Mat[H, H]:
        return Mat[H, H](rng.normal(scale=0.4, size=(5, 5)))

    b: Vec[H] = zeros(5)
    cell = GRU(w(), u(), b, w(), u(), b, w(), u(), b, Vec[H](rng.normal(size=5)))
    xs = [Vec[X](rng.normal(size=3)) for _ in range(6)]
    value = float("inf")
    for _ in range(2):
        value, grad = backprop(lambda c: (predict(c, xs) - 1.0) ** 2, cell)
        cell = cell - 0.1 * grad
    assert np.isfinite(value)


if __name__ == "__main__":
    main()
