"""Multi-head attention that joins its heads with vstack instead of hstack."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp
from typedprop.functions import softmax, sum_elements
from typedprop.linalg import Add, Mat, split_cols, tr, vstack

Seq = Literal[6]
Head = Literal[4]
D = Add[Head, Head]


class MultiHead(Model):
    wq: Mat[D, D]
    wo: Mat[D, D]


def attend(m: BVar[MultiHead], x: BVar[Mat[Seq, D]]) -> BVar[Mat[Seq, D]]:
    q1, q2 = split_cols(x @ tr(m ^ MultiHead.wq), 4)
    h1 = softmax(q1 @ tr(q1)) @ q1
    h2 = softmax(q2 @ tr(q2)) @ q2
    heads = vstack(h1, h2)
    return heads @ tr(m ^ MultiHead.wo)  # mistake: heads stacked as rows (12 by 4), not columns


def main() -> None:
    m = MultiHead(Mat[D, D](np.ones((8, 8))), Mat[D, D](np.ones((8, 8))))
    x = Mat[Seq, D](np.ones((6, 8)))
    eval_bp(lambda m_: sum_elements(attend(m_, auto(x))), m)


if __name__ == "__main__":
    main()
