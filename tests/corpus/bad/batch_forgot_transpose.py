"""A batched layer that forgets to transpose its weight."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp2
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec, zeros

B = Literal[16]


def forward(
    w: BVar[Mat[Literal[3], Literal[7]]], b: BVar[Vec[Literal[3]]], x: Mat[B, Literal[7]]
) -> BVar[Mat[B, Literal[3]]]:
    return auto(x) @ w + b  # mistake: x @ w needs tr(w)


def main() -> None:
    w = Mat[Literal[3], Literal[7]](np.ones((3, 7)))
    b: Vec[Literal[3]] = zeros(3)
    x = Mat[B, Literal[7]](np.ones((16, 7)))
    grad_bp2(lambda w_, b_: sum_elements(forward(w_, b_, x)), w, b)


if __name__ == "__main__":
    main()
