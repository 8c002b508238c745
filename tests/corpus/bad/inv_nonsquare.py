"""A least-squares solve that inverts the design matrix instead of its gram matrix."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec, inv, tr


def solve(a: Mat[Literal[6], Literal[2]], y: Vec[Literal[6]]) -> Vec[Literal[2]]:
    return inv(a) @ (tr(a) @ y)  # mistake: inv of a 6 by 2 matrix (meant inv(tr(a) @ a))


def main() -> None:
    rng = np.random.default_rng(0)
    a = Mat[Literal[6], Literal[2]](rng.normal(size=(6, 2)))
    y = Vec[Literal[6]](rng.normal(size=6))
    print(solve(a, y))


if __name__ == "__main__":
    main()
