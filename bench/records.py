"""What reading parameters out of ``@model`` records costs, against tuples and separate inputs.

The network and loss are ``bench/network.py``'s (two logistic hidden layers, a softmax output
with a cross-entropy loss, float64, the same fixed-seed data), at two sizes: the 784-300-100-10
network, where numpy's work dominates, and an 8-4-3-2 one, where it is negligible and the
engine's bookkeeping is all there is. Every variant computes the same six-argument loss,
``bench/network.py:typedprop_loss``; they differ only in how its six parameter ``BVar``s are
obtained from the input given to ``grad_bp``:

- ``tuple, sequence_var``: the input is a tuple ``(W1, b1, W2, b2, W3, b3)`` and the function
  starts with ``sequence_var(p)`` (the baseline of the ratios);
- ``grad_bp_n, 6 inputs``: the six arrays are six inputs of ``grad_bp_n``, no container;
- ``flat, lens``: a ``@model`` record ``Flat`` with six array fields, read ``net ^ Flat.w1``;
- ``flat, split_bv``: the same record, read ``split_bv(net).w1``;
- ``nested, lens``: a ``@model`` record ``Network`` of three ``Layer`` records (``weight`` and
  ``bias``), each layer read once (``l1 = net ^ Network.layer1``) and then its two fields;
- ``nested, lens path``: the same record, each field read from the top,
  ``net ^ Network.layer1 ^ Layer.weight``, so each layer is read twice;
- ``nested, split_bv``: ``split_bv(net)``, then ``split_bv`` of each layer;
- ``numpy grad``: ``bench/network.py``'s fastest hand-written gradient, for scale.

Each parameter array is read exactly once by the loss. At batch 1 the input is a vector and a
layer is ``W @ x + b``; at batch B it is a matrix of rows and a layer is ``x @ W.T + b``. The
issue's target, the record read by lenses within 1.05x of the tuple, is marked on the three lens
variants. Before timing,
every variant's six gradients (and the gradient's type: a tuple, a ``Flat``, a ``Network``) are
checked against the hand-written ones with ``np.allclose``.

Run ``python bench/records.py`` (``--help`` for the options); on a shared machine, with
``--threads 1``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TypeVar

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
    round_robin,
    table,
    warn_if_noisy,
)
from bench.network import (
    Grads,
    Params,
    make_problem,
    numpy_grad_1,
    numpy_grad_n,
    typedprop_loss,
)
from typedprop import BVar, grad_bp, grad_bp_n, model, sequence_var, split_bv

Array = NDArray[np.float64]
R = TypeVar("R")
Sizes = tuple[int, int, int, int]
SIZES: dict[str, Sizes] = {"784-300-100-10": (784, 300, 100, 10), "8-4-3-2": (8, 4, 3, 2)}
BASELINE = "tuple, sequence_var"
TARGET = 1.05  # record (lens) / tuple, from the issue
LENS_VARIANTS = ("flat, lens", "nested, lens", "nested, lens path")


@model
class Flat:
    """The six parameters as the fields of one record."""

    w1: Array
    b1: Array
    w2: Array
    b2: Array
    w3: Array
    b3: Array


@model
class Layer:
    """One layer's parameters."""

    weight: Array
    bias: Array


@model
class Network:
    """Three layers, each a record of its own."""

    layer1: Layer
    layer2: Layer
    layer3: Layer


def as_flat(p: Params) -> Flat:
    return Flat(*p)


def as_nested(p: Params) -> Network:
    w1, b1, w2, b2, w3, b3 = p
    return Network(Layer(w1, b1), Layer(w2, b2), Layer(w3, b3))


def flat_grads(g: Flat) -> Grads:
    return g.w1, g.b1, g.w2, g.b2, g.w3, g.b3


def nested_grads(g: Network) -> Grads:
    layers = (g.layer1, g.layer2, g.layer3)
    return tuple(a for layer in layers for a in (layer.weight, layer.bias))


# --- the losses: one six-argument loss, six ways to get its arguments ---

Loss6 = Callable[..., BVar[float]]


def tuple_loss(loss: Loss6) -> Callable[[BVar[Params]], BVar[float]]:
    def f(p: BVar[Params]) -> BVar[float]:
        return loss(*sequence_var(p))

    return f


def flat_lens_loss(loss: Loss6) -> Callable[[BVar[Flat]], BVar[float]]:
    def f(net: BVar[Flat]) -> BVar[float]:
        return loss(
            net ^ Flat.w1,
            net ^ Flat.b1,
            net ^ Flat.w2,
            net ^ Flat.b2,
            net ^ Flat.w3,
            net ^ Flat.b3,
        )

    return f


def flat_split_loss(loss: Loss6) -> Callable[[BVar[Flat]], BVar[float]]:
    def f(net: BVar[Flat]) -> BVar[float]:
        s = split_bv(net)
        return loss(s.w1, s.b1, s.w2, s.b2, s.w3, s.b3)

    return f


def nested_lens_loss(loss: Loss6) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        l1 = net ^ Network.layer1
        l2 = net ^ Network.layer2
        l3 = net ^ Network.layer3
        return loss(
            l1 ^ Layer.weight,
            l1 ^ Layer.bias,
            l2 ^ Layer.weight,
            l2 ^ Layer.bias,
            l3 ^ Layer.weight,
            l3 ^ Layer.bias,
        )

    return f


def nested_path_loss(loss: Loss6) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        return loss(
            net ^ Network.layer1 ^ Layer.weight,
            net ^ Network.layer1 ^ Layer.bias,
            net ^ Network.layer2 ^ Layer.weight,
            net ^ Network.layer2 ^ Layer.bias,
            net ^ Network.layer3 ^ Layer.weight,
            net ^ Network.layer3 ^ Layer.bias,
        )

    return f


def nested_split_loss(loss: Loss6) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        s = split_bv(net)
        l1, l2, l3 = split_bv(s.layer1), split_bv(s.layer2), split_bv(s.layer3)
        return loss(l1.weight, l1.bias, l2.weight, l2.bias, l3.weight, l3.bias)

    return f


# --- checking and timing ---


Unpack = Callable[[object], Grads]  # a variant's result as the six gradient arrays


def _typed(g: object, cls: type[R]) -> R:
    """``g``, checked to be a ``cls`` (a record's gradient is a record of its type)."""
    if type(g) is not cls:
        sys.exit(f"a gradient of a {cls.__name__} is a {type(g).__name__}")
    return g


def _six(g: object) -> Grads:
    if not isinstance(g, tuple) or len(g) != 6:
        sys.exit(f"expected 6 gradient arrays, got a {type(g).__name__}")
    return g


def _flat(g: object) -> Grads:
    return flat_grads(_typed(g, Flat))


def _nested(g: object) -> Grads:
    return nested_grads(_typed(g, Network))


def variants(sizes: Sizes, batch: int) -> list[tuple[Variant, Unpack]]:
    """The timed calls, each with the way to read the six gradients from its result."""
    p, x, t = make_problem(batch, sizes=sizes)
    loss = typedprop_loss(x, t)
    flat, nested = as_flat(p), as_nested(p)
    hand = numpy_grad_1 if batch == 1 else numpy_grad_n
    f_tuple = tuple_loss(loss)
    f_flat, f_flat_split = flat_lens_loss(loss), flat_split_loss(loss)
    f_nested, f_path = nested_lens_loss(loss), nested_path_loss(loss)
    f_nested_split = nested_split_loss(loss)
    return [
        (Variant(BASELINE, lambda: grad_bp(f_tuple, p)), _six),
        (Variant("grad_bp_n, 6 inputs", lambda: grad_bp_n(loss, *p)), _six),
        (Variant("flat, lens", lambda: grad_bp(f_flat, flat)), _flat),
        (Variant("flat, split_bv", lambda: grad_bp(f_flat_split, flat)), _flat),
        (Variant("nested, lens", lambda: grad_bp(f_nested, nested)), _nested),
        (Variant("nested, lens path", lambda: grad_bp(f_path, nested)), _nested),
        (Variant("nested, split_bv", lambda: grad_bp(f_nested_split, nested)), _nested),
        (Variant("numpy grad", lambda: hand(p, x, t)), _six),
    ]


def check(name: str, sizes: Sizes, batch: int) -> None:
    """Every variant's six gradients agree (``np.allclose``) with the hand-written ones."""
    p, x, t = make_problem(batch, sizes=sizes)
    want = (numpy_grad_1 if batch == 1 else numpy_grad_n)(p, x, t)
    cases = variants(sizes, batch)
    names = ("W1", "b1", "W2", "b2", "W3", "b3")
    for variant, unpack in cases:
        got = unpack(variant.call())
        for k, (g, w, param) in enumerate(zip(got, want, p, strict=True)):
            if g.shape != param.shape or not np.allclose(g, w, rtol=1e-10, atol=1e-14):
                sys.exit(f"{name} batch {batch}: {variant.name} gradient of {names[k]} differs")
    print(
        f"# {name}, batch {batch}: all {len(cases)} variants' 6 gradients agree with the "
        f"hand-written ones (np.allclose)"
    )


def report(title: str, timings: list[Timing], faults: list[float | None]) -> None:
    by = {tm.name: tm for tm in timings}
    base = by[BASELINE]
    rows = []
    for tm, pf in zip(timings, faults, strict=True):
        q1, q3 = tm.iqr
        ratio = paired_ratio(tm, base)
        verdict = ""
        if tm.name in LENS_VARIANTS:
            verdict = ("pass" if ratio <= TARGET else "FAIL") + f" (<= {TARGET:.2f})"
        rows.append(
            [
                tm.name,
                fmt_us(tm.median),
                f"{fmt_us(q1)}-{fmt_us(q3)}",
                f"{ratio:.3f}",
                f"{tm.median / base.median:.3f}",
                f"{tm.median - base.median:+.1f}",
                "?" if pf is None else f"{pf:.0f}",
                verdict,
            ]
        )
    print(f"## {title}\n")
    headers = [
        "variant",
        "median µs",
        "IQR µs",
        "ratio",
        "ratio of medians",
        "Δ µs",
        "faults",
        "target",
    ]
    print(table(headers, rows))
    print()
    warn_if_noisy(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
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
        for name in args.sizes:
            for batch in args.batch:
                check(name, SIZES[name], batch)
        print()
        for name in args.sizes:
            for batch in args.batch:
                vs = [v for v, _ in variants(SIZES[name], batch)]
                timings = round_robin(vs, args.rounds, args.sample_ms / 1e3)
                report(f"{name}, batch {batch}", timings, [minor_faults(v.call) for v in vs])
    print(
        f"ratio: median over rounds of (variant / {BASELINE} of the same round); "
        f"Δ µs: difference of the medians; IQR: 25th-75th percentile of the per-round samples; "
        "faults: minor page faults per call, counted after the timing"
    )


if __name__ == "__main__":
    main()
