"""An autoencoder whose penalty reads the encoder's lens straight off the whole model."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, eval_bp
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec

L3 = Literal[3]
L10 = Literal[10]


class Encoder(Model):
    weight: Mat[L3, L10]
    bias: Vec[L3]


class Decoder(Model):
    weight: Mat[L10, L3]
    bias: Vec[L10]


class AutoEncoder(Model):
    enc: Encoder
    dec: Decoder


def penalty(ae: BVar[AutoEncoder]) -> BVar[float]:
    w = ae ^ Encoder.weight  # mistake: Encoder's lens on an AutoEncoder (needs enc >> weight)
    return sum_elements(w * w)


def main() -> None:
    ae = AutoEncoder(
        Encoder(Mat[L3, L10](np.ones((3, 10))), Vec[L3](np.zeros(3))),
        Decoder(Mat[L10, L3](np.ones((10, 3))), Vec[L10](np.zeros(10))),
    )
    eval_bp(penalty, ae)


if __name__ == "__main__":
    main()
