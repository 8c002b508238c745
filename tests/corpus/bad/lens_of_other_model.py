"""An autoencoder whose penalty reads the encoder's lens straight off the whole model."""

from typing import Literal

import numpy as np

from typedprop import BVar, eval_bp, model
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec


@model
class Encoder:
    weight: Mat[Literal[3], Literal[10]]
    bias: Vec[Literal[3]]


@model
class Decoder:
    weight: Mat[Literal[10], Literal[3]]
    bias: Vec[Literal[10]]


@model
class AutoEncoder:
    enc: Encoder
    dec: Decoder


def penalty(ae: BVar[AutoEncoder]) -> BVar[float]:
    w = ae ^ Encoder.weight  # mistake: Encoder's lens on an AutoEncoder (needs enc >> weight)
    return sum_elements(w * w)


def main() -> None:
    ae = AutoEncoder(
        Encoder(Mat(np.ones((3, 10))), Vec(np.zeros(3))),
        Decoder(Mat(np.ones((10, 3))), Vec(np.zeros(10))),
    )
    eval_bp(penalty, ae)


if __name__ == "__main__":
    main()
