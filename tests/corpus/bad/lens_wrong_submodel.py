"""A lens composed through the wrong sub-model: the decoder field, then the encoder's weight,
both named lenses built once with ``lens_of``."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, eval_bp, lens_of
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


ENC = lens_of(AutoEncoder, lambda a: a.enc)
DEC = lens_of(AutoEncoder, lambda a: a.dec)
ENC_WEIGHT = lens_of(Encoder, lambda e: e.weight)


def penalty(ae: BVar[AutoEncoder]) -> BVar[float]:
    w = ae ^ DEC >> ENC_WEIGHT  # mistake: dec holds a Decoder, not an Encoder
    return sum_elements(w * w)


def main() -> None:
    ae = AutoEncoder(
        Encoder(Mat[L3, L10](np.ones((3, 10))), Vec[L3](np.zeros(3))),
        Decoder(Mat[L10, L3](np.ones((10, 3))), Vec[L10](np.zeros(10))),
    )
    eval_bp(penalty, ae)


if __name__ == "__main__":
    main()
