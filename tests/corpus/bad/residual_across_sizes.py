"""A residual connection added around a layer that changes the width."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import relu, sum_elements
from typedprop.linalg import Mat, Vec


class Block(Model):
    w: Mat[Literal[6], Literal[4]]


def block(b: BVar[Block], x: BVar[Vec[Literal[4]]]) -> BVar[Vec[Literal[6]]]:
    h = relu((b ^ Block.w) @ x)
    return h + x  # mistake: a 6-vector plus the 4-vector input


def main() -> None:
    b = Block(Mat[Literal[6], Literal[4]](np.ones((6, 4))))
    x = Vec[Literal[4]](np.ones(4))
    eval_bp(lambda b_: sum_elements(block(b_, auto(x))), b)


if __name__ == "__main__":
    main()
