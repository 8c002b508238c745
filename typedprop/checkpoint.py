"""Checkpoints: ``save`` a ``@model`` record to ``.npz`` and ``load`` it back, without pickle.

Each array is stored under its field path (``layer1.weight``, ``layers.0.bias``,
``table.key``); numbers and strings as 0-d arrays. Saving writes a temporary file beside the
target and renames it over the target, so a failed save never damages the previous file.
Loading reads with ``allow_pickle=False``, rebuilds the record from the class's annotations,
and checks everything: a missing or extra key, a wrong kind or shape, or a file that is not a
readable ``.npz`` raises ``CheckpointError`` naming the file and the key.
"""

from __future__ import annotations

import os
import tempfile
import types
import typing
import zipfile
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import attrs
import numpy as np

from typedprop.errors import CheckpointError, TypedpropError
from typedprop.record import _checked, _info, is_model

__all__ = ["load", "save"]

S = TypeVar("S")


# --- saving ---


def _entries(x: Any, prefix: str, out: dict[str, np.ndarray]) -> None:
    """Every storable value of ``x`` by its path."""
    if x is None or (callable(x) and not isinstance(x, np.ndarray)):
        return
    if is_model(x):
        for f in attrs.fields(type(x)):
            _entries(getattr(x, f.name), _join(prefix, f.name), out)
    elif isinstance(x, tuple | list):
        for i, v in enumerate(x):
            _entries(v, _join(prefix, str(i)), out)
    elif isinstance(x, dict):
        for k, v in x.items():
            if not isinstance(k, str) or "." in k:
                raise TypeError(f"save: dict key {k!r} at {prefix!r} must be a string without '.'")
            _entries(v, _join(prefix, k), out)
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(f"save: the value at {prefix!r} ({type(x).__name__}) needs pickle")
        out[prefix] = arr


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def save(path: str | os.PathLike[str], record: Any) -> None:
    """Write ``record`` to ``path`` as ``.npz``, atomically (temporary file, then rename).

    Callable static fields (an activation function) are not stored: on ``load`` they come from
    the class's defaults or from the keyword arguments given to ``load``.

    Example:
        >>> import numpy as np, tempfile, os
        >>> from typedprop import model
        >>> from typedprop.checkpoint import load, save
        >>> @model
        ... class Affine:
        ...     w: np.ndarray
        ...     b: float
        >>> path = os.path.join(tempfile.mkdtemp(), "affine.npz")
        >>> save(path, Affine(np.eye(2), 0.5))
        >>> load(path, Affine).b
        0.5
    """
    if not is_model(record):
        raise TypeError(f"save: expected a @model record, got {type(record).__name__}")
    arrays: dict[str, np.ndarray] = {}
    _entries(record, "", arrays)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- loading ---


class _Reader:
    """The keys of one file, tracking which were used."""

    def __init__(self, path: str, data: dict[str, np.ndarray]) -> None:
        self.path = path
        self.data = data
        self.used: set[str] = set()

    def has_prefix(self, prefix: str) -> bool:
        return prefix in self.data or any(k.startswith(prefix + ".") for k in self.data)

    def children(self, prefix: str) -> list[str]:
        """The next path components under ``prefix``, in order of first appearance."""
        seen: dict[str, None] = {}
        start = prefix + "."
        for k in self.data:
            if k.startswith(start):
                seen.setdefault(k[len(start) :].split(".", 1)[0], None)
        return list(seen)

    def take(self, key: str) -> np.ndarray:
        if key not in self.data:
            raise CheckpointError(f"{self.path}: missing key {key!r}")
        self.used.add(key)
        return self.data[key]

    def fail(self, key: str, message: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: key {key!r}: {message}")


def _read(r: _Reader, hint: Any, key: str) -> Any:
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        if not r.has_prefix(key):
            if len(options) < len(args):
                return None
            raise CheckpointError(f"{r.path}: missing key {key!r}")
        return _read(r, options[0], key) if len(options) == 1 else _leaf(r, key, Any)
    cls = origin if origin is not None else hint
    if isinstance(cls, type) and is_model(cls):
        return _read_record(r, cls, key)
    if cls in (list, tuple):
        if not r.has_prefix(key):
            raise CheckpointError(f"{r.path}: missing key {key!r}")
        items = sorted(r.children(key), key=lambda s: int(s) if s.isdigit() else -1)
        if cls is tuple and args and args[-1] is not Ellipsis:
            types_ = list(args)
        else:
            types_ = [args[0] if args else Any] * len(items)
        if len(types_) != len(items):
            raise r.fail(key, f"expected {len(types_)} elements, found {len(items)}")
        values = [_read(r, t, _join(key, i)) for t, i in zip(types_, items, strict=True)]
        return tuple(values) if cls is tuple else values
    if cls is dict:
        value_type = args[1] if len(args) == 2 else Any
        return {k: _read(r, value_type, _join(key, k)) for k in r.children(key)}
    return _leaf(r, key, cls)


def _leaf(r: _Reader, key: str, cls: Any) -> Any:
    arr = r.take(key)
    if cls in (float, int, bool, str):
        if arr.ndim != 0:
            raise r.fail(key, f"expected a single {cls.__name__}, found shape {arr.shape}")
        return cls(arr[()])
    return arr


def _read_record(r: _Reader, cls: type, prefix: str, **given: Any) -> Any:
    info = _info(cls)
    hints = info.annotations()
    values: dict[str, Any] = {}
    for f in attrs.fields(cls):
        key = _join(prefix, f.name)
        if f.name in given:
            values[f.name] = given[f.name]
        elif not r.has_prefix(key) and f.default is not attrs.NOTHING:
            continue
        else:
            values[f.name] = _read(r, hints.get(f.name, Any), key)
    try:
        return _checked(info, values)
    except TypedpropError as e:
        raise CheckpointError(f"{r.path}: {prefix or cls.__qualname__}: {e}") from e


def _check_like(r: _Reader, loaded: Any, like: Any, key: str) -> None:
    """Every array of ``loaded`` has the shape of the same array of ``like``."""
    got: dict[str, np.ndarray] = {}
    want: dict[str, np.ndarray] = {}
    _entries(loaded, key, got)
    _entries(like, key, want)
    for k, a in got.items():
        if k in want and np.shape(a) != np.shape(want[k]):
            raise r.fail(k, f"expected shape {np.shape(want[k])}, found {np.shape(a)}")


def load(path: str | os.PathLike[str], cls: type[S], *, like: S | None = None, **static: Any) -> S:
    """Read a record of type ``cls`` saved by ``save``.

    ``like`` (a record of the same type) adds a check that every array has its shape;
    ``static`` gives static fields that were not stored (callables) and have no default.

    Raises:
        CheckpointError: the file is missing, corrupt or truncated, or a key is missing,
            unexpected, or holds a value of the wrong kind or shape; the message names the
            file and the key.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except FileNotFoundError as e:
        raise CheckpointError(f"{name}: no such checkpoint file") from e
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise CheckpointError(f"{name}: not a readable .npz checkpoint ({e})") from e
    r = _Reader(name, data)
    base = get_origin(cls) or cls
    record = _read_record(r, base, "", **static)
    extra = sorted(set(data) - r.used)
    if extra:
        raise CheckpointError(
            f"{name}: unexpected key(s) {extra} for {base.__qualname__}; "
            f"the file was saved from another record type"
        )
    if like is not None:
        _check_like(r, record, like, "")
    result: S = record
    return result
