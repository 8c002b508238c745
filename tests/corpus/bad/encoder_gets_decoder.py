"""An autoencoder that passes the decoder where the encoder belongs."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, eval_bp, model
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, tr

B = Literal[4]


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


def encode(e: BVar[Encoder], x: BVar[Mat[B, Literal[10]]]) -> BVar[Mat[B, Literal[3]]]:
    return logistic(x @ tr(e ^ Encoder.weight) + (e ^ Encoder.bias))


def decode(d: BVar[Decoder], z: BVar[Mat[B, Literal[3]]]) -> BVar[Mat[B, Literal[10]]]:
    return z @ tr(d ^ Decoder.weight) + (d ^ Decoder.bias)


def loss(ae: BVar[AutoEncoder], x: Mat[B, Literal[10]]) -> BVar[float]:
    z = encode(ae ^ AutoEncoder.dec, auto(x))  # mistake: the decoder given to encode
    err = decode(ae ^ AutoEncoder.dec, z) - x
    return sum_elements(err * err)


def main() -> None:
    ae = AutoEncoder(
        Encoder(Mat(np.ones((3, 10))), Vec(np.zeros(3))),
        Decoder(Mat(np.ones((10, 3))), Vec(np.zeros(10))),
    )
    x: Mat[B, Literal[10]] = Mat(np.ones((4, 10)))
    eval_bp(lambda a: loss(a, x), ae)


if __name__ == "__main__":
    main()
