"""Data-parallel gradients: one process against Dask worker processes, in one run.

The problem is ``bench/network.py``'s: the 784-300-100-10 network (two logistic hidden layers,
a cross-entropy loss, six float64 parameter arrays), here over a batch of 4,096 examples. Timed
round-robin (``bench/_harness.py``), the median of each:

- ``one process``: ``backprop`` of the loss over all 4,096 rows, BLAS at one thread;
- ``dask, K shards``: ``parallel.value_and_grad_sum`` over ``K`` shards scattered once to a
  ``LocalCluster`` of ``--workers`` processes (one thread each, BLAS at one thread: Dask's
  default for worker processes), the shards' gradients added in a tree on the workers;
- ``2 plain processes, no Dask``: two forked processes, each holding half the batch from the
  start, compute its gradient and send back only the loss: the ceiling of any data-parallel
  step on this machine at that moment (on a machine shared with other work, far below 2x);
- ``overhead, K shards``: the same step with a loss that does no work (its gradient has the
  parameters' shapes, all zeros): what a step costs in sending the parameters out, scheduling
  ``2K - 1`` tasks, adding ``K`` gradients and sending one back.

The speed-up is the median over rounds of ``one process / dask`` (each round's two samples taken
moments apart); the goal is 1.6x at 2 workers. Run ``python bench/parallel.py`` (``--help`` for
the options); it needs the ``parallel`` extra.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import Timing, Variant, fmt_us, paired_ratio, print_facts, round_robin, table
from bench.network import Array, Params, make_problem
from typedprop import BVar, backprop, parallel
from typedprop.functions import cross_entropy, logistic, sum_elements

Shard = tuple[Array, Array]


def loss(p: BVar[Params], shard: Shard) -> BVar[float]:
    """The network's cross-entropy summed over the shard's rows (``bench/network.py``'s)."""
    x, t = shard
    w1, b1, w2, b2, w3, b3 = (p[i] for i in range(6))
    h1 = logistic(x @ w1.T + b1)
    h2 = logistic(h1 @ w2.T + b2)
    total: BVar[float] = cross_entropy(h2 @ w3.T + b3, t)
    return total


def no_work(p: BVar[Params], shard: Shard) -> BVar[float]:
    """A loss that depends on one bias only: a step's cost without the network's arithmetic."""
    return sum_elements(p[5]) * 0.0


_HALF: dict[str, Any] = {}  # a ceiling process's half of the batch, set once when it starts


def _hold(params: Params, x: Array, t: Array) -> None:
    _HALF.update(params=params, x=x, t=t)


def _half_gradient() -> float:
    """The gradient over this process's half of the batch; only the loss goes back."""
    value, _ = backprop(lambda p: loss(p, (_HALF["x"], _HALF["t"])), _HALF["params"])
    return value


class Ceiling:
    """Two plain processes (no Dask), each holding half the batch, computing its gradient and
    sending nothing but the loss back: the most any data-parallel step could gain right now."""

    def __init__(self, params: Params, x: Array, t: Array) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        halves = np.array_split(np.arange(len(x)), 2)
        fork = multiprocessing.get_context("fork")
        self.pools = [
            ProcessPoolExecutor(1, fork, initializer=_hold, initargs=(params, x[h], t[h]))
            for h in halves
        ]

    def __call__(self) -> float:
        return sum(f.result() for f in [pool.submit(_half_gradient) for pool in self.pools])

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown()


def check(params: Params, shards: list[Shard], x: Array, t: Array, client: Any) -> None:
    """Exit unless the cluster's loss and gradients are the one process's (np.allclose)."""
    want_loss, want = backprop(lambda p: loss(p, (x, t)), params)
    got_loss, got = parallel.value_and_grad_sum(loss, params, shards, client)
    if not np.allclose(got_loss, want_loss, rtol=1e-12) or not all(
        np.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(got, want, strict=True)
    ):
        sys.exit("the cluster's loss or gradient differs from the one process's")
    print(f"# loss {want_loss:.6f}: the cluster's loss and 6 gradients agree (np.allclose)")


def split(x: Array, t: Array, k: int) -> list[Shard]:
    """``k`` shards of consecutive rows, as equal as can be."""
    return list(zip(np.array_split(x, k), np.array_split(t, k), strict=True))


def step(f: Callable[[BVar[Params], Shard], BVar[float]], params: Params, data: Any) -> Any:
    return lambda: parallel.value_and_grad_sum(f, params, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=4096, help="examples in the whole sum")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 16, 64])
    parser.add_argument("--rounds", type=int, default=9, help="samples per variant")

    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        print_facts()  # before Dask, which sets OPENBLAS_NUM_THREADS and others here
    with threadpool_limits(1), parallel.Cluster(workers=args.workers) as cluster:
        blas = cluster.client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS"))
        print(f"# {args.workers} workers, OPENBLAS_NUM_THREADS on each: {sorted(blas.values())}")
        params, x, t = make_problem(args.batch)
        check(params, split(x, t, args.shards[0]), x, t, cluster.client)
        data = {k: parallel.scatter(split(x, t, k), cluster.client) for k in args.shards}
        ceiling = Ceiling(params, x, t)
        variants = [
            Variant("one process", lambda: backprop(lambda p: loss(p, (x, t)), params)),
            Variant("2 plain processes, no Dask", ceiling),
        ]
        for k in args.shards:
            variants.append(Variant(f"dask, {k} shards", step(loss, params, data[k])))
            variants.append(Variant(f"overhead, {k} shards", step(no_work, params, data[k])))
        timings = round_robin(variants, args.rounds, sample_s=0.01)
        ceiling.close()
        report(timings, args)
        breakdown(params, x, t, data, cluster.client, args.rounds)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average at the end: {load} (on {os.cpu_count()} cores)")


def breakdown(
    params: Params, x: Array, t: Array, data: dict[int, Any], client: Any, rounds: int
) -> None:
    """Where a step's time goes, from Dask's task stream: the slowest worker's computing, the
    transfers between workers, and the rest (sending the parameters, scheduling, the result's
    return), beside one process's time for the whole batch measured just before each step."""
    from distributed import get_task_stream

    rows = []
    for k, sharded in data.items():
        samples: list[tuple[float, float, float, float]] = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            backprop(lambda p: loss(p, (x, t)), params)
            alone = time.perf_counter() - t0
            with get_task_stream(client) as stream:
                t0 = time.perf_counter()
                parallel.value_and_grad_sum(loss, params, sharded)
                wall = time.perf_counter() - t0
            spans = [
                (task["key"], span["action"], span["stop"] - span["start"])
                for task in stream.data
                for span in task["startstops"]
            ]
            compute = max(d for key, a, d in spans if a == "compute" and "-shards-" in key)
            moved = sum(d for _, a, d in spans if a == "transfer")
            samples.append((alone, wall, compute, moved))
        alone, wall, compute, moved = (statistics.median(c) for c in zip(*samples, strict=True))
        rows.append(
            [
                f"{k} shards",
                f"{1e3 * alone:.0f}",
                f"{1e3 * wall:.0f}",
                f"{1e3 * compute:.0f}",
                f"{1e3 * moved:.1f}",
                f"{1e3 * (wall - compute):.0f}",
            ]
        )
    print("## where a step's time goes (medians over rounds, ms)\n")
    headers = ["step", "one process", "step", "slowest worker computing", "transfers", "rest"]
    print(table(headers, rows))
    print(
        "\nThe slowest worker computes half the batch; when that takes as long as one process "
        "takes for the whole batch, the two workers did not have two free cores."
    )


def report(timings: list[Timing], args: argparse.Namespace) -> None:
    """The table: each variant's median and spread in ms, the speed-up over one process."""
    one = timings[0]
    rows = []
    for tm in timings:
        q1, q3 = tm.iqr
        speedup = "" if tm is one or "overhead" in tm.name else f"{paired_ratio(one, tm):.2f}x"
        if "plain" in tm.name:
            speedup += " (ceiling)"
        share = (
            f"{100 * tm.median / one.median:.0f}% of one process" if "overhead" in tm.name else ""
        )
        rows.append(
            [
                tm.name,
                fmt_us(tm.median / 1e3),
                f"{fmt_us(q1 / 1e3)}-{fmt_us(q3 / 1e3)}",
                speedup,
                share,
            ]
        )
    print(f"## the gradient over {args.batch} examples, {args.workers} worker processes\n")
    print(table(["variant", "median ms", "IQR ms", "speed-up", "overhead"], rows))
    print()
    first = next(tm for tm in timings if tm.name.startswith("dask"))
    goal = paired_ratio(one, first)
    verdict = "met" if goal >= 1.6 else f"missed by {1.6 - goal:.2f}x"
    ceiling = paired_ratio(one, timings[1])
    print(f"goal: a speed-up of 1.6x at {first.name}: {goal:.2f}x, {verdict}")
    print(f"ceiling: two plain processes computing a half each reached {ceiling:.2f}x")
    print(
        "speed-up: median over rounds of (one process / dask); IQR: 25th-75th percentile of "
        "the per-round samples; overhead: a step whose loss does no arithmetic"
    )


if __name__ == "__main__":
    main()
