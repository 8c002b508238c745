"""The 784-300-100-10 network's gradient under typedprop, hand-written numpy and the peers.

One run measures the whole table: every library, three configurations and two thread settings.

- Configurations: batch 1 in the row layout (``x (1, 784)``, a layer is ``x @ W + b``), batch 1
  in the vector layout (``x (784,)``, ``W @ x + b``) and batch 128 in the row layout.
- Rows: hand-written numpy (the fastest of the forms in ``bench/handwritten.py``, chosen by a
  short measurement of them all in each configuration, then timed again with the others),
  PyTorch eager, JAX ``jit(grad)`` and ``grad`` without ``jit``, autograd, a minimal list-based
  tape (about 80 lines, below: the floor of a Python tape), typedprop ``grad_bp_n`` on six
  arrays, typedprop ``grad_bp`` on an ``@model`` record of ``Mat``/``Vec`` read through lenses,
  ``typedprop.compile_grad`` where that exists, and ``eval_bp_n`` against the hand-written
  forward pass.
- Thread settings: each runs in a fresh process of this script (``--child``), so that
  ``XLA_FLAGS`` is set before JAX is imported; BLAS is limited with threadpoolctl and PyTorch
  with ``torch.set_num_threads``.

Logistic hidden layers, softmax cross-entropy summed over the batch, float64, parameters uniform
in [-0.5, 0.5] (``bench/network.py``'s), the same numbers in every layout. Each library is
written as its users would: ``torch.sigmoid`` and ``F.cross_entropy``, ``jax.nn.sigmoid`` and
``jax.nn.log_softmax``, ``1 / (1 + exp(-z))`` for autograd. Every gradient is checked against
the hand-written one (``np.allclose``) before timing. Timing is round-robin with medians
(``bench/_harness.py``); a ratio is paired by round within one process. The targets of the
project (see ``TARGETS`` below) are printed met or missed.

    python bench/peers.py                       # the table and the targets, a few minutes
    python bench/peers.py --markdown --plot docs/peers.png

The peers are not dependencies of typedprop: ``pip install -e '.[bench]'`` installs them
(PyTorch pinned to its CPU build). A peer that is missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Timing,
    Variant,
    fastest,
    fmt_us,
    machine_facts,
    paired_ratio,
    round_robin,
    table,
    warn_if_noisy,
)
from bench.handwritten import grad_forms, loss_forms
from bench.network import Array, Grads, Params, make_problem
from typedprop import BVar, eval_bp_n, grad_bp, grad_bp_n, model
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec

CONFIGS = ("B=1 row", "B=1 vector", "B=128")
THREADS = (1, 2)
INSTALL = "pip install -e '.[bench]'  (torch==2.13.0 CPU, jax, autograd, threadpoolctl)"

NUMPY = "numpy by hand"
TORCH = "PyTorch eager"
JAX_JIT = "JAX jit(grad)"
JAX = "JAX grad, no jit"
AUTOGRAD = "autograd"
TAPE = "minimal list tape"
TUPLE = "typedprop grad_bp_n, 6 arrays"
RECORD = "typedprop grad_bp, @model Mat/Vec"
COMPILED = "typedprop compile_grad"
FORWARD = "numpy forward by hand"
EVAL = "typedprop eval_bp_n"
TUPLE_SHORT = "grad_bp_n on arrays"
ROWS = (NUMPY, TORCH, JAX_JIT, JAX, AUTOGRAD, TAPE, TUPLE, RECORD, COMPILED)


def _optional(name: str) -> Any:
    """A module if it is installed, else ``None`` (the peers are not dependencies)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@dataclass(frozen=True)
class Problem:
    """One configuration: its layout, parameters in that layout, data and labels."""

    layout: Literal["vector", "rows"]
    p: Params
    x: Array
    t: Array
    labels: Array


def problem(config: str) -> Problem:
    """The same parameters and first examples in every configuration."""
    batch = 128 if config == "B=128" else 1
    (w1, b1, w2, b2, w3, b3), x, t = make_problem(batch)
    if config == "B=1 vector":
        return Problem("vector", (w1, b1, w2, b2, w3, b3), x, t, t.argmax(-1))
    rows: Params = (
        np.ascontiguousarray(w1.T),
        b1,
        np.ascontiguousarray(w2.T),
        b2,
        np.ascontiguousarray(w3.T),
        b3,
    )
    x2, t2 = np.atleast_2d(x), np.atleast_2d(t)
    return Problem("rows", rows, x2, t2, t2.argmax(-1))


# --- the peers, each written as its users would ---


def torch_grad(pr: Problem) -> Callable[[], Any] | None:
    torch = _optional("torch")
    if torch is None:
        return None
    functional = importlib.import_module("torch.nn.functional")
    params = [torch.tensor(a, requires_grad=True) for a in pr.p]
    x = torch.tensor(pr.x)
    labels = torch.tensor(pr.labels)
    vector = pr.layout == "vector"

    def call() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if vector:
            h1 = torch.sigmoid(w1 @ x + b1)
            h2 = torch.sigmoid(w2 @ h1 + b2)
            z = w3 @ h2 + b3
        else:
            h1 = torch.sigmoid(x @ w1 + b1)
            h2 = torch.sigmoid(h1 @ w2 + b2)
            z = h2 @ w3 + b3
        loss = functional.cross_entropy(z, labels, reduction="sum")
        return torch.autograd.grad(loss, params)

    return call


def jax_grad(pr: Problem, jit: bool) -> Callable[[], Any] | None:
    jax = _optional("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = importlib.import_module("jax.numpy")
    vector = pr.layout == "vector"

    def loss(params: Any, x: Any, t: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if vector:
            h1 = jax.nn.sigmoid(w1 @ x + b1)
            h2 = jax.nn.sigmoid(w2 @ h1 + b2)
            z = w3 @ h2 + b3
        else:
            h1 = jax.nn.sigmoid(x @ w1 + b1)
            h2 = jax.nn.sigmoid(h1 @ w2 + b2)
            z = h2 @ w3 + b3
        return -(t * jax.nn.log_softmax(z, axis=-1)).sum()

    grad = jax.jit(jax.grad(loss)) if jit else jax.grad(loss)
    params = [jnp.asarray(a) for a in pr.p]
    x, t = jnp.asarray(pr.x), jnp.asarray(pr.t)
    return lambda: jax.block_until_ready(grad(params, x, t))


def autograd_grad(pr: Problem) -> Callable[[], Any] | None:
    ag = _optional("autograd")
    if ag is None:
        return None
    anp = importlib.import_module("autograd.numpy")
    x, t, vector = pr.x, pr.t, pr.layout == "vector"

    def loss(params: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if vector:
            h1 = 1.0 / (1.0 + anp.exp(-(anp.dot(w1, x) + b1)))
            h2 = 1.0 / (1.0 + anp.exp(-(anp.dot(w2, h1) + b2)))
            z = anp.dot(w3, h2) + b3
        else:
            h1 = 1.0 / (1.0 + anp.exp(-(anp.dot(x, w1) + b1)))
            h2 = 1.0 / (1.0 + anp.exp(-(anp.dot(h1, w2) + b2)))
            z = anp.dot(h2, w3) + b3
        m = anp.max(z, axis=-1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(z - m), axis=-1)) + m[..., 0]
        return anp.sum(lse) - anp.sum(t * z)

    grad = ag.grad(loss)
    return lambda: grad(list(pr.p))


# --- a minimal list-based tape: the floor of recording and replaying in Python ---


class _Node:
    __slots__ = ("grad", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.grad: Any = None


def _acc(n: Any, g: Any) -> None:
    if type(n) is _Node:
        n.grad = g if n.grad is None else n.grad + g


def _val(a: Any) -> Any:
    return a.value if type(a) is _Node else a


class _Tape:
    """Records a closure per operation; ``backward`` runs them in reverse."""

    def __init__(self) -> None:
        self.ops: list[Callable[[], None]] = []

    def matmul(self, a: Any, b: Any) -> _Node:
        av, bv = _val(a), _val(b)
        out = _Node(av @ bv)

        def back() -> None:
            g = out.grad
            if type(a) is _Node:
                _acc(a, np.outer(g, bv) if g.ndim == 1 else g @ bv.T)
            if type(b) is _Node:
                _acc(b, g @ av if g.ndim == 1 else av.T @ g)

        self.ops.append(back)
        return out

    def add_bias(self, z: _Node, b: _Node) -> _Node:
        out = _Node(z.value + b.value)

        def back() -> None:
            _acc(z, out.grad)
            _acc(b, out.grad.sum(axis=0) if out.grad.ndim > 1 else out.grad)

        self.ops.append(back)
        return out

    def logistic(self, z: _Node) -> _Node:
        s = 1.0 / (1.0 + np.exp(-z.value))
        out = _Node(s)
        self.ops.append(lambda: _acc(z, out.grad * (s * (1.0 - s))))
        return out

    def cross_entropy(self, z: _Node, t: Array) -> _Node:
        e = np.exp(z.value - z.value.max(axis=-1, keepdims=True))
        s = e.sum(axis=-1, keepdims=True)
        out = _Node(float(np.sum(np.log(s)) - np.sum(t * np.log(e))))
        self.ops.append(lambda: _acc(z, out.grad * (e / s - t)))
        return out

    def grad(self, loss: _Node, inputs: Sequence[_Node]) -> Grads:
        loss.grad = 1.0
        for back in reversed(self.ops):
            back()
        return tuple(n.grad for n in inputs)


def tape_grad(pr: Problem) -> Callable[[], Grads]:
    vector = pr.layout == "vector"

    def call() -> Grads:
        tape = _Tape()
        ps = [_Node(a) for a in pr.p]
        w1, b1, w2, b2, w3, b3 = ps
        h: Any = pr.x
        for k, (w, b) in enumerate(((w1, b1), (w2, b2), (w3, b3))):
            z = tape.add_bias(tape.matmul(w, h) if vector else tape.matmul(h, w), b)
            h = z if k == 2 else tape.logistic(z)
        return tape.grad(tape.cross_entropy(h, pr.t), ps)

    return call


# --- typedprop ---


def tuple_loss(pr: Problem) -> Callable[..., BVar[float]]:
    """The loss of the six parameters, for ``grad_bp_n``/``eval_bp_n``."""
    x, t, vector = pr.x, pr.t, pr.layout == "vector"

    def loss(
        w1: BVar[Array],
        b1: BVar[Array],
        w2: BVar[Array],
        b2: BVar[Array],
        w3: BVar[Array],
        b3: BVar[Array],
    ) -> BVar[float]:
        if vector:
            h1 = logistic(w1 @ x + b1)
            h2 = logistic(w2 @ h1 + b2)
            return cross_entropy(w3 @ h2 + b3, t)
        h1 = logistic(x @ w1 + b1)
        h2 = logistic(h1 @ w2 + b2)
        return cross_entropy(h2 @ w3 + b3, t)

    return loss


@model
class Net:
    """The parameters as matrices and vectors (dimensions left to the data: two layouts)."""

    w1: Mat[Any, Any]
    b1: Vec[Any]
    w2: Mat[Any, Any]
    b2: Vec[Any]
    w3: Mat[Any, Any]
    b3: Vec[Any]


def record_loss(pr: Problem) -> Callable[[BVar[Net]], BVar[float]]:
    """The loss of a ``Net`` read through lenses, with ``Vec``/``Mat`` arithmetic."""
    t = pr.t
    if pr.layout == "vector":
        xv: Vec[Any] = Vec(pr.x)

        def loss_v(net: BVar[Net]) -> BVar[float]:
            h1 = logistic((net ^ Net.w1) @ xv + (net ^ Net.b1))
            h2 = logistic((net ^ Net.w2) @ h1 + (net ^ Net.b2))
            return cross_entropy((net ^ Net.w3) @ h2 + (net ^ Net.b3), t)

        return loss_v
    xm: Mat[Any, Any] = Mat(pr.x)

    def loss_r(net: BVar[Net]) -> BVar[float]:
        h1 = logistic(xm @ (net ^ Net.w1) + (net ^ Net.b1))
        h2 = logistic(h1 @ (net ^ Net.w2) + (net ^ Net.b2))
        return cross_entropy(h2 @ (net ^ Net.w3) + (net ^ Net.b3), t)

    return loss_r


def as_net(p: Params) -> Net:
    w1, b1, w2, b2, w3, b3 = p
    return Net(Mat(w1), Vec(b1), Mat(w2), Vec(b2), Mat(w3), Vec(b3))


def net_arrays(g: Net) -> Grads:
    fields = (g.w1, g.b1, g.w2, g.b2, g.w3, g.b3)
    kinds = tuple(type(f).__name__ for f in fields)
    if type(g) is not Net or kinds != ("Mat", "Vec") * 3:
        raise AssertionError(f"the gradient of a Net is a {type(g).__name__} of {kinds}")
    return tuple(f.array for f in fields)


# --- one configuration in one process ---


def _check(name: str, got: Sequence[Any], want: Grads, p: Params) -> None:
    for k, (g, w, a) in enumerate(zip(got, want, p, strict=True)):
        g = np.asarray(g)
        if g.shape != a.shape or not np.allclose(g, w, rtol=1e-8, atol=1e-11):
            raise AssertionError(f"{name}: gradient {k} differs from the hand-written one")


def measure(
    config: str, rounds: int, sample_s: float, peers: bool, cpu: bool = False
) -> dict[str, Any]:
    """Check every variant's gradient, pick numpy's fastest forms, time everything."""
    clock = time.process_time_ns if cpu else time.perf_counter_ns
    pr = problem(config)
    p, x, t = pr.p, pr.x, pr.t
    batch = len(x) if pr.layout == "rows" else 1
    forms = grad_forms(pr.layout, batch)
    want = forms[0].grad(p, x, t)
    for form in forms:
        _check(f"numpy ({form.name})", form.grad(p, x, t), want, p)
    grad_best, grad_table = fastest(
        [Variant(f.name, functools.partial(f.grad, p, x, t)) for f in forms],
        max(5, rounds // 4),
        sample_s,
        clock,
    )
    losses = loss_forms(pr.layout)
    want_loss = losses[0][1](p, x, t)
    loss_best, loss_table = fastest(
        [Variant(n, functools.partial(f, p, x, t)) for n, f in losses],
        max(5, rounds // 4),
        sample_s,
        clock,
    )

    f6 = tuple_loss(pr)
    frec, net = record_loss(pr), as_net(p)
    calls: dict[str, Callable[[], Any] | None] = {
        NUMPY: grad_best.call,
        TORCH: torch_grad(pr) if peers else None,
        JAX_JIT: jax_grad(pr, jit=True) if peers else None,
        JAX: jax_grad(pr, jit=False) if peers else None,
        AUTOGRAD: autograd_grad(pr) if peers else None,
        TAPE: tape_grad(pr),
        TUPLE: lambda: grad_bp_n(f6, *p),
        RECORD: lambda: grad_bp(frec, net),
        COMPILED: None,
    }
    compile_grad = getattr(importlib.import_module("typedprop"), "compile_grad", None)
    if compile_grad is not None:
        cg = compile_grad(f6)
        calls[COMPILED] = lambda: cg(*p)
    for name, call in calls.items():
        if call is not None:
            got = net_arrays(call()) if name == RECORD else call()
            _check(name, [np.asarray(g) for g in got], want, p)
    ev = float(eval_bp_n(f6, *p))
    for name, value in [(f"numpy forward ({n})", f(p, x, t)) for n, f in losses] + [(EVAL, ev)]:
        if not np.isclose(value, want_loss, rtol=1e-12, atol=0.0):
            raise AssertionError(
                f"{name}'s loss {value} differs from the hand-written {want_loss}"
            )

    variants = [Variant(n, c) for n, c in calls.items() if c is not None]
    variants += [Variant(FORWARD, loss_best.call), Variant(EVAL, lambda: eval_bp_n(f6, *p))]
    timings = round_robin(variants, rounds, sample_s, clock)
    warn_if_noisy(timings)
    return {
        "samples": {tm.name: tm.samples for tm in timings},
        "missing": [n for n, c in calls.items() if c is None and (peers or n == COMPILED)],
        "numpy grad form": grad_best.name,
        "numpy loss form": loss_best.name,
        "forms": grad_table + "\n\n" + loss_table,
    }


def child(
    threads: int, configs: Sequence[str], rounds: int, sample_s: float, peers: bool, cpu: bool
) -> Any:
    """Everything at one thread setting (``XLA_FLAGS`` must be set before JAX is imported)."""
    if threads == 1:
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    limiter = _optional("threadpoolctl")
    limit = limiter.threadpool_limits(threads) if limiter is not None else None
    torch = _optional("torch") if peers else None
    if torch is not None:
        torch.set_num_threads(threads)
    jax = _optional("jax") if peers else None
    versions = {
        "numpy": np.__version__,
        "torch": getattr(torch, "__version__", None),
        "jax": getattr(jax, "__version__", None),
        "autograd": _version("autograd") if peers else None,
    }
    results = {c: measure(c, rounds, sample_s, peers, cpu) for c in configs}
    if limit is not None:
        limit.restore_original_limits()
    return {
        "threads": threads,
        "clock": "CPU time of the process" if cpu else "wall clock",
        "limited": limiter is not None,
        "torch threads": torch.get_num_threads() if torch is not None else None,
        "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
        "versions": versions,
        "results": results,
    }


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


# --- merging, targets and reports ---

Results = dict[tuple[str, int], dict[str, Timing]]


def merge(runs: Sequence[Any]) -> Results:
    out: Results = {}
    for run in runs:
        for config, res in run["results"].items():
            out[config, run["threads"]] = {n: Timing(n, s) for n, s in res["samples"].items()}
    return out


@dataclass(frozen=True)
class Verdict:
    target: str
    where: str
    figure: str
    met: bool


def _ratio(r: dict[str, Timing], a: str, b: str) -> float:
    return paired_ratio(r[a], r[b])


def targets(res: Results, subject: str = TUPLE) -> list[Verdict]:
    """Issue 12's targets for ``subject`` (``grad_bp_n`` on arrays, or the compiled mode)."""
    out: list[Verdict] = []
    short = "grad_bp" if subject == TUPLE else "compile_grad"

    def add(target: str, where: str, ratio: float, limit: float, strict: bool = False) -> None:
        met = ratio < limit if strict else ratio <= limit
        out.append(Verdict(target, where, f"{ratio:.2f}x", met))

    for config, n in sorted(res, key=lambda k: (CONFIGS.index(k[0]), k[1])):
        r = res[config, n]
        if subject not in r:
            continue
        where = f"{config}, {n} thread{'s' * (n > 1)}"
        if config != "B=128":
            for peer in (TORCH, JAX_JIT):
                if peer in r:
                    faster = f"{short} faster than {peer}, batch 1"
                    add(faster, where, _ratio(r, subject, peer), 1, True)
            add(f"{short} <= 1.10x numpy by hand, batch 1", where, _ratio(r, subject, NUMPY), 1.10)
        else:
            add(
                f"{short} <= 1.05x numpy by hand, batch 128",
                where,
                _ratio(r, subject, NUMPY),
                1.05,
            )
            if TORCH in r:
                faster = f"{short} faster than {TORCH}, batch 128"
                add(faster, where, _ratio(r, subject, TORCH), 1, True)
            jit = [q[JAX_JIT].median for (c, _), q in res.items() if c == config and JAX_JIT in q]
            if jit:
                best = r[subject].median / min(jit)
                add(
                    f"{short} <= 1.15x JAX jit(grad) at its best threads, batch 128",
                    where,
                    best,
                    1.15,
                )
        if subject == TUPLE:
            add(f"@model Mat/Vec <= 1.05x {TUPLE_SHORT}", where, _ratio(r, RECORD, TUPLE), 1.05)
            add("eval_bp_n <= 1.05x numpy forward", where, _ratio(r, EVAL, FORWARD), 1.05)
    return out


def _cell(r: dict[str, Timing], name: str) -> str:
    if name not in r:
        return "-"
    if name == EVAL:
        ratio = _ratio(r, EVAL, FORWARD)
        return f"{fmt_us(r[EVAL].median)} vs {fmt_us(r[FORWARD].median)} ({ratio:.2f}x)"
    if name == NUMPY:
        return fmt_us(r[NUMPY].median)
    return f"{fmt_us(r[name].median)} ({_ratio(r, name, NUMPY):.2f}x)"


def summary(res: Results) -> tuple[list[str], list[list[str]]]:
    """The issue's table: a row per library, a column per configuration and thread setting."""
    cols = sorted(res, key=lambda k: (CONFIGS.index(k[0]), k[1]))
    headers = ["µs per gradient (ratio to numpy)"] + [
        f"{c}, {n} thread{'s' * (n > 1)}" for c, n in cols
    ]
    names = [n for n in (*ROWS, EVAL) if any(n in res[k] for k in cols)]
    labels = {EVAL: "typedprop eval_bp_n vs numpy forward"}
    rows = [[labels.get(n, n)] + [_cell(res[k], n) for k in cols] for n in names]
    return headers, rows


def verdict_table(vs: Sequence[Verdict]) -> str:
    return table(
        ["target", "where", "measured", ""],
        [[v.target, v.where, v.figure, "met" if v.met else "**missed**"] for v in vs],
    )


def verdict_matrix(vs: Sequence[Verdict], wheres: Sequence[str]) -> str:
    """The verdicts as a table: a row per target, a column per configuration and threads."""
    names = list(dict.fromkeys(v.target for v in vs))
    cell = {(v.target, v.where): f"{v.figure} {'met' if v.met else '**missed**'}" for v in vs}
    rows = [[n] + [cell.get((n, w), "") for w in wheres] for n in names]
    return table(["target", *wheres], rows)


def verdict_summary(vs: Sequence[Verdict]) -> str:
    """A row per target: the range of its figures and whether it is met everywhere."""
    rows = []
    for name in dict.fromkeys(v.target for v in vs):
        mine = [v for v in vs if v.target == name]
        figs = sorted(float(v.figure.rstrip("x")) for v in mine)
        span = f"{figs[0]:.2f}x" if figs[0] == figs[-1] else f"{figs[0]:.2f}-{figs[-1]:.2f}x"
        met = sum(v.met for v in mine)
        state = "met" if met == len(mine) else f"**missed** (met in {met} of {len(mine)})"
        rows.append([name, span, state])
    return table(["target", "measured", ""], rows)


def plot(path: str, res: Results) -> None:
    """Bars of median µs, a panel per configuration; bars past 4x numpy's fastest are cut and
    labelled with their value."""
    mpl = importlib.import_module("matplotlib")
    mpl.use("Agg")
    pyplot = importlib.import_module("matplotlib.pyplot")
    configs = sorted({c for c, _ in res}, key=CONFIGS.index)
    thread_set = sorted({n for _, n in res})
    fig, axes = pyplot.subplots(1, len(configs), figsize=(5.5 * len(configs), 4.5), sharey=True)
    axes = np.atleast_1d(axes)
    names = [n for n in ROWS if any(n in r for r in res.values())]
    ys = np.arange(len(names))
    height = 0.8 / len(thread_set)
    for ax, config in zip(axes, configs, strict=True):
        cap = 4 * min(res[config, n][NUMPY].median for n in thread_set)
        for j, n in enumerate(thread_set):
            r = res[config, n]
            vals = [r[name].median if name in r else np.nan for name in names]
            label = f"{n} thread{'s' * (n > 1)}"
            ax.barh(ys + j * height, np.minimum(vals, cap), height=height, label=label)
            for y, v in zip(ys + j * height, vals, strict=True):
                if v > cap:
                    ax.text(cap, y, f" {v:,.0f} ", va="center", ha="right", fontsize=7)
        ax.set_xlim(0, cap)
        ax.set_yticks(ys + height * (len(thread_set) - 1) / 2, names)
        ax.invert_yaxis()
        ax.set_xlabel("median µs per gradient (less is better)")
        ax.set_title(f"784-300-100-10 gradient, {config}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(thread_set))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


def report(runs: Sequence[Any], markdown: bool) -> Results:
    res = merge(runs)
    for run in runs:
        n = run["threads"]
        lim = "threadpoolctl" if run["limited"] else "NOT limited (threadpoolctl missing)"
        print(
            f"# {n} thread(s), {run.get('clock', 'wall clock')}: BLAS {lim}; "
            f"PyTorch threads {run['torch threads']}; "
            f"XLA_FLAGS={run['XLA_FLAGS'] or '(unset: XLA uses every core)'}"
        )
        print(f"# versions: {', '.join(f'{k} {v}' for k, v in run['versions'].items() if v)}")
        for config, r in run["results"].items():
            print(f"\n## {config}, {n} thread(s): hand-written numpy forms\n")
            print(r["forms"])
            if r["missing"]:
                print(f"\nnot measured: {', '.join(r['missing'])}")
    for (config, n), r in sorted(res.items(), key=lambda kv: (CONFIGS.index(kv[0][0]), kv[0][1])):
        base = r[NUMPY]
        rows = [
            [
                tm.name,
                fmt_us(tm.median),
                f"{paired_ratio(tm, r[FORWARD] if tm.name == EVAL else base):.3f}",
            ]
            for tm in r.values()
        ]
        print(f"\n## {config}, {n} thread(s)\n")
        print(table(["variant", "median µs", "ratio to numpy by hand"], rows))
    missing = sorted({m for run in runs for r in run["results"].values() for m in r["missing"]})
    peers_missing = [m for m in missing if m != COMPILED]
    if peers_missing:
        print(f"\nnot installed: {', '.join(peers_missing)}; install them with {INSTALL}")
    headers, rows = summary(res)
    print("\n## Summary\n")
    print(table(headers, rows))
    print("\n## Targets\n")
    verdicts = targets(res)
    print(verdict_table(verdicts))
    if any(COMPILED in r for r in res.values()):
        print("\n## The same targets for typedprop.compile_grad (informative)\n")
        print(verdict_table(targets(res, COMPILED)))
    met = sum(v.met for v in verdicts)
    print(f"\n{met} of {len(verdicts)} targets met")
    if markdown:
        print("\n## Markdown\n")
        print(table(["per gradient call, µs", *headers[1:]], rows))
        print()
        print(verdict_matrix(verdicts, headers[1:]))
        print()
        print(verdict_summary(verdicts))
    return res


def run_children(args: argparse.Namespace) -> list[Any]:
    runs = []
    for n in args.threads:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out)]
            cmd += ["--threads", str(n), "--rounds", str(args.rounds)]
            cmd += ["--sample-ms", str(args.sample_ms), "--configs", *args.configs]
            if args.no_peers:
                cmd.append("--no-peers")
            if args.clock == "cpu":
                cmd += ["--clock", "cpu"]
            print(f"# measuring with {n} thread(s)...", flush=True)
            subprocess.run(cmd, check=True)
            runs.append(json.loads(out.read_text()))
    return runs


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=list(THREADS))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--rounds", type=int, default=60, help="samples per variant")
    parser.add_argument("--sample-ms", type=float, default=5.0, help="length of one sample")
    parser.add_argument("--no-peers", action="store_true", help="numpy and typedprop only")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: time by the process's CPU time (all threads), steadier on a busy machine; "
        "meaningful with --threads 1",
    )
    parser.add_argument("--markdown", action="store_true", help="the tables for the docs")
    parser.add_argument("--plot", help="write a PNG chart to this path")
    parser.add_argument("--save", help="also write the raw samples to this JSON file")
    parser.add_argument("--load", help="report a saved run (--save) instead of measuring")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        (n,) = args.threads
        run = child(
            n,
            args.configs,
            args.rounds,
            args.sample_ms / 1e3,
            not args.no_peers,
            args.clock == "cpu",
        )
        Path(args.child).write_text(json.dumps(run))
        return
    if args.load:
        saved = json.loads(Path(args.load).read_text())
        facts, runs = saved["facts"], saved["runs"]
        print("\n".join(f"# {line}" for line in facts) + "\n")
    else:
        facts = machine_facts()
        print("\n".join(f"# {line}" for line in facts) + "\n")
        runs = run_children(args)
        if args.save:
            Path(args.save).write_text(json.dumps({"facts": facts, "runs": runs}))
    res = report(runs, args.markdown)
    if args.plot:
        plot(args.plot, res)


if __name__ == "__main__":
    main()
