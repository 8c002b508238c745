"""A similarity score between an embedding and a query of a different length."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp
from typedprop.linalg import Vec, dot


def score(embedding: BVar[Vec[Literal[16]]], query: Vec[Literal[12]]) -> BVar[float]:
    return dot(embedding, auto(query))  # mistake: a 16-vector dotted with a 12-vector


def main() -> None:
    e = Vec[Literal[16]](np.ones(16))
    q = Vec[Literal[12]](np.ones(12))
    grad_bp(lambda e_: score(e_, q), e)


if __name__ == "__main__":
    main()
