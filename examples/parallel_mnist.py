"""Handwritten digits trained data-parallel: examples/mnist.py's network, on Dask workers.

The network, data, options and progress bar are ``examples/mnist.py``'s; only the gradient of
each mini-batch is computed differently. The training images are cut into one part per worker
and sent to a local Dask cluster once (``typedprop.parallel.scatter``); each step sends the
network and the batch's row numbers, every worker computes the gradient over its rows of the
batch, and the parts' gradients are added up on the workers (``value_and_grad_sum``). The batches
are mnist.py's (the same seed gives the same rows), so with the same options both reach the same
accuracy. Data parallelism pays when a batch's gradient costs much more than a step's traffic,
so the default batch here is 128 images (mnist.py's is 16); ``--address`` uses a running
cluster instead of starting one.

    python examples/parallel_mnist.py --workers 2            # digits
    python examples/parallel_mnist.py --idx ~/mnist --batch 1024
    python examples/parallel_mnist.py --address tcp://scheduler:8786
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

if __package__ in (None, ""):  # run as a script: make the repository (and examples/) importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.mnist import (
    CLASSES,
    Array,
    Network,
    _positive,
    arguments,
    initial,
    load_or_exit,
    predict,
    progress_bar,
    report,
)
from typedprop import BVar, auto, parallel
from typedprop.data import batches
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, as_mat
from typedprop.optim import Adam

Part = tuple[int, Array, NDArray[np.intp]]  # the first row's number, the images, the labels


def parts(x: Array, y: NDArray[np.intp], count: int) -> list[Part]:
    """The training set in ``count`` parts of consecutive rows, as equal as can be."""
    starts = [int(len(x) * k / count) for k in range(count + 1)]
    return [(a, x[a:b], y[a:b]) for a, b in itertools.pairwise(starts)]


def part_loss(net: BVar[Network], part: Part, rows: NDArray[np.intp], size: int) -> BVar[float]:
    """This part's share of the batch's mean cross-entropy: its rows of the batch, over
    the whole batch's ``size`` (so the parts' losses add up to mnist.py's batch loss)."""
    start, images, labels = part
    mine = rows[(rows >= start) & (rows < start + len(labels))] - start
    x: Mat[Any, Any] = as_mat(images[mine], len(mine), images.shape[1])
    targets: Mat[Any, Literal[10]] = as_mat(np.eye(CLASSES)[labels[mine]], len(mine), CLASSES)
    return cross_entropy(net(auto(x)), targets) * (1.0 / size)


def train(
    args: argparse.Namespace,
    data: tuple[Array, Any, Array, Any],
    rng: np.random.Generator,
    sharded: parallel.ShardedData[Part],
) -> tuple[Network, list[float], float]:
    """mnist.py's mini-batch Adam, each batch's gradient summed over the workers' parts."""
    x_train, _, x_test, y_test = data
    net = initial(x_train.shape[1], rng)
    opt = Adam(lr=args.lr)
    state = opt.init(net)
    history: list[float] = []
    x_test_m: Mat[Any, Any] = Mat(x_test)
    epochs = 2 if args.quick else args.epochs
    per_epoch = -(-len(x_train) // args.batch)
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        order = batches(np.arange(len(x_train)), batch_size=args.batch, rng=rng)
        bar = progress_bar(order, per_epoch, f"epoch {epoch}/{epochs}", args.quiet)
        for (rows,) in bar:
            step_loss = partial(part_loss, rows=rows, size=len(rows))
            value, grad = parallel.value_and_grad_sum(step_loss, net, sharded)
            state, net = opt.step(state, net, grad)
            history.append(value)
            if isinstance(bar, tqdm):  # drawn at tqdm's next redraw, and at once the first time
                bar.set_postfix(loss=f"{value:.4f}", refresh=len(history) == 1)
        accuracy = float(np.mean(predict(net, x_test_m) == y_test))
        print(f"epoch {epoch}: test accuracy {accuracy:.2%}", flush=True)
    return net, history, accuracy


def main(argv: list[str] | None = None) -> float:
    """Parse the arguments, load the data, start (or join) a cluster, train; the accuracy."""
    parser = arguments(__doc__)
    parser.set_defaults(batch=128)
    parser.add_argument(
        "--workers", type=_positive(int), default=2, help="worker processes to start (2)"
    )
    parser.add_argument("--address", help="a running Dask scheduler's address, instead")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    data = load_or_exit(parser, args, rng)
    cluster: AbstractContextManager[Any] = (
        nullcontext() if args.address else parallel.Cluster(workers=args.workers)
    )
    with cluster as started:
        client = args.address or started.client
        x_train, y_train = data[0], data[1]
        with parallel.scatter(parts(x_train, y_train, args.workers), client) as sharded:
            print(f"{len(sharded)} parts of the training images on the workers", flush=True)
            began = time.perf_counter()
            net, history, accuracy = train(args, data, rng, sharded)
    report(args, data, net, history, accuracy, began)
    return accuracy


if __name__ == "__main__":
    main()
