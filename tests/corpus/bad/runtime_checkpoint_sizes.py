"""A checkpoint saved from a smaller model loaded into a bigger one with the same fields."""

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from typedprop import Model
from typedprop.checkpoint import load, save
from typedprop.linalg import Mat, Vec


class Small(Model):
    weight: Mat[Literal[3], Literal[4]]
    bias: Vec[Literal[3]]


class Wide(Model):
    weight: Mat[Literal[8], Literal[4]]
    bias: Vec[Literal[8]]


def main() -> None:
    small = Small(Mat[Literal[3], Literal[4]](np.ones((3, 4))), Vec[Literal[3]](np.zeros(3)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.npz"
        save(path, small)
        restored = load(path, Wide)  # mistake(runtime): the file holds a 3-output layer
    print(restored)


if __name__ == "__main__":
    main()
