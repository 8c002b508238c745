"""A linear regression on a batch: ``x @ tr(w) + b`` with the bias added to every row."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp2
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec, tr, zeros

B = Literal[32]
N = Literal[5]
M = Literal[2]


def predict(w: BVar[Mat[M, N]], b: BVar[Vec[M]], x: Mat[B, N]) -> BVar[Mat[B, M]]:
    return auto(x) @ tr(w) + b


def mse(w: BVar[Mat[M, N]], b: BVar[Vec[M]], x: Mat[B, N], y: Mat[B, M]) -> BVar[float]:
    err = predict(w, b, x) - y
    return sum_elements(err * err) / 32.0


def main() -> None:
    rng = np.random.default_rng(4)
    true_w = rng.normal(size=(2, 5))
    x = Mat[B, N](rng.normal(size=(32, 5)))
    y = Mat[B, M](x.array @ true_w.T + 1.0)
    w: Mat[M, N] = zeros(2, 5)
    b: Vec[M] = zeros(2)
    for _ in range(50):
        gw, gb = grad_bp2(lambda w_, b_: mse(w_, b_, x, y), w, b)
        w = w - 0.1 * gw
        b = b - 0.1 * gb
    assert np.allclose(b.array, 1.0, atol=0.2)


if __name__ == "__main__":
    main()
