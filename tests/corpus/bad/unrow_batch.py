"""Turning a whole batch of predictions into a single vector with unrow."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec, tr, unrow


def predict_one(
    w: Mat[Literal[2], Literal[3]], xs: Mat[Literal[4], Literal[3]]
) -> Vec[Literal[2]]:
    scores = xs @ tr(w)
    return unrow(scores)  # mistake: unrow needs a 1-row matrix, scores has 4 rows


def main() -> None:
    w = Mat[Literal[2], Literal[3]](np.ones((2, 3)))
    print(predict_one(w, Mat[Literal[4], Literal[3]](np.ones((4, 3)))))


if __name__ == "__main__":
    main()
