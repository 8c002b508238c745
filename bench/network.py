"""The 784-300-100-10 network of backprop's benchmark: typedprop against hand-written numpy.

Two logistic hidden layers, a softmax output and a cross-entropy loss, float64, weights uniform
in [-0.5, 0.5], fixed-seed inputs and one-hot targets. The parameters are six plain arrays
``W1 (300, 784), b1, W2 (100, 300), b2, W3 (10, 100), b3``. At batch 1 the input is a vector
``x (784,)`` and a layer is ``W @ x + b``; at batch B it is a matrix ``x (B, 784)`` of rows and a
layer is ``x @ W.T + b``. The loss is ``cross_entropy(logits, target)``, that is
``-sum(target * log_softmax(logits))`` summed over the rows.

Timed in one run, for each batch size:

- ``numpy loss``: the fastest hand-written forward pass (the loss) found;
- ``numpy grad``: the fastest hand-written gradient of all six parameters found;
- ``typedprop eval_bp_n``: ``eval_bp_n(loss, *params)``;
- ``typedprop grad_bp_n``: ``grad_bp_n(loss, *params)``;
- ``numpy loss/grad, plain``: the same formulas written the obvious way (no in-place
  operations, ``np.outer`` at batch 1, the logistic as ``1 / (1 + np.exp(-z))``), for
  reference.

"Fastest hand-written" means: a function of the parameters and the data that returns fresh
result arrays and keeps nothing between calls, but otherwise uses every numpy trick that measured
faster here: BLAS ``np.dot`` for rank-1 products (``bench/rank1.py``), in-place updates into its
own temporaries, ``ones @ d`` for bias gradients, and the fact that each target row sums to 1.
It uses typedprop's logistic formula ``1 / (1 + exp(-z))`` (in place, ``exp`` overflowing to inf
silently below -709); the logistic table compares it with ``0.5 * tanh(0.5 * z) + 0.5``, the
earlier formula, which cancels for ``z << 0``. Before timing, typedprop's loss and gradients
are checked against the hand-written ones with ``np.allclose``.

Run ``python bench/network.py`` (``--help`` for the options). On machines that set
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``, compare with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/network.py``; glibc's allocator
settings matter too (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Timing,
    Variant,
    fmt_us,
    minor_faults,
    paired_ratio,
    print_facts,
    ratio_table,
    round_robin,
    table,
    warn_if_noisy,
)
from typedprop import BVar, eval_bp_n, grad_bp_n
from typedprop.functions import cross_entropy, logistic

Array = NDArray[np.float64]
Params = tuple[Array, Array, Array, Array, Array, Array]
Grads = tuple[Array, ...]
SIZES = (784, 300, 100, 10)


def make_problem(
    batch: int, seed: int = 0, sizes: tuple[int, int, int, int] = SIZES
) -> tuple[Params, Array, Array]:
    """Parameters uniform in [-0.5, 0.5], inputs uniform in [0, 1), one-hot targets.

    ``batch == 1`` gives a vector input and target; otherwise one row per example.
    """
    rng = np.random.default_rng(seed)
    n0, n1, n2, n3 = sizes
    params: Params = (
        rng.uniform(-0.5, 0.5, (n1, n0)),
        rng.uniform(-0.5, 0.5, n1),
        rng.uniform(-0.5, 0.5, (n2, n1)),
        rng.uniform(-0.5, 0.5, n2),
        rng.uniform(-0.5, 0.5, (n3, n2)),
        rng.uniform(-0.5, 0.5, n3),
    )
    labels = rng.integers(0, n3, batch)
    onehot: Array = np.eye(n3)[labels]
    x: Array = rng.uniform(0.0, 1.0, (batch, n0))
    if batch == 1:
        return params, x[0], onehot[0]
    return params, x, onehot


# --- hand-written numpy, fastest found ---


def _logistic_inplace(z: Array) -> Array:
    """typedprop's ``1 / (1 + exp(-z))``, computed in ``z``'s own memory."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    np.divide(1.0, z, out=z)
    return z


def numpy_loss_1(p: Params, x: Array, t: Array) -> float:
    """The loss at batch 1: ``logsumexp(z) - t . z`` for a one-hot ``t`` (which sums to 1)."""
    w1, b1, w2, b2, w3, b3 = p
    z = np.dot(w1, x)
    z += b1
    h1 = _logistic_inplace(z)
    z = np.dot(w2, h1)
    z += b2
    h2 = _logistic_inplace(z)
    z = np.dot(w3, h2)
    z += b3
    z -= z.max()
    return math.log(np.exp(z).sum()) - float(np.dot(t, z))


def numpy_grad_1(p: Params, x: Array, t: Array) -> Grads:
    """The six gradients at batch 1; weight gradients are BLAS rank-1 products."""
    w1, b1, w2, b2, w3, b3 = p
    h1 = np.dot(w1, x)
    h1 += b1
    _logistic_inplace(h1)
    h2 = np.dot(w2, h1)
    h2 += b2
    _logistic_inplace(h2)
    d3 = np.dot(w3, h2)
    d3 += b3
    d3 -= d3.max()  # d3 = softmax(z3) - t, the fused cross-entropy gradient
    np.exp(d3, out=d3)
    d3 /= d3.sum()
    d3 -= t
    gw3 = np.dot(d3[:, None], h2[None, :])
    d2 = np.dot(d3, w3)  # then d2 *= h2 * (1 - h2), with h2's memory as the temporary
    d2 *= h2
    np.subtract(1.0, h2, out=h2)
    d2 *= h2
    gw2 = np.dot(d2[:, None], h1[None, :])
    d1 = np.dot(d2, w2)
    d1 *= h1
    np.subtract(1.0, h1, out=h1)
    d1 *= h1
    gw1 = np.dot(d1[:, None], x[None, :])
    return gw1, d1, gw2, d2, gw3, d3


def numpy_loss_n(p: Params, x: Array, t: Array) -> float:
    """The loss of a batch: ``sum(logsumexp(z_i)) - sum(t * z)`` (each row of ``t`` sums to 1)."""
    w1, b1, w2, b2, w3, b3 = p
    z = np.dot(x, w1.T)
    z += b1
    h1 = _logistic_inplace(z)
    z = np.dot(h1, w2.T)
    z += b2
    h2 = _logistic_inplace(z)
    z = np.dot(h2, w3.T)
    z += b3
    z -= z.max(axis=1, keepdims=True)
    return float(np.log(np.exp(z).sum(axis=1)).sum() - np.vdot(t, z))


def numpy_grad_n(p: Params, x: Array, t: Array) -> Grads:
    """The six gradients of a batch; bias gradients are ``ones @ d`` (faster than a sum)."""
    w1, b1, w2, b2, w3, b3 = p
    h1 = np.dot(x, w1.T)
    h1 += b1
    _logistic_inplace(h1)
    h2 = np.dot(h1, w2.T)
    h2 += b2
    _logistic_inplace(h2)
    d3 = np.dot(h2, w3.T)
    d3 += b3
    d3 -= d3.max(axis=1, keepdims=True)
    np.exp(d3, out=d3)
    d3 /= d3.sum(axis=1, keepdims=True)
    d3 -= t
    ones = np.ones(len(x))
    gw3 = np.dot(d3.T, h2)
    gb3 = np.dot(ones, d3)
    d2 = np.dot(d3, w3)
    d2 *= h2
    np.subtract(1.0, h2, out=h2)
    d2 *= h2
    gw2 = np.dot(d2.T, h1)
    gb2 = np.dot(ones, d2)
    d1 = np.dot(d2, w2)
    d1 *= h1
    np.subtract(1.0, h1, out=h1)
    d1 *= h1
    gw1 = np.dot(d1.T, x)
    gb1 = np.dot(ones, d1)
    return gw1, gb1, gw2, gb2, gw3, gb3


# --- hand-written numpy, the obvious way (reference only) ---


def _logistic(z: Array) -> Array:
    """The logistic as users write it."""
    r: Array = 1.0 / (1.0 + np.exp(-z))
    return r


def plain_loss(p: Params, x: Array, t: Array) -> float:
    """The loss written as the formulas read, batch 1 or a batch of rows."""
    w1, b1, w2, b2, w3, b3 = p
    h1 = _logistic(x @ w1.T + b1)
    h2 = _logistic(h1 @ w2.T + b2)
    z = h2 @ w3.T + b3
    s = z - z.max(axis=-1, keepdims=True)
    return float(-np.sum(t * (s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True)))))


def plain_grad(p: Params, x: Array, t: Array) -> Grads:
    """The gradients written as the formulas read (``np.outer`` at batch 1)."""
    w1, b1, w2, b2, w3, b3 = p
    h1 = _logistic(x @ w1.T + b1)
    h2 = _logistic(h1 @ w2.T + b2)
    z = h2 @ w3.T + b3
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    d3 = e / e.sum(axis=-1, keepdims=True) - t
    d2 = (d3 @ w3) * (h2 * (1.0 - h2))
    d1 = (d2 @ w2) * (h1 * (1.0 - h1))
    if x.ndim == 1:
        return np.outer(d1, x), d1, np.outer(d2, h1), d2, np.outer(d3, h2), d3
    return d1.T @ x, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0)


# --- typedprop ---


def typedprop_loss(x: Array, t: Array) -> Callable[..., BVar[float]]:
    """The loss as a function of the six parameters, for ``eval_bp_n``/``grad_bp_n``."""
    if x.ndim == 1:

        def loss_1(
            w1: BVar[Array],
            b1: BVar[Array],
            w2: BVar[Array],
            b2: BVar[Array],
            w3: BVar[Array],
            b3: BVar[Array],
        ) -> BVar[float]:
            h1 = logistic(w1 @ x + b1)
            h2 = logistic(w2 @ h1 + b2)
            return cross_entropy(w3 @ h2 + b3, t)

        return loss_1

    def loss_n(
        w1: BVar[Array],
        b1: BVar[Array],
        w2: BVar[Array],
        b2: BVar[Array],
        w3: BVar[Array],
        b3: BVar[Array],
    ) -> BVar[float]:
        h1 = logistic(x @ w1.T + b1)
        h2 = logistic(h1 @ w2.T + b2)
        return cross_entropy(h2 @ w3.T + b3, t)

    return loss_n


# --- checking and timing ---


def agree(
    batch: int,
    losses: dict[str, float],
    grads: dict[str, Grads],
    want_loss: float,
    want: Grads,
    params: Params,
) -> None:
    """Exit with a message unless every loss and gradient matches the hand-written ones."""
    for name, value in losses.items():
        if not np.allclose(value, want_loss, rtol=1e-12, atol=0.0):
            sys.exit(f"batch {batch}: {name} loss {value!r} != hand-written {want_loss!r}")
    names = ("W1", "b1", "W2", "b2", "W3", "b3")
    for name, got in grads.items():
        for k, (g, w, param) in enumerate(zip(got, want, params, strict=True)):
            if g.shape != param.shape or not np.allclose(g, w, rtol=1e-10, atol=1e-14):
                sys.exit(f"batch {batch}: {name} gradient of {names[k]} differs from hand-written")


def check(batch: int) -> None:
    """Every variant's loss and gradients agree (``np.allclose``) with the fastest numpy's."""
    p, x, t = make_problem(batch)
    loss = typedprop_loss(x, t)
    fast_loss, fast_grad = (
        (numpy_loss_1, numpy_grad_1) if batch == 1 else (numpy_loss_n, numpy_grad_n)
    )
    want_loss, want = fast_loss(p, x, t), fast_grad(p, x, t)
    losses = {
        "plain numpy": plain_loss(p, x, t),
        "eval_bp_n": float(eval_bp_n(loss, *p)),
    }
    grads = {"plain numpy": plain_grad(p, x, t), "grad_bp_n": grad_bp_n(loss, *p)}
    agree(batch, losses, grads, want_loss, want, p)
    print(
        f"# batch {batch}: loss {want_loss:.6f}; typedprop and plain numpy agree with the "
        f"hand-written loss and all 6 gradients (np.allclose)"
    )


def variants(batch: int) -> list[Variant]:
    p, x, t = make_problem(batch)
    loss = typedprop_loss(x, t)
    fast_loss, fast_grad = (
        (numpy_loss_1, numpy_grad_1) if batch == 1 else (numpy_loss_n, numpy_grad_n)
    )
    return [
        Variant("numpy loss", lambda: fast_loss(p, x, t)),
        Variant("typedprop eval_bp_n", lambda: eval_bp_n(loss, *p)),
        Variant("numpy grad", lambda: fast_grad(p, x, t)),
        Variant("typedprop grad_bp_n", lambda: grad_bp_n(loss, *p)),
        Variant("numpy loss, plain", lambda: plain_loss(p, x, t)),
        Variant("numpy grad, plain", lambda: plain_grad(p, x, t)),
    ]


def report(
    batch: int, timings: list[Timing], faults: list[float | None], target: dict[str, float]
) -> None:
    by = {tm.name: tm for tm in timings}
    base = {"loss": by["numpy loss"], "grad": by["numpy grad"]}

    def reference(tm: Timing) -> Timing:
        return base["loss" if "loss" in tm.name or "eval" in tm.name else "grad"]

    print(f"## batch {batch}\n")
    print(ratio_table(timings, faults, reference, target))
    print()
    warn_if_noisy(timings)


def logistic_table(rounds: int, sample_s: float) -> None:
    """The two logistic formulas, allocating and in place, on the hidden layers' shapes."""
    rng = np.random.default_rng(1)
    rows = []
    for shape in [(300,), (100,), (128, 300), (128, 100)]:
        z: Array = rng.standard_normal(shape)

        def tanh_form(z: Array = z) -> Array:
            return 0.5 * np.tanh(0.5 * z) + 0.5

        def exp_form(z: Array = z) -> Array:
            return 1.0 / (1.0 + np.exp(-z))

        def tanh_inplace(z: Array = z) -> Array:
            r = np.multiply(z, 0.5)
            np.tanh(r, out=r)
            r *= 0.5
            r += 0.5
            return r

        def exp_inplace(z: Array = z) -> Array:
            r = np.negative(z)
            np.exp(r, out=r)
            r += 1.0
            np.reciprocal(r, out=r)
            return r

        assert np.allclose(tanh_form(), exp_form())
        ts = round_robin(
            [
                Variant("tanh", tanh_form),
                Variant("exp", exp_form),
                Variant("tanh in place", tanh_inplace),
                Variant("exp in place", exp_inplace),
            ],
            rounds,
            sample_s,
        )
        rows.append(
            [str(shape)]
            + [fmt_us(tm.median) for tm in ts]
            + [f"{paired_ratio(ts[1], ts[0]):.3f}", f"{paired_ratio(ts[3], ts[2]):.3f}"]
        )
    print("## logistic: 0.5*tanh(0.5*z)+0.5 (tanh) against 1/(1+exp(-z)) (exp), median µs\n")
    headers = ["shape", "tanh", "exp", "tanh in place", "exp in place", "exp/tanh", "in place"]
    print(table(headers, rows))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 128])
    parser.add_argument("--rounds", type=int, default=200, help="samples per variant")
    parser.add_argument("--sample-ms", type=float, default=2.0, help="length of one sample")
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads")
    parser.add_argument("--no-logistic", action="store_true", help="skip the logistic table")
    args = parser.parse_args()

    limit: AbstractContextManager[object] = nullcontext()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    with limit:
        print_facts()
        for batch in args.batch:
            check(batch)
        print()
        for batch in args.batch:
            target = {"typedprop eval_bp_n": 1.05}
            target["typedprop grad_bp_n"] = 1.10 if batch == 1 else 1.05
            vs = variants(batch)
            timings = round_robin(vs, args.rounds, args.sample_ms / 1e3)
            report(batch, timings, [minor_faults(v.call) for v in vs], target)
        if not args.no_logistic:
            logistic_table(max(20, args.rounds // 4), args.sample_ms / 1e3)
    print(
        "ratio: median over rounds of (variant / hand-written of the same kind); "
        "IQR: 25th-75th percentile of the per-round samples; "
        "faults: minor page faults per call, counted after the timing"
    )


if __name__ == "__main__":
    main()
