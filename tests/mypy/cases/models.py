"""@model records: construction, fields as lenses, arithmetic, split_bv, generic models."""

from typing import Generic, TypeVar

import numpy as np

from typedprop import BVar, Lens, auto, grad_bp, model, split_bv
from typedprop.linalg import Mat, Vec, zeros

I = TypeVar("I", bound=int)
O = TypeVar("O", bound=int)


@model
class Network:
    weight1: Mat[20, 100]
    bias1: Vec[20]


@model
class Layer(Generic[I, O]):
    weight: Mat[O, I]
    bias: Vec[O]


@model
class Stack:
    first: Layer[3, 2]
    second: Layer[2, 1]


net = Network(zeros(20, 100), zeros(20))
net2 = Network(weight1=zeros(20, 100), bias1=zeros(20))
bad1 = Network(zeros(20, 99), zeros(20))  # E: Argument 1 to "Network" has incompatible type "Mat[Literal[20], Literal[99]]"; expected "Mat[Literal[20], Literal[100]]"  [arg-type]
bad2 = Network(zeros(20, 100))  # E: Missing positional argument "bias1" in call to "Network"  [call-arg]
bad3 = Network(weight1=zeros(20, 100), bias1=zeros(20), extra=1)  # E: Unexpected keyword argument "extra" for "Network"  [call-arg]
net.bias1 = zeros(20)  # E: Property "bias1" defined in "Network" is read-only  [misc]
reveal_type(net.weight1)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
reveal_type(Network.weight1)  # N: Revealed type is "typedprop.lens.Lens[tests.mypy.cases.models.Network, typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
reveal_type(Network.bias1)  # N: Revealed type is "typedprop.lens.Lens[tests.mypy.cases.models.Network, typedprop.linalg._types.Vec[Literal[20]]]"
reveal_type(net ^ Network.bias1)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[20]]"
reveal_type(Stack.first >> Layer.weight)  # N: Revealed type is "typedprop.lens.Lens[tests.mypy.cases.models.Stack, typedprop.linalg._types.Mat[Literal[2], Literal[3]]]"
reveal_type(net - 0.1 * net)  # N: Revealed type is "tests.mypy.cases.models.Network"
reveal_type(net + net)  # N: Revealed type is "tests.mypy.cases.models.Network"
reveal_type(-net)  # N: Revealed type is "tests.mypy.cases.models.Network"
reveal_type(net / 2.0)  # N: Revealed type is "tests.mypy.cases.models.Network"
bad4 = net + 1.0  # E: Unsupported operand types for + ("Network" and "float")  [operator]
bad5 = net * net  # E: Unsupported operand types for * ("Network" and "Network")  [operator]
layer: Layer[3, 2] = Layer(zeros(2, 3), zeros(2))
reveal_type(layer.weight)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Literal[3]]"
bad6: Layer[3, 2] = Layer(zeros(3, 3), zeros(2))  # E: Dimension mismatch in "Layer": O is 3 from argument "weight" (Mat[3, 3]) but 2 from argument "bias" (Vec[2])  [dim-mismatch]


def run(n: BVar[Network], x: BVar[Vec[100]]) -> BVar[Vec[20]]:
    reveal_type(n ^ Network.weight1)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    parts = split_bv(n)
    reveal_type(parts.weight1)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    reveal_type(parts.bias1)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[20]]]"
    bad7 = parts.nothing  # E: "Network" has no field "nothing"  [attr-defined]
    return (n ^ Network.weight1) @ x + (n ^ Network.bias1)


def lens_of(l: Lens[Network, Mat[20, 100]]) -> None:
    reveal_type(l.view(net))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"


g = grad_bp(lambda n: (n ^ Network.weight1) @ auto(zeros(100)) @ auto(zeros(20)), net)
reveal_type(g)  # N: Revealed type is "tests.mypy.cases.models.Network"


def nested(x: BVar[float]) -> BVar[float]:
    inner = grad_bp(lambda y: y * y * y, x)
    reveal_type(inner)  # N: Revealed type is "typedprop._core.BVar[float]"
    return inner


reveal_type(grad_bp(nested, 2.0))  # N: Revealed type is "float"
reveal_type(grad_bp(lambda v: v * v, 3.0))  # N: Revealed type is "float"
