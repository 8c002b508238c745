"""Splitting a joined state and reading the wrong half."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec, split, vjoin


def readout(
    w: Mat[Literal[4], Literal[3]], a: Vec[Literal[3]], b: Vec[Literal[2]]
) -> Vec[Literal[4]]:
    state = vjoin(a, b)
    front, back = split(state, 3)
    return w @ back  # mistake: back has 2 elements, w wants the 3 of front


def main() -> None:
    w = Mat[Literal[4], Literal[3]](np.ones((4, 3)))
    a = Vec[Literal[3]](np.ones(3))
    b = Vec[Literal[2]](np.ones(2))
    print(readout(w, a, b))


if __name__ == "__main__":
    main()
