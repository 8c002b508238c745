"""Concatenating features side by side from batches of different sizes."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, hstack


def features(
    a: Mat[Literal[8], Literal[3]], b: Mat[Literal[6], Literal[2]]
) -> Mat[Literal[8], Literal[5]]:
    return hstack(a, b)  # mistake: 8 rows beside 6 rows


def main() -> None:
    a = Mat[Literal[8], Literal[3]](np.ones((8, 3)))
    b = Mat[Literal[6], Literal[2]](np.ones((6, 2)))
    print(features(a, b))


if __name__ == "__main__":
    main()
