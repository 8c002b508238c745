"""A model generic in its batch size fitted to data with a different number of rows."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, grad_bp, model, split_bv
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, tr

B = TypeVar("B", bound=int)


@model
class Codes(Generic[B]):
    codes: Mat[B, Literal[2]]
    decoder: Mat[Literal[5], Literal[2]]


def loss(m: BVar[Codes[B]], data: Mat[B, Literal[5]]) -> BVar[float]:
    p = split_bv(m)
    err = p.codes @ tr(p.decoder) - data
    return sum_elements(err * err)


def fit(m: Codes[B], data: Mat[B, Literal[5]]) -> Codes[B]:
    return m - 0.01 * grad_bp(lambda m_: loss(m_, data), m)


def main() -> None:
    m: Codes[Literal[4]] = Codes(Mat(np.ones((4, 2))), Mat(np.ones((5, 2))))
    data: Mat[Literal[20], Literal[5]] = Mat(np.ones((20, 5)))
    fit(m, data)  # mistake: a model of 4 codes fitted to 20 rows


if __name__ == "__main__":
    main()
