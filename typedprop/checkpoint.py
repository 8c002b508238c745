"""Checkpoints: ``save`` a ``@model`` record to ``.npz`` and ``load`` it back, without pickle.

Each array is stored under its field path (``layer1.weight``, ``layers.0.bias``,
``table.key``); numbers and strings as 0-d arrays. A list or tuple also stores its length under
its own path, and a dict its keys, so empty containers and ``None`` elements come back as they
were. Callable static fields (an activation function) are not stored.

**Optimizer state.** Every ``typedprop.optim`` state is a record ``save`` stores
(``SGDState``, ``MomentumState[Network]``, ``AdamState[Network]``), with the step count a
learning-rate schedule reads. To resume
training, put the model and the state (and where you were) in one record of your own::

    @model
    class Checkpoint:
        net: Network
        opt: AdamState[Network]
        epoch: int

    save("run.npz", Checkpoint(net, state, epoch))
    ckpt = load("run.npz", Checkpoint)  # ckpt.net, ckpt.opt, ckpt.epoch

A state saved on its own reads back with ``load(path, AdamState[Network])``; a generic record
with ``load(path, Checkpoint[AdamState[Network]])``.

**Saving** writes a temporary file beside the target (beside the file, when the path is a
symlink: the link stays, its target gets the new checkpoint), gives it the mode the file it
replaces has (or, for a new file, the mode the umask gives), syncs it to disk, renames it over
the target and syncs the directory: a failed or interrupted save never damages the previous
file. An OS error (a missing directory, no permission) is raised with the path you gave.

**Loading** reads with ``allow_pickle=False`` (it never unpickles), rebuilds the record from
the class's annotations, and checks everything: a missing or extra key, a value of the wrong
kind (a string or a float where an ``int`` belongs, a string array for a ``Mat``), a wrong
shape, a file that is not a readable ``.npz`` each raise ``CheckpointError`` naming the file,
the key and what was expected.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import types
import typing
import zipfile
import zlib
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
    """Every storable value of ``x`` by its path, containers with their lengths or keys."""
    if is_model(x) and not isinstance(x, type):
        for f in attrs.fields(type(x)):
            _entries(getattr(x, f.name), _join(prefix, f.name), out)
    elif x is None or (callable(x) and not isinstance(x, np.ndarray)):
        return
    elif isinstance(x, tuple | list):
        out[prefix] = np.array(len(x))
        for i, v in enumerate(x):
            _entries(v, _join(prefix, str(i)), out)
    elif isinstance(x, dict):
        for k in x:
            if not isinstance(k, str) or "." in k:
                raise TypeError(f"save: dict key {k!r} at {prefix!r} must be a string without '.'")
        out[prefix] = np.array(list(x), dtype=str)
        for k, v in x.items():
            _entries(v, _join(prefix, k), out)
    else:
        arr = np.asarray(x)
        if arr.dtype.hasobject:
            raise TypeError(f"save: the value at {prefix!r} ({type(x).__name__}) needs pickle")
        out[prefix] = arr


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def save(path: str | os.PathLike[str], record: Any) -> None:
    """Write ``record`` to ``path`` as ``.npz``, atomically (temporary file, then rename).

    Callable static fields (an activation function) are not stored: on ``load`` they come from
    the class's defaults or from the keyword arguments given to ``load``. A symlink at ``path``
    is followed: its target is replaced and keeps its mode.

    Raises:
        TypeError: ``record`` is not a ``@model`` record, or holds a value that needs pickle.
        OSError: the file cannot be written (its ``filename`` is ``path``).

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
    if not is_model(record) or isinstance(record, type):
        got = f"the class {record.__qualname__}" if isinstance(record, type) else None
        raise TypeError(
            f"save: expected a @model record, got {got or type(record).__name__}; to save several "
            f"values (a model and its optimizer state), make them the fields of a @model record"
        )
    arrays: dict[str, np.ndarray] = {}
    _entries(record, "", arrays)
    name = os.fspath(path)
    try:
        _write_atomically(_target(name), arrays)
    except OSError as e:
        if e.errno is None:
            raise
        raise _for_users_path(e, name) from e


def _target(name: str) -> str:
    """The file to replace: ``name`` itself, or the file a symlink at ``name`` leads to."""
    target = os.path.realpath(name)
    if os.path.islink(target):  # realpath stops inside a symlink loop
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name)
    return target


def _write_atomically(target: str, arrays: dict[str, np.ndarray]) -> None:
    """``arrays`` as ``.npz`` in a new file beside ``target``, renamed over it once on disk."""
    fd, tmp = _create_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            _copy_mode(target, tmp)
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(os.path.dirname(target))


def _create_beside(target: str) -> tuple[int, str]:
    """A new, uniquely named file next to ``target``; ``os.open``'s mode lets the umask apply,
    as for any new file (``tempfile.mkstemp`` would make it 0o600)."""
    directory, base = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", target)


def _copy_mode(target: str, tmp: str) -> None:
    """The permissions of the checkpoint being replaced, onto its replacement."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); skipped where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the file itself is already synced
    finally:
        os.close(fd)


def _for_users_path(e: OSError, name: str) -> OSError:
    """``e`` as the OS would report it for the path the user gave, not our temporary file."""
    why = e.strerror or str(e)
    directory = os.path.dirname(name) or "."
    if isinstance(e, FileNotFoundError) and not os.path.isdir(directory):
        why += f" (the directory {directory!r} does not exist)"
    return OSError(e.errno, why, name)


# --- reading the file ---


_UNREADABLE = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


def _read_file(name: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``name``, read without pickle."""
    try:
        with open(name, "rb") as fh:
            npz = np.load(fh, allow_pickle=False)
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise CheckpointError(
                    f"{name}: a single .npy array, not a .npz checkpoint (save writes .npz)"
                )
            with npz:
                return {k: _member(name, npz, k) for k in npz.files}
    except CheckpointError:
        raise
    except FileNotFoundError as e:
        raise CheckpointError(f"{name}: no such checkpoint file") from e
    except _UNREADABLE as e:
        raise CheckpointError(f"{name}: not a readable .npz checkpoint ({e})") from e


def _member(name: str, npz: Any, key: str) -> np.ndarray:
    try:
        value = npz[key]
    except _UNREADABLE as e:
        raise CheckpointError(f"{name}: not a readable .npz checkpoint: key {key!r}: {e}") from e
    if not isinstance(value, np.ndarray):
        raise CheckpointError(f"{name}: key {key!r}: not a .npy array (a stray file in the zip)")
    return value


class _Reader:
    """The keys of one file, tracking which were used."""

    def __init__(self, path: str, data: dict[str, np.ndarray]) -> None:
        self.path = path
        self.data = data
        self.used: set[str] = set()
        self.kids: dict[str, dict[str, None]] = {}
        for k in data:
            parts = k.split(".")
            for i in range(1, len(parts)):
                self.kids.setdefault(".".join(parts[:i]), {}).setdefault(parts[i], None)

    def has_prefix(self, prefix: str) -> bool:
        return prefix in self.data or prefix in self.kids

    def children(self, prefix: str) -> list[str]:
        """The next path components under ``prefix``, in order of first appearance."""
        return list(self.kids.get(prefix, ()))

    def take(self, key: str) -> np.ndarray:
        if key not in self.data:
            raise CheckpointError(f"{self.path}: missing key {key!r}")
        self.used.add(key)
        return self.data[key]

    def fail(self, key: str, message: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: key {key!r}: {message}")


# --- rebuilding values from annotations ---


def _read(r: _Reader, hint: Any, key: str) -> Any:
    """The value of type ``hint`` stored at ``key``."""
    if hint is None or hint is type(None):
        return None
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        if not r.has_prefix(key):
            if len(options) < len(args):
                return None
            raise CheckpointError(f"{r.path}: missing key {key!r}")
        if len(options) == 1:
            return _read(r, options[0], key)
        choice = _union_choice(r, options, key)
        return _leaf(r, key, choice, get_origin(choice) or choice)
    cls = origin if origin is not None else hint
    if isinstance(cls, type) and is_model(cls):
        return _read_record(r, cls, key, _bindings(cls, args))
    if cls in (list, tuple):
        return _read_sequence(r, cls, args, key)
    if cls is dict:
        return _read_dict(r, args, key)
    return _leaf(r, key, hint, cls)


def _read_sequence(r: _Reader, cls: type, args: tuple[Any, ...], key: str) -> Any:
    """A list or tuple: its length from the file, each element by its annotation (a missing
    element is ``None`` where the annotation allows it)."""
    what = cls.__name__
    if key in r.data:
        arr = r.take(key)
        if arr.ndim != 0 or arr.dtype.kind not in "iu" or arr < 0:
            raise r.fail(key, f"expected the length of a {what}, found {_show(arr)}")
        n = int(arr)
    elif r.has_prefix(key):  # written before lengths were stored: count the elements
        n = len(r.children(key))
    else:
        raise CheckpointError(f"{r.path}: missing key {key!r}")
    if cls is tuple and args and args[-1] is not Ellipsis:
        types_ = list(args)
        if len(types_) != n:
            raise r.fail(key, f"expected {len(types_)} elements, found {n}")
    else:
        types_ = [args[0] if args else Any] * n
    values = [_read(r, t, _join(key, str(i))) for i, t in enumerate(types_)]
    return tuple(values) if cls is tuple else values


def _read_dict(r: _Reader, args: tuple[Any, ...], key: str) -> dict[str, Any]:
    """A dict: its keys from the file, each value by its annotation."""
    value_type = args[1] if len(args) == 2 else Any
    if key in r.data:
        arr = r.take(key)
        if arr.ndim != 1 or arr.dtype.kind != "U":
            raise r.fail(key, f"expected the keys of a dict (strings), found {_show(arr)}")
        names = [str(k) for k in arr.tolist()]
    elif r.has_prefix(key):  # written before keys were stored
        names = r.children(key)
    else:
        raise CheckpointError(f"{r.path}: missing key {key!r}")
    return {k: _read(r, value_type, _join(key, k)) for k in names}


_SCALARS: dict[type, tuple[str, str]] = {
    float: ("a float", "fiu"),
    int: ("an int", "iu"),
    bool: ("a bool", "b"),
    str: ("a str", "U"),
    bytes: ("a bytes", "S"),
    complex: ("a complex", "cfiu"),
}


def _union_choice(r: _Reader, options: list[Any], key: str) -> Any:
    """Which of a union's leaf types (``float | int``, ``Array | float``) the stored value was:
    the scalar type of its dtype's kind for a single value, else the array type, else ``Any``."""
    arr = r.data.get(key)
    if arr is None:
        return Any
    kind = "i" if arr.dtype.kind == "u" else arr.dtype.kind
    if arr.ndim == 0:
        for option in options:
            if option in _SCALARS and _SCALARS[option][1][0] == kind:
                return option
    arrays = [
        o for o in options if (get_origin(o) or o) is np.ndarray or hasattr(o, "_tp_field_check")
    ]
    return arrays[0] if len(arrays) == 1 else Any


def _leaf(r: _Reader, key: str, hint: Any, cls: Any) -> Any:
    """A number, string or array, checked against what the annotation asks for."""
    if key not in r.data and key in r.kids:
        raise r.fail(
            key,
            f"found nested values (a record or container) where the annotation {_name(hint)} "
            f"does not say which; annotate the field with its type, or give the type arguments "
            f"of a generic record (load(path, Record[...]))",
        )
    arr = r.take(key)
    scalar = _SCALARS.get(cls)
    if scalar is None and isinstance(cls, type) and issubclass(cls, np.generic):
        scalar = (f"a {cls.__name__}", _kinds(cls))
    if scalar is not None:
        if arr.ndim != 0:
            raise r.fail(key, f"expected a single {_name(cls)}, found shape {arr.shape}")
        if arr.dtype.kind not in scalar[1]:
            raise r.fail(key, f"expected {scalar[0]}, found {_show(arr)}")
        return cls(arr.item()) if cls in _SCALARS else _as_scalar(arr, cls)
    if cls is np.ndarray:
        want = _array_scalar(hint)
        if want is not None and arr.dtype.kind not in _kinds(want):
            raise r.fail(key, f"expected an array of {want.__name__}, found dtype {arr.dtype}")
        return arr
    check = getattr(cls, "_tp_field_check", None)
    if check is not None:  # an array type such as Vec or Mat: converted, shape checked
        if arr.dtype.kind not in "fiu":
            raise r.fail(key, f"expected an array of real numbers, found dtype {arr.dtype}")
        where = f"{r.path}: key {key!r}"
        try:
            return check(hint, arr, {}, where)
        except TypedpropError as e:
            message = str(e)
            raise CheckpointError(
                message if message.startswith(where) else f"{where}: {message}"
            ) from e
    return arr


def _kinds(scalar: type) -> str:
    """The dtype kinds a value of numpy scalar type ``scalar`` may be read from losslessly."""
    for base, kinds in (
        (np.bool_, "b"),
        (np.integer, "iu"),
        (np.floating, "fiu"),
        (np.complexfloating, "fiuc"),
        (np.str_, "U"),
        (np.bytes_, "S"),
        (np.number, "iufc"),
    ):
        if issubclass(scalar, base):
            return kinds
    return "biufcUSmM"


def _as_scalar(arr: np.ndarray, cls: type) -> Any:
    """The 0-d array as a numpy scalar of type ``cls`` (as is, when ``cls`` is abstract)."""
    try:
        return arr.astype(cls)[()]
    except TypeError:
        return arr[()]


def _array_scalar(hint: Any) -> type | None:
    """``np.float64`` for ``NDArray[np.float64]``; ``None`` when the dtype is not given."""
    args = get_args(hint)
    dtype_args = get_args(args[1]) if len(args) == 2 else ()
    want = dtype_args[0] if dtype_args else None
    return want if isinstance(want, type) and issubclass(want, np.generic) else None


def _show(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"{arr.dtype} {arr.item()!r}"
    return f"an array of dtype {arr.dtype} and shape {arr.shape}"


def _name(hint: Any) -> str:
    return getattr(hint, "__qualname__", None) or str(hint)


def _bindings(cls: type, args: tuple[Any, ...]) -> dict[Any, Any]:
    """The type arguments of a generic record (``AdamState[Net]``) by type variable."""
    params = getattr(cls, "__parameters__", ())
    return dict(zip(params, args, strict=True)) if args and len(params) == len(args) else {}


def _substitute(hint: Any, bindings: dict[Any, Any]) -> Any:
    """``hint`` with the record's type variables replaced by their arguments."""
    if not bindings:
        return hint
    if isinstance(hint, TypeVar):
        return bindings.get(hint, hint)
    params = getattr(hint, "__parameters__", ())
    if any(p in bindings for p in params):
        try:
            return hint[tuple(bindings.get(p, p) for p in params)]
        except TypeError:
            return hint
    return hint


def _read_record(
    r: _Reader, cls: type, prefix: str, bindings: dict[Any, Any], **given: Any
) -> Any:
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
            values[f.name] = _read(r, _substitute(hints.get(f.name, Any), bindings), key)
    try:
        return _checked(info, values)
    except (TypedpropError, TypeError, ValueError) as e:
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

    ``cls`` may be a generic record with its type arguments (``AdamState[Net]``). ``like`` (a
    record of the same type) adds a check that every array has its shape; ``static`` gives
    static fields that were not stored (callables) and have no default.

    Raises:
        CheckpointError: the file is missing, corrupt or truncated, is not an ``.npz``, holds
            pickled data, or a key is missing, unexpected, or holds a value of the wrong kind,
            dtype or shape; the message names the file, the key and what was expected.
    """
    name = os.fspath(path)
    r = _Reader(name, _read_file(name))
    base = get_origin(cls) or cls
    record = _read_record(r, base, "", _bindings(base, get_args(cls)), **static)
    extra = sorted(set(r.data) - r.used)
    if extra:
        raise CheckpointError(
            f"{name}: unexpected key(s) {extra} for {_name(cls)}; "
            f"the file was saved from another record type"
        )
    if like is not None:
        _check_like(r, record, like, "")
    result: S = record
    return result
