"""backprop's own benchmark, re-done: gradient, one descent step and the forward run of the
784-300-100-10 network, each in four styles, against hand-written numpy.

The styles (as in Haskell backprop's ``bench/bench.hs``), all on the nested ``Network`` record of
``bench/records.py`` (three ``Layer`` records of a weight and a bias):

- ``manual``: hand-written numpy, no typedprop: the faster, measured in the same run, of
  ``bench/network.py``'s tuned forms and the formulas as written, both with the logistic as
  users write it, ``1 / (1 + exp(-z))``;
- ``lens``: ``net ^ Network.layer1``, then ``layer ^ Layer.weight``, with typedprop's functions;
- ``split_bv``: ``split_bv(net)``, then ``split_bv`` of each layer;
- ``hybrid``: automatic differentiation only to chain the layers: a hand-written ``Op`` per
  layer (``W x + b``, gradient ``(Layer(g xᵀ, g), Wᵀ g)``), then the built-in logistic and fused
  cross-entropy.

Groups: ``gradient`` (``grad_bp``), ``descent`` (``net - 0.02 * grad``), ``run`` (``eval_bp``).
Every style's gradient is checked against the manual one before timing. Medians of
round-robin samples, ratios to ``manual`` paired by round (``bench/_harness.py``). The targets
(backprop's headline: a network run through the library costs "virtually zero overhead", the
hybrid style "almost overlaps" manual) are printed met or missed: every style's run, and the
hybrid gradient, within 1.05x of manual at batch 1 and 128.

Run ``python bench/styles.py --threads 1`` on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    Timing,
    Variant,
    fastest,
    paired_ratio,
    print_facts,
    ratio_table,
    round_robin,
    table,
    warn_if_noisy,
)
from bench.network import (
    Array,
    Grads,
    Params,
    make_problem,
    numpy_grad_1,
    numpy_grad_n,
    numpy_loss_1,
    numpy_loss_n,
    plain_grad,
    plain_loss,
)
from bench.records import Layer, Network, as_nested, nested_grads
from typedprop import BVar, auto, eval_bp, grad_bp, op2, split_bv
from typedprop.functions import cross_entropy, logistic
from typedprop.op import Lazy, lazy

SIZES = (784, 300, 100, 10)
RATE = 0.02
# issue 12's targets for backprop's headline: running a network through the library costs
# "virtually zero overhead", and the hybrid style "almost overlaps" manual
TARGETS = {
    "run, lens": 1.05,
    "run, split_bv": 1.05,
    "run, hybrid": 1.05,
    "gradient, hybrid": 1.05,
}


def affine(w: Any, b: Any, x: Any) -> Any:
    """``W x + b`` for a vector, ``x Wᵀ + b`` for a batch of rows."""
    return w @ x + b if np.ndim(x.value if type(x) is BVar else x) == 1 else x @ w.T + b


def lens_loss(x: Array, t: Array) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        h: Any = auto(x)
        for k, lens in enumerate((Network.layer1, Network.layer2, Network.layer3)):
            layer = net ^ lens
            z = affine(layer ^ Layer.weight, layer ^ Layer.bias, h)
            h = z if k == 2 else logistic(z)
        loss: BVar[float] = cross_entropy(h, t)
        return loss

    return f


def split_loss(x: Array, t: Array) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        s = split_bv(net)
        h: Any = auto(x)
        for k, layer in enumerate((s.layer1, s.layer2, s.layer3)):
            p = split_bv(layer)
            z = affine(p.weight, p.bias, h)
            h = z if k == 2 else logistic(z)
        loss: BVar[float] = cross_entropy(h, t)
        return loss

    return f


def _frozen(a: Array) -> Array:
    """A fresh array marked read-only, so that a record built from it need not copy it (a
    record copies every writeable array it is given, since the caller may still change it)."""
    a.setflags(write=False)
    return a


@op2
def layer_op(layer: Layer, x: Array) -> tuple[Array, Callable[[Array], tuple[Layer, Lazy[Array]]]]:
    """One layer's ``W x + b`` (or ``x Wᵀ + b``) with its hand-written gradient; the input's
    gradient is ``lazy``: computed for the hidden layers, never for the data."""
    w, b = layer.weight, layer.bias
    if x.ndim == 1:
        z = np.dot(w, x)
        z += b

        def pullback_1(g: Array) -> tuple[Layer, Lazy[Array]]:
            gx = lazy(lambda: np.dot(g, w))
            return Layer(_frozen(np.dot(g[:, None], x[None, :])), _frozen(g.copy())), gx

        return z, pullback_1
    z = np.dot(x, w.T)
    z += b

    def pullback_n(g: Array) -> tuple[Layer, Lazy[Array]]:
        gx = lazy(lambda: np.dot(g, w))
        return Layer(_frozen(np.dot(g.T, x)), _frozen(np.ones(len(g)) @ g)), gx

    return z, pullback_n


def hybrid_loss(x: Array, t: Array) -> Callable[[BVar[Network]], BVar[float]]:
    def f(net: BVar[Network]) -> BVar[float]:
        h: Any = auto(x)
        for k, lens in enumerate((Network.layer1, Network.layer2, Network.layer3)):
            z = layer_op(net ^ lens, h)
            h = z if k == 2 else logistic(z)
        loss: BVar[float] = cross_entropy(h, t)
        return loss

    return f


def manual_descent(
    hand_grad: Callable[[Params, Array, Array], Grads], p: Params, x: Array, t: Array
) -> Params:
    grads = hand_grad(p, x, t)
    w1, b1, w2, b2, w3, b3 = (a - RATE * g for a, g in zip(p, grads, strict=True))
    return w1, b1, w2, b2, w3, b3


def manual(
    batch: int, rounds: int, sample_s: float, clock: Callable[[], int]
) -> tuple[Any, Any, str]:
    """The fastest hand-written gradient and loss: ``bench/network.py``'s tuned forms (in
    place, BLAS rank-1 products) or the formulas as written, both with the logistic as users
    write it, ``1 / (1 + exp(-z))``, whichever measures faster here."""
    p, x, t = make_problem(batch, sizes=SIZES)
    tuned_grad = numpy_grad_1 if batch == 1 else numpy_grad_n
    tuned_loss = numpy_loss_1 if batch == 1 else numpy_loss_n
    grads = [("tuned gradient", tuned_grad), ("gradient as written", plain_grad)]
    losses = [("tuned loss", tuned_loss), ("loss as written", plain_loss)]
    g, g_table = fastest(
        [Variant(n, partial(f, p, x, t)) for n, f in grads], rounds, sample_s, clock
    )
    lo, l_table = fastest(
        [Variant(n, partial(f, p, x, t)) for n, f in losses], rounds, sample_s, clock
    )
    return dict(grads)[g.name], dict(losses)[lo.name], g_table + "\n\n" + l_table


def style_variants(
    name: str, f: Callable[[BVar[Network]], BVar[float]], net: Network
) -> list[Variant]:
    """The three groups for one style."""
    return [
        Variant(f"gradient, {name}", lambda: grad_bp(f, net)),
        Variant(f"descent, {name}", lambda: net - RATE * grad_bp(f, net)),
        Variant(f"run, {name}", lambda: eval_bp(f, net)),
    ]


def variants(
    batch: int,
    hand_grad: Callable[[Params, Array, Array], Grads],
    hand_loss: Callable[[Params, Array, Array], float],
) -> tuple[list[Variant], dict[str, str]]:
    p, x, t = make_problem(batch, sizes=SIZES)
    net = as_nested(p)
    expected = hand_grad(p, x, t)
    styles = {"lens": lens_loss(x, t), "split_bv": split_loss(x, t), "hybrid": hybrid_loss(x, t)}
    for name, f in styles.items():
        got = nested_grads(grad_bp(f, net))
        for g, e in zip(got, expected, strict=True):
            if not np.allclose(g, e, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"the {name} style's gradient differs from the manual one")
        if not np.isclose(eval_bp(f, net), hand_loss(p, x, t)):
            raise AssertionError(f"the {name} style's loss differs from the manual one")
    found = [
        Variant("gradient, manual", lambda: hand_grad(p, x, t)),
        Variant("descent, manual", lambda: manual_descent(hand_grad, p, x, t)),
        Variant("run, manual", lambda: hand_loss(p, x, t)),
    ]
    group: dict[str, str] = {v.name: v.name for v in found}
    for name, f in styles.items():
        found += style_variants(name, f, net)
    for v in found:
        group[v.name] = v.name.split(",")[0] + ", manual"
    return found, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 128])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--sample-ms", type=float, default=60.0)
    parser.add_argument("--threads", type=int, help="limit BLAS threads (threadpoolctl)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: the process's CPU time, steadier on a busy machine (with --threads 1)",
    )
    args = parser.parse_args()
    sample_s = args.sample_ms / 1e3
    clock = time.process_time_ns if args.clock == "cpu" else time.perf_counter_ns
    limit: AbstractContextManager[Any] = nullcontext()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    verdicts: list[list[str]] = []
    with limit:
        print_facts()
        for batch in args.batch:
            hand_grad, hand_loss, forms = manual(batch, max(5, args.rounds // 3), sample_s, clock)
            print(f"\n## batch {batch}: the hand-written forms\n\n{forms}")
            found, group = variants(batch, hand_grad, hand_loss)
            timings = round_robin(found, args.rounds, sample_s, clock)
            by = {tm.name: tm for tm in timings}

            def reference(
                tm: Timing, by: dict[str, Timing] = by, group: dict[str, str] = group
            ) -> Timing:
                return by[group[tm.name]]

            order = sorted(timings, key=lambda tm: (tm.name.split(",")[0], tm.name))
            print(f"\n## batch {batch}\n")
            print(ratio_table(order, [None] * len(order), reference, TARGETS))
            warn_if_noisy(timings)
            for name, goal in TARGETS.items():
                ratio = paired_ratio(by[name], reference(by[name]))
                met = "met" if ratio <= goal else "**missed**"
                verdicts.append(
                    [f"{name} <= {goal:.2f}x manual", f"batch {batch}", f"{ratio:.2f}x", met]
                )
    print("\n## Targets\n")
    print(table(["target", "where", "measured", ""], verdicts))


if __name__ == "__main__":
    main()
