"""A layer initialised with its weight's dimensions swapped."""

from typing import Literal

from typedprop import Model
from typedprop.linalg import Mat, Vec, zeros


class Layer(Model):
    weight: Mat[Literal[3], Literal[5]]
    bias: Vec[Literal[3]]


def main() -> None:
    layer = Layer(zeros(5, 3), zeros(3))  # mistake: weight is 3 by 5, not 5 by 3
    print(layer)


if __name__ == "__main__":
    main()
