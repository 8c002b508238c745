"""An autoencoder that passes the decoder where the encoder belongs."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, tr

B = Literal[4]
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


def encode(e: BVar[Encoder], x: BVar[Mat[B, L10]]) -> BVar[Mat[B, L3]]:
    return logistic(x @ tr(e ^ Encoder.weight) + (e ^ Encoder.bias))


def decode(d: BVar[Decoder], z: BVar[Mat[B, L3]]) -> BVar[Mat[B, L10]]:
    return z @ tr(d ^ Decoder.weight) + (d ^ Decoder.bias)


def loss(ae: BVar[AutoEncoder], x: Mat[B, L10]) -> BVar[float]:
    z = encode(ae ^ AutoEncoder.dec, auto(x))  # mistake: the decoder given to encode
    err = decode(ae ^ AutoEncoder.dec, z) - x
    return sum_elements(err * err)


def main() -> None:
    ae = AutoEncoder(
        Encoder(Mat[L3, L10](np.ones((3, 10))), Vec[L3](np.zeros(3))),
        Decoder(Mat[L10, L3](np.ones((10, 3))), Vec[L10](np.zeros(10))),
    )
    x = Mat[B, L10](np.ones((4, 10)))
    eval_bp(lambda a: loss(a, x), ae)


if __name__ == "__main__":
    main()
