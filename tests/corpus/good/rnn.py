"""An Elman RNN: one set of weights applied at every step of a sequence."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop
from typedprop.functions import tanh
from typedprop.linalg import Mat, Vec, dot, zeros

In = Literal[3]
Hidden = Literal[6]


class RNN(Model):
    w_in: Mat[Hidden, In]
    w_rec: Mat[Hidden, Hidden]
    bias: Vec[Hidden]
    readout: Vec[Hidden]


def step(rnn: BVar[RNN], h: BVar[Vec[Hidden]], x: Vec[In]) -> BVar[Vec[Hidden]]:
    return tanh((rnn ^ RNN.w_in) @ auto(x) + (rnn ^ RNN.w_rec) @ h + (rnn ^ RNN.bias))


def predict(rnn: BVar[RNN], xs: list[Vec[In]]) -> BVar[float]:
    h: BVar[Vec[Hidden]] = auto(zeros(6))
    for x in xs:
        h = step(rnn, h, x)
    return dot(rnn ^ RNN.readout, h)


def main() -> None:
    rng = np.random.default_rng(3)
    rnn = RNN(
        w_in=Mat[Hidden, In](rng.normal(scale=0.5, size=(6, 3))),
        w_rec=Mat[Hidden, Hidden](rng.normal(scale=0.3, size=(6, 6))),
        bias=Vec[Hidden](np.zeros(6)),
        readout=Vec[Hidden](rng.normal(size=6)),
    )
    xs = [Vec[In](rng.normal(size=3)) for _ in range(5)]
    target = 0.5
    value = float("inf")
    for _ in range(5):
        value, grad = backprop(lambda r: (predict(r, xs) - target) ** 2, rnn)
        rnn = rnn - 0.05 * grad
    assert np.isfinite(value)


if __name__ == "__main__":
    main()
