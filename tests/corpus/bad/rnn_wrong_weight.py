"""An RNN whose recurrence multiplies the state by the input weight."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import sum_elements, tanh
from typedprop.linalg import Mat, Vec, zeros

In = Literal[3]
H = Literal[6]


class RNN(Model):
    w_in: Mat[H, In]
    w_rec: Mat[H, H]


def run(rnn: BVar[RNN], xs: list[Vec[In]]) -> BVar[float]:
    h: BVar[Vec[H]] = auto(zeros(6))
    for x in xs:
        h = tanh((rnn ^ RNN.w_in) @ auto(x) + (rnn ^ RNN.w_in) @ h)  # mistake: w_in on the state
    return sum_elements(h)


def main() -> None:
    rnn = RNN(Mat[H, In](np.ones((6, 3))), Mat[H, H](np.ones((6, 6))))
    xs = [Vec[In](np.ones(3)) for _ in range(3)]
    eval_bp(lambda r: run(r, xs), rnn)


if __name__ == "__main__":
    main()
