"""Rank-1 products (outer products) of two vectors: which numpy spelling is fastest.

At batch 1 the gradient of a weight matrix ``W`` in ``W @ x + b`` is the outer product of the
output's gradient ``g`` and the input ``x``; typedprop's ``OUTER`` op
(``typedprop/_arith.py:_outer``) and ``bench/network.py``'s hand-written gradient compute it as
``np.dot(g[:, None], x[None, :])``. This measures that choice against the alternatives, for the
three weight shapes of the 784-300-100-10 network, with the BLAS thread count as loaded and
limited to 1:

- ``np.dot(a[:, None], b[None, :])``: a BLAS matrix product with inner dimension 1;
- ``np.outer(a, b)``;
- ``A.T @ B`` with ``A = a[None, :]`` and ``B = b[None, :]`` (1-row matrices): ``np.matmul``;
- ``a[:, None] * b[None, :]``: a broadcast multiply (``np.outer`` computes this).

Run ``python bench/rank1.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Variant,
    fmt_us,
    paired_ratio,
    print_facts,
    round_robin,
    table,
    warn_if_noisy,
)

Array = NDArray[np.float64]

SPELLINGS: list[tuple[str, Callable[[Array, Array], Array]]] = [
    ("np.dot(a[:, None], b[None, :])", lambda a, b: np.dot(a[:, None], b[None, :])),
    ("np.outer(a, b)", lambda a, b: np.outer(a, b)),
    ("a[None, :].T @ b[None, :]", lambda a, b: a[None, :].T @ b[None, :]),
    ("a[:, None] * b[None, :]", lambda a, b: a[:, None] * b[None, :]),
]
SHAPES = [(300, 784), (100, 300), (10, 100)]


def measure(threads: int | None, rounds: int, sample_s: float) -> list[list[str]]:
    limit: AbstractContextManager[object] = nullcontext()
    if threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(threads)
    rows = []
    with limit:
        for m, n in SHAPES:
            rng = np.random.default_rng(0)
            a, b = rng.standard_normal(m), rng.standard_normal(n)
            want = np.outer(a, b)
            for name, f in SPELLINGS:
                if not np.allclose(f(a, b), want, rtol=1e-15, atol=0.0):
                    sys.exit(f"{name} differs from np.outer at {m}x{n}")
            vs = [Variant(name, functools.partial(f, a, b)) for name, f in SPELLINGS]
            ts = round_robin(vs, rounds, sample_s)
            warn_if_noisy(ts)
            fastest = min(ts, key=lambda t: t.median)
            for t in ts:
                rows.append(
                    [
                        f"{m}x{n}",
                        "as loaded" if threads is None else str(threads),
                        t.name,
                        fmt_us(t.median),
                        f"{paired_ratio(t, ts[0]):.2f}",
                        "fastest" if t is fastest else "",
                    ]
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100, help="samples per variant")
    parser.add_argument("--sample-ms", type=float, default=2.0, help="length of one sample")
    args = parser.parse_args()
    print_facts()
    rows = measure(None, args.rounds, args.sample_ms / 1e3)
    try:
        rows += measure(1, args.rounds, args.sample_ms / 1e3)
    except ImportError:
        print("# threadpoolctl not installed: no 1-thread measurement\n")
    print("## a (m,) and b (n,) to the m x n matrix of a[i] * b[j], median µs\n")
    headers = ["m x n", "BLAS threads", "spelling", "median µs", "vs np.dot", ""]
    print(table(headers, rows))
    print("\nvs np.dot: median over rounds of (this spelling / np.dot of the same round)")


if __name__ == "__main__":
    main()
