"""A GRU cell unrolled over a short sequence, with a linear read-out trained for two steps.

mypy-only on purpose: the record is a ``@model`` class, whose arithmetic (``cell - 0.1 * grad``)
only the plugin types, and ``split_bv`` fields are ``BVar[Any]`` without it. gru.py is the same
program in the portable spelling."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, backprop, model, split_bv
from typedprop.functions import logistic, tanh
from typedprop.linalg import Mat, Vec, dot, zeros

X = Literal[3]
H = Literal[5]


@model
class GRU:
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
    p = split_bv(cell)
    z = logistic(p.w_z @ x + p.u_z @ h + p.b_z)
    r = logistic(p.w_r @ x + p.u_r @ h + p.b_r)
    candidate = tanh(p.w_h @ x + p.u_h @ (r * h) + p.b_h)
    return (1.0 - z) * h + z * candidate


def predict(cell: BVar[GRU], xs: list[Vec[X]]) -> BVar[float]:
    h: BVar[Vec[H]] = auto(zeros(5))
    for x in xs:
        h = gru_step(cell, auto(x), h)
    return dot(cell ^ GRU.out, h)


def main() -> None:
    rng = np.random.default_rng(11)

    def w(rows: int, cols: int) -> Mat[H, X]:
        return Mat(rng.normal(scale=0.4, size=(rows, cols)))

    def u() -> Mat[H, H]:
        return Mat(rng.normal(scale=0.4, size=(5, 5)))

    b: Vec[H] = zeros(5)
    cell = GRU(w(5, 3), u(), b, w(5, 3), u(), b, w(5, 3), u(), b, Vec(rng.normal(size=5)))
    xs: list[Vec[X]] = [Vec(rng.normal(size=3)) for _ in range(6)]
    value = float("inf")
    for _ in range(2):
        value, grad = backprop(lambda c: (predict(c, xs) - 1.0) ** 2, cell)
        cell = cell - 0.1 * grad
    assert np.isfinite(value)


if __name__ == "__main__":
    main()
