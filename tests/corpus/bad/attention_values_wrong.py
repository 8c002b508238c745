"""Attention weights applied to the queries' transpose instead of the values."""

from typing import Literal

import numpy as np

from typedprop.functions import softmax
from typedprop.linalg import Mat, tr


def attend(
    q: Mat[Literal[5], Literal[4]], k: Mat[Literal[5], Literal[4]], v: Mat[Literal[5], Literal[4]]
) -> Mat[Literal[5], Literal[4]]:
    weights = softmax(q @ tr(k))
    print(v)
    return weights @ tr(v)  # mistake: 5 by 5 weights times a 4 by 5 matrix (meant @ v)


def main() -> None:
    m = Mat[Literal[5], Literal[4]](np.ones((5, 4)))
    print(attend(m, m, m))


if __name__ == "__main__":
    main()
