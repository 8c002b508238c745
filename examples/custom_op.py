"""Equipping a library with typedprop: a function of your own, with its gradient, as an Op.

``smooth_abs`` is the pseudo-Huber function ``sqrt(x^2 + d^2) - d``: smooth everywhere, about
``|x|`` far from zero. ``op2`` lifts it with a hand-written pullback (the gradient for ``x`` and
for the width ``d``), written with typedprop's functions so that it differentiates twice, and
``check_grad`` verifies both orders against finite differences. The width's gradient is
``lazy``: computed only when the width is differentiated, not in the fit, where it is a
constant. Then it fits a line to data with outliers by gradient descent on the pseudo-Huber
loss, printing each check and the fit:

    python examples/custom_op.py
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from typedprop import BVar, auto, grad_bp, grad_bp2, op2
from typedprop.functions import sqrt, sum_elements
from typedprop.op import Lazy, lazy
from typedprop.testing import check_grad

Array = NDArray[np.float64]
Pullback = Callable[[Array], tuple[Array, Lazy[float]]]


@op2
def smooth_abs(x: Array, d: float) -> tuple[Array, Pullback]:
    """``sqrt(x^2 + d^2) - d`` elementwise, with its vector-Jacobian product beside it."""
    root = sqrt(x * x + d * d)

    def pullback(g: Array) -> tuple[Array, Lazy[float]]:
        gx = g * x / root  # d/dx = x / root
        # d/dd = d / root - 1, summed over elements; only computed when d is differentiated
        gd = lazy(lambda: sum_elements(g * (d / root - 1.0)))
        return gx, gd

    return root - d, pullback


def robust_loss(w: BVar[Array], x: Array, y: Array) -> BVar[float]:
    """A linear fit scored with the pseudo-Huber loss of its residuals."""
    residuals = auto(x) @ w - auto(y)
    return sum_elements(smooth_abs(residuals, 0.5))


def main(argv: list[str] | None = None) -> None:
    """Check ``smooth_abs``'s derivatives, then fit a line robustly with it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.normal(size=5)
    check_grad(lambda v, d: smooth_abs(v, d), x, 0.7, order=2)
    print("smooth_abs: gradient and second derivative agree with finite differences")

    gx, gd = grad_bp2(lambda v, d: sum_elements(smooth_abs(v, d)), x, 0.7)
    np.testing.assert_allclose(gx, x / np.sqrt(x**2 + 0.49))
    print(f"d/dd at d=0.7: {gd:.4f}")

    inputs = rng.normal(size=(50, 3))
    truth = np.array([1.0, -2.0, 0.5])
    outputs = inputs @ truth + rng.normal(scale=0.1, size=50)
    outputs[::10] += 20.0  # outliers, which a squared loss would chase
    w = np.zeros(3)
    for _ in range(500):
        w = w - 0.01 * grad_bp(lambda p: robust_loss(p, inputs, outputs), w)
    print(f"robust fit: {np.round(w, 2)} (truth {truth})")


if __name__ == "__main__":
    main()
