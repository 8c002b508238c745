"""count_params and summary: every parameter counted once, by its field path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import flatten, model, static
from typedprop.linalg import Mat, Vec
from typedprop.testing import nested

I = TypeVar("I", bound=int)  # noqa: E741
O = TypeVar("O", bound=int)  # noqa: E741


@model
class Layer(Generic[I, O]):
    weight: Mat[O, I]
    bias: Vec[O]


@model
class Mnist:
    layer1: Layer[Literal[784], Literal[300]]
    layer2: Layer[Literal[300], Literal[100]]
    layer3: Layer[Literal[100], Literal[10]]


def layer(i: int, o: int) -> Any:
    return Layer(Mat(np.zeros((o, i))), Vec(np.zeros(o)))


def test_the_mnist_network_has_266_610_parameters() -> None:
    """784*300 + 300 + 300*100 + 100 + 100*10 + 10, and the table lists each array."""
    net = Mnist(layer(784, 300), layer(300, 100), layer(100, 10))
    expected = 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
    assert tp.count_params(net) == expected == 266_610
    lines = tp.summary(net).splitlines()
    assert lines[0] == "Mnist: 266,610 parameters"
    assert lines[1].split() == ["field", "type", "shape", "count"]
    assert lines[2].split() == ["layer1.weight", "Mat[300,", "784]", "(300,", "784)", "235,200"]
    assert lines[7].split() == ["layer3.bias", "Vec[10]", "(10,)", "10"]
    assert lines[-1].split() == ["total", "266,610"] and len(lines) == 9
    assert len({len(line) for line in lines[1:]}) == 1  # the counts are right-aligned


@model
class Mixed:
    w: NDArray[np.float32]
    layers: list[Layer[Literal[2], Literal[1]]]
    table: dict[str, Any]
    steps: int
    gain: float
    bias: np.float32
    maybe: Vec[2] | None
    act_size: NDArray[np.float64] = static(default=np.zeros(100))


def test_statics_and_integers_are_not_parameters_and_paths_are_checkpoint_keys() -> None:
    """Nested lists of records and dicts get dotted paths; ints, None and statics are left
    out; dtypes and scalars get their own type names."""
    small: Layer[Literal[2], Literal[1]] = Layer(Mat([[1.0, 2.0]]), Vec([0.5]))
    m = Mixed(
        np.zeros((2, 3), np.float32),
        [small, small],
        {"k": np.ones(4)},
        5,
        1.0,
        np.float32(2.0),
        None,
    )
    assert tp.count_params(m) == 6 + 3 + 3 + 4 + 1 + 1
    rows = [line.split() for line in tp.summary(m).splitlines()[2:-1]]
    assert [r[0] for r in rows] == [
        "w",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "table.k",
        "gain",
        "bias",
    ]
    assert rows[0][1] == "ndarray[float32]" and rows[-2][1:] == ["float", "()", "1"]
    assert rows[-1][1] == "float32"


@given(nested())
def test_count_params_is_the_length_of_the_flattened_vector(x: Any) -> None:
    """Any container of floats and arrays: as many parameters as flatten gives numbers, and
    the table's rows add up to the total."""
    n = tp.count_params(x)
    assert n == len(flatten(x)[0])
    lines = tp.summary(x).splitlines()
    assert sum(int(line.split()[-1].replace(",", "")) for line in lines[2:-1]) == n
    assert lines[-1].split() == ["total", f"{n:,}"]


def test_a_model_without_parameters() -> None:
    """No parameters: a header, no rows, a total of zero."""

    @model
    class Config:
        size: int

    assert tp.count_params(Config(3)) == 0
    assert tp.summary(Config(3)).splitlines() == [
        "Config: 0 parameters",
        "field  type  shape  count",
        "total                   0",
    ]


def test_the_table_on_the_toolkit_page_is_what_summary_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/toolkit.md shows summary's output after its first code block: the same text."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "toolkit.md").read_text()
    code = re.findall(r"^```python\n(.*?)^```", page, re.S | re.M)[0]
    shown = re.findall(r"^```text\n(.*?)^```", page, re.S | re.M)[0]
    exec(compile(code, "toolkit.md[0]", "exec", dont_inherit=True), {"__name__": "docs"})
    assert capsys.readouterr().out == shown
