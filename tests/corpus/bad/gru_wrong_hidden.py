"""A GRU cell started from a hidden state of the wrong size."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Mat, Vec, zeros

X = Literal[3]
H = Literal[5]


class GRU(Model):
    w_z: Mat[H, X]
    u_z: Mat[H, H]
    w_h: Mat[H, X]
    u_h: Mat[H, H]


def gru_step(cell: BVar[GRU], x: BVar[Vec[X]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    z = logistic((cell ^ GRU.w_z) @ x + (cell ^ GRU.u_z) @ h)
    return (1.0 - z) * h + z * tanh((cell ^ GRU.w_h) @ x + (cell ^ GRU.u_h) @ h)


def run(cell: BVar[GRU], x: Vec[X]) -> BVar[float]:
    h0: Vec[Literal[4]] = zeros(4)  # mistake: the hidden state has 5 units, not 4
    h = gru_step(cell, auto(x), auto(h0))
    return sum_elements(h)


def main() -> None:
    w = Mat[H, X](np.ones((5, 3)))
    u = Mat[H, H](np.ones((5, 5)))
    cell = GRU(w, u, w, u)
    x = Vec[X](np.ones(3))
    eval_bp(lambda c: run(c, x), cell)


if __name__ == "__main__":
    main()
