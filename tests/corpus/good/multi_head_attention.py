"""Two-head self-attention: project, split the columns into heads, attend, join with hstack."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp, model, split_bv
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Mat, hstack, split_cols, tr

Seq = Literal[6]
D = Literal[8]


@model
class MultiHead:
    wq: Mat[D, D]
    wk: Mat[D, D]
    wv: Mat[D, D]
    wo: Mat[D, D]


def head(
    q: BVar[Mat[Seq, Literal[4]]], k: BVar[Mat[Seq, Literal[4]]], v: BVar[Mat[Seq, Literal[4]]]
) -> BVar[Mat[Seq, Literal[4]]]:
    return softmax(q @ k.T / 2.0) @ v


def attend(m: BVar[MultiHead], x: BVar[Mat[Seq, D]]) -> BVar[Mat[Seq, D]]:
    p = split_bv(m)
    q1, q2 = split_cols(x @ tr(p.wq), 4)
    k1, k2 = split_cols(x @ tr(p.wk), 4)
    v1, v2 = split_cols(x @ tr(p.wv), 4)
    heads = hstack(head(q1, k1, v1), head(q2, k2, v2))
    return heads @ tr(p.wo)


def main() -> None:
    rng = np.random.default_rng(13)

    def w() -> Mat[D, D]:
        return Mat(rng.normal(scale=0.3, size=(8, 8)))

    m = MultiHead(w(), w(), w(), w())
    x: Mat[Seq, D] = Mat(rng.normal(size=(6, 8)))
    grad = grad_bp(lambda m_: sum_elements(attend(m_, auto(x))), m)
    assert grad.wo.shape == (8, 8)


if __name__ == "__main__":
    main()
