"""A log-volume computed from the determinant of a rectangular design matrix."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, as_mat, det, tr


def volume(design: Mat[Literal[10], Literal[3]]) -> float:
    gram = tr(design) @ design
    print(det(gram))
    return det(design)  # mistake: det of a 10 by 3 matrix (meant the 3 by 3 gram)


def main() -> None:
    design: Mat[Literal[10], Literal[3]] = as_mat(
        np.random.default_rng(0).normal(size=(10, 3)), 10, 3
    )
    volume(design)


if __name__ == "__main__":
    main()
