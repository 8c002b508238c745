"""A first look at typedprop: the gradient of a layer's loss is a layer; derivatives nest."""

import argparse

import numpy as np

from typedprop import BVar, auto, eval_bp, grad_bp, model
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec, as_vec

argparse.ArgumentParser(description=__doc__).parse_args()  # only --help


@model
class Layer:
    weight: Mat[3, 4]
    bias: Vec[3]


def loss(layer: BVar[Layer], x: Vec[4], target: Vec[3]) -> BVar[float]:
    scores = logistic((layer ^ Layer.weight) @ auto(x) + (layer ^ Layer.bias))
    return cross_entropy(scores, target)


layer = Layer(Mat(np.full((3, 4), 0.1)), Vec(np.zeros(3)))
x: Vec[4] = as_vec(np.ones(4), 4)  # data into typed code: the size is checked
target: Vec[3] = as_vec([0.0, 1.0, 0.0], 3)

grad = grad_bp(lambda p: loss(p, x, target), layer)  # a whole Layer of gradients
assert isinstance(grad, Layer) and grad.weight.shape == (3, 4)
stepped = layer - 0.5 * grad  # records are vector spaces
before, after = (eval_bp(lambda p: loss(p, x, target), n) for n in (layer, stepped))
print(f"one step of gradient descent on a Layer: loss {before:.4f} -> {after:.4f}")

# derivatives of ordinary functions, to any order
slope = grad_bp(lambda v: v * v + 3.0 * v, 2.0)
curvature = grad_bp(lambda v: grad_bp(lambda w: w**3, v), 2.0)
print(f"at 2: d/dv (v*v + 3v) = {slope}, d2/dv2 v**3 = {curvature}")
assert (slope, curvature) == (7.0, 12.0)
