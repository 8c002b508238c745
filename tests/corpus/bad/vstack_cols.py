"""Stacking two batches whose rows have different widths."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, vstack


def both(a: Mat[Literal[8], Literal[3]], b: Mat[Literal[4], Literal[2]]) -> None:
    stacked = vstack(a, b)  # mistake: rows of 3 on rows of 2
    print(stacked)


def main() -> None:
    both(
        Mat[Literal[8], Literal[3]](np.ones((8, 3))), Mat[Literal[4], Literal[2]](np.ones((4, 2)))
    )


if __name__ == "__main__":
    main()
