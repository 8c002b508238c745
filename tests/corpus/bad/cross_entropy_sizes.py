"""A three-class classifier scored against four-class targets."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, Vec


class Classifier(Model):
    weight: Mat[Literal[3], Literal[5]]
    bias: Vec[Literal[3]]


def loss(c: BVar[Classifier], x: Vec[Literal[5]], target: Vec[Literal[4]]) -> BVar[float]:
    logits = (c ^ Classifier.weight) @ auto(x) + (c ^ Classifier.bias)
    return cross_entropy(logits, target)  # mistake: 3 logits against a 4-class target


def main() -> None:
    c = Classifier(Mat[Literal[3], Literal[5]](np.zeros((3, 5))), Vec[Literal[3]](np.zeros(3)))
    x = Vec[Literal[5]](np.ones(5))
    target = Vec[Literal[4]]([0.0, 0.0, 0.0, 1.0])
    grad_bp(lambda c_: loss(c_, x, target), c)


if __name__ == "__main__":
    main()
