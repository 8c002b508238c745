import numpy as np

from typedprop import BVar, auto, grad_bp, model
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec, as_vec


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
layer = layer - 0.5 * grad  # records are vector spaces

# derivatives of ordinary functions, to any order
assert grad_bp(lambda v: v * v + 3.0 * v, 2.0) == 7.0
assert grad_bp(lambda v: grad_bp(lambda w: w**3, v), 2.0) == 12.0
