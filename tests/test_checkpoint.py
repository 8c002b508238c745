"""Checkpoints: round trips, atomic saves, and a typed error for every kind of bad file."""

from __future__ import annotations

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
from typedprop import model, static
from typedprop.checkpoint import load, save
from typedprop.functions import tanh

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
    with pytest.raises(TypeError, match="expected a @model record"):
        save(tmp_path / "x.npz", {"a": np.ones(1)})


def test_zip_is_a_real_npz(tmp_path: Path) -> None:
    """The saved file is a zip archive of .npy members (any numpy can read it)."""
    path = tmp_path / "net.npz"
    save(path, make_net())
    with zipfile.ZipFile(path) as z:
        assert all(n.endswith(".npy") for n in z.namelist())
