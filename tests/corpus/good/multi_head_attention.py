"""Two-head self-attention: project, split the columns into heads, attend, join with hstack.
The model width is declared as the sum of the heads, ``Add[Head, Head]``, so that every checker
sees ``hstack`` of two heads give it back."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Add, Mat, hstack, split_cols, tr

Seq = Literal[6]
Head = Literal[4]
D = Add[Head, Head]


class MultiHead(Model):
    wq: Mat[D, D]
    wk: Mat[D, D]
    wv: Mat[D, D]
    wo: Mat[D, D]


def head(
    q: BVar[Mat[Seq, Head]], k: BVar[Mat[Seq, Head]], v: BVar[Mat[Seq, Head]]
) -> BVar[Mat[Seq, Head]]:
    return softmax(q @ k.T / 2.0) @ v


def attend(m: BVar[MultiHead], x: BVar[Mat[Seq, D]]) -> BVar[Mat[Seq, D]]:
    q1, q2 = split_cols(x @ tr(m ^ MultiHead.wq), 4)
    k1, k2 = split_cols(x @ tr(m ^ MultiHead.wk), 4)
    v1, v2 = split_cols(x @ tr(m ^ MultiHead.wv), 4)
    heads = hstack(head(q1, k1, v1), head(q2, k2, v2))
    return heads @ tr(m ^ MultiHead.wo)


def main() -> None:
    rng = np.random.default_rng(13)

    def w() -> Mat[D, D]:
        return Mat[D, D](rng.normal(scale=0.3, size=(8, 8)))

    m = MultiHead(w(), w(), w(), w())
    x = Mat[Seq, D](rng.normal(size=(6, 8)))
    grad = grad_bp(lambda m_: sum_elements(attend(m_, auto(x))), m)
    assert grad.wo.shape == (8, 8)


if __name__ == "__main__":
    main()
