"""Lenses: laws on plain records and through BVars, composition, and the BVar lens tools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import given
from numpy.typing import NDArray

import typedprop as tp
from typedprop import Backprop, BVar, Lens, LensError, auto, grad_bp, model
from typedprop.functions import sum_elements
from typedprop.testing import arrays, check_grad, well_floats

from .trees import close

Array = NDArray[np.float64]
T = TypeVar("T")


@model
class Inner:
    w: Array
    b: float


@model
class Outer:
    inner: Inner
    layers: list[Inner]
    maybe: Array | None = None


def outer(w: Array, b: float) -> Outer:
    return Outer(Inner(w, b), [Inner(w * 2.0, b), Inner(w * 3.0, -b)], None)


# Class-level fields are lenses (the mypy plugin types them so).
INNER_W = Inner.w
INNER_B = Inner.b
OUTER_INNER = Outer.inner
OUTER_LAYERS = Outer.layers
OUTER_MAYBE = Outer.maybe
W = OUTER_INNER >> INNER_W
LENSES: list[tuple[Lens[Any, Any], Any]] = [
    (INNER_W, lambda: np.full(2, 7.0)),
    (INNER_B, lambda: 7.0),
    (W, lambda: np.full(2, 7.0)),
    (OUTER_INNER >> INNER_B, lambda: 7.0),
]


def subject(lens: Lens[Any, Any], w: Array, b: float) -> Any:
    return Inner(w, b) if lens in (INNER_W, INNER_B) else outer(w, b)


@given(arrays(shape=(2,)), well_floats())
def test_lens_laws_on_plain_records(w: Array, b: float) -> None:
    """view-set, set-view and set-set hold for field lenses and composed ones."""
    for lens, new in LENSES:
        s = subject(lens, w, b)
        assert close(lens.view(lens.set(s, new())), new())
        assert close(lens.set(s, lens.view(s)), s)
        assert close(lens.set(lens.set(s, new() * 2.0), new()), lens.set(s, new()))
        assert close(s ^ lens, lens.view(s))
        assert close(lens.over(s, lambda a: a * 2.0), lens.set(s, lens.view(s) * 2.0))


@given(arrays(shape=(2,)), well_floats())
def test_lens_laws_through_bvars(w: Array, b: float) -> None:
    """The same laws hold for view_var/set_var inside eval_bp, and the values agree."""
    for lens, new in LENSES:
        check_laws_through_bvars(lens, new(), subject(lens, w, b))


def check_laws_through_bvars(lens: Lens[Any, Any], new: Any, s: Any) -> None:
    """view-set and set-view through view_var/set_var, and the view through ^."""
    assert close(tp.eval_bp(lambda x: tp.view_var(lens, tp.set_var(lens, new, x)), s), new)
    assert close(tp.eval_bp(lambda x: tp.set_var(lens, tp.view_var(lens, x), x), s), s)
    assert close(tp.eval_bp(lambda x: x ^ lens, s), lens.view(s))


@given(arrays(shape=(2,)), well_floats())
def test_view_var_gradient_is_embedded_in_the_parents_zero(w: Array, b: float) -> None:
    """The gradient of a composed view is zero everywhere but the viewed field."""
    g = tp.grad_bp(lambda s: sum_elements((s ^ W) * 3.0), outer(w, b))
    np.testing.assert_array_equal(g.inner.w, [3.0, 3.0])
    assert g.inner.b == 0.0 and all(np.all(layer.w == 0.0) for layer in g.layers)


def test_set_var_blocks_the_gradient_of_the_overwritten_field() -> None:
    """After set_var, the old field value gets no gradient; the new value gets it all."""

    def f(s: BVar[Inner], a: BVar[float]) -> BVar[float]:
        t = tp.set_var(INNER_B, a * 2.0, s)
        return (t ^ Inner.b) * 5.0 + sum_elements(t ^ Inner.w)

    gs, ga = tp.grad_bp2(f, Inner(np.ones(2), 1.0), 3.0)
    assert gs.b == 0.0 and ga == 10.0
    np.testing.assert_array_equal(gs.w, [1.0, 1.0])


def test_over_var_modifies_a_field() -> None:
    """over_var applies a function to the focus; gradients flow through it."""

    def f(s: BVar[Inner]) -> BVar[float]:
        t = tp.over_var(INNER_B, lambda b: b * b, s)
        return t ^ Inner.b

    assert tp.grad_bp(f, Inner(np.ones(1), 3.0)).b == 6.0
    check_grad(f, Inner(np.ones(1), 3.0))


def test_preview_var_reaches_optional_fields() -> None:
    """preview_var gives None for an absent field and a BVar for a present one."""
    absent = outer(np.ones(2), 1.0)
    present = Outer(absent.inner, absent.layers, np.ones(2))

    def f(s: BVar[Outer]) -> BVar[float]:
        m = tp.preview_var(OUTER_MAYBE, s)
        return auto(0.0) if m is None else sum_elements(m * 2.0)

    assert tp.grad_bp(f, absent).maybe is None
    np.testing.assert_array_equal(tp.grad_bp(f, present).maybe, [2.0, 2.0])


def test_to_list_of_var_reaches_repeated_parts() -> None:
    """to_list_of_var gives one BVar per element of a list field."""

    def f(s: BVar[Outer]) -> BVar[float]:
        layers = tp.to_list_of_var(OUTER_LAYERS, s)
        total: BVar[float] = auto(0.0)
        for k, layer in enumerate(layers):
            total = total + (layer ^ Inner.b) * float(k + 1)
        return total

    g = tp.grad_bp(f, outer(np.ones(2), 1.0))
    assert [layer.b for layer in g.layers] == [1.0, 2.0]


def test_iso_var_maps_gradients_back() -> None:
    """iso_var views through an isomorphism and maps the gradient back."""
    g = tp.grad_bp(
        lambda m: sum_elements(tp.iso_var(np.ravel, lambda v: v.reshape(2, 2), m) * 2.0),
        np.ones((2, 2)),
    )
    np.testing.assert_array_equal(g, np.full((2, 2), 2.0))


def test_generic_lens_on_tuples() -> None:
    """A hand-made Lens works in views, sets and gradients, like a field lens."""
    second: Lens[tuple[float, float], float] = Lens(
        lambda p: p[1], lambda p, a: (p[0], a), name="second"
    )
    assert tp.grad_bp(lambda p: (p ^ second) * 3.0, (1.0, 2.0)) == (0.0, 3.0)
    assert tp.grad_bp(lambda p: (p ^ second) * (p ^ second), (1.0, 2.0)) == (0.0, 4.0)
    assert repr(second) == "<Lens second>"


class Counted:
    """A number whose Backprop instance counts how often a zero is made."""

    zeros = 0

    def __init__(self, v: float) -> None:
        self.v = v


class CountedBackprop(Backprop[Counted]):
    def zero(self, x: Counted) -> Counted:
        Counted.zeros += 1
        return Counted(0.0)

    def add(self, x: Counted, y: Counted) -> Counted:
        return Counted(x.v + y.v)

    def one(self, x: Counted) -> Counted:
        return Counted(1.0)


tp.register_backprop(Counted, CountedBackprop())
value_of = tp.op1(lambda c: (c.v, lambda g: Counted(g)))


def test_k_field_reads_cost_one_assembly() -> None:
    """Reading k of n fields makes n - k zeros (one assembly), not k * (n - 1) as backprop."""
    fields = {f"f{i}": Counted for i in range(20)}
    wide_cls: Any = model(type("Wide", (), {"__annotations__": fields, "__module__": __name__}))
    wide = wide_cls(*[Counted(float(i)) for i in range(20)])
    Counted.zeros = 0

    def f(s: BVar[Any]) -> BVar[float]:
        total: BVar[float] = auto(0.0)
        for i in range(5):
            field = getattr(wide_cls, f"f{i}")
            total = total + value_of(s ^ field) * value_of(s ^ field)
        return total

    g = tp.grad_bp(f, wide)
    assert [g.f0.v, g.f1.v, g.f19.v] == [0.0, 2.0, 0.0]
    assert Counted.zeros == 15


def test_viewing_a_static_field_gives_a_constant() -> None:
    """A static field's view records nothing and gets no gradient."""

    @model
    class WithSize:
        w: float
        n: int = tp.static(default=4)

    assert tp.grad_bp(lambda s: (s ^ WithSize.w) * (s ^ WithSize.n), WithSize(1.0)).w == 4.0


def test_set_on_a_field_lens_validates() -> None:
    """Setting a field through its lens runs the record's checks."""
    with pytest.raises(tp.FieldTypeError):
        INNER_W.set(Inner(np.ones(1), 1.0), 3.0)  # type: ignore[arg-type]


@model
class _Enc:
    weight: np.ndarray


@model
class _Dec:
    weight: np.ndarray


@model
class _AutoEncoder:
    enc: _Enc
    dec: _Dec


def _auto_encoder() -> _AutoEncoder:
    return _AutoEncoder(_Enc(np.ones(2)), _Dec(np.ones(3)))


def test_a_field_lens_refuses_a_record_of_another_class() -> None:
    """A lens of one record applied to another, even one with a field of the same name, is a
    LensError naming both, never the other record's field (a silent wrong answer); mypy with
    the plugin reports each of these lines as [lens-mismatch] too."""
    ae = _auto_encoder()
    with pytest.raises(LensError, match=r"_Enc.weight views a field of _Enc, .* type _Dec"):
        ae ^ (_AutoEncoder.dec >> _Enc.weight)  # type: ignore[lens-mismatch]
    with pytest.raises(LensError, match=r"applied to a value of type _AutoEncoder"):
        ae ^ _Enc.weight  # type: ignore[lens-mismatch]
    with pytest.raises(LensError, match=r"_Enc.weight views a field of _Enc"):
        grad_bp(lambda a: sum_elements(a ^ (_AutoEncoder.dec >> _Enc.weight)), ae)  # type: ignore[lens-mismatch]


def test_field_lenses_of_the_right_record_still_view_and_differentiate() -> None:
    ae = _auto_encoder()
    g = grad_bp(lambda a: sum_elements(a ^ (_AutoEncoder.dec >> _Dec.weight)), ae)
    np.testing.assert_array_equal(g.dec.weight, np.ones(3))
    np.testing.assert_array_equal(g.enc.weight, np.zeros(2))


def test_field_access_on_a_bvar_of_a_record_shows_the_lens_to_use() -> None:
    """x.weight inside a differentiable function is an error whose message gives the fix."""
    with pytest.raises(AttributeError, match=r"use a lens, x \^ _Enc.weight"):
        grad_bp(lambda e: sum_elements(e.weight), _Enc(np.ones(2)))  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"'BVar' object has no attribute 'nothing'"):
        grad_bp(lambda x: x.nothing, 1.0)  # type: ignore[attr-defined]


# --- lens_of: field paths as lenses, typed by every checker ---


def test_lens_of_a_field_path_is_the_composition_of_the_field_lenses() -> None:
    """lens_of(Outer, lambda o: o.inner.w) views, sets and differentiates as
    Outer.inner >> Inner.w; one field gives that field's own lens."""
    path = tp.lens_of(Outer, lambda o: o.inner.w)
    assert tp.lens_of(Inner, lambda i: i.b) is INNER_B
    assert path.name == W.name == "Outer.inner >> Inner.w"
    s = outer(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_array_equal(s ^ path, s.inner.w)
    np.testing.assert_array_equal(path.set(s, np.zeros(2)).inner.w, np.zeros(2))

    def f(o: BVar[Outer]) -> BVar[float]:
        return sum_elements((o ^ path) * (o ^ path))

    g = tp.grad_bp(f, s)
    np.testing.assert_array_equal(g.inner.w, 2.0 * s.inner.w)
    np.testing.assert_array_equal(g.layers[0].w, np.zeros(2))


def test_lens_of_a_generic_record_with_its_dimensions() -> None:
    """lens_of(Layer[Literal[2], Literal[3]], ...) is the lens of the generic record's field."""
    from typing import Generic, Literal, TypeVar

    from typedprop.linalg import Mat, Vec, zeros

    i = TypeVar("i", bound=int)
    o = TypeVar("o", bound=int)

    class Layer(tp.Model, Generic[i, o]):
        weight: Mat[o, i]
        bias: Vec[o]

    class Net(tp.Model):
        layer: Layer[Literal[2], Literal[3]]

    weight = tp.lens_of(Layer[Literal[2], Literal[3]], lambda layer: layer.weight)
    deep = tp.lens_of(Net, lambda n: n.layer.weight)
    net = Net(Layer(zeros(3, 2), zeros(3)))
    layer_class: Any = Layer  # plain checkers see Layer.weight as the field (a Mat)
    assert weight is layer_class.weight
    assert (net ^ deep).shape == (3, 2)
    assert deep.name == f"{Net.__qualname__}.layer >> {Layer.__qualname__}.weight"


def test_lens_of_is_cached_by_the_paths_code() -> None:
    """The same lambda (same code, no closure) gives the same lens without tracing again; a
    path that closes over names is traced each time."""

    def w_of() -> Lens[Outer, Array]:
        return tp.lens_of(Outer, lambda x: x.inner.w)

    def field_of(name: str) -> Lens[Outer, Any]:
        return tp.lens_of(Outer, lambda x: getattr(x, name))

    assert w_of() is w_of()
    assert field_of("inner").name == "Outer.inner"
    assert field_of("layers").name == "Outer.layers"  # not the cached path of another call


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (lambda o: o.layers[0], r"only read fields.*an index"),
        (lambda o: o.inner.w * 2.0, r"only read fields"),
        (lambda o: 3.0, r"must return the field it reads .* returned float"),
        (lambda o: o, r"reads no field"),
        (lambda o: o.nothing, r"Outer is Outer, which has no field 'nothing'"),
        (lambda o: o.inner.w.T, r"Outer\.inner\.w is ndarray, which has no field 'T'"),
    ],
)
def test_lens_of_refuses_a_path_that_does_more_than_read_fields(path: Any, message: str) -> None:
    """Anything but reading fields of records is a TypeError that says so."""
    with pytest.raises(TypeError, match=message):
        tp.lens_of(Outer, path)


# --- prisms and traversals ---


@model
class Relu:
    leak: float


@model
class Tanh:
    gain: Array


@model
class Block:
    weight: Array
    bias: Array


@model
class Net:
    activation: Relu | Tanh
    blocks: list[Block]
    pair: tuple[Block, Block]
    named: dict[str, Block]
    extra: Array | None = None


RELU = Net.activation.when(Relu)
TANH = Net.activation.when(Tanh)
WEIGHTS = Net.blocks.each() >> Block.weight


def net(w: Array, leak: float, relu: bool = True, n: int = 3) -> Net:
    blocks = [Block(w * (k + 1.0), w - k) for k in range(n)]
    act: Relu | Tanh = Relu(leak) if relu else Tanh(w * leak)
    return Net(act, blocks, (blocks[0], blocks[-1]), {"a": blocks[0], "b": blocks[-1]})


def inside(f: Callable[[BVar[Net]], T], s: Net) -> T:
    """What ``f`` returns inside an ``eval_bp`` call on ``s`` (BVars, None, lists of them)."""
    seen: list[T] = []

    def run(n: BVar[Net]) -> BVar[float]:
        seen.append(f(n))
        return auto(0.0)

    tp.eval_bp(run, s)
    return seen[0]


def activated(n: BVar[Net]) -> BVar[float]:
    """Uses whichever activation the net holds, through the two prisms."""
    relu = tp.preview_var(RELU, n)
    if relu is not None:
        leak = relu ^ Relu.leak
        return leak * leak * sum_elements(tp.to_list_of_var(WEIGHTS, n)[0])
    tanh = tp.preview_var(TANH, n)
    assert tanh is not None
    return sum_elements(tp.functions.sin(tanh ^ Tanh.gain) * tp.to_list_of_var(WEIGHTS, n)[1])


@given(arrays(shape=(2,)), well_floats())
def test_a_prism_previews_one_alternative_and_its_gradient_flows_into_it_only(
    w: Array, leak: float
) -> None:
    """preview_var of a union field's alternative: a BVar of it, or None; gradients (to second
    order) reach that alternative and nothing else of the record."""
    for relu in (True, False):
        s = net(w, leak, relu)
        check_grad(activated, s)
        g = tp.grad_bp(activated, s)
        assert type(g.activation) is type(s.activation)
        if isinstance(g.activation, Relu):
            assert close(g.activation.leak, 2.0 * leak * float(np.sum(w)))
        else:
            assert close(g.activation.gain, np.cos(w * leak) * s.blocks[1].weight)
    assert inside(lambda n: tp.preview_var(TANH, n), net(w, leak)) is None


def test_view_var_of_a_prism_is_the_alternative_known_to_be_there() -> None:
    """view_var through a prism (backprop's ^^?!) gives the part, or a LensError that says where
    the match failed and what to use instead."""
    s = net(np.ones(2), 0.5)
    assert tp.grad_bp(lambda n: tp.view_var(RELU, n) ^ Relu.leak, s).activation == Relu(1.0)
    with pytest.raises(
        LensError,
        match=r"Net.activation >> when\(Tanh\) found no part in the Net: at when\(Tanh\) the "
        r"value is a Relu; use preview_var",
    ):
        tp.eval_bp(lambda n: tp.view_var(TANH, n), s)


def test_when_refuses_a_class_the_field_can_never_hold() -> None:
    """A prism to a class that is no alternative of the field's union would never match."""
    with pytest.raises(LensError, match=r"the field holds Relu \| Tanh, never a Block"):
        Net.activation.when(Block)
    with pytest.raises(LensError, match=r"holds ndarray \| None, never a Relu"):
        Net.extra.when(Relu)
    assert Net.extra.when(np.ndarray).preview(net(np.ones(2), 1.0)) is None


@given(arrays(shape=(2,)), well_floats())
def test_prism_laws_on_plain_values(w: Array, leak: float) -> None:
    """preview after set gives what was set; set where the part is absent changes nothing;
    over is set of f of the preview."""
    s, other = net(w, leak), net(w, leak, relu=False)
    assert RELU.preview(RELU.set(s, Relu(leak + 1.0))) == Relu(leak + 1.0)
    assert close(RELU.set(other, Relu(1.0)), other) and RELU.preview(other) is None
    assert RELU.over(s, lambda r: Relu(r.leak * 2.0)).activation == Relu(leak * 2.0)
    leak_of = RELU >> Relu.leak
    assert leak_of.preview(s) == leak and leak_of.to_list(other) == []
    assert repr(leak_of) == "<Prism Net.activation >> when(Relu) >> Relu.leak>"


def test_a_prism_made_from_match_and_build() -> None:
    """Prism(match, build): the part where match finds one; gradients to second order, through
    build, into the matched whole."""
    w_of: tp.Prism[dict[str, float], float] = tp.Prism(
        lambda d: d.get("w"), lambda w: {"w": w}, name="w"
    )

    def f(d: BVar[dict[str, float]]) -> BVar[float]:
        w = tp.preview_var(w_of, d)
        return auto(0.0) if w is None else tp.functions.sin(w) * w

    check_grad(f, {"w": 0.7})
    assert close(tp.grad_bp(f, {"w": 0.7}), {"w": np.cos(0.7) * 0.7 + np.sin(0.7)})
    assert tp.grad_bp(f, {"v": 0.7}) == {"v": 0.0}
    assert w_of.set({"w": 1.0}, 2.0) == {"w": 2.0} and w_of.set({}, 2.0) == {}
    assert tp.preview_var(tp.Prism.of(Relu), auto(Relu(1.0))) is not None


@given(arrays(shape=(2,)), well_floats())
def test_a_traversal_reaches_every_weight_and_gradients_to_second_order(
    w: Array, leak: float
) -> None:
    """to_list_of_var of Net.blocks.each() >> Block.weight: one BVar per block's weight, and
    the gradient (checked to second order) lands in the weights only."""

    def f(n: BVar[Net]) -> BVar[float]:
        total: BVar[float] = auto(0.0)
        for k, weight in enumerate(tp.to_list_of_var(WEIGHTS, n)):
            total = total + sum_elements(tp.functions.sin(weight) * weight) * float(k + 1)
        return total

    s = net(w, leak)
    check_grad(f, s)
    g = tp.grad_bp(f, s)
    for k, block in enumerate(g.blocks):
        x = s.blocks[k].weight
        assert close(block.weight, (np.cos(x) * x + np.sin(x)) * (k + 1.0))
        assert not np.any(block.bias)
    assert g.activation == Relu(0.0)


def test_traversals_over_tuples_and_dicts_and_their_plain_views() -> None:
    """each() works on tuple and dict fields too; to_list and over on plain values."""
    s = net(np.ones(2), 1.0)
    biases = Net.pair.each() >> Block.bias
    named = Net.named.each() >> Block.weight
    assert close(biases.to_list(s), [s.blocks[0].bias, s.blocks[-1].bias])
    assert close(named.to_list(s), [s.blocks[0].weight, s.blocks[-1].weight])
    doubled = WEIGHTS.over(s, lambda a: a * 2.0)
    assert close([b.weight for b in doubled.blocks], [b.weight * 2.0 for b in s.blocks])
    g = tp.grad_bp(lambda n: sum_elements(tp.to_list_of_var(named, n)[1]), s)
    assert close(g.named["b"].weight, np.ones(2)) and not np.any(g.named["a"].weight)
    g = tp.grad_bp(lambda n: sum_elements(tp.to_list_of_var(biases, n)[0]), s)
    assert close(g.pair[0].bias, np.ones(2)) and not np.any(g.pair[1].bias)
    assert repr(WEIGHTS) == "<Traversal Net.blocks >> each >> Block.weight>"
    first = inside(lambda n: tp.preview_var(WEIGHTS, n), s)
    assert first is not None and close(first.value, s.blocks[0].weight)


def test_each_refuses_a_value_that_is_not_a_container() -> None:
    """A traversal's each() on a record is a LensError naming what it found."""
    each_weight: tp.Traversal[Any, Any] = tp.lens_of(Net, lambda n: n.blocks).each()
    itself: Lens[Any, Any] = Lens(lambda a: a, lambda a, b: b)
    rogue: tp.Traversal[Any, Any] = (Net.activation >> itself).each()
    with pytest.raises(LensError, match="each: expected a list, tuple or dict to traverse"):
        rogue.to_list(net(np.ones(2), 1.0))
    assert len(each_weight.to_list(net(np.ones(2), 1.0))) == 3


def test_reading_every_part_of_a_traversal_is_linear() -> None:
    """Reading all n weights through a traversal records O(n) nodes and makes no zero of a
    whole record per read: the gradient of n = 400 blocks costs n zeros, not n²."""
    fields = {"w": Counted}
    cell: Any = model(type("Cell", (), {"__annotations__": fields, "__module__": __name__}))
    holder: Any = model(
        type("Holder", (), {"__annotations__": {"cells": list[cell]}, "__module__": __name__})
    )
    s = holder([cell(Counted(float(i))) for i in range(400)])
    every = holder.cells.each() >> cell.w
    Counted.zeros = 0

    def f(h: BVar[Any]) -> BVar[float]:
        total: BVar[float] = auto(0.0)
        for part in tp.to_list_of_var(every, h)[::2]:  # every other one: the rest get zeros
            total = total + value_of(part)
        return total

    g = tp.grad_bp(f, s)
    assert [g.cells[0].w.v, g.cells[1].w.v] == [1.0, 0.0]
    assert Counted.zeros == 200


def test_to_list_of_var_of_a_lens_to_a_single_part_is_that_part() -> None:
    """A lens to something that is not a list or tuple is a traversal of one part."""
    s = net(np.ones(2), 2.0)
    parts = inside(lambda n: tp.to_list_of_var(Net.activation, n), s)
    assert [p.value for p in parts] == [Relu(2.0)]
