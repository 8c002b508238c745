"""Gaussian log-likelihood and friends: inv, det, lndet, chol, svd, outer, vjoin and split.
The identity is built once, ``eye(3)`` assigned to an annotated name."""

from typing import Literal

import numpy as np

from typedprop import BVar, auto, grad_bp, grad_bp2
from typedprop.linalg import (
    Mat,
    Vec,
    chol,
    det,
    dot,
    eye,
    inv,
    lndet,
    outer,
    split,
    svd,
    tr,
    vjoin,
)

D = Literal[3]
IDENTITY: Mat[D, D] = eye(3)


def neg_log_likelihood(mu: BVar[Vec[D]], scale: BVar[Mat[D, D]], x: Vec[D]) -> BVar[float]:
    cov = scale @ tr(scale) + auto(IDENTITY)
    diff = auto(x) - mu
    return 0.5 * dot(diff, inv(cov) @ diff) + 0.5 * lndet(cov)


def main() -> None:
    rng = np.random.default_rng(5)
    mu = Vec[D](np.zeros(3))
    scale = Mat[D, D](0.1 * rng.normal(size=(3, 3)))
    x = Vec[D](rng.normal(size=3))
    g_mu, g_scale = grad_bp2(lambda m, s: neg_log_likelihood(m, s, x), mu, scale)
    assert g_mu.shape == (3,) and g_scale.shape == (3, 3)

    spd = scale @ tr(scale) + IDENTITY
    lower = chol(spd)
    assert np.allclose((lower @ tr(lower)).array, spd.array)
    assert det(spd) > 0.0
    singular = svd(spd)
    assert singular.shape == (3,)

    rank_one = outer(x, x)
    assert rank_one.shape == (3, 3)

    extra = Vec[Literal[2]]([1.0, 2.0])
    joined = vjoin(x, extra)
    assert joined.shape == (5,)
    front, back = split(joined, 3)
    assert front.shape == (3,) and back.shape == (2,)

    g_det = grad_bp(det, spd)
    assert g_det.shape == (3, 3)


if __name__ == "__main__":
    main()
