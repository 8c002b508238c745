"""Generic code: dimension variables solved from the arguments (literals kept, sums solved and
normalised), mismatches inside generic code, lenses of generic models, the lens of another model."""

from typing import Generic, Literal, TypeVar

from typedprop import BVar, Model, auto, model, nn
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Add, Mat, Vec, vjoin, zeros

I = TypeVar("I", bound=int)
H = TypeVar("H", bound=int)
O = TypeVar("O", bound=int)
M = TypeVar("M", bound=int)
N = TypeVar("N", bound=int)
B = TypeVar("B", bound=int)


@model
class Gate(Generic[I, H]):
    weight: Mat[H, Add[I, H]]
    bias: Vec[H]


gate = Gate(zeros(4, 7), zeros(4))
reveal_type(gate)  # N: Revealed type is "tests.mypy.cases.generic.Gate[Literal[3], Literal[4]]"
reveal_type(gate.weight)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[4], Literal[7]]"
gate2: Gate[3, 4] = Gate(weight=zeros(4, 7), bias=zeros(4))
bad_gate2 = Gate(zeros(4, 3), zeros(4))  # E: Dimension mismatch in "Gate": H + I is 3 from argument "weight" (Mat[4, 3]): no size of I fits  [dim-mismatch]
bad_gate = Gate(zeros(4, 7), zeros(5))  # E: Dimension mismatch in "Gate": H is 4 from argument "weight" (Mat[4, 7]) but 5 from argument "bias" (Vec[5])  [dim-mismatch]


def step(g: Gate[I, H], x: Vec[I], h: Vec[H]) -> Vec[H]:
    reveal_type(vjoin(x, h))  # N: Revealed type is "typedprop.linalg._types.Vec[typedprop.linalg._types.Add[H, I]]"
    return logistic(g.weight @ vjoin(x, h) + g.bias)


reveal_type(step(gate, zeros(3), zeros(4)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
bad_step2 = step(gate, zeros(3), zeros(5))  # E: Dimension mismatch in "step": H is 4 from argument "g" (Gate[Literal[3], Literal[4]]) but 5 from argument "h" (Vec[5])  [dim-mismatch]
bad_step = step(gate, zeros(4), zeros(4))  # E: Dimension mismatch in "step": I is 3 from argument "g" (Gate[Literal[3], Literal[4]]) but 4 from argument "x" (Vec[4])  [dim-mismatch]


def join(a: Vec[M], b: Vec[N]) -> Vec[Add[M, N]]:
    return vjoin(a, b)


reveal_type(join(zeros(3), zeros(4)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[7]]"
reveal_type(zeros(2, 7) @ join(zeros(3), zeros(4)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[2]]"


def swapped(w: Mat[H, I], x: Vec[I], h: Vec[H]) -> Vec[H]:
    return w @ vjoin(x, h)  # E: Dimension mismatch in @: Mat[H, I] @ Vec[H + I]  [dim-mismatch]


def same(a: Vec[N], b: Vec[N]) -> Vec[N]:
    return a + b


reveal_type(same(zeros(3), zeros(3)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
bad_same = same(zeros(3), zeros(4))  # E: Dimension mismatch in "same": N is 3 from argument "a" (Vec[3]) but 4 from argument "b" (Vec[4])  [dim-mismatch]


@model
class Layer(Generic[I, O]):
    weight: Mat[O, I]
    bias: Vec[O]


def make_layer(i: I, o: O) -> Layer[I, O]:
    return Layer(zeros(o, i), zeros(o))


reveal_type(make_layer(4, 10))  # N: Revealed type is "tests.mypy.cases.generic.Layer[Literal[4], Literal[10]]"
bad_layer = make_layer(4, 10).weight @ zeros(5)  # E: Dimension mismatch in @: Mat[10, 4] @ Vec[5]  [dim-mismatch]
bad_bias = make_layer(4, 10).bias + zeros(4)  # E: Dimension mismatch in +: Vec[10] + Vec[4]  [dim-mismatch]


@model
class Net:
    layer1: Layer[5, 16]
    out: Layer[16, 2]


@model
class Other:
    w: Mat[2, 2]


def run(net: BVar[Net], x: BVar[Vec[Literal[5]]]) -> BVar[Vec[Literal[16]]]:
    reveal_type(net ^ Net.layer1 ^ Layer.weight)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[16], Literal[5]]]"
    reveal_type(net ^ (Net.out >> Layer.bias))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]"
    wrong = net ^ Other.w  # E: Lens of "Other" applied to "Net": Other.w views a field of Other, not of Net  [lens-mismatch]
    wrong2 = net ^ Net.layer1 ^ Other.w  # E: Lens of "Other" applied to "Layer": Other.w views a field of Other, not of Layer  [lens-mismatch]
    wrong3 = (net ^ (Net.layer1 >> Layer.weight)) @ auto(zeros(16))  # E: Dimension mismatch in @: Mat[16, 5] @ Vec[16]  [dim-mismatch]
    typo = net.layer1  # E: "BVar[Net]" has no attribute "layer1"  [attr-defined]
    return logistic((net ^ Net.layer1 ^ Layer.weight) @ x + (net ^ Net.layer1 ^ Layer.bias))


def plain(net: Net) -> None:
    reveal_type(net ^ (Net.layer1 >> Layer.weight))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[16], Literal[5]]"


def losses(logits: BVar[Vec[Literal[3]]]) -> None:
    good = cross_entropy(logits, zeros(3))
    bad = cross_entropy(logits, zeros(4))  # E: Dimension mismatch in cross_entropy: Vec[3] and Vec[4] differ  [dim-mismatch]
    batch = cross_entropy(auto(zeros(8, 3)), zeros(8, 4))  # E: Dimension mismatch in cross_entropy: Mat[8, 3] and Mat[8, 4] differ  [dim-mismatch]


@model
class Deep:
    layers: list[Layer[5, 5]]


def traversal_of_generic_layers() -> None:
    reveal_type(Deep.layers.each() >> Layer.weight)  # N: Revealed type is "typedprop.lens.Traversal[tests.mypy.cases.generic.Deep, typedprop.linalg._types.Mat[Literal[5], Literal[5]]]"
    bad = Deep.layers.each() >> Other.w  # E: Lens of "Other" applied to "Layer": Other.w views a field of Other, not of Layer  [lens-mismatch]


class Batched(Model):
    hidden: nn.Linear[3, 4]

    def __call__(self, x: BVar[Mat[B, Literal[3]]]) -> BVar[Mat[B, Literal[4]]]:
        return logistic((self ^ Batched.hidden)(x))


def batched(n: BVar[Batched]) -> None:
    reveal_type(n(auto(zeros(5, 3))))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[5], Literal[4]]]"
    reveal_type(n(auto(zeros(7, 3))))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[7], Literal[4]]]"
    wrong = n(auto(zeros(5, 4)))  # E: Argument 1 to "auto" has incompatible type "Mat[Literal[5], Literal[4]]"; expected "Mat[Literal[5], Literal[3]]"  [arg-type]
