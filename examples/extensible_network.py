"""A network whose depth is chosen at run time: a record holding a list of typed layers.

This is backprop's second tutorial, "extensible neural networks". Each ``Layer[In, Out]``
carries its dimensions in its type, so ``chain`` (two layers end to end) only type-checks when
the first layer's output is the second's input. A network of any depth holds a list of layers;
its constructor checks at run time that consecutive layers fit, and ``to_list_of_var`` walks the
list inside a differentiable computation. It classifies three noisy rings in the plane, printing
the loss as Adam trains and the training accuracy:

    python examples/extensible_network.py --hidden 32 16 --steps 600
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Generic, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from typedprop import BVar, ShapeError, auto, backprop, eval_bp, model, split_bv, to_list_of_var
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec, tr
from typedprop.optim import Adam

In = TypeVar("In", bound=int)
Hid = TypeVar("Hid", bound=int)
Out = TypeVar("Out", bound=int)
B = TypeVar("B", bound=int)
Array = NDArray[np.float64]


@model
class Layer(Generic[In, Out]):
    """A fully connected layer from ``In`` to ``Out`` units."""

    weight: Mat[Out, In]
    bias: Vec[Out]


def dense(layer: BVar[Layer[In, Out]], x: BVar[Mat[B, In]]) -> BVar[Mat[B, Out]]:
    """A batch of rows through one layer."""
    p = split_bv(layer)
    return x @ tr(p.weight) + p.bias


def chain(
    first: BVar[Layer[In, Hid]], second: BVar[Layer[Hid, Out]], x: BVar[Mat[B, In]]
) -> BVar[Mat[B, Out]]:
    """Two layers end to end: ``Hid`` must agree, which mypy checks."""
    return dense(second, logistic(dense(first, x)))


@model
class Network:
    """Any number of layers, checked at construction to fit end to end."""

    layers: list[Layer[Any, Any]]

    def __attrs_post_init__(self) -> None:
        for k in range(1, len(self.layers)):
            before, after = self.layers[k - 1].weight.shape, self.layers[k].weight.shape
            if before[0] != after[1]:
                raise ShapeError(
                    f"Network.layers[{k}]: expects {after[1]} inputs but layer {k - 1} has "
                    f"{before[0]} outputs"
                )


def make_network(sizes: Sequence[int], rng: np.random.Generator) -> Network:
    """Layers for ``sizes = [inputs, hidden..., outputs]``."""
    layers: list[Layer[Any, Any]] = []
    for n_in, n_out in pairwise(sizes):
        bound = np.sqrt(6.0 / (n_in + n_out))
        layers.append(Layer(Mat(rng.uniform(-bound, bound, (n_out, n_in))), Vec(np.zeros(n_out))))
    return Network(layers)


def run(net: BVar[Network], x: BVar[Mat[B, Any]]) -> BVar[Mat[B, Any]]:
    """Every layer in turn, logistic between them, scores out."""
    layers = to_list_of_var(Network.layers, net)
    h = x
    for k, layer in enumerate(layers):
        z = dense(layer, h)
        h = z if k == len(layers) - 1 else logistic(z)
    return h


def rings(n: int, rng: np.random.Generator) -> tuple[Array, NDArray[np.intp]]:
    """Three noisy concentric rings in the plane, one class each."""
    labels = rng.integers(0, 3, size=n)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = 1.0 + labels + rng.normal(scale=0.15, size=n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) / 3.0
    return points, labels


def _positive(text: str) -> int:
    """An argparse type: a whole number greater than zero."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, found {number}")
    return number


def main(argv: list[str] | None = None) -> float:
    """Train a network of the chosen hidden sizes; its training accuracy."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hidden",
        type=_positive,
        nargs="*",
        default=[32, 16],
        help="the hidden layers' sizes, any number of them (default: 32 16)",
    )
    parser.add_argument("--steps", type=_positive, default=600, help="steps of Adam (600)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x, y = rings(600, rng)
    targets: Mat[Any, Literal[3]] = Mat(np.eye(3)[y])
    inputs: Mat[Any, Literal[2]] = Mat(x)
    net = make_network([2, *args.hidden, 3], rng)
    print(f"layers: {[layer.weight.shape for layer in net.layers]}")
    opt = Adam(lr=0.02)
    state = opt.init(net)
    for step in range(args.steps):
        value, grad = backprop(
            lambda n: cross_entropy(run(n, auto(inputs)), targets) * (1.0 / len(x)), net
        )
        if step % 200 == 0:
            print(f"step {step:4d}  loss {value:.4f}")
        state, net = opt.step(state, net, grad)
    scores = eval_bp(lambda n: run(n, auto(inputs)), net)
    accuracy = float(np.mean(np.argmax(scores.array, axis=1) == y))
    print(f"training accuracy {accuracy:.1%} after {args.steps} steps")
    return accuracy


if __name__ == "__main__":
    main()
