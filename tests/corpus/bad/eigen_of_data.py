"""Principal components taken from the data matrix rather than its covariance."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, cov, eigenvalues


def spectrum(x: Mat[Literal[10], Literal[3]]) -> None:
    c = cov(x)
    print(c)
    print(eigenvalues(x))  # mistake: eigenvalues of the 10 by 3 data, not of cov(x)


def main() -> None:
    spectrum(Mat[Literal[10], Literal[3]](np.random.default_rng(0).normal(size=(10, 3))))


if __name__ == "__main__":
    main()
