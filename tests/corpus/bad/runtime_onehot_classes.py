"""One-hot targets made with the wrong number of classes for the classifier."""

from typing import Literal

import numpy as np

from typedprop import auto, grad_bp
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, tr

B = Literal[6]


def main() -> None:
    rng = np.random.default_rng(0)
    x = Mat[B, Literal[2]](rng.normal(size=(6, 2)))
    w = Mat[Literal[4], Literal[2]](rng.normal(size=(4, 2)))
    labels = np.array([0, 1, 2, 0, 1, 2])
    onehot = np.eye(int(labels.max()) + 1)[labels]
    targets = Mat[B, Literal[4]](onehot)  # mistake(runtime): the labels have 3 classes
    grad_bp(lambda w_: cross_entropy(auto(x) @ tr(w_), targets), w)


if __name__ == "__main__":
    main()
