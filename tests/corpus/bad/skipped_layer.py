"""A classifier that feeds the raw input to its output layer, skipping the hidden one."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, eval_bp, model, split_bv
from typedprop.functions import sum_elements, tanh
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
    h = tanh(dense(parts.hidden, x))
    print(h)
    return dense(parts.output, x)  # mistake: the output layer takes h (8), not x (5)


def main() -> None:
    hidden: Layer[Literal[5], Literal[8]] = Layer(Mat(np.ones((8, 5))), Vec(np.zeros(8)))
    output: Layer[Literal[8], Literal[3]] = Layer(Mat(np.ones((3, 8))), Vec(np.zeros(3)))
    x: Vec[Literal[5]] = Vec(np.ones(5))
    eval_bp(lambda c: sum_elements(scores(c, auto(x))), Classifier(hidden, output))


if __name__ == "__main__":
    main()
