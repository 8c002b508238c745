"""Self-attention that forgets to transpose the keys."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Mat, tr

Seq = Literal[5]
D = Literal[8]
K = Literal[4]


class Attention(Model):
    wq: Mat[K, D]
    wk: Mat[K, D]
    wv: Mat[K, D]


def attend(a: BVar[Attention], x: BVar[Mat[Seq, D]]) -> BVar[Mat[Seq, K]]:
    q = x @ tr(a ^ Attention.wq)
    k = x @ tr(a ^ Attention.wk)
    v = x @ tr(a ^ Attention.wv)
    weights = softmax(q @ k / 2.0)  # mistake: q @ k instead of q @ k.T
    return weights @ v


def main() -> None:
    a = Attention(
        Mat[K, D](np.ones((4, 8))), Mat[K, D](np.ones((4, 8))), Mat[K, D](np.ones((4, 8)))
    )
    x = Mat[Seq, D](np.ones((5, 8)))
    eval_bp(lambda a_: sum_elements(attend(a_, auto(x))), a)


if __name__ == "__main__":
    main()
