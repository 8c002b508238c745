"""A generic recurrent step whose weight is declared for the input only, not input and state."""

from typing import Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, eval_bp
from typedprop.functions import sum_elements, tanh
from typedprop.linalg import Mat, Vec, vjoin

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def step(w: BVar[Mat[H, In]], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    return tanh(w @ vjoin(x, h))  # mistake: Mat[H, In] times a vector of In + H


def main() -> None:
    w = Mat[Literal[4], Literal[2]](np.ones((4, 2)))
    x = Vec[Literal[2]](np.ones(2))
    h = Vec[Literal[4]](np.ones(4))
    eval_bp(lambda w_: sum_elements(step(w_, auto(x), auto(h))), w)


if __name__ == "__main__":
    main()
