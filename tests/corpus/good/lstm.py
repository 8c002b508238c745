"""An LSTM cell: four gates from ``vjoin(x, h)``, a cell state and a hidden state. Its gate
weights are ``Mat[H, Add[In, H]]``, built by a checked constructor whose type says the sum."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, split_bv
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Add, Mat, Vec, vjoin, zeros

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


class LSTM(Model, Generic[In, H]):
    w_i: Mat[H, Add[In, H]]
    w_f: Mat[H, Add[In, H]]
    w_o: Mat[H, Add[In, H]]
    w_c: Mat[H, Add[In, H]]
    b_i: Vec[H]
    b_f: Vec[H]
    b_o: Vec[H]
    b_c: Vec[H]


def lstm_step(
    cell: BVar[LSTM[In, H]], x: BVar[Vec[In]], h: BVar[Vec[H]], c: BVar[Vec[H]]
) -> tuple[BVar[Vec[H]], BVar[Vec[H]]]:
    p = split_bv(cell)
    xh = vjoin(x, h)
    i = logistic(p.w_i @ xh + p.b_i)
    f = logistic(p.w_f @ xh + p.b_f)
    o = logistic(p.w_o @ xh + p.b_o)
    c_new = f * c + i * tanh(p.w_c @ xh + p.b_c)
    return o * tanh(c_new), c_new


def main() -> None:
    rng = np.random.default_rng(12)

    def w() -> Mat[Literal[4], Add[Literal[3], Literal[4]]]:
        return Mat[Literal[4], Add[Literal[3], Literal[4]]](rng.normal(scale=0.3, size=(4, 7)))

    def b() -> Vec[Literal[4]]:
        return zeros(4)

    cell = LSTM(w(), w(), w(), w(), b(), b(), b(), b())
    xs = [Vec[Literal[3]](rng.normal(size=3)) for _ in range(5)]

    def loss(p: BVar[LSTM[Literal[3], Literal[4]]]) -> BVar[float]:
        h: BVar[Vec[Literal[4]]] = auto(zeros(4))
        c: BVar[Vec[Literal[4]]] = auto(zeros(4))
        for x in xs:
            h, c = lstm_step(p, auto(x), h, c)
        return sum_elements(h)

    grad = grad_bp(loss, cell)
    assert grad.w_c.shape == (4, 7)


if __name__ == "__main__":
    main()
