"""A generic dense layer, ``Layer[In, Out]``, used twice inside a bigger classifier."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, grad_bp, model, split_bv
from typedprop.functions import cross_entropy, tanh
from typedprop.linalg import Mat, Vec

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)


@model
class Layer(Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


def dense(layer: BVar[Layer[In, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    p = split_bv(layer)
    return p.weight @ x + p.bias


@model
class Classifier:
    hidden: Layer[Literal[5], Literal[8]]
    output: Layer[Literal[8], Literal[3]]


def scores(c: BVar[Classifier], x: BVar[Vec[Literal[5]]]) -> BVar[Vec[Literal[3]]]:
    parts = split_bv(c)
    return dense(parts.output, tanh(dense(parts.hidden, x)))


def main() -> None:
    rng = np.random.default_rng(1)
    hidden: Layer[Literal[5], Literal[8]] = Layer(Mat(rng.normal(size=(8, 5))), Vec(np.zeros(8)))
    output: Layer[Literal[8], Literal[3]] = Layer(Mat(rng.normal(size=(3, 8))), Vec(np.zeros(3)))
    clf = Classifier(hidden, output)
    x: Vec[Literal[5]] = Vec(rng.normal(size=5))
    target: Vec[Literal[3]] = Vec([0.0, 0.0, 1.0])
    grad = grad_bp(lambda c: cross_entropy(scores(c, auto(x)), target), clf)
    assert grad.hidden.weight.shape == (8, 5)
    clf = clf - 0.1 * grad
    assert clf.output.bias.shape == (3,)


if __name__ == "__main__":
    main()
