"""An autoencoder: an encoder and a decoder sub-model, with a penalty on the encoder's weight
reached through a path lens ``lens_of(AutoEncoder, lambda a: a.enc.weight)`` (the portable
spelling of autoencoder_mypy_only.py)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop, lens_of
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, tr, zeros

B = Literal[12]
Data = Literal[10]
Code = Literal[3]


class Encoder(Model):
    weight: Mat[Code, Data]
    bias: Vec[Code]


class Decoder(Model):
    weight: Mat[Data, Code]
    bias: Vec[Data]


class AutoEncoder(Model):
    enc: Encoder
    dec: Decoder


ENC_WEIGHT = lens_of(AutoEncoder, lambda a: a.enc.weight)


def encode(e: BVar[Encoder], x: BVar[Mat[B, Data]]) -> BVar[Mat[B, Code]]:
    return logistic(x @ tr(e ^ Encoder.weight) + (e ^ Encoder.bias))


def decode(d: BVar[Decoder], z: BVar[Mat[B, Code]]) -> BVar[Mat[B, Data]]:
    return z @ tr(d ^ Decoder.weight) + (d ^ Decoder.bias)


def loss(ae: BVar[AutoEncoder], x: Mat[B, Data]) -> BVar[float]:
    recon = decode(ae ^ AutoEncoder.dec, encode(ae ^ AutoEncoder.enc, auto(x)))
    err = recon - x
    w = ae ^ ENC_WEIGHT
    return sum_elements(err * err) / 12.0 + 1e-3 * sum_elements(w * w)


def main() -> None:
    rng = np.random.default_rng(14)
    enc_bias: Vec[Code] = zeros(3)
    dec_bias: Vec[Data] = zeros(10)
    ae = AutoEncoder(
        Encoder(Mat[Code, Data](rng.normal(scale=0.3, size=(3, 10))), enc_bias),
        Decoder(Mat[Data, Code](rng.normal(scale=0.3, size=(10, 3))), dec_bias),
    )
    x = Mat[B, Data](rng.normal(size=(12, 10)))
    first, _ = backprop(lambda a: loss(a, x), ae)
    for _ in range(20):
        _, grad = backprop(lambda a: loss(a, x), ae)
        ae = ae - 0.05 * grad
    last, _ = backprop(lambda a: loss(a, x), ae)
    assert last < first


if __name__ == "__main__":
    main()
