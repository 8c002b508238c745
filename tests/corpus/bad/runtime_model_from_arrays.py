"""A model whose weight array is built transposed."""

from typing import Literal

import numpy as np

from typedprop import Model
from typedprop.linalg import Mat, Vec


class Layer(Model):
    weight: Mat[Literal[3], Literal[5]]
    bias: Vec[Literal[3]]


def main() -> None:
    rng = np.random.default_rng(0)
    weight = Mat[Literal[3], Literal[5]](rng.normal(size=(5, 3)))  # mistake(runtime): 5 by 3
    layer = Layer(weight, Vec[Literal[3]](np.zeros(3)))
    print(layer)


if __name__ == "__main__":
    main()
