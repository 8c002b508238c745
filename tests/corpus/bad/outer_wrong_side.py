"""A rank-one update applied to the wrong vector."""

from typing import Literal

import numpy as np

from typedprop.linalg import Vec, outer


def project(u: Vec[Literal[3]], v: Vec[Literal[4]]) -> Vec[Literal[3]]:
    return outer(u, v) @ u  # mistake: outer(u, v) is 3 by 4, it needs a 4-vector


def main() -> None:
    u = Vec[Literal[3]](np.ones(3))
    v = Vec[Literal[4]](np.ones(4))
    print(project(u, v))


if __name__ == "__main__":
    main()
