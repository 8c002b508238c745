"""Single-head self-attention over a sequence: ``softmax(q @ k.T / sqrt(d)) @ v``, row by row."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Mat, tr

Seq = Literal[5]
Width = Literal[8]
Key = Literal[4]


class Attention(Model):
    wq: Mat[Key, Width]
    wk: Mat[Key, Width]
    wv: Mat[Key, Width]


def attend(a: BVar[Attention], x: BVar[Mat[Seq, Width]]) -> BVar[Mat[Seq, Key]]:
    q = x @ tr(a ^ Attention.wq)
    k = x @ tr(a ^ Attention.wk)
    v = x @ tr(a ^ Attention.wv)
    weights = softmax(q @ k.T / 2.0)
    return weights @ v


def main() -> None:
    rng = np.random.default_rng(10)
    a = Attention(
        Mat[Key, Width](rng.normal(size=(4, 8))),
        Mat[Key, Width](rng.normal(size=(4, 8))),
        Mat[Key, Width](rng.normal(size=(4, 8))),
    )
    x = Mat[Seq, Width](rng.normal(size=(5, 8)))
    grad = grad_bp(lambda a_: sum_elements(attend(a_, auto(x))), a)
    assert grad.wq.shape == (4, 8)


if __name__ == "__main__":
    main()
