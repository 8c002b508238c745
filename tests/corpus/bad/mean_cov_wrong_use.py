"""Mahalanobis distance of a point of 4 features against statistics of 3-feature data."""

from typing import Literal

import numpy as np

from typedprop.linalg import Mat, Vec, dot, inv, mean_cov


def distance(data: Mat[Literal[20], Literal[3]], p: Vec[Literal[4]]) -> float:
    mu, sigma = mean_cov(data)
    print(mu)
    d = inv(sigma) @ p  # mistake: sigma is 3 by 3, p has 4 features
    return dot(d, d)


def main() -> None:
    rng = np.random.default_rng(0)
    print(
        distance(
            Mat[Literal[20], Literal[3]](rng.normal(size=(20, 3))), Vec[Literal[4]](np.ones(4))
        )
    )


if __name__ == "__main__":
    main()
