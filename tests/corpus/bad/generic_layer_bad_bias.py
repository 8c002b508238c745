"""A generic layer built with a bias sized for its input instead of its output."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import Model
from typedprop.linalg import Mat, Vec, zeros

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)


class Layer(Model, Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


def main() -> None:
    w = Mat[Literal[10], Literal[4]](np.ones((10, 4)))
    layer: Layer[Literal[4], Literal[10]] = Layer(w, zeros(4))  # mistake: bias of 4, not 10
    print(layer)


if __name__ == "__main__":
    main()
