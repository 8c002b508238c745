"""A classifier that feeds the raw input to its output layer, skipping the hidden one."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, eval_bp, lens_of
from typedprop.functions import sum_elements, tanh
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
    h = tanh(dense(c ^ Classifier.hidden, x))
    print(h)
    return dense(c ^ Classifier.output, x)  # mistake: the output layer takes h (8), not x (5)


def main() -> None:
    hidden = Layer(Mat[L8, L5](np.ones((8, 5))), Vec[L8](np.zeros(8)))
    output = Layer(Mat[L3, L8](np.ones((3, 8))), Vec[L3](np.zeros(3)))
    x = Vec[L5](np.ones(5))
    eval_bp(lambda c: sum_elements(scores(c, auto(x))), Classifier(hidden, output))


if __name__ == "__main__":
    main()
