"""The 784-300-100-10 network's gradient under typedprop, hand-written numpy, and the peers.

The peers, each where installed (none is a dependency of typedprop): autograd, PyTorch (eager,
CPU) and JAX (without and with ``jit``), all in float64 on the same parameters and data as
``bench/network.py``. Every gradient is checked against the hand-written one before timing.
Timing is round-robin with medians (``bench/_harness.py``); the thread settings are printed.

    python bench/peers.py --threads 1 --plot docs/peers.png

``--threads`` limits numpy's BLAS (threadpoolctl), PyTorch (``torch.set_num_threads``) and
XLA (``XLA_FLAGS``, set before JAX is imported) alike.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Timing,
    Variant,
    fmt_us,
    paired_ratio,
    print_facts,
    round_robin,
    table,
    warn_if_noisy,
)
from bench.network import Array, Params, make_problem, numpy_grad_1, numpy_grad_n, typedprop_loss
from typedprop import grad_bp_n


def _optional(name: str) -> Any:
    """A module if it is installed, else ``None`` (the peers are not dependencies)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# --- the same loss in each library (logistic as 0.5 tanh(z/2) + 0.5, as typedprop's) ---


def autograd_grad(p: Params, x: Array, t: Array) -> Callable[[], Any] | None:
    ag = _optional("autograd")
    if ag is None:
        return None
    anp = importlib.import_module("autograd.numpy")

    def logistic(z: Any) -> Any:
        return 0.5 * anp.tanh(0.5 * z) + 0.5

    def loss(params: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if x.ndim == 1:
            h1 = logistic(anp.dot(w1, x) + b1)
            h2 = logistic(anp.dot(w2, h1) + b2)
            z = anp.dot(w3, h2) + b3
        else:
            h1 = logistic(anp.dot(x, w1.T) + b1)
            h2 = logistic(anp.dot(h1, w2.T) + b2)
            z = anp.dot(h2, w3.T) + b3
        lse = anp.log(anp.sum(anp.exp(z - anp.max(z, axis=-1, keepdims=True)), axis=-1))
        lse = lse + anp.max(z, axis=-1)
        return anp.sum(lse * anp.sum(t, axis=-1)) - anp.sum(t * z)

    grad = ag.grad(loss)
    return lambda: grad(list(p))


def torch_grad(p: Params, x: Array, t: Array) -> Callable[[], Any] | None:
    torch = _optional("torch")
    if torch is None:
        return None
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in p]
    xt = torch.tensor(x, dtype=torch.float64)
    tt = torch.tensor(t, dtype=torch.float64)

    def logistic(z: Any) -> Any:
        return 0.5 * torch.tanh(0.5 * z) + 0.5

    def call() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if xt.ndim == 1:
            h1 = logistic(w1 @ xt + b1)
            h2 = logistic(w2 @ h1 + b2)
            z = w3 @ h2 + b3
        else:
            h1 = logistic(xt @ w1.T + b1)
            h2 = logistic(h1 @ w2.T + b2)
            z = h2 @ w3.T + b3
        loss = -(tt * torch.log_softmax(z, dim=-1)).sum()
        return torch.autograd.grad(loss, params)

    return call


def jax_grad(p: Params, x: Array, t: Array, jit: bool) -> Callable[[], Any] | None:
    jax = _optional("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = importlib.import_module("jax.numpy")

    def logistic(z: Any) -> Any:
        return 0.5 * jnp.tanh(0.5 * z) + 0.5

    def loss(params: Any, xs: Any, ts: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = logistic(xs @ w1.T + b1)
        h2 = logistic(h1 @ w2.T + b2)
        z = h2 @ w3.T + b3
        return -(ts * jax.nn.log_softmax(z, axis=-1)).sum()

    grad = jax.grad(loss)
    if jit:
        grad = jax.jit(grad)
    params = [jnp.asarray(a) for a in p]
    xs, ts = jnp.asarray(x), jnp.asarray(t)

    def call() -> Any:
        return jax.block_until_ready(grad(params, xs, ts))

    return call


# --- running ---


def variants(batch: int) -> tuple[list[Variant], list[str]]:
    p, x, t = make_problem(batch)
    hand = numpy_grad_1 if batch == 1 else numpy_grad_n
    expected = hand(p, x, t)
    f = typedprop_loss(x, t)
    found = [
        Variant("numpy, hand-written", lambda: hand(p, x, t)),
        Variant("typedprop grad_bp_n", lambda: grad_bp_n(f, *p)),
    ]
    missing = []
    peers: list[tuple[str, Callable[[], Any] | None]] = [
        ("autograd", autograd_grad(p, x, t)),
        ("PyTorch eager", torch_grad(p, x, t)),
        ("JAX, no jit", jax_grad(p, x, t, jit=False)),
        ("JAX, jit", jax_grad(p, x, t, jit=True)),
    ]
    for name, call in peers:
        if call is None:
            missing.append(name)
            continue
        got = [np.asarray(g) for g in call()]
        for g, e in zip(got, expected, strict=True):
            if not np.allclose(g, e, rtol=1e-8, atol=1e-10):
                raise AssertionError(f"{name}'s gradient differs from the hand-written one")
        found.append(Variant(name, call))
    ours = [np.asarray(g) for g in grad_bp_n(f, *p)]
    assert all(
        np.allclose(g, e, rtol=1e-8, atol=1e-10) for g, e in zip(ours, expected, strict=True)
    )
    return found, missing


def report(batch: int, timings: list[Timing]) -> str:
    base = timings[0]
    rows = [[t.name, fmt_us(t.median), f"{paired_ratio(t, base):.3f}"] for t in timings]
    return table(["variant", "median µs", "ratio to hand-written"], rows)


def plot(path: str, results: dict[int, list[Timing]]) -> None:
    plt = importlib.import_module("matplotlib.pyplot")
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4))
    axes = np.atleast_1d(axes)
    for ax, (batch, timings) in zip(axes, results.items(), strict=True):
        names = [t.name for t in timings]
        ax.barh(names, [t.median for t in timings], color=["#888"] + ["#36c"] + ["#c63"] * 4)
        ax.invert_yaxis()
        ax.set_xlabel("median µs per gradient (less is better)")
        ax.set_title(f"784-300-100-10 gradient, batch {batch}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 128])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sample-ms", type=float, default=100.0)
    parser.add_argument("--threads", type=int, help="limit BLAS, PyTorch and XLA threads")
    parser.add_argument("--plot", help="write a PNG bar chart")
    args = parser.parse_args()
    if args.threads is not None:
        os.environ["XLA_FLAGS"] = (
            f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={args.threads}"
        )
        torch = _optional("torch")
        if torch is not None:
            torch.set_num_threads(args.threads)
        limiter = _optional("threadpoolctl")
        if limiter is not None:
            limiter.threadpool_limits(args.threads)
    print_facts()
    torch = _optional("torch")
    print(
        f"threads: requested {args.threads}; PyTorch {torch.get_num_threads() if torch else '-'}; "
        f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '(unset)')}"
    )
    results: dict[int, list[Timing]] = {}
    for batch in args.batch:
        vs, missing = variants(batch)
        timings = round_robin(vs, args.rounds, args.sample_ms / 1e3)
        warn_if_noisy(timings)
        results[batch] = timings
        print(f"\n## batch {batch}\n")
        print(report(batch, timings))
        if missing:
            print(f"\nnot installed: {', '.join(missing)}")
    if args.plot:
        plot(args.plot, results)


if __name__ == "__main__":
    main()
