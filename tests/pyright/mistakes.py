"""Deliberate mistakes in the portable spelling: pyright must report the message (a part of it)
that each line's "E:" comment names, and nothing else. Checked by tests/test_pyright.py; not run."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, lens_of, preview_var
from typedprop.linalg import Mat, Vec, as_vec

L3 = Literal[3]
L4 = Literal[4]


class Net(Model):
    weight: Mat[L3, L4]
    bias: Vec[L3]


net = Net(Mat[L3, L4](np.zeros((3, 4))), Vec[L3](np.zeros(3)))
v3 = Vec[L3](np.zeros(3))
bad_matmul = net.weight @ v3  # E: Operator "@" not supported for types "Mat[L3, L4]" and "Vec[L3]"
bad_add = net.weight + v3  # E: Operator "+" not supported for types "Mat[L3, L4]" and "Vec[L3]"
bad_record = net + 1.0  # E: Operator "+" not supported for types "Net" and "float"
bad_scale = net * net  # E: Operator "*" not supported for types "Net" and "Net"
bad_size: Vec[L4] = Vec[L3](np.zeros(3))  # E: Type "Vec[L3]" is not assignable to declared type "Vec[L4]"
bad_data: Vec[L4] = as_vec(np.zeros(3), 3)  # E: Type "Vec[int]" is not assignable to declared type "Vec[L4]"
bad_field = Net(Mat[L4, L3](np.zeros((4, 3))), v3)  # E: Argument of type "Mat[L4, L3]" cannot be assigned to parameter "weight"
net.bias = v3  # E: Attribute "bias" is read-only
bad_path = lens_of(Net, lambda n: n.nothing)  # E: Cannot access attribute "nothing" for class "Net"


def run(n: BVar[Net], x: BVar[Vec[L4]]) -> BVar[Vec[L3]]:
    w = n ^ Net.weight
    bad_t = w.T @ x  # E: Operator "@" not supported for types "BVar[Mat[L4, L3]]" and "BVar[Vec[L4]]"
    return w @ x + (n ^ Net.bias)


def wrong_result(n: BVar[Net], x: BVar[Vec[L4]]) -> BVar[Vec[L4]]:
    return (n ^ Net.weight) @ x  # E: Type "BVar[Vec[L3]]" is not assignable to return type "BVar[Vec[L4]]"


class Relu(Model):
    leak: float


class Tanh(Model):
    gain: float


class Act(Model):
    activation: Relu | Tanh
    scale: float


def alternative(a: BVar[Act]) -> BVar[Tanh] | None:
    return preview_var(lens_of(Act, lambda a: a.activation).when(Relu), a)  # E: is not assignable to return type


bad_each = lens_of(Act, lambda a: a.scale).each()  # E: Cannot access attribute "each" for class "Lens[Act, float]"
