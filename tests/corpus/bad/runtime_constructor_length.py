"""An input vector built from a data row that is one feature short."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec


def main() -> None:
    w = Mat[Literal[2], Literal[8]](np.ones((2, 8)))
    raw = np.random.default_rng(0).normal(size=(3, 7))
    x = Vec[Literal[8]](raw[0])  # mistake(runtime): the data rows have 7 features, not 8
    print(w @ x)


if __name__ == "__main__":
    main()
