"""What one ``BVar`` operation costs beyond numpy's own work, on arrays of 3 elements.

Each row is a chain of ``N`` applications of one operation, ``z = op(z, y)`` (or ``op(z)``),
starting from ``z = x``, with ``x`` and ``y`` arrays of 3 elements (``W`` a 3x3 rotation for
``@``). The values stay bounded, so every number is an ordinary float. For exp, a chain of
``exp`` alone cannot stay bounded, so that row alternates ``exp`` and ``log``.

Columns, all in µs per operation (the figure for a chain of ``N`` minus that for an empty chain,
divided by ``N``, so the runner's fixed cost is left out and shown separately):

- ``numpy``: the chain on plain arrays;
- ``eval_bp``: under ``eval_bp2`` (the operators dispatch, nothing is recorded);
- ``record``: under ``backprop_with2``, which records the tape; the pullback is not called;
- ``overhead``: ``record - numpy``, the recording overhead (the project's aim: <= 1 µs);
- ``fwd+bwd``: ``grad_bp2`` of ``sum_elements`` of the chain: recording and the reverse sweep,
  including the vector-Jacobian products' own numpy work (e.g. two multiplies for ``*``) and
  adding up the gradient of ``y``, which every link uses.

Run ``python bench/overhead.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import Variant, fmt_us, print_facts, round_robin, table, warn_if_noisy
from typedprop import backprop_with2, eval_bp2, grad_bp2
from typedprop.functions import exp, log, logistic, sum_elements, tanh

Array = NDArray[np.float64]
Step = Callable[[Any, Any, int], Any]  # (z, y, link number) -> the next z

X: Array = np.array([0.3, -0.2, 0.5])
Y: Array = np.array([1.001, 0.999, 1.0005])  # near 1: products and quotients stay bounded
SMALL: Array = np.array([1e-3, -2e-3, 3e-3])
_C, _S = np.cos(0.1), np.sin(0.1)
ROTATION: Array = np.array([[_C, -_S, 0.0], [_S, _C, 0.0], [0.0, 0.0, 1.0]])


def _exp_log(z: Any, y: Any, i: int) -> Any:
    return exp(z) if i % 2 == 0 else log(z)


def _np_exp_log(z: Any, y: Any, i: int) -> Any:
    return np.exp(z) if i % 2 == 0 else np.log(z)


# name, the step with typedprop's functions, the same step in numpy, and the chain's y
OPS: list[tuple[str, Step, Step, Array]] = [
    ("z + y", lambda z, y, i: z + y, lambda z, y, i: z + y, SMALL),
    ("z - y", lambda z, y, i: z - y, lambda z, y, i: z - y, SMALL),
    ("z * y", lambda z, y, i: z * y, lambda z, y, i: z * y, Y),
    ("z / y", lambda z, y, i: z / y, lambda z, y, i: z / y, Y),
    ("exp(z), log(z) alternating", _exp_log, _np_exp_log, Y),
    ("tanh(z)", lambda z, y, i: tanh(z), lambda z, y, i: np.tanh(z), Y),
    (
        "logistic(z)",
        lambda z, y, i: logistic(z),
        lambda z, y, i: 1.0 / (1.0 + np.exp(-z)),  # typedprop's formula, without its errstate
        Y,
    ),
    ("W @ z (3x3 @ 3)", lambda z, w, i: w @ z, lambda z, w, i: w @ z, ROTATION),
]


def chain(step: Step, n: int) -> Callable[[Any, Any], Any]:
    def run(x: Any, y: Any) -> Any:
        z = x
        for i in range(n):
            z = step(z, y, i)
        return z

    return run


def variants(step: Step, np_step: Step, y: Array, n: int) -> list[Variant]:
    """numpy, eval_bp, record and fwd+bwd, each for a chain of ``n`` (``n = 0``: fixed cost)."""
    f = chain(step, n)
    g = chain(np_step, n)

    def scalar(x: Any, y: Any) -> Any:
        return sum_elements(f(x, y))

    return [
        Variant("numpy", lambda: g(X, y)),
        Variant("eval_bp", lambda: eval_bp2(f, X, y)),
        Variant("record", lambda: backprop_with2(f, X, y)),
        Variant("fwd+bwd", lambda: grad_bp2(scalar, X, y)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", type=int, default=100, help="operations per chain (N)")
    parser.add_argument("--rounds", type=int, default=60, help="samples per variant")
    parser.add_argument("--sample-ms", type=float, default=2.0, help="length of one sample")
    args = parser.parse_args()
    n, rounds, sample_s = args.length, args.rounds, args.sample_ms / 1e3

    print_facts()
    with np.errstate(all="raise"):  # the chains must stay finite: no inf or nan timings
        for _, step, np_step, y in OPS:
            for v in variants(step, np_step, y, n):
                v.call()

    rows = []
    fixed: dict[str, list[float]] = {}
    for name, step, np_step, y in OPS:
        # the empty chain and the chain of n, interleaved in the same rounds
        vs = [Variant(f"{v.name}/0", v.call) for v in variants(step, np_step, y, 0)]
        vs += [Variant(f"{v.name}/n", v.call) for v in variants(step, np_step, y, n)]
        timings = round_robin(vs, rounds, sample_s)
        warn_if_noisy(timings)
        ts = {t.name: t for t in timings}
        per_op = {}
        for kind in ("numpy", "eval_bp", "record", "fwd+bwd"):
            t0, t1 = ts[f"{kind}/0"], ts[f"{kind}/n"]
            per_op[kind] = statistics.median(
                (b - a) / n for a, b in zip(t0.samples, t1.samples, strict=True)
            )
            fixed.setdefault(kind, []).append(t0.median)
        overhead = per_op["record"] - per_op["numpy"]
        rows.append(
            [
                name,
                fmt_us(per_op["numpy"]),
                fmt_us(per_op["eval_bp"]),
                fmt_us(per_op["record"]),
                fmt_us(overhead),
                "yes" if overhead <= 1.0 else "no",
                fmt_us(per_op["fwd+bwd"]),
            ]
        )
    print(f"## µs per operation, arrays of 3 elements, chains of {n} (medians)\n")
    headers = ["operation", "numpy", "eval_bp", "record", "overhead", "<= 1 µs", "fwd+bwd"]
    print(table(headers, rows))
    print()
    print("## fixed cost of one call with an empty chain (median µs)\n")
    what = {
        "numpy": "the chain function alone (x returned)",
        "eval_bp": "eval_bp2(f, x, y)",
        "record": "backprop_with2(f, x, y)",
        "fwd+bwd": "grad_bp2 of sum_elements(x)",
    }
    fixed_rows = [[k, what[k], fmt_us(statistics.median(v))] for k, v in fixed.items()]
    print(table(["column", "call", "µs"], fixed_rows))


if __name__ == "__main__":
    main()
