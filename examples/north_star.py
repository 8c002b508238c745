"""The user's program from typedprop's design: a two-layer network as a typed record.

Every dimension is in a type, and ``mypy --strict`` with typedprop's plugin checks them all
before anything runs (``tests/test_mypy_plugin.py`` shows that changing one dimension here is one
``[dim-mismatch]`` error). It takes 30 steps of gradient descent on one example, printing the
squared error as it falls:

    python examples/north_star.py
"""

from __future__ import annotations

import argparse

import numpy as np

from typedprop import BVar, auto, eval_bp, grad_bp, model
from typedprop.functions import logistic
from typedprop.linalg import Mat, Vec, as_vec, dot


@model
class Network:
    weight1: Mat[20, 100]
    bias1: Vec[20]
    weight2: Mat[5, 20]
    bias2: Vec[5]


def run_net(net: BVar[Network], x: BVar[Vec[100]]) -> BVar[Vec[5]]:
    y = logistic((net ^ Network.weight1) @ x + (net ^ Network.bias1))
    return logistic((net ^ Network.weight2) @ y + (net ^ Network.bias2))


def squared_error(target: BVar[Vec[5]], output: BVar[Vec[5]]) -> BVar[float]:
    err = target - output
    return dot(err, err)


def net_error(target: Vec[5], x: Vec[100], net: BVar[Network]) -> BVar[float]:
    return squared_error(auto(target), run_net(net, auto(x)))


def grad_descent(x: Vec[100], target: Vec[5], net: Network) -> Network:
    gradient = grad_bp(lambda n: net_error(target, x, n), net)  # a whole Network of gradients
    return net - 0.1 * gradient  # records are vector spaces


def main(argv: list[str] | None = None) -> None:
    """Train the network on one example, printing its error every 10 steps."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    rng = np.random.default_rng(0)
    net = Network(
        weight1=Mat(rng.normal(scale=0.1, size=(20, 100))),
        bias1=Vec(np.zeros(20)),
        weight2=Mat(rng.normal(scale=0.3, size=(5, 20))),
        bias2=Vec(np.zeros(5)),
    )
    x: Vec[100] = as_vec(rng.uniform(size=100), 100)  # checked: a ShapeError if not 100
    target: Vec[5] = as_vec([0.0, 1.0, 0.0, 0.0, 1.0], 5)
    for step in range(31):
        if step % 10 == 0:
            error = eval_bp(lambda n: net_error(target, x, n), net)
            print(f"after {step:2d} steps  squared error {error:.4f}")
        if step < 30:
            net = grad_descent(x, target, net)


if __name__ == "__main__":
    main()
