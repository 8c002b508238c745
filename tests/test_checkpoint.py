"""Checkpoints: round trips, atomic saves, and a typed error for every kind of bad file."""

from __future__ import annotations

import errno
import os
import pickle
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray

import typedprop as tp
from typedprop import BVar, model, static
from typedprop.checkpoint import load, save
from typedprop.functions import sum_elements, tanh
from typedprop.linalg import Mat, Vec
from typedprop.optim import (
    SGD,
    Adam,
    AdamState,
    AdamW,
    Momentum,
    MomentumState,
    SGDState,
    StepDecay,
    WarmupCosine,
)

from .trees import same

Array = NDArray[np.float64]
In = TypeVar("In")
Out = TypeVar("Out")


@model
class Layer(Generic[In, Out]):
    weight: Array
    bias: Array


@model
class Net:
    layer1: Layer[Any, Any]
    hidden: list[Layer[Any, Any]]
    table: dict[str, float]
    pair: tuple[float, Array]
    gain: float
    note: Array | None = None
    width: int = static(default=8)
    activation: Callable[[Any], Any] = static(default=tanh)


def make_net(seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)

    def layer(m: int, n: int) -> Layer[Any, Any]:
        return Layer(rng.normal(size=(m, n)), rng.normal(size=m))

    return Net(
        layer(3, 4),
        [layer(2, 3), layer(1, 2)],
        {"alpha": 0.5, "beta": -1.0},
        (2.0, np.arange(3.0)),
        gain=1.5,
        width=5,
    )


def test_round_trip_of_a_nested_generic_record(tmp_path: Path) -> None:
    """save then load gives back an equal record: nested, generic, lists, dicts, tuples."""
    net = make_net()
    path = tmp_path / "net.npz"
    save(path, net)
    back = load(path, Net)
    assert same(back, net)
    assert back.width == 5 and back.activation is tanh and back.note is None
    assert not back.layer1.weight.flags.writeable


def test_keys_are_field_paths_and_no_pickle(tmp_path: Path) -> None:
    """The file is a plain .npz whose keys are field paths, readable without pickle."""
    path = tmp_path / "net.npz"
    save(path, make_net())
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
    assert {"layer1.weight", "hidden.1.bias", "table.alpha", "pair.1", "gain", "width"} <= keys
    assert "activation" not in keys and "note" not in keys


def test_optional_array_round_trips(tmp_path: Path) -> None:
    """A present optional field is stored and read back."""
    net = attrs.evolve(make_net(), note=np.ones(2))  # type: ignore[misc]
    save(tmp_path / "n.npz", net)
    np.testing.assert_array_equal(load(tmp_path / "n.npz", Net).note, np.ones(2))


def write_npz(path: Path, arrays: dict[str, Any]) -> None:
    with path.open("wb") as f:
        np.savez(f, **arrays)


def saved_arrays(net: Net) -> dict[str, Any]:
    """The arrays save() writes for a record, by key (read back from a real save)."""
    path = Path(tempfile.mkdtemp()) / "tmp.npz"
    save(path, net)
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_missing_key_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    """A file without one of the record's keys raises CheckpointError naming both."""
    arrays = saved_arrays(make_net())
    del arrays["hidden.0.weight"]
    path = tmp_path / "missing.npz"
    write_npz(path, arrays)
    with pytest.raises(tp.CheckpointError, match=r"missing\.npz: missing key 'hidden\.0\.weight'"):
        load(path, Net)


def test_extra_key_is_an_error(tmp_path: Path) -> None:
    """A key the record does not have raises CheckpointError naming it."""
    arrays = saved_arrays(make_net())
    arrays["layer1.extra"] = np.zeros(1)
    path = tmp_path / "extra.npz"
    write_npz(path, arrays)
    with pytest.raises(tp.CheckpointError, match=r"unexpected key\(s\) \['layer1\.extra'\]"):
        load(path, Net)


def test_wrong_shape_is_an_error(tmp_path: Path) -> None:
    """An array of another shape than the template's raises CheckpointError naming the key."""
    arrays = saved_arrays(make_net())
    arrays["layer1.weight"] = np.zeros((4, 3))
    path = tmp_path / "shape.npz"
    write_npz(path, arrays)
    with pytest.raises(tp.CheckpointError, match=r"'layer1\.weight': expected shape \(3, 4\)"):
        load(path, Net, like=make_net())


def test_wrong_kind_is_an_error(tmp_path: Path) -> None:
    """A vector where a single number belongs raises CheckpointError naming the key."""
    arrays = saved_arrays(make_net())
    arrays["gain"] = np.ones(3)
    path = tmp_path / "kind.npz"
    write_npz(path, arrays)
    with pytest.raises(tp.CheckpointError, match=r"'gain': expected a single float"):
        load(path, Net)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_files_are_errors(tmp_path: Path, damage: str) -> None:
    """Truncated, garbage and empty files raise CheckpointError, not a zipfile error."""
    path = tmp_path / "bad.npz"
    save(path, make_net())
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all" * 10)
    else:
        path.write_bytes(b"")
    with pytest.raises(tp.CheckpointError, match=r"bad\.npz: not a readable \.npz checkpoint"):
        load(path, Net)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    """A path with no file raises CheckpointError."""
    with pytest.raises(tp.CheckpointError, match="no such checkpoint file"):
        load(tmp_path / "nothing.npz", Net)


def test_failed_save_leaves_the_previous_file_intact(tmp_path: Path, monkeypatch: Any) -> None:
    """If writing fails half-way, the old checkpoint is still there and still loads."""
    path = tmp_path / "net.npz"
    good = make_net(1)
    save(path, good)
    before = path.read_bytes()

    def broken_savez(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save(path, make_net(2))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert same(load(path, Net), good)
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_save_refuses_non_records(tmp_path: Path) -> None:
    """save takes @model records only."""
    with pytest.raises(TypeError, match="expected a @model record, got dict"):
        save(tmp_path / "x.npz", {"a": np.ones(1)})
    with pytest.raises(TypeError, match="expected a @model record, got the class Net"):
        save(tmp_path / "x.npz", Net)
    assert list(tmp_path.iterdir()) == []


def test_zip_is_a_real_npz(tmp_path: Path) -> None:
    """The saved file is a zip archive of .npy members (any numpy can read it)."""
    path = tmp_path / "net.npz"
    save(path, make_net())
    with zipfile.ZipFile(path) as z:
        assert all(n.endswith(".npy") for n in z.namelist())


# --- file modes, symlinks and the path in errors ---


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077], ids=oct)
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    """A new checkpoint is created like any new file: 0o666 less the umask (not 0o600)."""
    old = os.umask(umask)
    try:
        save(tmp_path / "net.npz", make_net())
    finally:
        os.umask(old)
    assert mode(tmp_path / "net.npz") == 0o666 & ~umask


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    """Saving over a checkpoint keeps that file's permissions."""
    path = tmp_path / "net.npz"
    save(path, make_net(1))
    path.chmod(0o640)
    save(path, make_net(2))
    assert mode(path) == 0o640
    assert same(load(path, Net), make_net(2))


def test_save_writes_through_a_symlink_to_its_target(tmp_path: Path) -> None:
    """A symlink stays a symlink; its target gets the new checkpoint (atomically, the temporary
    file beside the target), keeping the target's mode."""
    store, links = tmp_path / "store", tmp_path / "links"
    store.mkdir()
    links.mkdir()
    target, link = store / "net.npz", links / "latest.npz"
    save(target, make_net(1))
    target.chmod(0o604)
    link.symlink_to(target)
    save(link, make_net(2))
    assert link.is_symlink() and link.resolve() == target
    assert same(load(target, Net), make_net(2))
    assert mode(target) == 0o604
    assert [p.name for p in store.iterdir()] == ["net.npz"]
    assert [p.name for p in links.iterdir()] == ["latest.npz"]


def test_save_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    """A symlink to a file not yet written: the file is created where the link points."""
    link, target = tmp_path / "latest.npz", tmp_path / "run1.npz"
    link.symlink_to(target.name)
    save(link, make_net())
    assert link.is_symlink() and same(load(target, Net), make_net())


def test_save_through_a_symlink_loop_is_an_os_error(tmp_path: Path) -> None:
    """A symlink loop is refused as open() refuses it, not replaced by a file."""
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    with pytest.raises(OSError, match="Too many levels of symbolic links") as info:
        save(a, make_net())
    assert info.value.errno == errno.ELOOP and info.value.filename == str(a)
    assert a.is_symlink() and b.is_symlink()


def test_save_into_a_missing_directory_names_the_users_path(tmp_path: Path) -> None:
    """The error names the path the user gave and the missing directory, not a temporary."""
    path = tmp_path / "missing" / "net.npz"
    with pytest.raises(FileNotFoundError) as info:
        save(path, make_net())
    assert info.value.filename == str(path)
    assert ".tmp" not in str(info.value)
    assert f"the directory {str(tmp_path / 'missing')!r} does not exist" in str(info.value)


def test_save_over_a_directory_names_the_users_path(tmp_path: Path) -> None:
    """A directory where the file should go: an OSError naming that path, nothing left over."""
    path = tmp_path / "net.npz"
    path.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        save(path, make_net())
    assert info.value.filename == str(path) and ".tmp" not in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_save_syncs_the_file_and_its_directory(tmp_path: Path, monkeypatch: Any) -> None:
    """The data and the rename both reach the disk (fsync of the file, then of the directory)."""
    synced: list[bool] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    save(tmp_path / "net.npz", make_net())
    assert synced == [False, True]


# --- empty containers and None inside containers ---


@model
class Containers:
    items: list[Array]
    fixed: tuple[()]
    rest: tuple[float, ...]
    table: dict[str, Array]
    nested: list[list[float]]
    holes: list[Array | None]
    pair: tuple[Array | None, float]
    maybe: dict[str, float | None]


def test_empty_containers_round_trip(tmp_path: Path) -> None:
    """Empty lists, tuples and dicts are stored and come back empty (not 'missing key')."""
    empty = Containers([], (), (), {}, [[], [1.0]], [], (None, 1.0), {})
    save(tmp_path / "c.npz", empty)
    assert same(load(tmp_path / "c.npz", Containers), empty)


def test_none_inside_containers_round_trips(tmp_path: Path) -> None:
    """None elements keep their places in lists and tuples, and their keys in dicts."""
    holes = Containers(
        [np.ones(2)],
        (),
        (1.0, 2.0),
        {"a": np.zeros(1)},
        [[2.0]],
        [None, np.ones(1), None],
        (None, 3.0),
        {"x": None, "y": 1.5},
    )
    save(tmp_path / "c.npz", holes)
    back = load(tmp_path / "c.npz", Containers)
    assert same(back, holes)
    assert back.holes[0] is None and back.holes[2] is None and list(back.maybe) == ["x", "y"]


def test_a_record_with_an_empty_list_field_round_trips(tmp_path: Path) -> None:
    """The reported case: a network with no hidden layers."""
    net = attrs.evolve(make_net(), hidden=[])  # type: ignore[misc]
    save(tmp_path / "net.npz", net)
    assert same(load(tmp_path / "net.npz", Net), net)


def test_a_list_of_vectors_comes_back_as_vectors(tmp_path: Path) -> None:
    """Arrays in a list[Vec[...]] field are Vecs again after loading, as they were saved."""

    @model
    class Stack:
        rows: list[Vec[3]]

    stack = Stack([Vec(np.ones(3)), Vec(np.zeros(3))])
    save(tmp_path / "s.npz", stack)
    back = load(tmp_path / "s.npz", Stack)
    assert all(type(v) is Vec for v in back.rows)
    assert all(
        np.array_equal(a.array, b.array) for a, b in zip(back.rows, stack.rows, strict=True)
    )


# --- bad files: every one a CheckpointError naming the file, the key and what was expected ---


@model
class Kinds:
    rate: float
    count: int
    flag: bool
    name: str
    weights: Mat[2, 3]
    bias: Vec[2]
    table: NDArray[np.float64]
    raw: np.ndarray
    layers: list[Layer[Any, Any]]


def make_kinds() -> Kinds:
    return Kinds(
        0.5,
        3,
        True,
        "run",
        Mat(np.arange(6.0).reshape(2, 3)),
        Vec(np.ones(2)),
        np.linspace(0.0, 1.0, 4),
        np.arange(3),
        [Layer(np.eye(2), np.zeros(2))],
    )


SPRUNG: list[str] = []


def _spring() -> str:
    SPRUNG.append("unpickled")
    return "trap"


class Trap:
    """An object whose unpickling leaves a trace: loading must never unpickle."""

    def __reduce__(self) -> tuple[Callable[[], str], tuple[()]]:
        return _spring, ()


def kinds_arrays() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "k.npz"
        save(path, make_kinds())
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}


def with_key(key: str, value: Any) -> Callable[[Path], None]:
    """A writer of the good file with ``key`` set to ``value`` (deleted if ``value`` is None)."""

    def write(path: Path) -> None:
        arrays = kinds_arrays()
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
        write_npz(path, arrays)

    return write


def with_bytes(damage: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        save(path, make_kinds())
        path.write_bytes(damage(path.read_bytes()))

    return write


def damage_first_member(data: bytes) -> bytes:
    """The first member's data overwritten (the zip's directory intact): a CRC error."""
    start = data.index(b"\x93NUMPY")
    return data[:start] + b"\x00" * 20 + data[start + 20 :]


def npy_file(path: Path) -> None:
    with path.open("wb") as f:
        np.save(f, np.ones(3))


def pickle_file(path: Path) -> None:
    path.write_bytes(pickle.dumps({"rate": Trap()}))


def pickled_npy_file(path: Path) -> None:
    with path.open("wb") as f:
        np.save(f, np.array([Trap()], dtype=object), allow_pickle=True)


def pickled_member(path: Path) -> None:
    arrays = kinds_arrays()
    arrays["raw"] = np.array([Trap()], dtype=object)
    write_npz(path, arrays)  # np.savez pickles object arrays


def raw_member(path: Path) -> None:
    save(path, make_kinds())
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("extra", b"3.5")


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated zip": (with_bytes(lambda b: b[: len(b) // 2]), r"not a readable \.npz"),
    "damaged member": (with_bytes(damage_first_member), r"not a readable \.npz.*key 'rate'"),
    "not a zip": (with_bytes(lambda b: b"PK not really" * 20), r"not a readable \.npz"),
    "empty file": (with_bytes(lambda b: b""), r"not a readable \.npz"),
    ".npy file": (npy_file, r"a single \.npy array, not a \.npz checkpoint"),
    "pickle file": (pickle_file, r"not a readable \.npz.*pickle"),
    "pickled .npy": (pickled_npy_file, r"not a readable \.npz.*pickle"),
    "pickled object array": (pickled_member, r"key 'raw': .*pickle"),
    "member not .npy": (raw_member, r"key 'extra': not a \.npy array"),
    "missing key": (with_key("count", None), r"missing key 'count'"),
    "extra key": (
        with_key("layers.0.scale", np.ones(1)),
        r"unexpected key\(s\) \['layers.0.scale'",
    ),
    "str in float": (with_key("rate", np.array("fast")), r"'rate': expected a float, found <U4"),
    "complex in float": (with_key("rate", np.array(1j)), r"'rate': expected a float, found comp"),
    "bool in float": (with_key("rate", np.array(True)), r"'rate': expected a float, found bool"),
    "float in int": (
        with_key("count", np.array(3.7)),
        r"'count': expected an int, found float64 3\.7",
    ),
    "whole float in int": (
        with_key("count", np.array(3.0)),
        r"'count': expected an int, found flo",
    ),
    "int in bool": (with_key("flag", np.array(1)), r"'flag': expected a bool, found int64 1"),
    "number in str": (with_key("name", np.array(2.0)), r"'name': expected a str, found float64"),
    "vector in float": (
        with_key("rate", np.ones(3)),
        r"'rate': expected a single float, found sh",
    ),
    "strings in Mat": (
        with_key("weights", np.full((2, 3), "x")),
        r"'weights': expected an array of real numbers, found dtype <U1",
    ),
    "complex in Vec": (
        with_key("bias", np.ones(2) * 1j),
        r"'bias': expected an array of real numbers, found dtype complex128",
    ),
    "wrong shape Mat": (
        with_key("weights", np.ones((3, 2))),
        r"'weights': .*expected Mat\[2, 3\]",
    ),
    "wrong rank Vec": (with_key("bias", np.ones((2, 2))), r"'bias': .*Vec"),
    "strings in float64 array": (
        with_key("table", np.array(["a", "b"])),
        r"'table': expected an array of float64, found dtype <U1",
    ),
    "strings in a bare ndarray": (
        with_key("raw", np.array(["a", "b"])),
        r"Kinds\.raw: expected an array of numbers, got an array of shape \(2,\) of dtype <U1",
    ),
    "list length of wrong kind": (
        with_key("layers", np.array("one")),
        r"'layers': expected the length of a list, found <U3",
    ),
    "list longer than stored": (
        with_key("layers", np.array(2)),
        r"missing key 'layers\.1\.weight'",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_bad_files_are_checkpoint_errors(tmp_path: Path, case: str) -> None:
    """Each kind of bad file raises CheckpointError naming the file and the key, and never
    unpickles anything."""
    write, message = BAD_FILES[case]
    path = tmp_path / "bad.npz"
    write(path)
    SPRUNG.clear()
    with pytest.raises(tp.CheckpointError, match=r"bad\.npz: (.* )?" + message):
        load(path, Kinds)
    assert SPRUNG == []


def test_a_wrong_shape_against_like_is_an_error(tmp_path: Path) -> None:
    """like= checks the shapes of plain arrays, which the annotations do not fix."""
    with_key("table", np.ones(5))(tmp_path / "bad.npz")
    with pytest.raises(tp.CheckpointError, match=r"'table': expected shape \(4,\), found \(5,\)"):
        load(tmp_path / "bad.npz", Kinds, like=make_kinds())


FINE_FILES: dict[str, tuple[str, Any]] = {
    "NaN in a float": ("rate", np.array(np.nan)),
    "inf in a float": ("rate", np.array(-np.inf)),
    "int in a float": ("rate", np.array(2)),
    "NaN in a Mat": ("weights", np.full((2, 3), np.nan)),
    "NaN in a float64 array": ("table", np.array([np.nan, 1.0, np.inf, 0.0])),
    "float32 in a float64 array": ("table", np.ones(4, np.float32)),
}


@pytest.mark.parametrize("case", FINE_FILES, ids=str)
def test_unusual_but_valid_values_load(tmp_path: Path, case: str) -> None:
    """NaN, infinities and lossless kinds load as stored (a checkpoint of a diverged run is
    still a checkpoint)."""
    key, value = FINE_FILES[case]
    with_key(key, value)(tmp_path / "ok.npz")
    back = load(tmp_path / "ok.npz", Kinds)
    got = getattr(back, key)
    got = got.array if isinstance(got, Mat) else got
    np.testing.assert_array_equal(got, value)
    if key == "rate":
        assert type(got) is float
    else:
        assert np.asarray(got).dtype.kind == value.dtype.kind


# --- optimizer state ---


@model
class Bowl:
    w: Mat[2, 3]
    b: Vec[2]
    scale: float
    frozen: int = static(default=1)


def bowl_loss(p: BVar[Bowl]) -> BVar[float]:
    return (
        sum_elements(((p ^ Bowl.w) - 1.0) ** 2.0) * (p ^ Bowl.scale)
        + sum_elements(((p ^ Bowl.b) + 2.0) ** 2.0)
        + (p ^ Bowl.scale) ** 2.0
    )


St = TypeVar("St")


@model
class Resume(Generic[St]):
    """A user's checkpoint: the model, the optimizer's state and where training was."""

    params: Bowl
    state: St
    step: int


def make_bowl() -> Bowl:
    rng = np.random.default_rng(3)
    return Bowl(Mat(rng.normal(size=(2, 3))), Vec(rng.normal(size=2)), 0.7, frozen=4)


def train(opt: Any, params: Bowl, state: Any, steps: int) -> tuple[Any, Bowl]:
    for _ in range(steps):
        state, params = opt.step(state, params, tp.grad_bp(bowl_loss, params))
    return state, params


OPTIMIZERS: list[tuple[Any, Any]] = [
    (SGD(lr=0.05), SGDState),
    (Momentum(lr=0.05), MomentumState[Bowl]),
    (Adam(lr=0.05), AdamState[Bowl]),
    (AdamW(lr=0.05, weight_decay=0.1), AdamState[Bowl]),
    (SGD(lr=StepDecay(0.05, every=4, factor=0.5)), SGDState),
    (Momentum(lr=StepDecay(0.05, every=5)), MomentumState[Bowl]),
    (AdamW(lr=WarmupCosine(0.1, total=12, warmup=4), weight_decay=0.1), AdamState[Bowl]),
]


@pytest.mark.parametrize(
    ("opt", "state_type"),
    OPTIMIZERS,
    ids=[
        "sgd",
        "momentum",
        "adam",
        "adamw",
        "sgd-step-decay",
        "momentum-step-decay",
        "adamw-warmup-cosine",
    ],
)
def test_training_resumes_exactly_after_save_and_load(
    tmp_path: Path, opt: Any, state_type: Any
) -> None:
    """Train 6 steps, save model and state, load them, train 6 more: bitwise the same as 12
    steps without a break (a schedule continues from the saved step count)."""
    start = make_bowl()
    state_12, params_12 = train(opt, start, opt.init(start), 12)

    state_6, params_6 = train(opt, start, opt.init(start), 6)
    save(tmp_path / "ckpt.npz", Resume(params_6, state_6, 6))
    back = load(tmp_path / "ckpt.npz", Resume[state_type])
    assert back.step == 6 and back.params.frozen == 4
    assert back.state.t == 6
    state, params = train(opt, back.params, back.state, 6)

    assert same(params, params_12) and same(state, state_12)
    assert np.array_equal(params.w.array, params_12.w.array)
    assert np.array_equal(params.b.array, params_12.b.array) and params.scale == params_12.scale


def test_adam_state_saves_and_loads_on_its_own(tmp_path: Path) -> None:
    """The reported case: save(path, adam_state) and load(path, AdamState[Model])."""
    opt = Adam(lr=0.1)
    state, _ = train(opt, make_bowl(), opt.init(make_bowl()), 3)
    save(tmp_path / "adam.npz", state)
    back = load(tmp_path / "adam.npz", AdamState[Bowl])
    assert isinstance(back, AdamState) and isinstance(back.m, Bowl) and back.t == 3
    assert same(back, state)
    with np.load(tmp_path / "adam.npz", allow_pickle=False) as data:
        assert {"m.w", "m.b", "m.scale", "v.w", "t"} <= set(data.files)


def test_adam_state_of_several_models_round_trips(tmp_path: Path) -> None:
    """Adam over a tuple of records: its state is AdamState[tuple[Bowl, Bowl]]."""
    opt = Adam(lr=0.1)
    params = (make_bowl(), make_bowl())
    state = opt.step(opt.init(params), params, params)[0]
    save(tmp_path / "adam.npz", state)
    back = load(tmp_path / "adam.npz", AdamState[tuple[Bowl, Bowl]])
    assert same(back, state) and isinstance(back.v, tuple) and isinstance(back.v[1], Bowl)


def test_a_generic_record_without_its_type_arguments_is_an_error(tmp_path: Path) -> None:
    """Resume's state field is a type variable: load says to give Resume[...]."""
    opt = Adam(lr=0.1)
    save(tmp_path / "r.npz", Resume(make_bowl(), opt.init(make_bowl()), 0))
    with pytest.raises(
        tp.CheckpointError, match=r"key 'state': found nested values.*Record\["
    ) as e:
        load(tmp_path / "r.npz", Resume)
    assert "r.npz" in str(e.value)


@model
class Applied:
    """A record that is also a function (a layer applied by calling it)."""

    weight: Array

    def __call__(self, x: Array) -> Array:
        return self.weight @ x


@model
class Holder:
    layer: Applied


def test_a_callable_record_is_stored_not_skipped(tmp_path: Path) -> None:
    """Records with __call__ are records, not callable static values to leave out."""
    held = Holder(Applied(np.eye(2)))
    save(tmp_path / "h.npz", held)
    assert same(load(tmp_path / "h.npz", Holder), held)


def test_files_without_container_lengths_still_load(tmp_path: Path) -> None:
    """Files written before lengths and dict keys were stored load as before."""
    arrays = saved_arrays(make_net())
    for key in ["hidden", "table", "pair"]:
        del arrays[key]
    write_npz(tmp_path / "old.npz", arrays)
    assert same(load(tmp_path / "old.npz", Net), make_net())


@model
class Unions:
    number: float | int
    count: float | int
    value: Array | float
    values: Array | float
    kind: type = static(default=Layer)


def test_union_fields_come_back_as_the_type_they_were(tmp_path: Path) -> None:
    """float | int holding an int is an int again, Array | float holding a float a float (not
    0-d arrays); a static field holding a record class is carried, not walked into."""
    u = Unions(2.5, 3, 1.5, np.arange(2.0))
    save(tmp_path / "u.npz", u)
    back = load(tmp_path / "u.npz", Unions)
    assert type(back.number) is float and type(back.count) is int and back.count == 3
    assert type(back.value) is float and isinstance(back.values, np.ndarray)
    assert same(back, u) and back.kind is Layer
