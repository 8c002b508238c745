"""A generic LSTM whose input gate reads the input alone instead of input and state."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, eval_bp, lens_of
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Add, Mat, Vec, vjoin

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
L2 = Literal[2]
L3 = Literal[3]


class LSTM(Model, Generic[In, H]):
    w_i: Mat[H, Add[In, H]]
    w_c: Mat[H, Add[In, H]]


def step(cell: BVar[LSTM[In, H]], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    w_i: BVar[Mat[H, Add[In, H]]] = cell ^ lens_of(LSTM[In, H], lambda c: c.w_i)
    w_c: BVar[Mat[H, Add[In, H]]] = cell ^ lens_of(LSTM[In, H], lambda c: c.w_c)
    xh = vjoin(x, h)
    i = logistic(w_i @ x)  # mistake: the gate weight needs vjoin(x, h), not x
    return i * tanh(w_c @ xh)


def main() -> None:
    w = Mat[L3, Add[L2, L3]](np.ones((3, 5)))
    cell = LSTM(w, w)
    x = Vec[L2](np.ones(2))
    h = Vec[L3](np.ones(3))
    eval_bp(lambda c: sum_elements(step(c, auto(x), auto(h))), cell)


if __name__ == "__main__":
    main()
