"""The Backprop class: the laws of every built-in instance, and user registration."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import typedprop as tp
from typedprop import Backprop, BVar
from typedprop.testing import arrays, nested, well_floats

from .trees import close, same, sum_leaves

values = st.one_of(
    nested(),
    st.integers(-100, 100),
    st.none(),
    st.builds(np.float64, well_floats()),
    arrays(),
)


def like(x: Any, seed: int) -> Any:
    """Another value of x's shape with different numbers."""
    rng = np.random.default_rng(seed)
    if isinstance(x, dict):
        return {k: like(v, seed + i) for i, (k, v) in enumerate(x.items())}
    if isinstance(x, tuple | list):
        return type(x)(like(v, seed + i) for i, v in enumerate(x))
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape)
    return type(x)(rng.integers(-5, 5)) if isinstance(x, int) else type(x)(rng.normal())


@given(values)
def test_zero_is_an_identity_for_add(x: Any) -> None:
    """add(x, zero(y)) == x and add(zero(x), y) == y."""
    y = like(x, 1)
    assert close(tp.add(x, tp.zero(y)), x)
    assert close(tp.add(tp.zero(x), y), y)


@given(values)
def test_add_is_commutative(x: Any) -> None:
    """add(x, y) == add(y, x)."""
    y = like(x, 2)
    assert same(tp.add(x, y), tp.add(y, x))


@given(values)
def test_add_is_associative(x: Any) -> None:
    """add(add(x, y), z) == add(x, add(y, z)) up to rounding."""
    y, z = like(x, 3), like(x, 4)
    assert close(tp.add(tp.add(x, y), z), tp.add(x, tp.add(y, z)))


@given(values)
def test_zero_and_one_are_idempotent(x: Any) -> None:
    """zero(zero(x)) == zero(x) and one(one(x)) == one(x)."""
    assert same(tp.zero(tp.zero(x)), tp.zero(x))
    assert same(tp.one(tp.one(x)), tp.one(x))


@given(st.one_of(nested(), arrays(), well_floats()))
def test_one_is_the_gradient_of_the_sum_of_the_numbers(x: Any) -> None:
    """one(x) == grad_bp(sum of x's numbers, x); for a number, the identity's gradient."""
    assert same(tp.grad_bp(sum_leaves, x), tp.one(x))


@given(well_floats())
def test_one_is_the_gradient_of_the_identity(x: float) -> None:
    """one(x) == grad_bp(identity, x) for a number."""
    assert tp.grad_bp(lambda v: v, x) == tp.one(x)


def test_list_add_pads_with_the_longer_tail() -> None:
    """Lists of different lengths add like backprop's: the longer one's tail is kept."""
    assert tp.add([1.0, 2.0], [10.0]) == [11.0, 2.0]
    assert tp.add([1.0], [10.0, 20.0]) == [11.0, 20.0]


def test_dict_add_is_a_union() -> None:
    """Dicts add key by key; a key missing from one side counts as zero."""
    assert tp.add({"a": 1.0, "b": 2.0}, {"b": 3.0, "c": 4.0}) == {"a": 1.0, "b": 5.0, "c": 4.0}


def test_tuple_add_needs_equal_lengths() -> None:
    """Adding tuples of different lengths is a ShapeError (a tuple's length is its type)."""
    with pytest.raises(tp.ShapeError, match="length 2 and 1"):
        tp.add((1.0, 2.0), (1.0,))


def test_named_tuples_stay_named() -> None:
    """zero, one and add of a named tuple are that named tuple."""
    point = namedtuple("point", ["x", "y"])
    p = point(1.0, 2.0)
    assert tp.zero(p) == point(0.0, 0.0) and type(tp.one(p)) is point
    assert tp.add(p, p) == point(2.0, 4.0)


def test_integer_arrays_get_float_gradients() -> None:
    """The zero and one of integer or boolean data are float64."""
    assert tp.zero(np.arange(3)).dtype == np.float64
    assert tp.one(np.array([True])).dtype == np.float64
    assert tp.zero(np.ones(2, np.float32)).dtype == np.float32


class Money:
    """A user type with no instance of its own until registered."""

    def __init__(self, cents: float) -> None:
        self.cents = cents


class MoneyBackprop(Backprop[Money]):
    def zero(self, x: Money) -> Money:
        return Money(0.0)

    def add(self, x: Money, y: Money) -> Money:
        return Money(x.cents + y.cents)

    def one(self, x: Money) -> Money:
        return Money(1.0)


def test_registered_user_type_takes_part_in_gradients() -> None:
    """A registered type can be an input; an op over it gets its gradient accumulated."""
    tp.register_backprop(Money, MoneyBackprop())

    @tp.op1
    def cents(m: Money) -> tuple[float, Any]:
        return m.cents, lambda g: Money(g)

    def f(m: BVar[Money]) -> BVar[float]:
        c = cents(m)
        return c * c + c

    g = tp.grad_bp(f, Money(3.0))
    assert isinstance(g, Money) and g.cents == 7.0
    assert tp.grad_bp2(lambda x, m: x * 2.0, 1.0, Money(5.0))[1].cents == 0.0


def test_register_rejects_a_non_instance() -> None:
    """register_backprop needs a Backprop instance and says so."""
    with pytest.raises(TypeError, match=r"expected a typedprop\.Backprop instance"):
        tp.register_backprop(Money, object())  # type: ignore[arg-type]


def test_missing_instance_error_names_the_type() -> None:
    """zero of an unknown type raises MissingInstanceError naming it and the remedies."""

    class Unknown:
        pass

    with pytest.raises(tp.MissingInstanceError, match=r"Unknown.*@typedprop.model.*register"):
        tp.zero(Unknown())
