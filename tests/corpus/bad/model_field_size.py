"""A model constructed with a bias of the wrong length."""

from typing import Literal

import numpy as np

from typedprop import Model
from typedprop.linalg import Mat, Vec, zeros


class Layer(Model):
    weight: Mat[Literal[5], Literal[3]]
    bias: Vec[Literal[5]]


def main() -> None:
    rng = np.random.default_rng(0)
    w = Mat[Literal[5], Literal[3]](rng.normal(size=(5, 3)))
    layer = Layer(weight=w, bias=zeros(3))  # mistake: bias of 3 for a layer of 5 outputs
    print(layer)


if __name__ == "__main__":
    main()
