"""A generic dense layer, ``Layer[In, Out]``, used twice inside a bigger classifier; its fields
are viewed through ``lens_of(Layer[In, Out], ...)``, the classifier's through its own lenses."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, lens_of
from typedprop.functions import cross_entropy, tanh
from typedprop.linalg import Mat, Vec

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)
L3 = Literal[3]
L5 = Literal[5]
L8 = Literal[8]


class Layer(Model, Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


def dense(layer: BVar[Layer[In, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    weight: BVar[Mat[Out, In]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.weight)
    bias: BVar[Vec[Out]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.bias)
    return weight @ x + bias


class Classifier(Model):
    hidden: Layer[L5, L8]
    output: Layer[L8, L3]


def scores(c: BVar[Classifier], x: BVar[Vec[L5]]) -> BVar[Vec[L3]]:
    return dense(c ^ Classifier.output, tanh(dense(c ^ Classifier.hidden, x)))


def main() -> None:
    rng = np.random.default_rng(1)
    hidden = Layer(Mat[L8, L5](rng.normal(size=(8, 5))), Vec[L8](np.zeros(8)))
    output = Layer(Mat[L3, L8](rng.normal(size=(3, 8))), Vec[L3](np.zeros(3)))
    clf = Classifier(hidden, output)
    x = Vec[L5](rng.normal(size=5))
    target = Vec[L3]([0.0, 0.0, 1.0])
    grad = grad_bp(lambda c: cross_entropy(scores(c, auto(x)), target), clf)
    assert grad.hidden.weight.shape == (8, 5)
    clf = clf - 0.1 * grad
    assert clf.output.bias.shape == (3,)


if __name__ == "__main__":
    main()
