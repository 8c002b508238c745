"""A regression whose predictions (32 rows) are compared with 16 targets."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, tr


def mse(
    w: BVar[Mat[Literal[2], Literal[5]]],
    x: Mat[Literal[32], Literal[5]],
    y: Mat[Literal[16], Literal[2]],
) -> BVar[float]:
    pred = auto(x) @ tr(w)
    err = pred - y  # mistake: 32 predictions minus 16 targets
    return sum_elements(err * err)


def main() -> None:
    rng = np.random.default_rng(0)
    w = Mat[Literal[2], Literal[5]](rng.normal(size=(2, 5)))
    x = Mat[Literal[32], Literal[5]](rng.normal(size=(32, 5)))
    y = Mat[Literal[16], Literal[2]](rng.normal(size=(16, 2)))
    grad_bp(lambda w_: mse(w_, x, y), w)


if __name__ == "__main__":
    main()
