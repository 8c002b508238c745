"""Loading a checkpoint as the wrong model class."""

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from typedprop import Model
from typedprop.checkpoint import load, save
from typedprop.linalg import Mat, Vec


class Encoder(Model):
    weight: Mat[Literal[3], Literal[10]]
    bias: Vec[Literal[3]]


class Decoder(Model):
    weight: Mat[Literal[10], Literal[3]]
    bias: Vec[Literal[10]]


def main() -> None:
    enc = Encoder(Mat[Literal[3], Literal[10]](np.ones((3, 10))), Vec[Literal[3]](np.zeros(3)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "encoder.npz"
        save(path, enc)
        restored: Encoder = load(path, Decoder)  # mistake: loads a Decoder into an Encoder
    print(restored)


if __name__ == "__main__":
    main()
