"""typedprop.parallel: sums of shards' gradients on a real Dask LocalCluster and on executors."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import dask
import distributed  # before dask.config.set below: the config it sets must exist
import numpy as np
import pytest
from numpy.typing import NDArray

from examples import mnist, parallel_mnist
from typedprop import (
    Backprop,
    BVar,
    ParallelError,
    allclose,
    auto,
    backprop,
    model,
    parallel,
    register_backprop,
)
from typedprop.functions import cross_entropy, logistic, sum_elements
from typedprop.parallel import _Partial, _tree_sum

Array = NDArray[np.float64]
Shard = tuple[Array, Array]


@model
class Layer:
    weight: Array
    bias: Array


@model
class Net:
    hidden: Layer
    out: Layer


def make_net(seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)
    return Net(
        Layer(rng.normal(size=(5, 4)), rng.normal(size=5)),
        Layer(rng.normal(size=(3, 5)), rng.normal(size=3)),
    )


def make_data(rows: int, seed: int = 1) -> Shard:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, 4)), np.eye(3)[rng.integers(0, 3, rows)]


def split(data: Shard, cuts: list[int]) -> list[Shard]:
    x, t = data
    return list(zip(np.split(x, cuts), np.split(t, cuts), strict=True))


def net_loss(net: BVar[Net], shard: Shard) -> BVar[float]:
    """Cross-entropy summed over the shard's rows."""
    x, t = shard
    hidden = net ^ Net.hidden
    out = net ^ Net.out
    h = logistic(auto(x) @ (hidden ^ Layer.weight).T + (hidden ^ Layer.bias))
    return cross_entropy(h @ (out ^ Layer.weight).T + (out ^ Layer.bias), auto(t))


def tuple_loss(params: BVar[tuple[Array, Array]], shard: Shard) -> BVar[float]:
    """Squared error of a linear map, params a plain tuple of arrays."""
    x, t = shard
    w, b = params[0], params[1]
    err = auto(x) @ w + b - auto(t)
    return sum_elements(err * err)


def close(a: Any, b: Any) -> bool:
    """Records, tuples and arrays equal to float rounding."""
    return allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def cluster() -> Iterator[parallel.Cluster]:
    """Two worker processes of one thread, shared by the module's tests (start-up takes ~5 s).

    A task whose worker dies is retried once, not three times (Dask's default), so the test of
    a shard that always kills its worker costs two worker restarts.
    """
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        c = parallel.Cluster(workers=2)
    try:
        yield c
    finally:
        parallel._close_defaults()
        c.close()


# --- exactness ---


def test_record_gradient_is_the_one_process_gradient(cluster: parallel.Cluster) -> None:
    """A @model record's loss and gradient summed over 6 shards on 2 workers equal backprop's
    over the concatenated data, to float rounding; the gradient is a Net."""
    net, data = make_net(), make_data(60)
    loss, grad = parallel.value_and_grad_sum(
        net_loss, net, split(data, [7, 20, 21, 40, 52]), cluster.client
    )
    want_loss, want_grad = backprop(lambda n: net_loss(n, data), net)
    assert isinstance(grad, Net)
    assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)


def test_tuple_gradient_is_the_one_process_gradient(cluster: parallel.Cluster) -> None:
    """Params a tuple of arrays: the same exactness, the gradient a tuple."""
    rng = np.random.default_rng(2)
    params = (rng.normal(size=(4, 3)), rng.normal(size=3))
    data = make_data(33)
    loss, grad = parallel.value_and_grad_sum(
        tuple_loss, params, split(data, [10, 11, 30]), cluster.client
    )
    want_loss, want_grad = backprop(lambda p: tuple_loss(p, data), params)
    assert isinstance(grad, tuple) and np.isclose(loss, want_loss, rtol=1e-12)
    assert close(grad, want_grad)


# Random splits from a seeded generator rather than hypothesis: Dask's event-loop thread calls
# the random module while hypothesis draws, which hypothesis reports as a flaky strategy.
@pytest.mark.parametrize("seed", range(4))
def test_any_split_gives_the_same_sum(cluster: parallel.Cluster, seed: int) -> None:
    """However the rows are cut into shards (1 to 9 of 1 to 9 rows), the sum is backprop's."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 10, size=rng.integers(1, 10))
    data, net = make_data(int(sizes.sum()), seed=seed), make_net(seed)
    shards = split(data, [int(c) for c in np.cumsum(sizes)[:-1]])
    loss, grad = parallel.value_and_grad_sum(net_loss, net, shards, cluster.client)
    want_loss, want_grad = backprop(lambda n: net_loss(n, data), net)
    assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)


def test_workers_keep_freed_memory_for_the_next_step(cluster: parallel.Cluster) -> None:
    """Cluster's workers start with glibc's trim and mmap thresholds raised (Dask's own 64 KiB
    trim threshold makes every large temporary a fresh, page-faulted mapping at each step)."""
    names = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
    seen = cluster.client.run(lambda: [os.environ.get(n) for n in names])
    assert len(seen) == 2
    assert all(v == [str(1 << 30)] * 2 for v in seen.values())


def test_shards_stay_on_the_workers_across_steps(cluster: parallel.Cluster) -> None:
    """Scattered once, in a contiguous run per worker, the shards keep their place over steps
    of different params; each step is exact, and leaving the ``with`` block frees them."""
    data = make_data(24)
    with parallel.scatter(split(data, [8, 16]), cluster.client) as sharded:
        keys = [fut.key for fut in sharded.futures]
        client: Any = cluster.client  # Dask's methods are unannotated
        placed = client.who_has(sharded.futures)
        holders = [placed[key] for key in keys]
        assert holders[0] == holders[1] != holders[2]  # contiguous runs, one per worker
        for seed in (3, 4):
            net = make_net(seed)
            loss, grad = parallel.value_and_grad_sum(net_loss, net, sharded)
            want_loss, want_grad = backprop(lambda n: net_loss(n, data), net)
            assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)
        assert [fut.key for fut in sharded.futures] == keys
        assert client.who_has(sharded.futures) == placed
    assert sharded.futures == []


def test_each_worker_sums_its_shards_then_the_workers_sum(cluster: parallel.Cluster) -> None:
    """8 shards on 2 workers: one task per worker over the 4 shards it holds, on that worker,
    then one sum of the two."""
    data = make_data(16)
    with parallel.scatter(split(data, list(range(2, 16, 2))), cluster.client) as sharded:
        client: Any = cluster.client  # Dask's methods are unannotated
        placed = client.who_has(sharded.futures)
        holders = [placed[fut.key][0] for fut in sharded.futures]
        with distributed.get_task_stream(cluster.client) as stream:
            parallel.value_and_grad_sum(net_loss, make_net(), sharded)
    ran = {task["key"]: task["worker"] for task in stream.data}
    runs = {int(k.split("-")[2]): w for k, w in ran.items() if k.startswith("typedprop-shards-")}
    assert runs == {0: holders[0], 4: holders[4]} and holders[0] != holders[4]
    assert holders == [holders[0]] * 4 + [holders[4]] * 4
    assert sum(k.startswith("typedprop-sum-") for k in ran) == 1


class Depth:
    """A value whose sum records how deep a tree of sums is."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


class DepthSum(Backprop[Depth]):
    def zero(self, x: Depth) -> Depth:
        return Depth(0)

    def add(self, x: Depth, y: Depth) -> Depth:
        return Depth(max(x.depth, y.depth) + 1)

    def one(self, x: Depth) -> Depth:
        return Depth(1)


register_backprop(Depth, DepthSum())


def test_a_run_of_shards_is_summed_as_a_balanced_tree() -> None:
    """Within a task, 8 shards' gradients are added 3 sums deep (a running sum is 7 deep),
    5 shards 3 deep; every shard is counted."""
    for n, depth in ((8, 3), (5, 3), (1, 0)):
        total = _tree_sum(_Partial(1.0, Depth(0), 1) for _ in range(n))
        assert isinstance(total, _Partial)
        assert (total.loss, total.grad.depth, total.shards) == (n, depth, n)


def test_an_address_and_the_current_client_are_used(cluster: parallel.Cluster) -> None:
    """A scheduler's address connects to that cluster; with no client, the current one."""
    data = make_data(10)
    shards = split(data, [5])
    want = backprop(lambda n: net_loss(n, data), make_net())[0]
    by_address = parallel.value_and_grad_sum(net_loss, make_net(), shards, cluster.address)[0]
    with cluster.client.as_current():
        current = parallel.value_and_grad_sum(net_loss, make_net(), shards)[0]
    assert np.isclose(by_address, want) and np.isclose(current, want)
    assert parallel._default is None


def test_lambdas_travel_to_dask_workers(cluster: parallel.Cluster) -> None:
    """Dask sends functions with cloudpickle: a lambda is a fine loss there."""
    data = make_data(8)
    loss, _ = parallel.value_and_grad_sum(
        lambda n, s: net_loss(n, s) * 2.0, make_net(), split(data, [4]), cluster.client
    )
    assert np.isclose(loss, 2.0 * backprop(lambda n: net_loss(n, data), make_net())[0])


def test_with_no_client_a_local_cluster_starts_and_closes_at_exit() -> None:
    """In a fresh process with no Dask client, the first step starts a local cluster of one
    worker per core, the next step reuses it, and the interpreter exits cleanly."""
    code = (
        "import os\n"
        "from typedprop import parallel\n"
        "from tests.test_parallel import make_net, make_data, net_loss, split\n"
        "if __name__ == '__main__':\n"
        "    shards = split(make_data(8), [4])\n"
        "    first = parallel.value_and_grad_sum(net_loss, make_net(), shards)[0]\n"
        "    cluster = parallel._default\n"
        "    again = parallel.value_and_grad_sum(net_loss, make_net(), shards)[0]\n"
        "    workers = cluster.client.scheduler_info()['workers']\n"
        "    assert parallel._default is cluster and len(workers) == os.cpu_count()\n"
        "    print(first == again)\n"
    )
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and run.stdout == "True\n", run.stderr
    assert "Traceback" not in run.stderr and "Warning" not in run.stderr, run.stderr


# --- executors ---


def test_a_process_pool_gives_the_same_sum() -> None:
    """A ProcessPoolExecutor: shards sent with each step, the sum taken on the caller."""
    rng = np.random.default_rng(5)
    params = (rng.normal(size=(4, 3)), rng.normal(size=3))
    data = make_data(20)
    with ProcessPoolExecutor(2) as pool:
        loss, grad = parallel.value_and_grad_sum(tuple_loss, params, split(data, [3, 9, 14]), pool)
        with pytest.raises(ParallelError, match=r"shards 0-1: the loss function .*pickle"):
            parallel.value_and_grad_sum(
                lambda p, s: tuple_loss(p, s), params, split(data, [5]), pool
            )
    want_loss, want_grad = backprop(lambda p: tuple_loss(p, data), params)
    assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)


def test_a_thread_pool_and_a_dask_executor_give_the_same_sum(cluster: parallel.Cluster) -> None:
    """Any concurrent.futures.Executor: a thread pool, or Dask's client.get_executor()."""
    data, net = make_data(30), make_net(6)
    shards = split(data, [4, 11, 19, 27])
    want_loss, want_grad = backprop(lambda n: net_loss(n, data), net)
    with ThreadPoolExecutor(2) as pool:
        threads = parallel.value_and_grad_sum(net_loss, net, shards, pool)
    client: Any = cluster.client  # Dask's methods are unannotated
    dask_pool = parallel.value_and_grad_sum(net_loss, net, shards, client.get_executor())
    for loss, grad in (threads, dask_pool):
        assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)


# --- faults: one clear error that names the shard ---


def bad_shards() -> list[Shard]:
    shards = split(make_data(20), [5, 10, 15])
    shards[1] = (shards[1][0][:, :3], shards[1][1])  # 3 columns where the weights expect 4
    shards[3] = (shards[3][0][:, :2], shards[3][1])
    return shards


def test_a_shard_that_raises_is_named_once(cluster: parallel.Cluster) -> None:
    """Shards 1 and 3 raise: one ParallelError, for shard 1, the worker's error its cause."""
    with pytest.raises(ParallelError, match=r"^shard 1 of 4: f\(params, shard\) raised") as info:
        parallel.value_and_grad_sum(net_loss, make_net(), bad_shards(), cluster.client)
    assert info.value.shard == 1 and "(params: a Net; shard: a tuple)" in str(info.value)
    assert info.value.__cause__ is not None


def test_a_shard_that_raises_under_an_executor_is_named_once() -> None:
    """The same under a thread pool."""
    with (
        ThreadPoolExecutor(2) as pool,
        pytest.raises(ParallelError, match=r"^shard 1 of 4: f\(params, shard\) raised"),
    ):
        parallel.value_and_grad_sum(net_loss, make_net(), bad_shards(), pool)


def test_params_of_the_wrong_type_are_refused(cluster: parallel.Cluster) -> None:
    """Against f's annotation before anything is sent; unannotated, by the shard that failed."""
    params: Any = (np.zeros((4, 3)), np.zeros(3))  # mypy refuses this call: checked at run time
    shards = split(make_data(8), [4])
    with pytest.raises(ParallelError, match=r"BVar\[Net\] but params is a tuple; no shard"):
        parallel.value_and_grad_sum(net_loss, params, shards, cluster.client)
    with pytest.raises(ParallelError, match=r"^shard 0 of 2: .* \(params: a tuple; shard"):
        parallel.value_and_grad_sum(lambda n, s: net_loss(n, s), params, shards, cluster.client)
    with pytest.raises(ParallelError, match=r"params: .*object"):
        parallel.value_and_grad_sum(net_loss, cast(Any, object()), shards, cluster.client)


def test_params_of_a_class_the_workers_cannot_import_are_refused(
    cluster: parallel.Cluster,
) -> None:
    """A @model class defined where no module holds it (a function, a script's __main__, a
    notebook) would reach the workers by value, unregistered: refused before anything is sent,
    even inside a tuple."""

    @model
    class Local:
        weight: Array

    def loss(p: BVar[tuple[Local, Array]], shard: Shard) -> BVar[float]:
        return sum_elements((p[0] ^ Local.weight) * 0.0)

    with pytest.raises(ParallelError, match=r"Local is defined in .*cannot import; define it"):
        parallel.value_and_grad_sum(
            loss, (Local(np.zeros(2)), np.zeros(1)), split(make_data(4), [2]), cluster.client
        )


def test_a_loss_that_closes_over_a_lock_cannot_be_sent(cluster: parallel.Cluster) -> None:
    """Not even cloudpickle sends a lock: one error, before any task, naming the shards."""
    lock = threading.Lock()

    def locked(net: BVar[Net], shard: Shard) -> BVar[float]:
        with lock:
            return net_loss(net, shard)

    with pytest.raises(ParallelError, match=r"shards 0-1: the loss function .*cloudpickle.*lock"):
        parallel.value_and_grad_sum(locked, make_net(), split(make_data(8), [4]), cluster.client)


def test_a_shard_that_cannot_be_sent_is_named(cluster: parallel.Cluster) -> None:
    """scatter names the shard that cannot be pickled."""
    with pytest.raises(ParallelError, match=r"^shard 1: a lock cannot be sent"):
        parallel.scatter([1.0, threading.Lock()], cluster.client)


def test_a_loss_that_is_not_a_number_is_named(cluster: parallel.Cluster) -> None:
    """f returning the outputs instead of a loss: a ParallelError naming shard 0."""

    def outputs(net: BVar[Net], shard: Shard) -> BVar[Any]:
        hidden = net ^ Net.hidden
        return auto(shard[0]) @ (hidden ^ Layer.weight).T

    with pytest.raises(ParallelError, match=r"^shard 0 of 2: f\(params, shard\) raised"):
        parallel.value_and_grad_sum(outputs, make_net(), split(make_data(8), [4]), cluster.client)


def test_nothing_to_sum_and_misplaced_data_are_refused(cluster: parallel.Cluster) -> None:
    """No shards, or ShardedData handed to an executor, are ParallelErrors."""
    with pytest.raises(ParallelError, match="no shards"):
        parallel.value_and_grad_sum(net_loss, make_net(), [], cluster.client)
    with (
        parallel.scatter(split(make_data(4), [2]), cluster.client) as sharded,
        ThreadPoolExecutor(1) as pool,
        pytest.raises(ParallelError, match="an executor cannot use ShardedData"),
    ):
        parallel.value_and_grad_sum(net_loss, make_net(), sharded, pool)


class _DieOnce:
    """A loss that kills its worker process the first time any worker runs it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __call__(self, net: BVar[Net], shard: Shard) -> BVar[float]:
        if not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        return net_loss(net, shard)


def _die(net: BVar[Net], shard: Shard) -> BVar[float]:
    os._exit(1)


def test_a_worker_that_dies_mid_step_is_survived(
    cluster: parallel.Cluster, tmp_path: Path
) -> None:
    """A worker killed during a step: its shards are sent again, the step is rerun, exact."""
    data = make_data(16)
    with parallel.scatter(split(data, [4, 8, 12]), cluster.client) as sharded:
        loss, grad = parallel.value_and_grad_sum(_DieOnce(tmp_path / "died"), make_net(), sharded)
        assert (tmp_path / "died").exists()
    want_loss, want_grad = backprop(lambda n: net_loss(n, data), make_net())
    assert np.isclose(loss, want_loss, rtol=1e-12) and close(grad, want_grad)


def test_workers_that_keep_dying_fail_the_step(cluster: parallel.Cluster) -> None:
    """A loss that kills every worker that runs it: a ParallelError, never a partial sum."""
    with pytest.raises(ParallelError, match=r"^shards? [0-9, -]+ of 2: the worker .* died"):
        parallel.value_and_grad_sum(_die, make_net(), split(make_data(4), [2]), cluster.client)
    cluster.client.wait_for_workers(2, timeout=60)


# --- the example ---


def test_parallel_mnist_learns_what_mnist_learns(cluster: parallel.Cluster) -> None:
    """examples/parallel_mnist.py on the cluster reaches mnist.py's accuracy with its options:
    the same batches, each gradient the same sum."""
    options = ["--quick", "--batch", "128", "--quiet"]
    alone = mnist.main(options)
    shared = parallel_mnist.main([*options, "--workers", "2", "--address", cluster.address])
    assert shared == alone and alone > 0.3


# --- the extra ---


def test_typedprop_does_not_import_dask() -> None:
    """import typedprop, and typedprop.parallel itself, leave Dask unimported."""
    code = (
        "import sys, typedprop\nfrom typedprop import parallel\n"
        "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_without_dask_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """With distributed missing, a Dask path says which extra to install."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ParallelError, match=r"pip install 'typedprop\[parallel\]'"):
        parallel.Cluster()
