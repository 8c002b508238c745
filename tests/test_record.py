"""@model records: construction, derived Backprop, arithmetic, validation, split/join."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, cast

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

import typedprop as tp
from typedprop import BVar, auto, model, static
from typedprop.errors import ShapeError
from typedprop.functions import sum_elements, tanh
from typedprop.linalg import Mat, Vec, zeros
from typedprop.testing import arrays, check_grad, well_floats

from .trees import close

Array = NDArray[np.float64]
In = TypeVar("In")
Out = TypeVar("Out")


@model
class Layer:
    weight: Array
    bias: Array


@model
class Network:
    layer1: Layer
    layer2: Layer
    scale: float = 1.0
    name: str = static(default="net")


@model
class Tagged(Generic[In, Out]):
    weight: Array
    extra: tuple[float, list[Array]]
    optional: Array | None = None
    size: int = static(default=3)


def make_layer(rng: np.random.Generator, n_in: int, n_out: int) -> Layer:
    return Layer(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out))


def make_net(seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    return Network(make_layer(rng, 4, 3), make_layer(rng, 3, 2), scale=0.5)


def run(net: BVar[Network], x: Array) -> BVar[float]:
    l1: BVar[Layer] = net ^ Network.layer1
    l2: BVar[Layer] = net ^ Network.layer2
    h = tanh((l1 ^ Layer.weight) @ auto(x) + (l1 ^ Layer.bias))
    y = (l2 ^ Layer.weight) @ h + (l2 ^ Layer.bias)
    return sum_elements(y * y) * (net ^ Network.scale)


# --- construction ---


def test_records_are_attrs_classes() -> None:
    """Keyword and positional construction, repr, equality and attrs.evolve all work."""
    a = Layer(np.ones((2, 2)), np.zeros(2))
    b = Layer(weight=np.ones((2, 2)), bias=np.zeros(2))
    assert attrs.has(Layer)
    assert repr(a).startswith("Layer(weight=array(")
    assert attrs.evolve(a, bias=np.ones(2)).bias[0] == 1.0  # type: ignore[misc]
    assert a.weight.shape == b.weight.shape


def test_records_are_frozen_and_their_arrays_read_only() -> None:
    """Assignment to a field fails, and so does a write into a field's array."""
    layer = Layer(np.ones((2, 2)), np.zeros(2))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        layer.bias = np.ones(2)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        layer.bias[0] = 1.0


def test_construction_copies_a_writeable_array_but_not_a_read_only_one() -> None:
    """The caller's array is never made read-only; a read-only one is shared, not copied."""
    w = np.ones((2, 2))
    layer = Layer(w, np.zeros(2))
    assert w.flags.writeable and not np.shares_memory(layer.weight, w)
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    assert Layer(w, frozen).bias is frozen


def test_field_kinds_are_validated() -> None:
    """A non-array in an array field, or a non-record in a record field, is a FieldTypeError."""
    with pytest.raises(tp.FieldTypeError, match=r"Layer\.weight: expected .*ndarray.*got list"):
        Layer([[1.0]], np.zeros(1))  # type: ignore[arg-type]
    with pytest.raises(tp.FieldTypeError, match=r"Network\.layer2: expected Layer, got float"):
        Network(Layer(np.ones((1, 1)), np.ones(1)), 3.0)  # type: ignore[arg-type]
    Tagged(np.ones(1), (1.0, []), None)
    with pytest.raises(tp.FieldTypeError, match=r"Tagged\.optional"):
        Tagged(np.ones(1), (1.0, []), 2.0)  # type: ignore[arg-type]


def test_class_level_field_is_a_lens_instance_level_is_the_value() -> None:
    """Network.layer1 is a Lens; net.layer1 is the Layer."""
    net = make_net()
    lens: Any = Network.layer1
    assert isinstance(lens, tp.Lens)
    assert isinstance(net.layer1, Layer)
    assert lens.view(net) is net.layer1


# --- gradients ---


def test_grad_of_a_nested_record_is_that_record_with_closed_form_values() -> None:
    """d/dw sum(w @ x + b) = outer(1, x) and d/db = 1, field by field, nested."""
    net = make_net()
    x = np.array([1.0, 2.0, 3.0, 4.0])

    def f(n: BVar[Network]) -> BVar[float]:
        l1: BVar[Layer] = n ^ Network.layer1
        return sum_elements((l1 ^ Layer.weight) @ auto(x) + (l1 ^ Layer.bias))

    g = tp.grad_bp(f, net)
    assert isinstance(g, Network) and isinstance(g.layer1, Layer)
    np.testing.assert_array_equal(g.layer1.weight, np.tile(x, (3, 1)))
    np.testing.assert_array_equal(g.layer1.bias, np.ones(3))
    np.testing.assert_array_equal(g.layer2.weight, np.zeros((2, 3)))  # unread: zeros
    assert g.scale == 0.0 and g.name == "net"  # static: carried, not differentiated


def test_network_gradient_matches_finite_differences() -> None:
    """The record gradient of a small network passes check_grad, second order included."""
    x = np.array([0.5, -1.0, 2.0, 0.1])
    check_grad(lambda n: run(n, x), make_net(), order=2)


def test_records_of_containers_and_optionals() -> None:
    """Tuples, lists and None inside a record get gradients of their own shapes."""
    t: Tagged[Any, Any] = Tagged(np.ones(2), (2.0, [np.ones(3), np.zeros(1)]), None)

    def f(r: BVar[Tagged[Any, Any]]) -> BVar[float]:
        extra: Any = tp.sequence_var(r ^ Tagged.extra)
        first, arrays_ = extra
        total: BVar[float] = sum_elements(r ^ Tagged.weight) * first + sum_elements(arrays_[0])
        return total

    g = tp.grad_bp(f, t)
    np.testing.assert_array_equal(g.weight, [2.0, 2.0])
    assert g.extra[0] == 2.0 and g.optional is None and g.size == 3
    np.testing.assert_array_equal(g.extra[1][0], np.ones(3))
    np.testing.assert_array_equal(g.extra[1][1], np.zeros(1))


def test_static_fields_get_no_gradient() -> None:
    """Reading a static field gives a constant; its gradient record keeps its value."""

    @model
    class Scaled:
        w: float
        factor: float = static(default=3.0)

    g = tp.grad_bp(lambda s: (s ^ Scaled.w) * (s ^ Scaled.factor), Scaled(2.0))
    assert g == Scaled(3.0, 3.0)


def test_grad_descent_step_is_a_record() -> None:
    """net - 0.1 * grad is a Network: records are vector spaces."""
    net = make_net()
    x = np.ones(4)
    g = tp.grad_bp(lambda n: run(n, x), net)
    stepped = net - 0.1 * g
    assert isinstance(stepped, Network)
    np.testing.assert_allclose(stepped.layer1.weight, net.layer1.weight - 0.1 * g.layer1.weight)
    assert tp.eval_bp(lambda n: run(n, x), stepped) < tp.eval_bp(lambda n: run(n, x), net)


# --- record arithmetic laws ---

floats = well_floats(-2.0, 2.0)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    """Networks with random values of one fixed shape."""

    def layer(n_in: int, n_out: int) -> Layer:
        return Layer(draw(arrays(shape=(n_out, n_in))), draw(arrays(shape=(n_out,))))

    return Network(layer(2, 3), layer(3, 1), scale=draw(floats))


@given(networks(), networks(), networks(), floats, floats)
def test_record_arithmetic_laws(a: Network, b: Network, c: Network, s: float, t: float) -> None:
    """+ is commutative and associative, - and unary - agree, scalars distribute."""
    assert close(a + b, b + a)
    assert close((a + b) + c, a + (b + c))
    assert close(a - b, a + (-b))
    assert close(s * (a + b), s * a + s * b)
    assert close((s + t) * a, s * a + t * a)
    assert close(a + tp.zero(a), a)
    if abs(s) > 1e-3:
        assert close((a * s) / s, a)


def test_static_fields_must_agree_in_arithmetic() -> None:
    """Adding records whose static fields differ is an error; equal ones are kept."""
    a = make_net()
    b = attrs.evolve(make_net(1), name="other")  # type: ignore[misc]
    with pytest.raises(ValueError, match="static field 'name' differs"):
        a + b
    assert (a + make_net(1)).name == "net"


def test_arithmetic_with_other_types_is_refused() -> None:
    """Records multiply by numbers only; adding a non-record is a TypeError."""
    net = make_net()
    with pytest.raises(TypeError):
        net * net  # type: ignore[operator]
    with pytest.raises(TypeError):
        net + 1.0  # type: ignore[operator]


# --- split_bv / join_bv ---


def test_split_bv_gives_one_bvar_per_field() -> None:
    """split_bv's attributes are the fields' BVars; reading some leaves the rest zero."""

    def f(n: BVar[Layer]) -> BVar[float]:
        parts = tp.split_bv(n)
        return sum_elements(parts.bias * 2.0)

    g = tp.grad_bp(f, Layer(np.ones((2, 2)), np.ones(2)))
    np.testing.assert_array_equal(g.bias, [2.0, 2.0])
    np.testing.assert_array_equal(g.weight, np.zeros((2, 2)))
    with pytest.raises(AttributeError, match="no field 'bogus'"):
        tp.split_bv(auto(Layer(np.ones((1, 1)), np.ones(1)))).bogus  # type: ignore[attr-defined]


@given(networks())
def test_split_then_join_is_the_identity(net: Network) -> None:
    """join_bv(split_bv(x)) has the value of x and passes gradients through unchanged."""

    def roundtrip(n: BVar[Network]) -> BVar[Network]:
        parts = tp.split_bv(n)
        return tp.join_bv(Network, layer1=parts.layer1, layer2=parts.layer2, scale=parts.scale)

    value = tp.eval_bp(roundtrip, net)
    assert close(value, net)
    g = tp.grad_bp(lambda n: run(roundtrip(n), np.ones(2)), net)
    assert close(g, tp.grad_bp(lambda n: run(n, np.ones(2)), net))


def test_join_bv_validates_fields() -> None:
    """join_bv builds through the record's checks."""
    with pytest.raises(tp.FieldTypeError):
        tp.eval_bp(lambda x: tp.join_bv(Layer, weight=x, bias=x), 1.0)
    with pytest.raises(TypeError, match="no field"):
        tp.join_bv(Layer, weight=np.ones(1), bias=np.ones(1), other=1.0)


def test_nested_derivatives_through_records() -> None:
    """Hessian-vector products work through record fields."""
    net = make_net()
    v = make_net(3)

    def directional(n: BVar[Network]) -> BVar[float]:
        g = tp.grad_bp(lambda m: run(m, np.ones(4)), n)
        return tp_inner(g, v)

    hv = tp.grad_bp(directional, net)
    assert isinstance(hv, Network)
    check_grad(directional, net, order=1)


def tp_inner(a: Any, b: Network) -> BVar[float]:
    """<a, b> over the differentiable fields of two networks (a may hold BVars)."""
    total: Any = auto(0.0)
    for la, lb in ((a.layer1, b.layer1), (a.layer2, b.layer2)):
        total = total + sum_elements(la.weight * lb.weight) + sum_elements(la.bias * lb.bias)
    result: BVar[float] = total + a.scale * b.scale
    return result


def test_local_records_are_checked_with_their_local_names() -> None:
    """A record defined in a function (annotations as strings) resolves the names around it."""

    @model
    class Inner:
        w: Array

    @model
    class Outer:
        inner: Inner

    with pytest.raises(tp.FieldTypeError, match=r"Outer\.inner: expected Inner, got float"):
        Outer(1.0)  # type: ignore[arg-type]


def test_an_unresolvable_annotation_is_an_error_not_a_skipped_check() -> None:
    """A field whose annotation names nothing defined cannot be checked: that is an error."""

    @model
    class Broken:
        w: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(tp.FieldTypeError, match=r"Broken\.w: cannot resolve its annotation"):
        Broken(np.ones(1))


def test_records_of_two_definitions_of_a_class_say_so() -> None:
    """A notebook cell run twice defines the class anew; mixing old and new records is an
    error that names the cause, not "unsupported operand type(s)"."""

    def define() -> type[Any]:
        @model
        class Net:
            w: float

        return Net

    old, new = define(), define()
    with pytest.raises(TypeError, match="two different definitions of the class"):
        old(1.0) - new(1.0)
    with pytest.raises(TypeError, match="two different definitions of the class"):
        old(1.0) + new(1.0)


_I = TypeVar("_I", bound=int)
_O = TypeVar("_O", bound=int)


@model
class _Dense(Generic[_I, _O]):
    weight: Mat[_O, _I]
    bias: Vec[_O]


def _dense(i: int, o: int) -> _Dense[Any, Any]:
    return _Dense(zeros(o, i), zeros(o))


@model
class _TwoLayers:
    first: _Dense[Literal[4], Literal[10]]
    second: _Dense[Literal[10], Literal[3]]


@model
class _Tower(Generic[_I]):
    first: _Dense[_I, Literal[8]]
    second: _Dense[Literal[8], _I]


def test_a_generic_record_field_is_checked_against_its_arguments() -> None:
    """A Dense[10, 3] field refuses a 3 -> 10 layer (it was accepted silently), naming the
    field whose annotation fixed the size."""
    _TwoLayers(_dense(4, 10), _dense(10, 3))
    with pytest.raises(
        ShapeError,
        match=r"_Dense.weight: expected Mat\[_O, _I\] \(_O = 3 from "
        r"_TwoLayers.second: _Dense\[10, 3\]\), got Mat\[10, 3\]",
    ):
        _TwoLayers(_dense(4, 10), _dense(3, 10))


def test_a_generic_records_arguments_bind_the_enclosing_records_variables() -> None:
    """In Tower[I], first: Dense[I, 8] and second: Dense[8, I] must agree on I."""
    _Tower(_dense(5, 8), _dense(8, 5))
    with pytest.raises(ShapeError, match=r"_O = 5 from _Tower.first\), got Mat\[6, 8\]"):
        _Tower(_dense(5, 8), _dense(8, 6))


# --- the Model base class: the same records, typed for every checker ---


class MLayer(tp.Model):
    weight: Array
    bias: Array


class MNetwork(tp.Model):
    layer1: MLayer
    layer2: MLayer
    scale: float = 1.0
    name: str = static(default="net")


def as_model_net(net: Network) -> MNetwork:
    def layer(x: Layer) -> MLayer:
        return MLayer(x.weight, x.bias)

    return MNetwork(layer(net.layer1), layer(net.layer2), net.scale, net.name)


def run_model(net: BVar[MNetwork], x: Array) -> BVar[float]:
    l1 = net ^ MNetwork.layer1
    l2 = net ^ MNetwork.layer2
    h = tanh((l1 ^ MLayer.weight) @ auto(x) + (l1 ^ MLayer.bias))
    y = (l2 ^ MLayer.weight) @ h + (l2 ^ MLayer.bias)
    return sum_elements(y * y) * (net ^ MNetwork.scale)


def test_a_model_subclass_is_a_model_record() -> None:
    """Subclassing Model makes what @model makes: a frozen, slotted attrs record with a lens per
    field at class level, registered as a record."""
    layer = MLayer(np.ones((2, 2)), np.zeros(2))
    lens: Any = MLayer.weight
    assert attrs.has(type(layer)) and tp.record.is_model(layer) and isinstance(layer, tp.Model)
    assert tp.record.fields_of(MNetwork) == ("layer1", "layer2", "scale", "name")
    assert not hasattr(layer, "__dict__")  # slotted
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        layer.bias = np.ones(2)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        layer.bias[0] = 1.0
    assert isinstance(lens, tp.Lens) and lens.view(layer) is layer.weight
    assert (layer ^ MLayer.weight) is layer.weight  # typed by Model.__xor__ for every checker
    with pytest.raises(tp.FieldTypeError, match=r"MNetwork\.layer2: expected MLayer, got float"):
        MNetwork(layer, 3.0)  # type: ignore[arg-type]
    assert model(MLayer) is MLayer  # decorating one changes nothing


def test_model_gradients_and_arithmetic_equal_the_decorators() -> None:
    """The gradient of the same function of the same values, and a descent step, field for
    field equal to those of the @model record."""
    net = make_net()
    mnet = as_model_net(net)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    g = tp.grad_bp(lambda n: run(n, x), net)
    mg = tp.grad_bp(lambda n: run_model(n, x), mnet)
    assert isinstance(mg, MNetwork) and close(mg, as_model_net(g))
    assert close(mnet - 0.1 * mg, as_model_net(net - 0.1 * g))
    assert close(-mnet / 2.0 + mnet * 1.0, as_model_net(-net / 2.0 + net * 1.0))
    check_grad(lambda n: run_model(n, x), mnet)


def test_model_arithmetic_refuses_other_types() -> None:
    """As @model records: only records of the same type add, only numbers scale."""
    mnet = as_model_net(make_net())
    with pytest.raises(TypeError):
        mnet + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        mnet * mnet  # type: ignore[operator]


def test_generic_model_subclasses_check_their_dimension_variables() -> None:
    """class Layer(Model, Generic[I, O]): every field agrees on each variable at construction."""
    from typedprop.linalg import zeros

    i = TypeVar("i", bound=int)
    o = TypeVar("o", bound=int)

    class GLayer(tp.Model, Generic[i, o]):
        weight: Mat[o, i]
        bias: Vec[o]

    assert GLayer(zeros(2, 3), zeros(2)).weight.shape == (2, 3)
    with pytest.raises(tp.ShapeError, match=r"GLayer\.bias: expected Vec\[o\] \(o = 2"):
        GLayer(zeros(2, 3), zeros(3))  # type: ignore[dim-mismatch]  # mypy sees it too


def test_a_record_subclass_keeps_its_bases_post_init() -> None:
    """A subclass of a record (either spelling) runs its base's __attrs_post_init__ too."""
    seen: list[str] = []

    class Base(tp.Model):
        x: float

        def __attrs_post_init__(self) -> None:
            seen.append(type(self).__name__)

    class Derived(Base):
        y: float

    @model
    class DBase:
        x: float

        def __attrs_post_init__(self) -> None:
            seen.append(type(self).__name__)

    @model
    class DDerived(DBase):
        y: float

    Derived(1.0, 2.0)
    DDerived(1.0, 2.0)
    assert seen == ["Derived", "DDerived"]
    assert Derived.y.view(Derived(1.0, 2.0)) == 2.0


@model
class _Fields:
    rate: float
    w: Mat[Literal[1], Literal[2]]
    b: NDArray[np.float64]


@pytest.mark.parametrize(
    ("rate", "w", "b", "message"),
    [
        ("0.1", np.zeros((1, 2)), np.ones(2), r"_Fields\.rate: expected float.*got str"),
        (None, np.zeros((1, 2)), np.ones(2), r"_Fields\.rate: expected float.*got NoneType"),
        (1j, np.zeros((1, 2)), np.ones(2), r"_Fields\.rate: expected float.*got complex"),
        (True, np.zeros((1, 2)), np.ones(2), r"_Fields\.rate: expected float.*got bool"),
        (0.1, np.array([[None, 1.0]]), np.ones(2), r"_Fields\.w: .*dtype object.*NoneType"),
        (0.1, np.array([[1j, 1.0]]), np.ones(2), r"_Fields\.w: .*complex128.*imaginary"),
        (0.1, np.zeros((1, 2)), np.array([None, 1.0]), r"_Fields\.b: .*of dtype object"),
    ],
)
def test_fields_reject_values_that_would_be_silently_wrong(
    rate: Any, w: Any, b: Any, message: str
) -> None:
    """A float field takes real numbers only (not strings, None, complex or bools); a Mat or
    array field no None (which became NaN) and no complex numbers (whose imaginary part was
    dropped with only a warning): FieldTypeError naming the class and the field."""
    with pytest.raises(tp.FieldTypeError, match=message):
        _Fields(rate, w, b)


def test_float_fields_take_any_real_number() -> None:
    """ints, numpy scalars and 0-d arrays are real numbers (and BVars pass, inside a call)."""
    make: Any = _Fields  # Any: the values are what static typing would reject or not see
    for rate in (1, 0.5, np.float64(0.5), np.int64(2), np.array(0.5)):
        make(rate, np.zeros((1, 2)), np.ones(2))
    g = tp.grad_bp(lambda r: make(r, np.zeros((1, 2)), np.ones(2)).rate * 2.0, 1.0)
    assert g == 2.0


def test_the_quick_field_checks_agree_with_the_full_ones() -> None:
    """A value that passes a field's quick check is stored as given; anything else still gets
    the full check, its conversion and its error (the quick path changes only the cost)."""

    @model
    class Typed:
        w: Mat[Literal[2], Literal[3]]
        v: Vec[Any]
        a: NDArray[np.float64]
        x: float

    w: Any = Mat(np.ones((2, 3)))  # Any: the wrong kinds below are deliberate
    v: Any = Vec(np.ones(4))
    a = np.ones(2)
    a.setflags(write=False)
    r = Typed(w, v, a, 1.0)
    assert r.w is w and r.v is v and r.a is a
    plain: list[Any] = [np.ones((2, 3)), np.ones(4), np.ones(2), 2]  # arrays and an int
    converted = Typed(*plain)
    assert type(converted.w) is Mat and type(converted.v) is Vec and converted.x == 2
    with pytest.raises(ShapeError, match=r"Typed\.w: expected Mat\[2, 3\], got Mat\[3, 2\]"):
        Typed(Mat(np.ones((3, 2))), v, a, 1.0)
    with pytest.raises(tp.FieldTypeError, match=r"Typed\.v"):
        Typed(w, cast(Any, w), a, 1.0)
    with pytest.raises(tp.FieldTypeError, match=r"Typed\.a"):
        Typed(w, v, np.array(["s"]), 1.0)


def test_class_level_field_lenses_are_served_by_each_records_own_metaclass() -> None:
    """``Record.field`` is that record's lens (a subclass's own, not its base's), other class
    attributes are the class's, and a field's lens cannot be replaced by assignment."""

    class Base(tp.Model):
        x: float

        def doubled(self) -> float:
            return 2.0 * self.x

    class Sub(Base):
        y: float

    assert Base.x.name.endswith("Base.x") and Sub.x.name.endswith("Sub.x")
    assert Sub.y.name.endswith("Sub.y")
    assert Sub.doubled is Base.__dict__["doubled"] and Sub(1.0, 2.0).doubled() == 2.0
    assert tp.grad_bp(lambda s: (s ^ Sub.x) * (s ^ Sub.y), Sub(2.0, 3.0)) == Sub(3.0, 2.0)
    with pytest.raises(AttributeError, match=r"Base\.x is the lens of a record's field"):
        Base.x = 1.0  # type: ignore[assignment]
    assert Base(4.0).x == 4.0
