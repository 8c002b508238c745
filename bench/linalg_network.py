"""The 784-300-100-10 network written with ``typedprop.linalg``, against hand-written numpy.

The network, data and hand-written baselines are ``bench/network.py``'s: two logistic hidden
layers, a softmax output with a cross-entropy loss, float64, fixed-seed data. Here the
parameters are a ``@model`` record whose fields are static-dimension matrices and vectors,

```text
w1: Mat[300, 784]  b1: Vec[300]  w2: Mat[100, 300]  b2: Vec[100]  w3: Mat[10, 100]  b3: Vec[10]
```

built with ``Mat(array)``/``Vec(array)``. At batch 1 the input is a ``Vec[784]`` and a layer is
``(net ^ Net.w1) @ x + (net ^ Net.b1)``; at batch B it is a ``Mat[B, 784]`` of rows and a layer
is ``x @ tr(net ^ Net.w1) + (net ^ Net.b1)``. The one-hot target stays a plain array (the data).

Timed in one run, for each batch size:

- ``numpy loss`` / ``numpy grad``: ``bench/network.py``'s fastest hand-written forward pass and
  gradient (the baselines of the ratios);
- ``eval_bp, Vec/Mat record`` / ``grad_bp, Vec/Mat record``: the network above;
- ``eval_bp, array record`` / ``grad_bp, array record``: the same record with plain ``ndarray``
  fields and ``bench/network.py``'s layers (``W @ x + b``, ``x @ W.T + b``), to isolate what
  the ``Vec``/``Mat`` wrapping itself costs;
- ``eval_bp_n, 6 arrays`` / ``grad_bp_n, 6 arrays``: ``bench/network.py``'s six separate inputs,
  for reference.

Targets: ``grad_bp`` <= 1.15x hand-written at batch 1 and <= 1.05x at batch 128; ``eval_bp``
<= 1.10x at batch 1. Before timing, every variant's loss and six gradients are checked against
the hand-written ones with ``np.allclose`` (and the ``Vec``/``Mat`` record's gradient is checked
to be a record of ``Mat``/``Vec`` fields).

Run ``python bench/linalg_network.py`` (``--help`` for the options); on a shared machine, with
``--threads 1``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Timing,
    Variant,
    minor_faults,
    paired_ratio,
    print_facts,
    ratio_table,
    round_robin,
    table,
    warn_if_noisy,
)
from bench.network import (
    Grads,
    Params,
    agree,
    make_problem,
    numpy_grad_1,
    numpy_grad_n,
    numpy_loss_1,
    numpy_loss_n,
    typedprop_loss,
)
from typedprop import BVar, eval_bp, eval_bp_n, grad_bp, grad_bp_n, model
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, Vec, tr

Array = NDArray[np.float64]
B = TypeVar("B", bound=int)
N784 = Literal[784]
N300 = Literal[300]
N100 = Literal[100]
N10 = Literal[10]


@model
class Net:
    """The parameters as static-dimension matrices and vectors."""

    w1: Mat[N300, N784]
    b1: Vec[N300]
    w2: Mat[N100, N300]
    b2: Vec[N100]
    w3: Mat[N10, N100]
    b3: Vec[N10]


@model
class ArrayNet:
    """The same parameters as plain arrays."""

    w1: Array
    b1: Array
    w2: Array
    b2: Array
    w3: Array
    b3: Array


def as_net(p: Params) -> Net:
    w1, b1, w2, b2, w3, b3 = p
    return Net(Mat(w1), Vec(b1), Mat(w2), Vec(b2), Mat(w3), Vec(b3))


def net_grads(g: Net) -> Grads:
    """The six arrays of a ``Net`` gradient, after checking each is a ``Mat``/``Vec``."""
    fields = (g.w1, g.b1, g.w2, g.b2, g.w3, g.b3)
    kinds = tuple(type(f).__name__ for f in fields)
    if type(g) is not Net or kinds != ("Mat", "Vec") * 3:
        sys.exit(f"the gradient of a Net is a {type(g).__name__} of {kinds}")
    return tuple(f.array for f in fields)


def array_grads(g: ArrayNet) -> Grads:
    if type(g) is not ArrayNet:
        sys.exit(f"the gradient of an ArrayNet is a {type(g).__name__}")
    return g.w1, g.b1, g.w2, g.b2, g.w3, g.b3


# --- the losses ---


def net_loss_1(x: Vec[N784], t: Array) -> Callable[[BVar[Net]], BVar[float]]:
    """Batch 1: ``(net ^ Net.w1) @ x + (net ^ Net.b1)``, dimensions checked by mypy."""

    def loss(net: BVar[Net]) -> BVar[float]:
        h1 = logistic((net ^ Net.w1) @ x + (net ^ Net.b1))
        h2 = logistic((net ^ Net.w2) @ h1 + (net ^ Net.b2))
        return cross_entropy((net ^ Net.w3) @ h2 + (net ^ Net.b3), t)

    return loss


def net_loss_n(x: Mat[B, N784], t: Array) -> Callable[[BVar[Net]], BVar[float]]:
    """A batch of rows: ``x @ tr(net ^ Net.w1) + (net ^ Net.b1)``."""

    def loss(net: BVar[Net]) -> BVar[float]:
        h1 = logistic(x @ tr(net ^ Net.w1) + (net ^ Net.b1))
        h2 = logistic(h1 @ tr(net ^ Net.w2) + (net ^ Net.b2))
        return cross_entropy(h2 @ tr(net ^ Net.w3) + (net ^ Net.b3), t)

    return loss


def array_loss_1(x: Array, t: Array) -> Callable[[BVar[ArrayNet]], BVar[float]]:
    def loss(net: BVar[ArrayNet]) -> BVar[float]:
        h1 = logistic((net ^ ArrayNet.w1) @ x + (net ^ ArrayNet.b1))
        h2 = logistic((net ^ ArrayNet.w2) @ h1 + (net ^ ArrayNet.b2))
        return cross_entropy((net ^ ArrayNet.w3) @ h2 + (net ^ ArrayNet.b3), t)

    return loss


def array_loss_n(x: Array, t: Array) -> Callable[[BVar[ArrayNet]], BVar[float]]:
    def loss(net: BVar[ArrayNet]) -> BVar[float]:
        h1 = logistic(x @ (net ^ ArrayNet.w1).T + (net ^ ArrayNet.b1))
        h2 = logistic(h1 @ (net ^ ArrayNet.w2).T + (net ^ ArrayNet.b2))
        return cross_entropy(h2 @ (net ^ ArrayNet.w3).T + (net ^ ArrayNet.b3), t)

    return loss


# --- checking and timing ---


@dataclass(frozen=True)
class Problem:
    """The data, the parameters in each form, and each variant's loss function."""

    p: Params
    x: Array
    t: Array
    net: Net
    array_net: ArrayNet
    f_net: Callable[[BVar[Net]], BVar[float]]
    f_array: Callable[[BVar[ArrayNet]], BVar[float]]
    loss6: Callable[..., BVar[float]]
    hand_loss: Callable[[Params, Array, Array], float]
    hand_grad: Callable[[Params, Array, Array], Grads]


def problem(batch: int) -> Problem:
    p, x, t = make_problem(batch)
    if batch == 1:
        f_net, f_array = net_loss_1(Vec[N784](x), t), array_loss_1(x, t)
        hand_loss, hand_grad = numpy_loss_1, numpy_grad_1
    else:
        f_net, f_array = net_loss_n(Mat(x), t), array_loss_n(x, t)
        hand_loss, hand_grad = numpy_loss_n, numpy_grad_n
    return Problem(
        p,
        x,
        t,
        as_net(p),
        ArrayNet(*p),
        f_net,
        f_array,
        typedprop_loss(x, t),
        hand_loss,
        hand_grad,
    )


def check(batch: int) -> None:
    """Every variant's loss and six gradients agree (``np.allclose``) with the hand-written."""
    pr = problem(batch)
    p, x, t = pr.p, pr.x, pr.t
    want_loss, want = pr.hand_loss(p, x, t), pr.hand_grad(p, x, t)
    losses = {
        "eval_bp, Vec/Mat record": eval_bp(pr.f_net, pr.net),
        "eval_bp, array record": eval_bp(pr.f_array, pr.array_net),
        "eval_bp_n, 6 arrays": eval_bp_n(pr.loss6, *p),
    }
    grads = {
        "grad_bp, Vec/Mat record": net_grads(grad_bp(pr.f_net, pr.net)),
        "grad_bp, array record": array_grads(grad_bp(pr.f_array, pr.array_net)),
        "grad_bp_n, 6 arrays": grad_bp_n(pr.loss6, *p),
    }
    agree(batch, losses, grads, want_loss, want, p)
    print(
        f"# batch {batch}: loss {want_loss:.6f}; all {len(losses)} losses and "
        f"{len(grads)} x 6 gradients agree with the hand-written ones (np.allclose)"
    )


def variants(batch: int) -> list[Variant]:
    """Losses first, then gradients."""
    pr = problem(batch)
    p, x, t = pr.p, pr.x, pr.t
    return [
        Variant("numpy loss", lambda: pr.hand_loss(p, x, t)),
        Variant("eval_bp, Vec/Mat record", lambda: eval_bp(pr.f_net, pr.net)),
        Variant("eval_bp, array record", lambda: eval_bp(pr.f_array, pr.array_net)),
        Variant("eval_bp_n, 6 arrays", lambda: eval_bp_n(pr.loss6, *p)),
        Variant("numpy grad", lambda: pr.hand_grad(p, x, t)),
        Variant("grad_bp, Vec/Mat record", lambda: grad_bp(pr.f_net, pr.net)),
        Variant("grad_bp, array record", lambda: grad_bp(pr.f_array, pr.array_net)),
        Variant("grad_bp_n, 6 arrays", lambda: grad_bp_n(pr.loss6, *p)),
    ]


def _kind(name: str) -> str:
    return "loss" if "loss" in name or "eval" in name else "grad"


def report(
    batch: int, timings: list[Timing], faults: list[float | None], target: dict[str, float]
) -> None:
    by = {tm.name: tm for tm in timings}
    base = {"loss": by["numpy loss"], "grad": by["numpy grad"]}

    def reference(tm: Timing) -> Timing:
        return base[_kind(tm.name)]

    print(f"## batch {batch}\n")
    print(ratio_table(timings, faults, reference, target))
    print()
    # what the wrapping and the record cost, each against the next plainer spelling
    pairs = [
        ("eval_bp, Vec/Mat record", "eval_bp, array record"),
        ("eval_bp, array record", "eval_bp_n, 6 arrays"),
        ("grad_bp, Vec/Mat record", "grad_bp, array record"),
        ("grad_bp, array record", "grad_bp_n, 6 arrays"),
    ]
    rows = [
        [
            a,
            b,
            f"{paired_ratio(by[a], by[b]):.3f}",
            f"{by[a].median - by[b].median:+.1f}",
        ]
        for a, b in pairs
    ]
    print(f"### batch {batch}: the cost of the Vec/Mat wrapping and of the record\n")
    print(table(["variant", "against", "ratio", "Δ µs (medians)"], rows))
    print()
    warn_if_noisy(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 128])
    parser.add_argument("--rounds", type=int, default=200, help="samples per variant")
    parser.add_argument("--sample-ms", type=float, default=2.0, help="length of one sample")
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads")
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
            target = {"grad_bp, Vec/Mat record": 1.15 if batch == 1 else 1.05}
            if batch == 1:
                target["eval_bp, Vec/Mat record"] = 1.10
            vs = variants(batch)
            timings = round_robin(vs, args.rounds, args.sample_ms / 1e3)
            report(batch, timings, [minor_faults(v.call) for v in vs], target)
    print(
        "ratio: median over rounds of (variant / hand-written of the same kind, or / the "
        "'against' variant); IQR: 25th-75th percentile of the per-round samples; "
        "faults: minor page faults per call, counted after the timing"
    )


if __name__ == "__main__":
    main()
