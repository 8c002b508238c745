"""Train with Adam, save a checkpoint, load it back and keep training from it."""

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, backprop
from typedprop.checkpoint import load, save
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec, tr
from typedprop.optim import Adam, AdamState

B = Literal[10]


class Net(Model):
    w1: Mat[Literal[8], Literal[4]]
    b1: Vec[Literal[8]]
    w2: Mat[Literal[2], Literal[8]]
    b2: Vec[Literal[2]]


def loss(net: BVar[Net], x: Mat[B, Literal[4]], y: Mat[B, Literal[2]]) -> BVar[float]:
    h = logistic(auto(x) @ tr(net ^ Net.w1) + (net ^ Net.b1))
    return cross_entropy(h @ tr(net ^ Net.w2) + (net ^ Net.b2), y) / 10.0


def train(
    net: Net, state: AdamState[Net], opt: Adam, x: Mat[B, Literal[4]], y: Mat[B, Literal[2]]
) -> tuple[AdamState[Net], Net, float]:
    value, grad = backprop(lambda n: loss(n, x, y), net)
    state, net = opt.step(state, net, grad)
    return state, net, value


def main() -> None:
    rng = np.random.default_rng(8)
    net = Net(
        Mat[Literal[8], Literal[4]](rng.normal(size=(8, 4))),
        Vec[Literal[8]](np.zeros(8)),
        Mat[Literal[2], Literal[8]](rng.normal(size=(2, 8))),
        Vec[Literal[2]](np.zeros(2)),
    )
    x = Mat[B, Literal[4]](rng.normal(size=(10, 4)))
    y = Mat[B, Literal[2]](np.eye(2)[rng.integers(0, 2, size=10)])
    opt = Adam(lr=0.05)
    state = opt.init(net)
    for _ in range(5):
        state, net, _value = train(net, state, opt, x, y)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.npz"
        save(path, net)
        restored: Net = load(path, Net, like=net)
    assert restored == net
    state, restored, _value = train(restored, state, opt, x, y)
    assert restored.w1.shape == (8, 4)


if __name__ == "__main__":
    main()
