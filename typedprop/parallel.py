"""Data-parallel gradients: the loss and gradient of a sum over data shards, on Dask or a pool.

The gradient of ``sum_k f(params, shard_k)`` is the sum of the shards' gradients, and every
value typedprop differentiates knows how to add itself (``Backprop.add``), ``@model`` records
included. ``value_and_grad_sum`` runs ``backprop`` on each shard where the shard lives and adds
the gradients up in a tree: each worker adds those of its own shards, then the workers' sums
are added pairwise on the workers, so a 64-shard sum does not wait on one process.

Where it runs (the ``client`` argument):

- a ``dask.distributed.Client``, or a scheduler's address (``"tcp://host:8786"``), or nothing:
  the current Dask client, else a ``LocalCluster`` of worker processes on this machine, started
  on first use and closed at exit (``Cluster`` starts and closes one explicitly). Shards are sent
  to the workers once (``scatter``) and stay there; each step sends the parameters out and one
  gradient back, and adds the shards' gradients on the workers.
- any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, Dask's
  ``client.get_executor()``): each step sends every shard with its task, and the gradients are
  added on the caller.

Dask is an extra (``pip install typedprop[parallel]``) imported only when a Dask path is used;
``import typedprop`` never imports it. This module knows only the public runners and
``Backprop.add``; for one process use ``typedprop.backprop`` directly.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import sys
import threading
import traceback
import typing
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from typedprop._core import BVar
from typedprop._runners import backprop
from typedprop.classes import add, instance_for
from typedprop.errors import MissingInstanceError, ParallelError

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["Cluster", "ShardedData", "scatter", "value_and_grad_sum"]

P = TypeVar("P")
D = TypeVar("D")

_EXTRA = "typedprop.parallel needs Dask for this: pip install 'typedprop[parallel]'"


def _untyped(client: Client) -> Any:
    """``client`` for calling its methods, which Dask leaves unannotated (mypy --strict)."""
    return client


def _distributed() -> Any:
    """The ``distributed`` module, or a ``ParallelError`` naming the extra that installs it."""
    try:
        import distributed
    except ImportError as e:
        raise ParallelError(f"{_EXTRA} (import failed: {e})") from e
    return distributed


# --- the work one shard does, and the sum of two shards' work (both run on workers) ---


class _Partial(NamedTuple):
    """The loss and gradient summed over ``shards`` shards."""

    loss: float
    grad: Any
    shards: int


class _Failure(NamedTuple):
    """Why a shard gave no gradient, sent back as a value so the engine does not retry it."""

    shard: int
    message: str
    error: BaseException | None  # the original exception, when it survives pickling


def _shard_value_and_grad(
    f: Callable[[BVar[P], D], BVar[float]], params: P, shard: D, index: int, total: int
) -> _Partial | _Failure:
    """``backprop`` of ``f(·, shard)`` at ``params``, or the failure that names the shard."""
    try:
        value, grad = backprop(lambda p: f(p, shard), params)
    except Exception as e:
        found = type(params).__name__
        return _failure(
            index,
            f"shard {index} of {total}: f(params, shard) raised {_one_line(e)} "
            f"(params: a {found}; shard: a {type(shard).__name__})",
            e,
        )
    try:
        loss = float(value)
    except (TypeError, ValueError) as e:
        return _failure(
            index,
            f"shard {index} of {total}: f(params, shard) returned a {type(value).__name__}; "
            "expected a number, the shard's loss",
            e,
        )
    return _Partial(loss, grad, 1)


def _combine(a: _Partial | _Failure, b: _Partial | _Failure) -> _Partial | _Failure:
    """The sum of two partial sums; a failure (the lower-numbered one) wins over a sum."""
    if isinstance(a, _Failure) or isinstance(b, _Failure):
        failures = [x for x in (a, b) if isinstance(x, _Failure)]
        return min(failures, key=lambda x: x.shard)
    try:
        grad = add(a.grad, b.grad)
    except Exception as e:
        return _failure(-1, f"adding two shards' gradients raised {_one_line(e)}", e)
    return _Partial(a.loss + b.loss, grad, a.shards + b.shards)


def _failure(index: int, message: str, error: BaseException) -> _Failure:
    """A ``_Failure`` keeping ``error`` if it can travel back, else only its traceback text."""
    detail = "".join(traceback.format_exception(error)).rstrip()
    try:
        pickle.dumps(error)
    except Exception:
        return _Failure(index, f"{message}\n{detail}", None)
    return _Failure(index, message, error)


def _one_line(e: BaseException) -> str:
    """``Kind: message`` on one line."""
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _tree_sum(parts: Iterable[_Partial | _Failure]) -> _Partial | _Failure:
    """The sum of ``parts`` as a balanced tree of pairwise sums, in order, holding at most
    about log2(n) partial sums at once (a binary counter: equal-sized neighbours merge)."""
    stack: list[tuple[int, _Partial | _Failure]] = []
    for part in parts:
        size, total = 1, part
        while stack and stack[-1][0] == size:
            below = stack.pop()[1]
            size, total = 2 * size, _combine(below, total)
        stack.append((size, total))
    total = stack.pop()[1]
    while stack:
        total = _combine(stack.pop()[1], total)
    return total


def _run_value_and_grad(
    f: Callable[[BVar[P], D], BVar[float]],
    params: P,
    shards: list[D],
    indices: list[int],
    total: int,
) -> _Partial | _Failure:
    """The sum over a worker's run of shards, computed one shard after another on the worker
    that holds them (a task per run, not per shard: Dask's cost per task is milliseconds)."""
    parts = (
        _shard_value_and_grad(f, params, shard, i, total)
        for shard, i in zip(shards, indices, strict=True)
    )
    return _tree_sum(parts)


def _result(outcome: _Partial | _Failure, total: int) -> tuple[float, Any]:
    """The loss and gradient of a whole sum, or the one error it failed with."""
    if isinstance(outcome, _Failure):
        shard = None if outcome.shard < 0 else outcome.shard
        raise ParallelError(outcome.message, shard) from outcome.error
    if outcome.shards != total:
        raise ParallelError(
            f"the sum covers {outcome.shards} shards' gradients but there are {total}; "
            "a partial sum is never returned"
        )
    return outcome.loss, outcome.grad


# --- checks on the caller, before anything is sent ---


def _check_params(f: Callable[..., Any], params: object) -> None:
    """Params that can carry a gradient and, when ``f`` is annotated, have the type it says."""
    try:
        instance_for(params)
    except MissingInstanceError as e:
        raise ParallelError(f"params: {e}") from e
    expected = _annotated_params_type(f)
    if expected is not None and not isinstance(params, expected):
        raise ParallelError(
            f"params: f's first argument is BVar[{expected.__name__}] but params is a "
            f"{type(params).__name__}; no shard was sent"
        )


def _check_importable(params: object) -> None:
    """Params whose classes Dask workers can import: a class defined in a script or notebook
    (``__main__``) or an ``exec`` would be sent by value, without its ``Backprop`` instance."""
    seen: set[type] = set()
    todo = [params]
    while todo:
        x = todo.pop()
        kind = type(x)
        if kind not in seen and kind.__module__ != "builtins":
            seen.add(kind)
            module = sys.modules.get(kind.__module__)
            found: Any = module
            for part in kind.__qualname__.split("."):
                found = getattr(found, part, None)
            if kind.__module__ == "__main__" or found is not kind:
                where = "a script or notebook (__main__)" if module is not None else "no module"
                raise ParallelError(
                    f"params: {kind.__qualname__} is defined in {where} "
                    f"({kind.__module__!r}), which Dask workers cannot import; define it in a "
                    "module of its own (a .py file beside your script) and import it from there"
                )
        children = instance_for(x).children(x)
        todo.extend(children or ())


def _annotated_params_type(f: Callable[..., Any]) -> type | None:
    """``X`` where ``f``'s first parameter is annotated ``BVar[X]`` with a plain class ``X``."""
    try:
        hints = typing.get_type_hints(f)
        first = next(iter(p for p in hints if p != "return"))
    except Exception:  # an unresolvable or absent annotation: nothing to check
        return None
    hint = hints[first]
    if typing.get_origin(hint) is not BVar:
        return None
    (inner,) = typing.get_args(hint)
    inner = typing.get_origin(inner) or inner
    return inner if isinstance(inner, type) and inner is not Any else None


def _check_picklable(f: object, dumps: Callable[[object], bytes], how: str, total: int) -> None:
    """A ``ParallelError`` now, rather than one per shard later, if ``f`` cannot be sent."""
    try:
        dumps(f)
    except Exception as e:
        raise ParallelError(
            f"shards 0-{total - 1}: the loss function {f!r} cannot be sent to the workers "
            f"({how}): {_one_line(e)}; define it at module level and let it close over no "
            "locks, open files or sockets"
        ) from e


# --- Dask: a cluster, shards that stay on the workers, the step ---


# glibc's malloc in the workers keeps freed memory for the next step. Dask sets a trim threshold
# of 64 KiB in its workers, which also fixes glibc's mmap threshold at 128 KiB: every array of a
# gradient's larger than that is then a fresh mapping, page-faulted in on every step (measured:
# the half-batch gradient of bench/parallel.py took 127 ms in a worker against 97 ms with these).
_PRE_SPAWN = "distributed.nanny.pre-spawn-environ."
_KEEP_FREED_MEMORY = {
    _PRE_SPAWN + "MALLOC_TRIM_THRESHOLD_": 1 << 30,
    _PRE_SPAWN + "MALLOC_MMAP_THRESHOLD_": 1 << 30,
}


class Cluster:
    """A ``LocalCluster`` of worker processes on this machine and a ``Client`` of it.

    Use it as a context manager (it closes the workers on exit) and pass ``cluster.client`` as
    ``client``. Workers run one thread each, with BLAS at one thread (Dask's default for worker
    processes), so ``workers`` processes use ``workers`` cores; there is no dashboard. With
    ``keep_freed_memory`` (the default) each worker's ``malloc`` keeps the memory a step frees for
    the next step instead of returning it to the system (Dask returns it), which saves a page
    fault per page of every large temporary, at the cost of workers holding their peak memory.
    Other keyword arguments go to Dask's ``LocalCluster`` and override these. On Linux and
    macOS worker processes are spawned: a script that starts one needs
    ``if __name__ == "__main__":``.

    Example:
        >>> from typedprop import parallel
        >>> with parallel.Cluster(workers=2) as cluster:  # doctest: +SKIP
        ...     loss, grad = parallel.value_and_grad_sum(f, params, shards, cluster.client)
    """

    def __init__(
        self, workers: int = 2, *, keep_freed_memory: bool = True, **local_cluster_options: Any
    ) -> None:
        distributed = _distributed()
        import dask.config

        options: dict[str, Any] = {
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
            # the scheduler's HTTP endpoints (health, metrics) still listen, by default on
            # 8787, and warn when another cluster has it: any free port instead
            "scheduler_kwargs": {"dashboard_address": ":0"},
        }
        options.update(local_cluster_options)
        environ = _KEEP_FREED_MEMORY if keep_freed_memory else {}
        with dask.config.set(environ):  # read as each worker process is spawned, not after
            self.cluster: Any = distributed.LocalCluster(**options)
        try:
            self.client: Client = distributed.Client(self.cluster)
        except BaseException:
            self.cluster.close()
            raise

    @property
    def address(self) -> str:
        """The scheduler's address, for a ``Client`` in another process."""
        address: str = self.cluster.scheduler_address
        return address

    def close(self) -> None:
        """Disconnect the client (and any this module connected by its address) and stop the
        workers and the scheduler."""
        with _lock:
            by_address = _connected.pop(self.address, None)
        if by_address is not None:
            _untyped(by_address).close()
        _untyped(self.client).close()
        self.cluster.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_lock = threading.Lock()
_default: Cluster | None = None
_connected: dict[str, Client] = {}


def _close_defaults() -> None:
    """Close what this module opened on its own: the default cluster, clients by address."""
    global _default
    with _lock:  # taken out under the lock, closed after it (Cluster.close takes it too)
        clients, cluster = list(_connected.values()), _default
        _connected.clear()
        _default = None
    for client in clients:
        _untyped(client).close()
    if cluster is not None:
        cluster.close()


def _dask_client(client: Client | str | None) -> Client:
    """The client to use: the one given, one connected to an address, the current one, or the
    default local cluster's (started here on first use, closed when the interpreter exits)."""
    global _default
    distributed = _distributed()
    from distributed import Client as DaskClient  # importable: _distributed() said so

    if isinstance(client, DaskClient):
        return client
    with _lock:
        if isinstance(client, str):
            if client not in _connected or _untyped(_connected[client]).status != "running":
                _connected[client] = distributed.Client(client)
            return _connected[client]
        try:
            current: Client = distributed.default_client()
            return current
        except ValueError:  # no client yet in this process
            pass
        if _default is None:
            _default = Cluster(workers=os.cpu_count() or 1)
            atexit.register(_close_defaults)
        return _default.client


class ShardedData(Generic[D]):
    """Data shards held by a Dask cluster's workers, to reuse in every step.

    Made by ``scatter``. Each shard is sent once and stays on a worker; ``value_and_grad_sum``
    then sends only the parameters and gets one gradient back. If a worker dies with shards on
    it, the next step sends those shards again (this object keeps a reference to the originals).
    ``len()`` is the number of shards; ``release()`` (or leaving a ``with`` block) frees the
    workers' copies.
    """

    def __init__(self, shards: Sequence[D], client: Client) -> None:
        self.client = client
        self._shards = list(shards)
        self._futures: list[Future[Any]] = self._send(list(range(len(self._shards))))

    def _send(self, indices: list[int]) -> list[Future[Any]]:
        """Scatter the shards at ``indices`` in contiguous runs, one run per worker, so that the
        first sums of the tree (neighbours) add gradients on one worker; an unpicklable shard is
        named."""
        client = _untyped(self.client)
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"]) or [None]
        runs: dict[Any, list[int]] = {}
        for k, i in enumerate(indices):
            runs.setdefault(workers[k * len(workers) // len(indices)], []).append(i)
        futures: dict[int, Future[Any]] = {}
        for worker, run in runs.items():
            chosen = [self._shards[i] for i in run]
            try:
                sent = client.scatter(chosen, workers=worker, hash=False)
            except Exception as e:
                raise _unsendable_shard(chosen, run, e) from e
            futures.update(zip(run, sent, strict=True))
        return [futures[i] for i in indices]

    def _restore(self) -> None:
        """Send again the shards lost with a worker that died."""
        lost = [i for i, fut in enumerate(self._futures) if fut.status != "finished"]
        if lost:
            for i, fut in zip(lost, self._send(lost), strict=True):
                self._futures[i] = fut

    @property
    def futures(self) -> list[Future[Any]]:
        """The Dask futures of the shards, in order."""
        return list(self._futures)

    def release(self) -> None:
        """Free the workers' copies of the shards (once no other reference holds them)."""
        self._futures = []  # Dask releases a key when its last future goes: no cancel needed

    def __len__(self) -> int:
        return len(self._shards)

    def __enter__(self) -> ShardedData[D]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unsendable_shard(shards: list[Any], indices: list[int], error: Exception) -> ParallelError:
    """The error naming the first shard that cannot be pickled (or the scatter's own error)."""
    import cloudpickle

    for i, shard in zip(indices, shards, strict=True):
        try:
            cloudpickle.dumps(shard)
        except Exception as e:
            return ParallelError(
                f"shard {i}: a {type(shard).__name__} cannot be sent to the workers "
                f"(cloudpickle): {_one_line(e)}",
                i,
            )
    return ParallelError(f"sending the shards to the workers failed: {_one_line(error)}")


def scatter(shards: Sequence[D], client: Client | str | None = None) -> ShardedData[D]:
    """Send data shards to a Dask cluster's workers once, to use in every step.

    ``client`` is as for ``value_and_grad_sum`` (not an executor: a pool keeps nothing).

    Raises:
        ParallelError: Dask is not installed, no shards, or a shard that cannot be pickled.
    """
    if len(shards) == 0:
        raise ParallelError("scatter: no shards; give at least one")
    return ShardedData(shards, _dask_client(client))


class _LostShardsError(Exception):
    """Shards lost with a dead worker during a step; they are sent again and the step rerun."""

    def __init__(self, shards: list[int]) -> None:
        super().__init__(shards)
        self.shards = shards


def _dask_step(
    f: Callable[[BVar[P], D], BVar[float]], params: P, data: ShardedData[D]
) -> tuple[float, P]:
    """One step on Dask: a task per worker over the shards it holds, then a tree of sums across
    workers."""
    distributed = _distributed()
    client, total = _untyped(data.client), len(data)
    tag = uuid.uuid4().hex[:12]
    (sent,) = client.scatter([params], broadcast=True, hash=False)  # a tuple would be split
    futures = data.futures
    holders = client.who_has(futures)
    runs: dict[str | None, list[int]] = {}
    for i, fut in enumerate(futures):
        runs.setdefault(next(iter(holders.get(fut.key, ())), None), []).append(i)
    # each run's task is pinned where its shards are (Dask's work stealing would copy shards to
    # an idle worker); a shard lost with its worker cancels its task, and the step is rerun
    keys = {f"typedprop-shards-{run[0]}-{tag}": run for run in runs.values()}
    leaves = [
        client.submit(
            _run_value_and_grad,
            f,
            sent,
            [futures[i] for i in run],
            run,
            total,
            key=key,
            pure=False,
            workers=worker,
            allow_other_workers=worker is None,  # no holder: lost, the task will be cancelled
        )
        for key, (worker, run) in zip(keys, runs.items(), strict=True)
    ]
    level = leaves
    for depth in itertools.count():
        if len(level) == 1:
            break
        pairs = [
            client.submit(_combine, level[i], level[i + 1], key=f"typedprop-sum-{depth}-{i}-{tag}")
            for i in range(0, len(level) - 1, 2)
        ]
        level = pairs + level[len(level) - len(level) % 2 :]
    try:
        outcome: _Partial | _Failure = level[0].result()
    except distributed.KilledWorker as e:
        run = keys.get(e.task)
        where = f"{_shards_named(run)} of {total}" if run else "summing the shards"
        raise ParallelError(
            f"{where}: the worker running it died, and so did every worker that retried it "
            f"({_one_line(e)}); look for the worker's own error (memory, a crash in native "
            "code) in its log",
            run[0] if run else None,
        ) from e
    except distributed.client.FutureCancelledError as e:
        lost = [i for i, fut in enumerate(data.futures) if fut.status != "finished"]
        if lost:
            raise _LostShardsError(lost) from e
        raise ParallelError(f"the step was cancelled: {_one_line(e)}") from e
    except Exception as e:
        erred = [
            run for leaf, run in zip(leaves, keys.values(), strict=True) if leaf.status == "error"
        ]
        where = f"{_shards_named(erred[0])} of {total}" if erred else "the step"
        raise ParallelError(
            f"{where}: the task failed on the worker: {_one_line(e)}",
            erred[0][0] if erred else None,
        ) from e
    return _result(outcome, total)  # the step's futures, params' included, go with this frame


def _shards_named(run: list[int]) -> str:
    """``shard 3``, ``shards 0-31`` or ``shards 1, 4, 6`` for a run of shard indices."""
    if len(run) == 1:
        return f"shard {run[0]}"
    if run == list(range(run[0], run[-1] + 1)):
        return f"shards {run[0]}-{run[-1]}"
    return "shards " + ", ".join(map(str, run))


# --- any executor ---


def _executor_step(
    f: Callable[[BVar[P], D], BVar[float]], params: P, shards: Sequence[D], executor: Executor
) -> tuple[float, P]:
    """One step on an executor: every shard sent with its task, the sum taken here."""
    total = len(shards)
    if isinstance(executor, ProcessPoolExecutor):
        _check_picklable(f, pickle.dumps, "a process pool sends it with pickle", total)
    futures = [
        executor.submit(_shard_value_and_grad, f, params, shard, i, total)
        for i, shard in enumerate(shards)
    ]
    parts: list[_Partial | _Failure] = []
    for i, fut in enumerate(futures):
        try:
            parts.append(fut.result())
        except Exception as e:
            for later in futures[i + 1 :]:
                later.cancel()
            hint = (
                "; the executor pickles f, params and the shard: define f at module level "
                "(not a lambda or a local function)"
                if "pickle" in str(e).lower()
                else ""
            )
            raise ParallelError(
                f"shard {i} of {total}: the executor could not run it: {_one_line(e)}{hint}", i
            ) from e
    return _result(_tree_sum(parts), total)


# --- the step ---


def value_and_grad_sum(
    f: Callable[[BVar[P], D], BVar[float]],
    params: P,
    shards: Sequence[D] | ShardedData[D],
    client: Client | str | Executor | None = None,
    *,
    retries: int = 1,
) -> tuple[float, P]:
    """The loss ``sum_k f(params, shards[k])`` and its gradient with respect to ``params``.

    Each shard's loss and gradient is ``backprop``'s, computed where the shard is; the
    gradients are added with the ``Backprop`` ``add`` of the params' type, in a tree. The result
    is what ``backprop`` gives for the sum in one process, to float rounding. ``f`` takes a
    ``BVar`` of the params and a plain shard and returns the shard's loss (a sum over its
    examples, or a mean divided by the number of shards, so the total is the loss you mean).

    Args:
        f: the loss of one shard; it must be picklable (Dask uses cloudpickle, so lambdas
            work there; a process pool uses pickle, so it must be defined at module level).
        params: the parameters, a value with a ``Backprop`` instance (a ``@model`` record, an
            array, a tuple of arrays...).
        shards: the data, one shard per task: a sequence, or ``ShardedData`` from ``scatter``
            (sent once, reused every step: what a training loop wants).
        client: a Dask ``Client``, a scheduler address, a ``concurrent.futures.Executor``, or
            ``None`` for the current Dask client or else a local cluster (see the module).
        retries: how often a step whose shards were lost with a dead worker is rerun after
            sending them again (Dask itself reruns a task whose worker died).

    Raises:
        ParallelError: naming the shard: its loss raised or was not a number; ``f``, the
            params or a shard cannot be sent; workers kept dying; params of another type than
            ``f``'s annotation says. Never a partial sum.

    Example:
        >>> import numpy as np
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> from typedprop import parallel
        >>> from typedprop.functions import sum_elements
        >>> def f(w, xs):
        ...     return sum_elements(w * xs) ** 2
        >>> w, shards = np.ones(2), [np.array([1.0, 2.0]), np.array([3.0, 0.0])]
        >>> with ThreadPoolExecutor(2) as pool:
        ...     parallel.value_and_grad_sum(f, w, shards, pool)
        (18.0, array([24., 12.]))
    """
    if len(shards) == 0:
        raise ParallelError("no shards: the sum over none has no gradient; give at least one")
    _check_params(f, params)
    if isinstance(client, Executor):
        if isinstance(shards, ShardedData):
            raise ParallelError(
                "an executor cannot use ShardedData (its shards live on a Dask cluster); pass "
                "the shards themselves, or the cluster's client"
            )
        return _executor_step(f, params, shards, client)
    import cloudpickle

    _check_importable(params)
    if isinstance(shards, ShardedData):
        if client is not None and _dask_client(client) is not shards.client:
            raise ParallelError(
                "the shards were scattered by another client than the one given; pass the "
                "client that scattered them (or none)"
            )
        data = shards
    else:
        data = scatter(shards, client)
    _check_picklable(f, cloudpickle.dumps, "Dask sends it with cloudpickle", len(data))
    try:
        for attempt in range(retries + 1):
            data._restore()
            try:
                return _dask_step(f, params, data)
            except _LostShardsError as e:
                if attempt == retries:
                    raise ParallelError(
                        f"{_shards_named(e.shards)} of {len(data)}: the worker holding them "
                        f"died during the step, in each of {retries + 1} tries (sent again "
                        "each time); no sum was returned. Look for the worker's own error "
                        "(memory, a crash in native code) in its log",
                        e.shards[0],
                    ) from None
        raise AssertionError("unreachable")  # the loop returns or raises
    finally:
        if data is not shards:
            data.release()
