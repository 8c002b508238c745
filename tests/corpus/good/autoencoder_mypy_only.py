"""An autoencoder: an encoder and a decoder sub-model, with a penalty on the encoder's weight
reached through a composed lens ``AutoEncoder.enc >> Encoder.weight``.

mypy-only on purpose: pyright sees ``AutoEncoder.enc`` at class level as an ``Encoder``, so it
cannot type ``>>`` of class-level field lenses, nor ``0.05 * grad`` on a ``@model`` record.
autoencoder.py is the same program in the portable spelling."""

from __future__ import annotations

from typing import Literal

import numpy as np

from typedprop import BVar, auto, backprop, model
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, tr

B = Literal[12]
Data = Literal[10]
Code = Literal[3]


@model
class Encoder:
    weight: Mat[Code, Data]
    bias: Vec[Code]


@model
class Decoder:
    weight: Mat[Data, Code]
    bias: Vec[Data]


@model
class AutoEncoder:
    enc: Encoder
    dec: Decoder


def encode(e: BVar[Encoder], x: BVar[Mat[B, Data]]) -> BVar[Mat[B, Code]]:
    return logistic(x @ tr(e ^ Encoder.weight) + (e ^ Encoder.bias))


def decode(d: BVar[Decoder], z: BVar[Mat[B, Code]]) -> BVar[Mat[B, Data]]:
    return z @ tr(d ^ Decoder.weight) + (d ^ Decoder.bias)


def loss(ae: BVar[AutoEncoder], x: Mat[B, Data]) -> BVar[float]:
    recon = decode(ae ^ AutoEncoder.dec, encode(ae ^ AutoEncoder.enc, auto(x)))
    err = recon - x
    w = ae ^ AutoEncoder.enc >> Encoder.weight
    return sum_elements(err * err) / 12.0 + 1e-3 * sum_elements(w * w)


def main() -> None:
    rng = np.random.default_rng(14)
    ae = AutoEncoder(
        Encoder(Mat(rng.normal(scale=0.3, size=(3, 10))), Vec(np.zeros(3))),
        Decoder(Mat(rng.normal(scale=0.3, size=(10, 3))), Vec(np.zeros(10))),
    )
    x: Mat[B, Data] = Mat(rng.normal(size=(12, 10)))
    first, _ = backprop(lambda a: loss(a, x), ae)
    for _ in range(20):
        _, grad = backprop(lambda a: loss(a, x), ae)
        ae = ae - 0.05 * grad
    last, _ = backprop(lambda a: loss(a, x), ae)
    assert last < first


if __name__ == "__main__":
    main()
