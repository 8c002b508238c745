"""A model made of sub-models made of sub-models, reached through their field lenses and a path
lens ``lens_of(Net, lambda n: n.second.inner.weight)``."""

from __future__ import annotations

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, eval_bp, grad_bp, lens_of
from typedprop.functions import logistic, sum_elements
from typedprop.linalg import Mat, Vec


class Projection(Model):
    weight: Mat[Literal[4], Literal[4]]
    bias: Vec[Literal[4]]


class Block(Model):
    inner: Projection
    outer: Projection


class Net(Model):
    first: Block
    second: Block


DEEP_WEIGHT = lens_of(Net, lambda n: n.second.inner.weight)


def project(p: BVar[Projection], x: BVar[Vec[Literal[4]]]) -> BVar[Vec[Literal[4]]]:
    return logistic((p ^ Projection.weight) @ x + (p ^ Projection.bias))


def block(b: BVar[Block], x: BVar[Vec[Literal[4]]]) -> BVar[Vec[Literal[4]]]:
    return project(b ^ Block.outer, project(b ^ Block.inner, x)) + x


def run(net: BVar[Net], x: BVar[Vec[Literal[4]]]) -> BVar[float]:
    h = block(net ^ Net.first, x)
    deep = (net ^ DEEP_WEIGHT) @ h
    return sum_elements(block(net ^ Net.second, h)) + sum_elements(deep)


def projection(rng: np.random.Generator) -> Projection:
    return Projection(
        Mat[Literal[4], Literal[4]](rng.normal(scale=0.5, size=(4, 4))),
        Vec[Literal[4]](np.zeros(4)),
    )


def main() -> None:
    rng = np.random.default_rng(2)
    net = Net(Block(projection(rng), projection(rng)), Block(projection(rng), projection(rng)))
    x = Vec[Literal[4]](rng.normal(size=4))
    value = eval_bp(lambda n: run(n, auto(x)), net)
    grad = grad_bp(lambda n: run(n, auto(x)), net)
    assert np.isfinite(value)
    assert grad.second.inner.weight.shape == (4, 4)


if __name__ == "__main__":
    main()
