"""A two-class spiral: a small two-layer network fitted with plain numpy arrays.

Run it with ``python examples/spiral.py``. The parameters are a list of arrays and the loss
an ordinary function of them; ``grad_bp`` gives its gradient, a list of arrays of the same
shapes, and a step of gradient descent is ``p - lr * g``. The data comes from a fixed seed, so
the printed accuracy is the same on every run.
"""

from __future__ import annotations

import argparse

import numpy as np
from numpy.typing import NDArray

from typedprop import BVar, auto, eval_bp, grad_bp, sequence_var
from typedprop.functions import cross_entropy, softmax, tanh

Array = NDArray[np.float64]
HIDDEN = 48


def spiral(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """``n`` points of each of two interleaved spirals, and their one-hot labels."""
    t = rng.uniform(0.25, 3.0, size=n) * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3.0 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(scale=0.02, size=(2 * n, 2))
    labels = np.concatenate([np.zeros(n, dtype=int), np.ones(n, dtype=int)])
    return x, np.eye(2)[labels]


def logits(params: BVar[list[Array]], x: Array) -> BVar[Array]:
    """A batch of inputs (one per row) through ``tanh`` and a linear read-out."""
    w1, b1, w2, b2 = sequence_var(params)
    hidden = tanh(auto(x) @ w1.T + b1)
    return hidden @ w2.T + b2


def loss(params: BVar[list[Array]], x: Array, y: Array) -> BVar[float]:
    """Mean cross-entropy of the network's predictions."""
    return cross_entropy(logits(params, x), y) / float(len(x))


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
    """Fit the spiral; the training accuracy."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps", type=_positive, default=2000, help="steps of gradient descent (2000)"
    )
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x, y = spiral(200, rng)
    params = [
        rng.normal(scale=4.0, size=(HIDDEN, 2)),
        np.zeros(HIDDEN),
        rng.normal(scale=0.3, size=(2, HIDDEN)),
        np.zeros(2),
    ]
    lr = 0.5
    for step in range(args.steps):
        if step % 500 == 0:
            value = eval_bp(lambda p: loss(p, x, y), params)
            print(f"step {step:5d}  loss {value:.4f}")
        grads = grad_bp(lambda p: loss(p, x, y), params)
        params = [p - lr * g for p, g in zip(params, grads, strict=True)]

    probs = softmax(eval_bp(lambda p: logits(p, x), params))
    accuracy = float(np.mean(probs.argmax(axis=1) == y.argmax(axis=1)))
    print(f"training accuracy {accuracy:.1%} after {args.steps} steps")
    return accuracy


if __name__ == "__main__":
    main()
