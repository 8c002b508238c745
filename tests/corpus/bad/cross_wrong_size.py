"""A surface normal computed from a 3-vector and a homogeneous 4-vector."""

from typing import Literal

import numpy as np

from typedprop.linalg import Vec, cross


def normal(a: Vec[Literal[3]], b: Vec[Literal[4]]) -> Vec[Literal[3]]:
    return cross(a, b)  # mistake: cross of a 3-vector and a 4-vector


def main() -> None:
    print(normal(Vec[Literal[3]](np.ones(3)), Vec[Literal[4]](np.ones(4))))


if __name__ == "__main__":
    main()
