"""A split point computed from the data, off by one."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec, split, vjoin


def main() -> None:
    a = Vec[Literal[3]](np.ones(3))
    b = Vec[Literal[2]](np.ones(2))
    w = Mat[Literal[4], Literal[3]](np.ones((4, 3)))
    state = vjoin(a, b)
    cut = int(np.sum(np.asarray(a))) - 1
    front, _back = split(state, cut)  # mistake(runtime): cut is 2, the front part has 3
    print(w @ front)


if __name__ == "__main__":
    main()
