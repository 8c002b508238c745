"""Reprs stay short for big models and show the values of small ones."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from typedprop import Model, model
from typedprop.linalg import Mat, Vec

I = TypeVar("I", bound=int)  # noqa: E741
O = TypeVar("O", bound=int)  # noqa: E741


@model
class Layer(Generic[I, O]):
    weight: Mat[O, I]
    bias: Vec[O]


@model
class Mnist:
    """backprop's MNIST network: 784-300-100-10."""

    layer1: Layer[Literal[784], Literal[300]]
    layer2: Layer[Literal[300], Literal[100]]
    layer3: Layer[Literal[100], Literal[10]]


def layer(rng: np.random.Generator, i: int, o: int) -> Any:
    return Layer(Mat(rng.normal(size=(o, i))), Vec(rng.normal(size=o)))


def test_a_784_300_100_10_network_repr_is_short() -> None:
    """Under 1,000 characters (NumPy's default repr made it 31,387), on one line, with each
    array's type and dimensions and its first and last values."""
    rng = np.random.default_rng(0)
    net = Mnist(layer(rng, 784, 300), layer(rng, 300, 100), layer(rng, 100, 10))
    text = repr(net)
    assert len(text) < 1000
    assert text.startswith("Mnist(layer1=Layer(weight=Mat[300, 784]([[") and "\n" not in text[:800]
    for dims in ("Mat[300, 784]", "Vec[300]", "Mat[100, 300]", "Vec[100]", "Mat[10, 100]"):
        assert dims in text
    first, last = net.layer1.weight.array[0, 0], net.layer1.weight.array[-1, -1]
    assert f"{first:.4f}" in text and f"{last:.4f}" in text and "..." in text


def test_small_values_show_every_number() -> None:
    """A Vec or Mat of at most 32 numbers, and a small record, show all their values."""
    v: Vec[Any] = Vec(np.arange(32.0))
    assert "..." not in repr(v) and "31." in repr(v)
    assert repr(Vec([1.0, 2.5])) == "Vec[2]([1. , 2.5])"
    assert repr(Mat([[1.0, 2.0], [3.0, 4.0]])) == "Mat[2, 2]([[1., 2.],\n           [3., 4.]])"
    small: Layer[Literal[2], Literal[1]] = Layer(Mat([[1.0, 2.0]]), Vec([0.5]))
    assert repr(small) == "Layer(weight=Mat[1, 2]([[1., 2.]]), bias=Vec[1]([0.5]))"
    assert "..." in repr(Vec(np.arange(33.0)))


@model
class Plain:
    w: NDArray[np.float32]
    parts: list[Any]
    table: dict[str, Any]
    rate: float
    hidden: float = attrs.field(default=0.0, repr=False)


def test_plain_arrays_in_records_are_summarised_with_their_shape() -> None:
    """ndarray fields, also inside lists, tuples and dicts, are summarised on one line with
    their shape (and a dtype other than float64); repr=False fields stay hidden."""
    big = np.arange(12000.0).reshape(100, 120)
    p = Plain(big.astype(np.float32), [np.ones(3), (big,)], {"k": big[0]}, 1.5, hidden=2.0)
    text = repr(p)
    assert len(text) < 700 and "\n" not in text
    assert "w=array([[0.0000e+00, 1.0000e+00, ..., 1.1800e+02, 1.1900e+02], [1.2000e+02," in text
    assert "shape=(100, 120), dtype=float32)" in text
    assert "[array([1., 1., 1.]), (array([[" in text and "shape=(100, 120)),)]" in text
    assert "{'k': array([ 0., 1., ..., 118., 119.], shape=(120,))}" in text
    assert text.endswith("rate=1.5)") and "hidden" not in text


class WithOwnRepr(Model):
    x: float

    def __repr__(self) -> str:
        return "mine"


def test_a_records_own_repr_is_kept() -> None:
    """A record class that defines __repr__ keeps it."""
    assert repr(WithOwnRepr(1.0)) == "mine"


@model
class Outer:
    inner: Layer[Literal[2], Literal[1]]
    name: str


def test_nested_records_read_like_attrs_reprs() -> None:
    """Name(field=value, ...), nested records and strings as attrs writes them."""
    o = Outer(Layer(Mat([[1.0, 2.0]]), Vec([0.5])), "net")
    assert repr(o) == (
        "Outer(inner=Layer(weight=Mat[1, 2]([[1., 2.]]), bias=Vec[1]([0.5])), name='net')"
    )
