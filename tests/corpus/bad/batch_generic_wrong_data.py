"""A model generic in its batch size fitted to data with a different number of rows."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, grad_bp, lens_of
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, tr

B = TypeVar("B", bound=int)
L2 = Literal[2]
L5 = Literal[5]


class Codes(Model, Generic[B]):
    codes: Mat[B, L2]
    decoder: Mat[L5, L2]


def loss(m: BVar[Codes[B]], data: Mat[B, L5]) -> BVar[float]:
    codes: BVar[Mat[B, L2]] = m ^ lens_of(Codes[B], lambda m_: m_.codes)
    decoder: BVar[Mat[L5, L2]] = m ^ lens_of(Codes[B], lambda m_: m_.decoder)
    err = codes @ tr(decoder) - data
    return sum_elements(err * err)


def fit(m: Codes[B], data: Mat[B, L5]) -> Codes[B]:
    return m - 0.01 * grad_bp(lambda m_: loss(m_, data), m)


def main() -> None:
    m = Codes(Mat[Literal[4], L2](np.ones((4, 2))), Mat[L5, L2](np.ones((5, 2))))
    data = Mat[Literal[20], L5](np.ones((20, 5)))
    fit(m, data)  # mistake: a model of 4 codes fitted to 20 rows


if __name__ == "__main__":
    main()
