"""Generic models inside generic models: a two-layer ``Stack[In, Hid, Out]`` of ``Layer``s, its
fields viewed through ``lens_of`` of the generic records, and a path lens through both."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, lens_of
from typedprop.functions import relu, sum_elements
from typedprop.linalg import Mat, Vec

In = TypeVar("In", bound=int)
Hid = TypeVar("Hid", bound=int)
Out = TypeVar("Out", bound=int)
L1 = Literal[1]
L2 = Literal[2]
L4 = Literal[4]
L6 = Literal[6]


class Layer(Model, Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


class Stack(Model, Generic[In, Hid, Out]):
    first: Layer[In, Hid]
    second: Layer[Hid, Out]


def dense(layer: BVar[Layer[In, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    weight: BVar[Mat[Out, In]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.weight)
    bias: BVar[Vec[Out]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.bias)
    return weight @ x + bias


def run(stack: BVar[Stack[In, Hid, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    first: BVar[Layer[In, Hid]] = stack ^ lens_of(Stack[In, Hid, Out], lambda s: s.first)
    second: BVar[Layer[Hid, Out]] = stack ^ lens_of(Stack[In, Hid, Out], lambda s: s.second)
    return dense(second, relu(dense(first, x)))


class Regressor(Model):
    body: Stack[L4, L6, L2]
    head: Layer[L2, L1]


HIDDEN_WEIGHT = lens_of(Regressor, lambda r: r.body.second.weight)  # a Mat[L2, L6]


def predict(m: BVar[Regressor], x: BVar[Vec[L4]]) -> BVar[Vec[L1]]:
    return dense(m ^ Regressor.head, run(m ^ Regressor.body, x))


def main() -> None:
    rng = np.random.default_rng(9)
    first = Layer(Mat[L6, L4](rng.normal(size=(6, 4))), Vec[L6](np.zeros(6)))
    second = Layer(Mat[L2, L6](rng.normal(size=(2, 6))), Vec[L2](np.zeros(2)))
    head = Layer(Mat[L1, L2](rng.normal(size=(1, 2))), Vec[L1](np.zeros(1)))
    m = Regressor(Stack(first, second), head)
    x = Vec[L4](rng.normal(size=4))
    grad = grad_bp(lambda m_: sum_elements(predict(m_, auto(x))), m)
    assert (grad ^ HIDDEN_WEIGHT).shape == (2, 6)


if __name__ == "__main__":
    main()
