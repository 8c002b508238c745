"""Programs in the portable spelling (``Vec[Literal[4]]``, ``Model``, ``lens_of``, checked
constructors): they run, and pyright (standard mode) and mypy --strict check them with no
error, each ``assert_type`` included. Run by tests/test_pyright.py; see docs/static-typing.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, NewType, TypeVar, assert_type

import numpy as np

from typedprop import (
    BVar,
    Lens,
    Model,
    Prism,
    Traversal,
    auto,
    coerce_var,
    compile_grad,
    compose_op,
    grad_bp,
    id_op,
    lens_of,
    nn,
    op1,
    op2,
    op_lens,
    over_var,
    preview_var,
    set_var,
    static,
    to_list_of_var,
    view_var,
)
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec, as_mat, as_vec, dot, tr
from typedprop.op import Op1, Op2

B = TypeVar("B", bound=int)
I = TypeVar("I", bound=int)  # noqa: E741  - the input dimension
O = TypeVar("O", bound=int)  # noqa: E741  - the output dimension
L2 = Literal[2]
L4 = Literal[4]
L10 = Literal[10]


class Layer(Model, Generic[I, O]):
    weight: Mat[O, I]
    bias: Vec[O]


class Network(Model):
    hidden: Layer[L4, L10]
    out: Mat[L2, L10]


class Scaled(Model):
    w: float
    scale: float = static(default=2.0)  # carried along, never differentiated


# --- lenses: one field at class level, paths and generic fields through lens_of ---

HIDDEN_WEIGHT = lens_of(Network, lambda n: n.hidden.weight)
HIDDEN_BIAS = lens_of(Network, lambda n: n.hidden.bias)
WEIGHT = lens_of(Layer[L4, L10], lambda layer: layer.weight)
BIAS = lens_of(Layer[L4, L10], lambda layer: layer.bias)
assert_type(lens_of(Network, lambda n: n.hidden) >> WEIGHT, Lens[Network, Mat[L10, L4]])


def dense(layer: BVar[Layer[L4, L10]], x: BVar[Vec[L4]]) -> BVar[Vec[L10]]:
    assert_type(layer ^ WEIGHT, BVar[Mat[L10, L4]])
    return logistic((layer ^ WEIGHT) @ x + (layer ^ BIAS))


def run(net: BVar[Network], x: BVar[Vec[L4]]) -> BVar[Vec[L2]]:
    assert_type(net ^ HIDDEN_WEIGHT, BVar[Mat[L10, L4]])
    assert_type(view_var(HIDDEN_BIAS, net), BVar[Vec[L10]])
    h = dense(net ^ Network.hidden, x)
    return (net ^ Network.out) @ h


def loss(net: BVar[Network], x: Vec[L4], target: Vec[L2]) -> BVar[float]:
    err = run(net, auto(x)) - auto(target)
    return dot(err, err)


def step(net: Network, x: Vec[L4], target: Vec[L2]) -> Network:
    grad = grad_bp(lambda n: loss(n, x, target), net)
    assert_type(grad, Network)
    assert_type(0.1 * grad, Network)
    return net - 0.1 * grad


# --- batches: a vector added to each row, transposes ---


def dense_batch(layer: BVar[Layer[I, O]], x: BVar[Mat[B, I]]) -> BVar[Mat[B, O]]:
    # pyright types these views fully; mypy makes Layer[I, O] in an expression Layer[Any, Any],
    # so the annotations carry the dimensions for it
    w: BVar[Mat[O, I]] = layer ^ lens_of(Layer[I, O], lambda layer: layer.weight)
    b: BVar[Vec[O]] = layer ^ lens_of(Layer[I, O], lambda layer: layer.bias)
    assert_type(w.T, BVar[Mat[I, O]])
    assert_type(b + x @ tr(w), BVar[Mat[B, O]])
    assert_type(x @ w.T + b, BVar[Mat[B, O]])
    return b + x @ tr(w)


def scaled(s: BVar[float], v: Vec[L4], bv: BVar[Vec[L4]], m: Mat[L2, L4]) -> BVar[Mat[L2, L4]]:
    assert_type(s * v, BVar[Vec[L4]])
    assert_type(bv * s, BVar[Vec[L4]])
    assert_type(v + m, Mat[L2, L4])
    assert_type(m + bv, BVar[Mat[L2, L4]])
    return bv + m


def updated(net: BVar[Network]) -> BVar[Network]:
    doubled = over_var(HIDDEN_WEIGHT, lambda w: w * 2.0, net)
    return set_var(HIDDEN_BIAS, doubled ^ HIDDEN_BIAS, doubled)


# --- data into typed code: checked constructors ---

rng = np.random.default_rng(0)
x = Vec[L4](rng.normal(size=4))
target: Vec[L2] = as_vec(np.array([0.0, 1.0]), 2)
net = Network(
    Layer(Mat[L10, L4](rng.normal(scale=0.3, size=(10, 4))), Vec[L10](np.zeros(10))),
    as_mat(rng.normal(scale=0.3, size=(2, 10)), 2, 10),
)
assert_type(x, Vec[L4])
assert_type(net.hidden.weight, Mat[L10, L4])
assert_type(net ^ Network.out, Mat[L2, L10])  # a plain record viewed through a field lens
assert_type(net ^ HIDDEN_WEIGHT, Mat[L10, L4])
assert (net ^ Network.out) is net.out

start = loss(auto(net), x, target).value
for _ in range(20):
    net = step(net, x, target)
assert loss(auto(net), x, target).value < start  # it learns
batch = Mat[Literal[3], L4](rng.normal(size=(3, 4)))
g = grad_bp(lambda layer: sum_elements(dense_batch(layer, auto(batch))), net.hidden)
assert_type(g, Layer[L4, L10])
assert g.weight.shape == (10, 4)
g2 = grad_bp(lambda n: sum_elements(updated(n) ^ HIDDEN_WEIGHT), net)
assert g2.hidden.weight == 2.0 * Mat[L10, L4](np.ones((10, 4)))
scaled_grad = grad_bp(lambda p: (p ^ Scaled.w) * (p ^ Scaled.scale), Scaled(1.0))
assert_type(scaled_grad, Scaled)
assert scaled_grad == Scaled(2.0)


# --- compiled mode: compile_grad's gradients keep their arguments' types ---


def pair_loss(n: BVar[Network], xv: BVar[Vec[L4]], t: BVar[Vec[L2]]) -> BVar[float]:
    err = run(n, xv) - t
    return dot(err, err)


compiled = compile_grad(pair_loss)
g_net, g_x, g_t = compiled(net, x, target)
assert_type(g_net, Network)
assert_type(g_x, Vec[L4])
compiled_value, (g_net_again, g_x_again, g_t_again) = compiled.value_and_grad(net, x, target)
assert_type(compiled_value, float)
assert g_net_again == grad_bp(lambda n: loss(n, x, target), net)
assert g_x_again == g_x and g_t_again == g_t

# --- prisms and traversals: from lens_of, typed by every checker ---


class Relu(Model):
    leak: float


class Tanh(Model):
    gain: float


class Stack(Model):
    activation: Relu | Tanh
    layers: list[Layer[L4, L4]]


RELU = lens_of(Stack, lambda s: s.activation).when(Relu)
WEIGHTS = lens_of(Stack, lambda s: s.layers).each() >> lens_of(
    Layer[L4, L4], lambda layer: layer.weight
)
assert_type(RELU, Prism[Stack, Relu])
assert_type(RELU >> lens_of(Relu, lambda r: r.leak), Prism[Stack, float])
assert_type(WEIGHTS, Traversal[Stack, Mat[L4, L4]])


def stacked(s: BVar[Stack], x: BVar[Vec[L4]]) -> BVar[float]:
    relu = preview_var(RELU, s)
    assert_type(relu, BVar[Relu] | None)
    assert_type(view_var(RELU, s), BVar[Relu])
    for w in to_list_of_var(WEIGHTS, s):
        assert_type(w, BVar[Mat[L4, L4]])
        x = w @ x
    leak = auto(0.0) if relu is None else relu ^ lens_of(Relu, lambda r: r.leak)
    return dot(x, x) * leak


stack = Stack(Relu(0.5), [Layer(Mat[L4, L4](np.eye(4)), Vec[L4](np.zeros(4))) for _ in range(2)])
stack_grad = grad_bp(lambda s: stacked(s, auto(x)), stack)
assert stack_grad.layers[0].weight.shape == (4, 4) and isinstance(stack_grad.activation, Relu)


# --- op combinators ---


@op1
def square(v: float) -> tuple[float, Callable[[float], float]]:
    return v * v, lambda g: 2.0 * v * g


@op2
def mul(a: float, b: float) -> tuple[float, Callable[[float], tuple[float, float]]]:
    return a * b, lambda g: (g * b, g * a)


Meters = NewType("Meters", float)
assert_type(compose_op(square, mul), Op2[float, float, float])
assert_type(compose_op(square, square), Op1[float, float])
assert_type(op_lens(lens_of(Scaled, lambda p: p.w)), Op1[Scaled, float])
assert_type(id_op(2.0), float)
assert grad_bp(compose_op(mul, square, id_op), 2.0) == 12.0


def in_meters(d: BVar[float]) -> BVar[Meters]:
    return coerce_var(Meters, d)


# --- layers (typedprop.nn): a model of layers, called on itself and on its BVar ---

L3 = Literal[3]
L8 = Literal[8]


class Tagger(Model):
    embed: nn.Embedding[L10, L4]
    norm: nn.LayerNorm[L4]
    cell: nn.GRUCell[L4, L8]
    read: nn.Linear[L8, L3]

    def __call__(self, tokens: list[int]) -> BVar[Vec[L3]]:
        h: BVar[Vec[L8]] = auto(Vec[L8](np.zeros(8)))
        for t in tokens:
            h = (self ^ Tagger.cell)((self ^ Tagger.norm)((self ^ Tagger.embed)(auto(t))), h)
        return (self ^ Tagger.read)(h)


tagger = Tagger(
    nn.Embedding[L10, L4].init(rng, 10, 4),
    nn.LayerNorm[L4].init(4),
    nn.GRUCell[L4, L8].init(rng, 4, 8),
    nn.Linear[L8, L3].init(rng, 8, 3),
)
words = Mat[Literal[5], L8](rng.normal(size=(5, 8)))
assert_type(tagger.read(words), Mat[Literal[5], L3])


def tagger_loss(t: BVar[Tagger]) -> BVar[float]:
    scores = t([1, 2, 3])
    assert_type(scores, BVar[Vec[L3]])
    assert_type((t ^ Tagger.read)(words), BVar[Mat[Literal[5], L3]])
    return sum_elements(scores * scores)


tagger_grad = grad_bp(tagger_loss, tagger)
assert_type(tagger_grad, Tagger)
tagger = tagger - 0.1 * tagger_grad
assert tagger_grad.embed.table.shape == (10, 4)
