"""A gated cell that joins the input with itself instead of with the state."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Add, Mat, Vec, vjoin

In = Literal[2]
H = Literal[4]


class Cell(Model):
    gate: Mat[H, Add[In, H]]


def step(c: BVar[Cell], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    g = logistic((c ^ Cell.gate) @ vjoin(x, x))  # mistake: vjoin(x, x) is 4 long, not 6
    return g * h


def main() -> None:
    c = Cell(Mat[H, Add[In, H]](np.ones((4, 6))))
    x = Vec[In](np.ones(2))
    h = Vec[H](np.ones(4))
    eval_bp(lambda c_: sum_elements(step(c_, auto(x), auto(h))), c)


if __name__ == "__main__":
    main()
