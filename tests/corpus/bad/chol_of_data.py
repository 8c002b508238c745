"""Whitening data: the Cholesky factor taken of the data instead of its covariance."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, as_mat, chol, cov


def whitener(x: Mat[Literal[10], Literal[3]]) -> Mat[Literal[3], Literal[3]]:
    print(cov(x))
    return chol(x)  # mistake: chol of the 10 by 3 data, not of its 3 by 3 covariance


def main() -> None:
    x: Mat[Literal[10], Literal[3]] = as_mat(np.random.default_rng(0).normal(size=(10, 3)), 10, 3)
    whitener(x)


if __name__ == "__main__":
    main()
