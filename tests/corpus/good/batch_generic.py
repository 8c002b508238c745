"""A model generic in its batch size: one learned latent code per training example (a
generative latent optimisation), decoded by a shared linear map. Its fields are viewed through
``lens_of(LatentModel[B], ...)``, the portable lens of a generic record's field."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, grad_bp, lens_of
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec, tr, zeros

B = TypeVar("B", bound=int)
Latent = Literal[2]
Data = Literal[5]


class LatentModel(Model, Generic[B]):
    codes: Mat[B, Latent]
    decoder: Mat[Data, Latent]
    bias: Vec[Data]


def reconstruct(m: BVar[LatentModel[B]]) -> BVar[Mat[B, Data]]:
    codes: BVar[Mat[B, Latent]] = m ^ lens_of(LatentModel[B], lambda m_: m_.codes)
    decoder: BVar[Mat[Data, Latent]] = m ^ lens_of(LatentModel[B], lambda m_: m_.decoder)
    bias: BVar[Vec[Data]] = m ^ lens_of(LatentModel[B], lambda m_: m_.bias)
    return codes @ tr(decoder) + bias


def loss(m: BVar[LatentModel[B]], data: Mat[B, Data]) -> BVar[float]:
    err = reconstruct(m) - data
    return sum_elements(err * err)


def fit(m: LatentModel[B], data: Mat[B, Data], steps: int) -> LatentModel[B]:
    for _ in range(steps):
        m = m - 0.01 * grad_bp(lambda m_: loss(m_, data), m)
    return m


def main() -> None:
    rng = np.random.default_rng(15)
    bias: Vec[Data] = zeros(5)
    small = LatentModel(
        Mat[Literal[4], Latent](rng.normal(size=(4, 2))),
        Mat[Data, Latent](rng.normal(size=(5, 2))),
        bias,
    )
    data4 = Mat[Literal[4], Data](rng.normal(size=(4, 5)))
    small = fit(small, data4, 5)
    large = LatentModel(
        Mat[Literal[20], Latent](rng.normal(size=(20, 2))),
        Mat[Data, Latent](rng.normal(size=(5, 2))),
        bias,
    )
    data20 = Mat[Literal[20], Data](rng.normal(size=(20, 5)))
    large = fit(large, data20, 5)
    assert small.codes.shape == (4, 2) and large.codes.shape == (20, 2)


if __name__ == "__main__":
    main()
