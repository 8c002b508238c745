"""A GRU cell started from a hidden state of the wrong size."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, eval_bp, model, split_bv
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Mat, Vec, zeros

X = Literal[3]
H = Literal[5]


@model
class GRU:
    w_z: Mat[H, X]
    u_z: Mat[H, H]
    w_h: Mat[H, X]
    u_h: Mat[H, H]


def gru_step(cell: BVar[GRU], x: BVar[Vec[X]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    p = split_bv(cell)
    z = logistic(p.w_z @ x + p.u_z @ h)
    return (1.0 - z) * h + z * tanh(p.w_h @ x + p.u_h @ h)


def run(cell: BVar[GRU], x: Vec[X]) -> BVar[float]:
    h0: Vec[Literal[4]] = zeros(4)  # mistake: the hidden state has 5 units, not 4
    h = gru_step(cell, auto(x), auto(h0))
    return sum_elements(h)


def main() -> None:
    cell = GRU(
        Mat(np.ones((5, 3))), Mat(np.ones((5, 5))), Mat(np.ones((5, 3))), Mat(np.ones((5, 5)))
    )
    x: Vec[X] = Vec(np.ones(3))
    eval_bp(lambda c: run(c, x), cell)


if __name__ == "__main__":
    main()
