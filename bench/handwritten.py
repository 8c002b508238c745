"""The 784-300-100-10 network's loss and gradient written by hand in numpy, in every form a user
might reasonably write, so that a benchmark can measure them all and take the fastest.

Two layouts of the parameters ``W1, b1, W2, b2, W3, b3``:

- ``vector``: a single example ``x (784,)``, weights ``(out, in)``, a layer is ``W @ x + b``;
- ``rows``: examples as the rows of ``x (B, 784)`` (``B = 1`` included), weights ``(in, out)``,
  a layer is ``x @ W + b``.

The loss is the softmax cross-entropy summed over the examples, computed as
``logsumexp(z) - t . z`` per example (each one-hot target row sums to 1), and its gradient for
the logits is ``softmax(z) - t``. What varies between the forms:

- the logistic: ``1 / (1 + np.exp(-z))`` as written, or the same computed in place in the
  layer's own fresh buffer (``np.negative``, ``np.exp``, ``+=``, ``np.divide`` with ``out=``),
  under ``np.errstate(over="ignore")`` since ``exp`` overflows to inf (giving the right 0.0)
  below ``z = -709``; and the derivative ``g * (h * (1 - h))`` against in-place updates;
- the rank-1 weight gradient at batch 1: ``a.T @ g`` (1-row matrices), ``np.outer``, or
  ``np.dot`` of a column and a row; for a vector, ``np.outer``, ``np.dot(g[:, None], a[None,
  :])`` or the broadcast ``g[:, None] * a``;
- the bias gradient of a batch: ``d.sum(axis=0)`` or ``np.ones(B) @ d``.

Every form returns fresh arrays and keeps nothing between calls.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.network import Array, Grads, Params, _logistic, _logistic_inplace

GradFn = Callable[[Params, Array, Array], Grads]
LossFn = Callable[[Params, Array, Array], float]


# a (.., n) input and a (.., m) output gradient -> the weight gradient, (n, m) or (m, n)
_ROW_RANK1: dict[str, Callable[[Array, Array], Array]] = {
    "a.T @ g": lambda a, g: a.T @ g,
    "np.outer(a, g)": lambda a, g: np.outer(a, g),
    "np.dot(col, row)": lambda a, g: np.dot(a.reshape(-1, 1), g),
}
_VEC_RANK1: dict[str, Callable[[Array, Array], Array]] = {
    "np.outer(g, a)": lambda a, g: np.outer(g, a),
    "np.dot(col, row)": lambda a, g: np.dot(g[:, None], a[None, :]),
    "g[:, None] * a": lambda a, g: g[:, None] * a,
}
_BIAS: dict[str, Callable[[Array], Array]] = {
    "d.sum(axis=0)": lambda d: d.sum(axis=0),
    "ones @ d": lambda d: np.ones(len(d)) @ d,
}


@dataclass(frozen=True)
class Form:
    """One way of writing the gradient by hand, named for the table."""

    name: str
    grad: GradFn


def _affine(layout: str, w: Array, h: Array, b: Array) -> Array:
    z: Array = np.dot(w, h) if layout == "vector" else np.dot(h, w)
    z += b
    return z


def _back(layout: str, d: Array, w: Array) -> Array:
    """The gradient of a layer's input from its output's gradient ``d``."""
    r: Array = np.dot(d, w) if layout == "vector" else np.dot(d, w.T)
    return r


def grad_form(layout: str, batch: int, inplace: bool, rank1: str, bias: str) -> GradFn:
    """The hand-written gradient in one combination of the choices of the module docstring."""
    if layout == "vector":
        outer = _VEC_RANK1[rank1]
        bias_of: Callable[[Array], Array] = lambda d: d  # noqa: E731
    else:
        outer = _ROW_RANK1[rank1] if batch == 1 else _ROW_RANK1["a.T @ g"]
        bias_of = _BIAS[bias]

    def grad(p: Params, x: Array, t: Array) -> Grads:
        w1, b1, w2, b2, w3, b3 = p
        if inplace:
            h1 = _logistic_inplace(_affine(layout, w1, x, b1))
            h2 = _logistic_inplace(_affine(layout, w2, h1, b2))
            d3 = _affine(layout, w3, h2, b3)
            d3 -= d3.max(axis=-1, keepdims=True)
            np.exp(d3, out=d3)
            d3 /= d3.sum(axis=-1, keepdims=True)
            d3 -= t
        else:
            h1 = _logistic(_affine(layout, w1, x, b1))
            h2 = _logistic(_affine(layout, w2, h1, b2))
            z = _affine(layout, w3, h2, b3)
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            d3 = e / e.sum(axis=-1, keepdims=True) - t
        gw3 = outer(h2, d3)
        d2 = _back(layout, d3, w3)
        if inplace:  # d2 *= h2 * (1 - h2), with h2's memory as the temporary
            d2 *= h2
            np.subtract(1.0, h2, out=h2)
            d2 *= h2
        else:
            d2 = d2 * (h2 * (1.0 - h2))
        gw2 = outer(h1, d2)
        d1 = _back(layout, d2, w2)
        if inplace:
            d1 *= h1
            np.subtract(1.0, h1, out=h1)
            d1 *= h1
        else:
            d1 = d1 * (h1 * (1.0 - h1))
        gw1 = outer(x, d1)
        return gw1, bias_of(d1), gw2, bias_of(d2), gw3, bias_of(d3)

    return grad


def grad_forms(layout: str, batch: int) -> list[Form]:
    """Every combination worth measuring for this layout and batch size."""
    rank1s = list(_VEC_RANK1 if layout == "vector" else _ROW_RANK1)
    if layout == "rows" and batch > 1:
        rank1s = ["a.T @ g"]
    biases = ["-"] if layout == "vector" else list(_BIAS)
    forms = []
    for inplace, rank1, bias in itertools.product((True, False), rank1s, biases):
        parts = ["in place" if inplace else "as written"]
        if layout == "vector" or batch == 1:
            parts.append(rank1)
        if bias != "-":
            parts.append(bias)
        forms.append(Form(", ".join(parts), grad_form(layout, batch, inplace, rank1, bias)))
    return forms


def loss_form(layout: str, inplace: bool) -> LossFn:
    """The hand-written forward pass (the loss), the logistic as written or in place."""
    sig = _logistic_inplace if inplace else _logistic

    def loss(p: Params, x: Array, t: Array) -> float:
        w1, b1, w2, b2, w3, b3 = p
        h1 = sig(_affine(layout, w1, x, b1))
        h2 = sig(_affine(layout, w2, h1, b2))
        z = _affine(layout, w3, h2, b3)
        z -= z.max(axis=-1, keepdims=True)
        if z.ndim == 1:
            return math.log(np.exp(z).sum()) - float(np.dot(t, z))
        return float(np.log(np.exp(z).sum(axis=1)).sum() - np.vdot(t, z))

    return loss


def loss_forms(layout: str) -> list[tuple[str, LossFn]]:
    return [("in place", loss_form(layout, True)), ("as written", loss_form(layout, False))]
