"""A batch read from data with fewer columns than the layer expects."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, tr

B = Literal[32]


def main() -> None:
    w = Mat[Literal[2], Literal[5]](np.ones((2, 5)))
    table = np.random.default_rng(0).normal(size=(32, 4))
    x = Mat[B, Literal[5]](table)  # mistake(runtime): the table has 4 columns, not 5
    print(x @ tr(w))


if __name__ == "__main__":
    main()
