"""Multi-head attention that joins its heads with vstack instead of hstack."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, eval_bp, model, split_bv
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Mat, split_cols, tr, vstack

Seq = Literal[6]
D = Literal[8]


@model
class MultiHead:
    wq: Mat[D, D]
    wo: Mat[D, D]


def attend(m: BVar[MultiHead], x: BVar[Mat[Seq, D]]) -> BVar[Mat[Seq, D]]:
    p = split_bv(m)
    q1, q2 = split_cols(x @ tr(p.wq), 4)
    h1 = softmax(q1 @ tr(q1)) @ q1
    h2 = softmax(q2 @ tr(q2)) @ q2
    heads = vstack(h1, h2)
    return heads @ tr(p.wo)  # mistake: the heads were stacked as rows (12 by 4), not columns


def main() -> None:
    m = MultiHead(Mat(np.ones((8, 8))), Mat(np.ones((8, 8))))
    x: Mat[Seq, D] = Mat(np.ones((6, 8)))
    eval_bp(lambda m_: sum_elements(attend(m_, auto(x))), m)


if __name__ == "__main__":
    main()
