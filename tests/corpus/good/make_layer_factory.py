"""A factory ``make_layer(i, o) -> Layer[I, O]`` called with literal sizes to build a network."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, lens_of
from typedprop.functions import cross_entropy, relu
from typedprop.linalg import Mat, Vec, as_mat, zeros

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)

_rng = np.random.default_rng(16)


class Layer(Model, Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


def make_layer(i: In, o: Out) -> Layer[In, Out]:
    scale = np.sqrt(2.0 / i)
    weight = as_mat(_rng.normal(scale=scale, size=(o, i)), o, i)
    return Layer(weight, zeros(o))


def dense(layer: BVar[Layer[In, Out]], x: BVar[Vec[In]]) -> BVar[Vec[Out]]:
    weight: BVar[Mat[Out, In]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.weight)
    bias: BVar[Vec[Out]] = layer ^ lens_of(Layer[In, Out], lambda layer: layer.bias)
    return weight @ x + bias


class Net(Model):
    l1: Layer[Literal[4], Literal[10]]
    l2: Layer[Literal[10], Literal[3]]


def scores(net: BVar[Net], x: BVar[Vec[Literal[4]]]) -> BVar[Vec[Literal[3]]]:
    return dense(net ^ Net.l2, relu(dense(net ^ Net.l1, x)))


def main() -> None:
    net = Net(make_layer(4, 10), make_layer(10, 3))
    x = Vec[Literal[4]]([0.1, 0.2, 0.3, 0.4])
    target = Vec[Literal[3]]([1.0, 0.0, 0.0])
    grad = grad_bp(lambda n: cross_entropy(scores(n, auto(x)), target), net)
    net = net - 0.1 * grad
    assert net.l1.weight.shape == (10, 4)


if __name__ == "__main__":
    main()
