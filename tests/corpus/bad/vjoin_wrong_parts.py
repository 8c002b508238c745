"""A gated cell that joins the input with itself instead of with the state."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, eval_bp, model
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, vjoin

In = Literal[2]
H = Literal[4]


@model
class Cell:
    gate: Mat[H, Literal[6]]


def step(c: BVar[Cell], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    g = logistic((c ^ Cell.gate) @ vjoin(x, x))  # mistake: vjoin(x, x) is 4 long, not 6
    return g * h


def main() -> None:
    c = Cell(Mat(np.ones((4, 6))))
    x: Vec[In] = Vec(np.ones(2))
    h: Vec[H] = Vec(np.ones(4))
    eval_bp(lambda c_: sum_elements(step(c_, auto(x), auto(h))), c)


if __name__ == "__main__":
    main()
