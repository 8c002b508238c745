"""Shared timing and reporting for the benchmarks in ``bench/``.

Timing is round-robin: each round takes one sample of every variant, in an order that rotates
from round to round, so a burst of load from a neighbour on a shared machine hits all variants
alike. A sample is the mean time of ``number`` back-to-back calls (``number`` is calibrated so a
sample lasts about ``sample_s`` seconds); the reported figure is the median over the rounds. The
ratio of two variants is the median of their per-round ratios (each round's samples were taken
moments apart), with the ratio of the medians beside it. Python's garbage collector is paused
while sampling, as ``timeit`` does.
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Environment variables that change what numpy, OpenBLAS or malloc do; printed when set.
_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_ARENA_MAX",
)


@dataclass(frozen=True)
class Variant:
    """One thing to time: a label and a call with no arguments."""

    name: str
    call: Callable[[], object]


@dataclass(frozen=True)
class Timing:
    """The samples of one variant, in µs per call, one per round."""

    name: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def iqr(self) -> tuple[float, float]:
        """The 25th and 75th percentiles."""
        q = statistics.quantiles(self.samples, n=4)
        return q[0], q[2]


def _calibrate(call: Callable[[], object], sample_s: float) -> int:
    """How many calls make a sample of about ``sample_s`` seconds (after a warm-up)."""
    for _ in range(3):
        call()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        dt = time.perf_counter() - t0
        if dt >= sample_s / 4 or n >= 1 << 20:
            return max(1, round(n * sample_s / max(dt, 1e-9)))
        n *= 2


def round_robin(
    variants: Sequence[Variant],
    rounds: int,
    sample_s: float,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> list[Timing]:
    """Median-ready samples of every variant, interleaved (see the module docstring).

    ``clock`` may be ``time.process_time_ns``: the CPU time of this process, all its threads
    together, which a busy neighbour inflates far less than the wall clock (with one thread)."""
    numbers = [_calibrate(v.call, sample_s) for v in variants]
    samples: list[list[float]] = [[] for _ in variants]
    k = len(variants)
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for j in range(k):
                i = (r + j) % k
                call, n = variants[i].call, numbers[i]
                t0 = clock()
                for _ in range(n):
                    call()
                samples[i].append((clock() - t0) / n / 1e3)
    finally:
        if gc_was_enabled:
            gc.enable()
    return [Timing(v.name, s) for v, s in zip(variants, samples, strict=True)]


def fastest(
    candidates: Sequence[Variant],
    rounds: int,
    sample_s: float,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> tuple[Variant, str]:
    """The candidate with the smallest median in a short round-robin, and the table of them
    (for baselines: the fastest of the ways a user might write the same computation)."""
    ts = round_robin(candidates, rounds, sample_s, clock)
    best = min(range(len(ts)), key=lambda i: ts[i].median)
    rows = [[tm.name, fmt_us(tm.median), f"{paired_ratio(tm, ts[best]):.3f}"] for tm in ts]
    return candidates[best], table(["form", "median µs", "ratio to fastest"], rows)


def minor_faults(call: Callable[[], object], calls: int = 50) -> float | None:
    """Minor page faults per call: memory the allocator handed back to the system and took
    again. glibc's malloc returns freed memory at the top of its heap once more than its trim
    threshold is free, so a call whose peak memory crosses that line pays ~1 fault per 4 KiB
    on every call. ``None`` where ``resource`` is missing (not Unix)."""
    try:
        import resource
    except ImportError:
        return None
    call()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        call()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def paired_ratio(num: Timing, den: Timing) -> float:
    """The median over rounds of ``num``'s sample divided by ``den``'s sample of that round."""
    return statistics.median(a / b for a, b in zip(num.samples, den.samples, strict=True))


def warn_if_noisy(timings: Sequence[Timing], spread: float = 1.3) -> None:
    """Say so when a variant's samples spread widely: the machine was busy, rerun later.

    On a 2-core machine, another process on one core makes 2-thread BLAS calls wait for their
    second thread; then large products take many times longer and medians mean little.
    """
    noisy = [t.name for t in timings if t.iqr[1] > spread * t.iqr[0]]
    if noisy:
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
        print(
            f"WARNING: the 75th percentile is over {spread}x the 25th for {', '.join(noisy)} "
            f"(load {load}): the machine was busy; rerun when it is idle, or with --threads 1\n"
        )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded to line up in a terminal too."""
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def fmt_us(us: float) -> str:
    """A time in µs with about three significant figures."""
    if us >= 100:
        return f"{us:.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_summary() -> list[str]:
    """One line per BLAS/OpenMP library numpy loaded (threadpoolctl), or why there is none."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed: BLAS threads unknown"]
    lines = []
    for lib in threadpool_info():
        parts = [
            f"{lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version')}",
            f"threads={lib.get('num_threads')}",
        ]
        for key in ("architecture", "threading_layer"):
            if lib.get(key):
                parts.append(f"{key}={lib[key]}")
        lines.append(", ".join(parts))
    return lines or ["no BLAS or OpenMP library found by threadpoolctl"]


def _git_state() -> str:
    """The commit of the typedprop being measured, and whether its engine has local changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "typedprop"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "typedprop: not in a git checkout"
    return f"typedprop: commit {commit}" + (" with local changes" if dirty else "")


def machine_facts() -> list[str]:
    """Date, machine, versions, BLAS threads and the environment variables that matter."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    now = datetime.datetime.now(datetime.UTC)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    env = [f"{k}={os.environ[k]}" for k in _ENV_VARS if k in os.environ]
    return [
        f"date: {now:%Y-%m-%d %H:%M} UTC",
        f"cpu: {_cpu_model()}; nproc={usable} (cpu_count={os.cpu_count()}); load {load}",
        f"python {platform.python_version()}, numpy {np.__version__}, {sys.platform}",
        _git_state(),
        *(f"blas: {line}" for line in blas_summary()),
        "env: " + (" ".join(env) if env else f"none of {', '.join(_ENV_VARS[:2])}, ... set"),
    ]


def print_facts() -> None:
    for line in machine_facts():
        print(f"# {line}")
    print()


RATIO_HEADERS = ["variant", "median µs", "IQR µs", "ratio", "ratio of medians", "faults", "target"]


def ratio_table(
    timings: Sequence[Timing],
    faults: Sequence[float | None],
    reference: Callable[[Timing], Timing],
    target: dict[str, float],
) -> str:
    """Each variant's median, spread and paired ratio to its reference, with the target verdict."""
    rows = []
    for tm, pf in zip(timings, faults, strict=True):
        ref = reference(tm)
        q1, q3 = tm.iqr
        ratio = paired_ratio(tm, ref)
        goal = target.get(tm.name)
        verdict = (
            "" if goal is None else ("pass" if ratio <= goal else "FAIL") + f" (<= {goal:.2f})"
        )
        rows.append(
            [
                tm.name,
                fmt_us(tm.median),
                f"{fmt_us(q1)}-{fmt_us(q3)}",
                f"{ratio:.3f}",
                f"{tm.median / ref.median:.3f}",
                "?" if pf is None else f"{pf:.0f}",
                verdict,
            ]
        )
    return table(RATIO_HEADERS, rows)
