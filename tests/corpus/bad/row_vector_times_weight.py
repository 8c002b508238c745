"""A linear layer applied as x @ w with w stored as out by in."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec


def layer(w: Mat[Literal[4], Literal[3]], x: Vec[Literal[3]]) -> Vec[Literal[4]]:
    return x @ w  # mistake: a 3-vector times a 4 by 3 matrix (meant w @ x)


def main() -> None:
    print(layer(Mat[Literal[4], Literal[3]](np.ones((4, 3))), Vec[Literal[3]](np.ones(3))))


if __name__ == "__main__":
    main()
