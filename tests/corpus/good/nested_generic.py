"""Generic models inside generic models: a two-layer ``Stack[In, Hid, Out]`` of ``Layer``s."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, grad_bp, model, split_bv
from typedprop.functions import relu, sum_elements
from typedprop.linalg import Mat, Vec

In = TypeVar("In", bound=int)
Hid = TypeVar("Hid", bound=int)
Out = TypeVar("Out", bound=int)


@model
class Layer(Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


@model
class Stack(Generic[In, Hid, Out]):
    first: Layer[In, Hid]
    second: Layer[Hid, Out]


def dense(layer: BVar[Layer[In, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    p = split_bv(layer)
    return p.weight @ x + p.bias


def run(stack: BVar[Stack[In, Hid, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    s = split_bv(stack)
    return dense(s.second, relu(dense(s.first, x)))


@model
class Model:
    body: Stack[Literal[4], Literal[6], Literal[2]]
    head: Layer[Literal[2], Literal[1]]


def predict(m: BVar[Model], x: BVar[Vec[Literal[4]]]) -> BVar[Vec[Literal[1]]]:
    return dense(m ^ Model.head, run(m ^ Model.body, x))


def main() -> None:
    rng = np.random.default_rng(9)
    first: Layer[Literal[4], Literal[6]] = Layer(Mat(rng.normal(size=(6, 4))), Vec(np.zeros(6)))
    second: Layer[Literal[6], Literal[2]] = Layer(Mat(rng.normal(size=(2, 6))), Vec(np.zeros(2)))
    head: Layer[Literal[2], Literal[1]] = Layer(Mat(rng.normal(size=(1, 2))), Vec(np.zeros(1)))
    m = Model(Stack(first, second), head)
    x: Vec[Literal[4]] = Vec(rng.normal(size=4))
    grad = grad_bp(lambda m_: sum_elements(predict(m_, auto(x))), m)
    assert grad.body.second.weight.shape == (2, 6)


if __name__ == "__main__":
    main()
