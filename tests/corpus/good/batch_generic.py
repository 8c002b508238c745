"""A model generic in its batch size: one learned latent code per training example (a
generative latent optimisation), decoded by a shared linear map."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, grad_bp, model, split_bv
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec, tr

B = TypeVar("B", bound=int)
Latent = Literal[2]
Data = Literal[5]


@model
class LatentModel(Generic[B]):
    codes: Mat[B, Latent]
    decoder: Mat[Data, Latent]
    bias: Vec[Data]


def reconstruct(m: BVar[LatentModel[B]]) -> BVar[Mat[B, Data]]:
    p = split_bv(m)
    return p.codes @ tr(p.decoder) + p.bias


def loss(m: BVar[LatentModel[B]], data: Mat[B, Data]) -> BVar[float]:
    err = reconstruct(m) - data
    return sum_elements(err * err)


def fit(m: LatentModel[B], data: Mat[B, Data], steps: int) -> LatentModel[B]:
    for _ in range(steps):
        m = m - 0.01 * grad_bp(lambda m_: loss(m_, data), m)
    return m


def main() -> None:
    rng = np.random.default_rng(15)
    small: LatentModel[Literal[4]] = LatentModel(
        Mat(rng.normal(size=(4, 2))), Mat(rng.normal(size=(5, 2))), Vec(np.zeros(5))
    )
    data4: Mat[Literal[4], Data] = Mat(rng.normal(size=(4, 5)))
    small = fit(small, data4, 5)
    large: LatentModel[Literal[20]] = LatentModel(
        Mat(rng.normal(size=(20, 2))), Mat(rng.normal(size=(5, 2))), Vec(np.zeros(5))
    )
    data20: Mat[Literal[20], Data] = Mat(rng.normal(size=(20, 5)))
    large = fit(large, data20, 5)
    assert small.codes.shape == (4, 2) and large.codes.shape == (20, 2)


if __name__ == "__main__":
    main()
