"""A generic LSTM whose input gate reads the input alone instead of input and state."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, eval_bp, model, split_bv
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Add, Mat, Vec, vjoin

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


@model
class LSTM(Generic[In, H]):
    w_i: Mat[H, Add[In, H]]
    w_c: Mat[H, Add[In, H]]


def step(cell: BVar[LSTM[In, H]], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    p = split_bv(cell)
    xh = vjoin(x, h)
    i = logistic(p.w_i @ x)  # mistake: the gate weight needs vjoin(x, h), not x
    return i * tanh(p.w_c @ xh)


def main() -> None:
    cell: LSTM[Literal[2], Literal[3]] = LSTM(Mat(np.ones((3, 5))), Mat(np.ones((3, 5))))
    x: Vec[Literal[2]] = Vec(np.ones(2))
    h: Vec[Literal[3]] = Vec(np.ones(3))
    eval_bp(lambda c: sum_elements(step(c, auto(x), auto(h))), cell)


if __name__ == "__main__":
    main()
