"""``@model``: frozen, slotted attrs records of parameters, differentiable as wholes.

A ``@model`` class is an attrs class (keyword and positional construction, ``repr``, equality,
``attrs.evolve``) whose instances are immutable and whose arrays are read-only. It gets, with no
registration:

- a derived ``Backprop`` instance (``zero``/``add``/``one`` field by field, through nested
  records, tuples, lists, dicts and ``Optional`` fields), so ``grad_bp(loss, net)`` is a record
  of the same type;
- record arithmetic: ``+``, ``-``, unary ``-``, ``*`` and ``/`` by a number, so
  ``net - 0.1 * grad`` is a record too;
- a lens per field at class level: ``Network.weight1`` is a ``Lens`` (see ``typedprop.lens``),
  while ``net.weight1`` is the value;
- validation at construction: fields annotated with array types must hold arrays, nested records
  must be records; the error names the class, the field, what was expected and what came.

Fields marked ``static()`` (hyper-parameters, an activation function, a size) are carried along
unchanged and never get a gradient. ``split_bv``/``join_bv`` turn a ``BVar`` of a record into an
object of field ``BVar``s and back.
"""

from __future__ import annotations

import operator
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Self,
    TypeVar,
    cast,
    dataclass_transform,
    get_args,
    get_origin,
    overload,
)

import attrs
import numpy as np

from typedprop import _repr, classes
from typedprop._core import (
    _CONST,
    BVar,
    Op,
    _apply1,
    _apply_n,
    _Partial,
    deep_value,
    materialize,
)
from typedprop.errors import FieldTypeError, LensError, ShapeError
from typedprop.lens import Lens

__all__ = ["Model", "fields_of", "is_model", "join_bv", "model", "split_bv", "static"]

T = TypeVar("T")
S = TypeVar("S")

_STATIC = "typedprop.static"


def static(*, default: Any = attrs.NOTHING, factory: Callable[[], Any] | None = None) -> Any:
    """Mark a ``@model`` field as static: carried along, never differentiated.

    Example:
        >>> from typedprop import grad_bp, model, static
        >>> @model
        ... class Scaled:
        ...     w: float
        ...     scale: float = static(default=2.0)
        >>> grad_bp(lambda s: (s ^ Scaled.w) * (s ^ Scaled.scale), Scaled(1.0))
        Scaled(w=2.0, scale=2.0)
    """
    if factory is not None:
        return attrs.field(factory=factory, metadata={_STATIC: True})
    return attrs.field(default=default, metadata={_STATIC: True})


# --- per-class facts ---


class _Info:
    """What typedprop needs of a record class, computed once at decoration."""

    __slots__ = (
        "cls",
        "diff",
        "diff_values",
        "fast",
        "hints",
        "lenses",
        "localns",
        "names",
        "setters",
        "statics",
    )

    def __init__(self, cls: type, localns: dict[str, Any]) -> None:
        fields = attrs.fields(cls)
        self.cls = cls
        self.names: tuple[str, ...] = tuple(f.name for f in fields)
        self.statics = frozenset(f.name for f in fields if f.metadata.get(_STATIC))
        self.diff: tuple[str, ...] = tuple(n for n in self.names if n not in self.statics)
        self.diff_values = _getter(self.diff)
        self.setters = tuple(_slot(cls, n).__set__ for n in self.names)
        self.hints: dict[str, Any] | None = None
        self.fast: tuple[Callable[[Any], bool] | None, ...] | None = None
        self.lenses: dict[str, _FieldLens[Any, Any]] = {}
        self.localns = localns  # the names visible where the class was defined

    def annotations(self) -> dict[str, Any]:
        """The fields' annotations, resolved on first use (they may name later classes)."""
        if self.hints is None:
            self.hints = _resolve_hints(self)
        return self.hints


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the fields ``names`` of a record, as a tuple, in one C call."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        get = operator.attrgetter(names[0])
        return lambda x: (get(x),)
    return lambda x: ()


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise AttributeError(name)


def _resolve_hints(info: _Info) -> dict[str, Any]:
    """The fields' annotations as objects, looked up where the class was defined.

    Raises:
        FieldTypeError: a differentiable field's annotation names something that is not
            defined (its checks would silently not happen); static fields are not checked.
    """
    cls = info.cls
    module = getattr(sys.modules.get(cls.__module__), "__dict__", {})
    try:
        return typing.get_type_hints(cls, globalns=module, localns=info.localns)
    except Exception:
        hints: dict[str, Any] = {}
        for f in attrs.fields(cls):
            try:
                hints[f.name] = (
                    eval(f.type, module, info.localns) if isinstance(f.type, str) else f.type
                )
            except Exception as e:
                if f.name in info.statics:
                    continue
                raise FieldTypeError(
                    f"{cls.__qualname__}.{f.name}: cannot resolve its annotation {f.type!r} "
                    f"({e}); define the names it uses at module level or before the class, "
                    f"so that the field can be checked"
                ) from e
        return hints


_INFO: dict[type, _Info] = {}


def _info(cls: type) -> _Info:
    info = _INFO.get(cls)
    if info is None:
        raise TypeError(f"{cls.__qualname__} is not a @typedprop.model class")
    return info


def is_model(x: object) -> bool:
    """Whether ``x`` is a ``@model`` class or an instance of one."""
    return (x if isinstance(x, type) else type(x)) in _INFO


def fields_of(cls: type, *, differentiable_only: bool = False) -> tuple[str, ...]:
    """The field names of a ``@model`` class, in declaration order."""
    info = _info(cls)
    return info.diff if differentiable_only else info.names


# --- building instances ---


def _freeze_view(v: Any) -> Any:
    """A read-only view of a fresh array (ours alone, so no copy is needed)."""
    if type(v) is np.ndarray and v.flags.writeable:
        v = v.view()
        v.flags.writeable = False
    return v


def _make(info: _Info, values: Sequence[Any]) -> Any:
    """An instance from values typedprop computed itself: no validation, no copies."""
    obj: Any = object.__new__(info.cls)
    for setter, v in zip(info.setters, values, strict=True):
        setter(obj, _freeze_view(v))
    return obj


def _remake(info: _Info, like: Any, diff_values: Sequence[Any]) -> Any:
    """``like`` with its differentiable fields replaced, static ones kept."""
    it = iter(diff_values)
    return _make(
        info,
        [getattr(like, n) if n in info.statics else next(it) for n in info.names],
    )


def _post_init(self: Any) -> None:
    """Validation at construction: arrays copied read-only, annotations checked."""
    info = _info(type(self))
    _validate(info, self, [getattr(self, n) for n in info.names], copy=True)


def _checked(info: _Info, given: dict[str, Any]) -> Any:
    """An instance from field values (defaults filled in), validated, with no copies."""
    values = []
    for f in attrs.fields(info.cls):
        if f.name in given:
            values.append(given[f.name])
        elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            values.append(f.default.factory())
        elif f.default is not attrs.NOTHING:
            values.append(f.default)
        else:
            raise TypeError(f"{info.cls.__qualname__}: no value for field {f.name!r}")
    record = _make(info, values)
    _validate(info, record, values, copy=False)
    return record


def _validate(info: _Info, obj: Any, values: Sequence[Any], copy: bool) -> None:
    """Check each field against its annotation, dimension variables agreeing across fields;
    store what the check converted (an array given for a ``Vec``) and, with ``copy``, a
    read-only copy of each writeable array."""
    hints = info.annotations()
    fast = info.fast if info.fast is not None else _fast_checks(info)
    bindings: dict[Any, tuple[int, str]] = {}
    for name, setter, v, quick in zip(info.names, info.setters, values, fast, strict=True):
        new = v
        if copy and type(v) is np.ndarray and v.flags.writeable:
            new = v.copy()
            new.flags.writeable = False
        if quick is not None and quick(new):  # passes as it is: nothing to convert or bind
            if new is not v:
                setter(obj, new)
            continue
        hint = hints.get(name)
        if hint is not None:
            new = _check_field(info.cls, name, hint, new, bindings)
        if new is not v:
            setter(obj, _freeze_view(new))


def _fast_checks(info: _Info) -> tuple[Callable[[Any], bool] | None, ...]:
    """Per field, a quick test that a value passes its annotation's check unchanged, or
    ``None`` where only the full check can tell (a union, dimension variables to bind)."""
    hints = info.annotations()
    info.fast = tuple(_fast_check(hints[n]) if n in hints else None for n in info.names)
    return info.fast


def _is_number_array(v: Any) -> bool:
    return type(v) is np.ndarray and v.dtype.kind in "biufc"


def _fast_check(hint: Any) -> Callable[[Any], bool] | None:
    """The quick test of ``_fast_checks`` for one annotation."""
    origin = get_origin(hint)
    target = origin if origin is not None else hint
    if target is np.ndarray:
        return _is_number_array
    quick = getattr(target, "_tp_fast_check", None)
    if quick is not None:
        found: Callable[[Any], bool] | None = quick(hint)
        return found
    if target is float:
        return lambda v: type(v) is float
    if isinstance(target, type) and target in _INFO and not get_args(hint):
        return lambda v: type(v) is target
    return None


def _check_field(
    cls: type, name: str, hint: Any, v: Any, bindings: dict[Any, tuple[int, str]]
) -> Any:
    """``v`` checked against ``hint`` (and converted where the annotated type knows how).

    Annotated types take part through a ``_tp_field_check(hint, value, bindings, where)``
    class method (``typedprop.linalg``'s ``Vec`` and ``Mat`` have one).
    """
    origin = get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in get_args(hint) if a is not type(None)]
        if v is None and len(options) < len(get_args(hint)):
            return v
        return _check_field(cls, name, options[0], v, bindings) if len(options) == 1 else v
    target = origin if origin is not None else hint
    check = getattr(target, "_tp_field_check", None)
    if check is not None:
        return check(hint, v, bindings, f"{cls.__qualname__}.{name}")
    if target is float:
        if not (_is_real(v) or type(v) is BVar):
            raise FieldTypeError(_field_message(cls, name, "float (a real number)", v))
        return v
    checked = target is np.ndarray or (isinstance(target, type) and target in _INFO)
    if checked and not isinstance(v, target):
        raise FieldTypeError(_field_message(cls, name, _type_name(hint), v))
    if target is np.ndarray and v.dtype.kind not in "biufc":
        raise FieldTypeError(
            _field_message(cls, name, "an array of numbers", v) + f" of dtype {v.dtype}"
        )
    if origin in _INFO and get_args(hint):
        _check_arguments(f"{cls.__qualname__}.{name}", hint, v, bindings)
    return v


def _check_arguments(where: str, hint: Any, v: Any, bindings: dict[Any, tuple[int, str]]) -> None:
    """A generic record in a field annotated with its arguments (``l2: Layer[10, 3]``): its
    dimensions agree with them, and with the enclosing record's own dimension variables
    (``Layer[I, 16]`` binds ``I``)."""
    sub = _INFO[get_origin(hint)]
    pairs = list(zip(getattr(sub.cls, "__parameters__", ()), get_args(hint), strict=False))
    seeded: dict[Any, tuple[int, str]] = {}
    for param, arg in pairs:
        d = _literal_dim(arg)
        if d is not None:
            seeded[param] = (d, f"{where}: {_hint_text(hint)}")
        elif arg in bindings:
            seeded[param] = bindings[arg]
    hints = sub.annotations()
    for n in sub.names:
        if n in hints:
            _check_field(sub.cls, n, hints[n], getattr(v, n), seeded)
    for param, arg in pairs:
        if isinstance(arg, TypeVar) and arg not in bindings and param in seeded:
            bindings[arg] = (seeded[param][0], where)


def _literal_dim(a: Any) -> int | None:
    """``3`` from ``3`` or ``Literal[3]`` (a record's dimension argument)."""
    if get_origin(a) is typing.Literal and len(get_args(a)) == 1:
        a = get_args(a)[0]
    return a if isinstance(a, int) and not isinstance(a, bool) else None


def _hint_text(hint: Any) -> str:
    """``Layer[10, 3]``: a generic record's annotation as messages name it."""
    args = ", ".join(
        str(_literal_dim(a) if _literal_dim(a) is not None else getattr(a, "__name__", a))
        for a in get_args(hint)
    )
    return f"{get_origin(hint).__qualname__}[{args}]"


def _is_real(v: Any) -> bool:
    """A real number (an int or float of Python's or numpy's, or a 0-d real array)."""
    if isinstance(v, np.ndarray):
        return v.ndim == 0 and v.dtype.kind in "iuf"
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__qualname__", None) or str(hint)


def _field_message(cls: type, name: str, expected: str, v: Any) -> str:
    got = f"an array of shape {v.shape}" if isinstance(v, np.ndarray) else type(v).__name__
    return f"{cls.__qualname__}.{name}: expected {expected}, got {got}"


# --- the derived Backprop instance ---


class _RecordBackprop(classes.Backprop[Any]):
    """Field by field over the differentiable fields; static fields are kept."""

    def __init__(self, info: _Info) -> None:
        self.info = info

    def zero(self, x: Any) -> Any:
        return _remake(self.info, x, [classes.zero(getattr(x, n)) for n in self.info.diff])

    def one(self, x: Any) -> Any:
        return _remake(self.info, x, [classes.one(getattr(x, n)) for n in self.info.diff])

    def add(self, x: Any, y: Any) -> Any:
        return _combine(operator.add, x, y)

    def children(self, x: Any) -> Sequence[Any]:
        return self.info.diff_values(x)

    def rebuild(self, x: Any, children: Sequence[Any]) -> Any:
        return _remake(self.info, x, children)


def _statics_agree(info: _Info, x: Any, y: Any, what: str) -> None:
    for n in info.statics:
        a, b = getattr(x, n), getattr(y, n)
        if a is not b and not _equal(a, b):
            raise ValueError(
                f"{what} of two {info.cls.__qualname__} records whose static field {n!r} "
                f"differs ({a!r} and {b!r}); static fields must agree"
            )


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray) else bool(a == b)
    except Exception:
        return False


def _combine(op: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """``op`` field by field (and element by element inside containers); ``None`` is zero."""
    if x is None:
        return y if op is operator.add or y is None else _scale(operator.neg, y)
    if y is None:
        return x
    info = _INFO.get(type(x))
    if info is not None:
        if type(y) is not info.cls:
            raise TypeError(
                f"cannot combine a {info.cls.__qualname__} with a {type(y).__qualname__}"
            )
        _statics_agree(info, x, y, "arithmetic")
        return _remake(info, x, [_combine(op, getattr(x, n), getattr(y, n)) for n in info.diff])
    inst = classes.instance_for(x)
    parts = inst.children(x)
    if parts is None:
        return op(x, y)
    other = classes.instance_for(y).children(y)
    if other is None or len(other) != len(parts):
        raise ShapeError(
            f"cannot combine a {type(x).__name__} of {len(parts)} parts with "
            f"{'a leaf' if other is None else f'{len(other)} parts'} element by element"
        )
    return inst.rebuild(x, [_combine(op, a, b) for a, b in zip(parts, other, strict=True)])


def _scale(f: Callable[[Any], Any], x: Any) -> Any:
    """``f`` applied to every number of ``x``, field by field."""
    if x is None:
        return None
    inst = classes.instance_for(x)
    parts = inst.children(x)
    if parts is None:
        return f(x)
    return inst.rebuild(x, [_scale(f, v) for v in parts])


def _is_number(s: object) -> bool:
    return isinstance(s, int | float | np.number) and not isinstance(s, bool)


def _same_class(self: Any, other: Any) -> bool:
    """Whether ``other`` is a record of ``self``'s class; a record of an older definition of
    that class (a notebook cell run twice) is an error that says so, not a bare ``TypeError``."""
    if type(other) is type(self):
        return True
    theirs = type(other)
    if theirs in _INFO and theirs.__qualname__ == type(self).__qualname__:
        raise TypeError(
            f"cannot combine two {theirs.__qualname__} records made by two different "
            f"definitions of the class {theirs.__qualname__} (was its cell or module run "
            f"again?); make both with the current definition"
        )
    return False


def _add(self: Any, other: Any) -> Any:
    return _combine(operator.add, self, other) if _same_class(self, other) else NotImplemented


def _sub(self: Any, other: Any) -> Any:
    return _combine(operator.sub, self, other) if _same_class(self, other) else NotImplemented


def _neg(self: Any) -> Any:
    return _scale(operator.neg, self)


def _mul(self: Any, s: Any) -> Any:
    return _scale(lambda v: v * s, self) if _is_number(s) else NotImplemented


def _truediv(self: Any, s: Any) -> Any:
    return _scale(lambda v: v / s, self) if _is_number(s) else NotImplemented


# --- field lenses ---


class _FieldLens(Lens[S, T]):
    """The lens of one field: views by attribute, sets by ``attrs.evolve`` (validated), and
    keeps the gradients of field reads sparse, keyed by field name."""

    __slots__ = ("_static", "field", "info")

    def __init__(self, info: _Info, name: str) -> None:
        self.info = info
        self.field = name
        self._static = name in info.statics
        super().__init__(
            # the slot's own getter: it refuses, at no cost, a record of another class
            _slot(info.cls, name).__get__,
            lambda s, a: attrs.evolve(cast(Any, s), **{name: a}),
            name=f"{info.cls.__qualname__}.{name}",
        )
        # A field's gradient may itself be sparse (the field is a record read field by field):
        # it is kept so inside this record's, and assembled once, at the end.
        self._op.sparse = True

    def _view_var(self, s: BVar[S]) -> BVar[T]:
        if self._static:
            return BVar(self.view(deep_value(s)), _CONST)
        try:
            out: BVar[T] = _apply1(self._op, s)
        except TypeError as e:
            raise self._refuse(deep_value(s)) or e from e
        return out

    def view(self, s: S) -> T:
        """The field of ``s``."""
        try:
            return self._get(s)
        except TypeError as e:
            raise self._refuse(s) or e from e

    def __rxor__(self, s: Any) -> Any:  # s ^ lens: one projection node, nothing in between
        if type(s) is not BVar:
            return self.view(s)
        if self._static:
            return self._view_var(s)
        try:
            return _apply1(self._op, s)
        except TypeError as e:
            raise self._refuse(deep_value(s)) or e from e

    def _refuse(self, s: object) -> LensError | None:
        """The error for a record of another class, or ``None`` (then the error was another)."""
        cls = self.info.cls
        if isinstance(s, cls):
            return None
        return LensError(
            f"the lens {self.name} views a field of {cls.__qualname__}, but was applied to a "
            f"value of type {type(s).__qualname__}; reach a field of a nested record through "
            f"its parent (Parent.child >> {cls.__qualname__}.{self.field})"
        )

    def _view_vjp(self, g: Any, ans: Any, s: Any) -> Any:
        return _Partial(s, _assemble_fields, {self.field: g})

    def _focus_type(self) -> Any:
        hint = self.info.annotations().get(self.field)
        return get_origin(hint) or hint


def _assemble_fields(container: Any, parts: dict[str, Any]) -> Any:
    """The record's gradient from the gradients of the fields that were read."""
    x = deep_value(container)
    info = _INFO[type(x)]
    return _make(
        info,
        [
            getattr(x, n)
            if n in info.statics
            else (
                materialize(parts[n], getattr(x, n)) if n in parts else classes.zero(getattr(x, n))
            )
            for n in info.names
        ],
    )


class _ModelMeta(type):
    """The metaclass of records. Each record class is given a subclass of its own
    (``_serve_lenses``) whose descriptors serve its fields' lenses at class level; instances keep
    plain slot access."""

    _tp_lenses_: ClassVar[dict[str, Any]] = {}

    if TYPE_CHECKING:  # checkers see class-level access as before (a lens, attrs' attributes)

        def __getattribute__(cls, name: str) -> Any: ...


class _ClassLens:
    """A field's lens at class level (``Network.weight1``): a data descriptor of the record's
    own metaclass, so that it wins over the field's slot in the class while every other class
    attribute is found at C speed (a metaclass ``__getattribute__`` cost each ~0.3 µs)."""

    __slots__ = ("lens",)

    def __init__(self, lens: Lens[Any, Any]) -> None:
        self.lens = lens

    def __get__(self, cls: Any, meta: Any = None) -> Any:
        return self.lens if cls is not None else self

    def __set__(self, cls: Any, value: Any) -> None:
        raise AttributeError(f"{self.lens.name} is the lens of a record's field: it stays one")


def _serve_lenses(cls: type, lenses: Mapping[str, Lens[Any, Any]]) -> None:
    """Make ``cls`` an instance of a metaclass of its own that serves ``lenses`` by name."""
    meta: Any = type(cls)
    own = type(meta)(
        f"{meta.__name__}[{cls.__qualname__}]",
        (meta,),
        {"__module__": meta.__module__, **{n: _ClassLens(lens) for n, lens in lenses.items()}},
    )
    cls.__class__ = own


def _with_meta(cls: type) -> type:
    """``cls`` re-created with a metaclass that serves field lenses at class level."""
    meta = type(cls)
    if not issubclass(meta, _ModelMeta):
        meta = (
            _ModelMeta if meta is type else type(f"_Model{meta.__name__}", (_ModelMeta, meta), {})
        )
    ns = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    return meta(cls.__name__, cls.__bases__, ns)


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field, static))
def model(cls: type[T]) -> type[T]:
    """Make an annotated class a frozen, slotted, differentiable record.

    (Subclassing ``Model`` makes the same record, with its arithmetic visible to every type
    checker.)

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp, model
        >>> from typedprop.functions import sum_elements
        >>> @model
        ... class Line:
        ...     slope: float
        ...     offset: np.ndarray
        >>> line = Line(2.0, np.zeros(3))
        >>> g = grad_bp(lambda l: sum_elements((l ^ Line.offset) * (l ^ Line.slope)), line)
        >>> g.slope, g.offset
        (0.0, array([2., 2., 2.]))
        >>> (line - 0.5 * g).slope
        2.0
    """
    if cls in _INFO:  # a Model subclass is a record already
        return cls
    for name, method in (
        ("__add__", _add),
        ("__sub__", _sub),
        ("__neg__", _neg),
        ("__mul__", _mul),
        ("__rmul__", _mul),
        ("__truediv__", _truediv),
    ):
        if name not in cls.__dict__:
            setattr(cls, name, method)
    return _record(_with_meta(cls), _localns(sys._getframe(1)))


def _localns(frame: Any) -> dict[str, Any]:
    """The names visible where a record class is defined: a function's locals (as they are
    then), or the live globals of code run with its own namespace (a doctest, ``exec``)."""
    return dict(frame.f_locals) if frame.f_locals is not frame.f_globals else frame.f_globals


def _record(cls: type, localns: dict[str, Any]) -> type:
    """``cls`` (whose metaclass serves lenses) made an attrs record, registered with its lenses
    and ``Backprop`` instance: what ``@model`` and ``Model`` subclasses share."""
    user_post_init = cls.__dict__.get("__attrs_post_init__")
    if user_post_init is None:  # a record subclass keeps its base's own post-init
        inherited = getattr(cls, "__attrs_post_init__", None)
        user_post_init = getattr(inherited, "_tp_user", inherited)

    def post_init(self: Any) -> None:
        _post_init(self)
        if user_post_init is not None:
            user_post_init(self)

    post_init._tp_user = user_post_init  # type: ignore[attr-defined]
    type.__setattr__(cls, "__attrs_post_init__", post_init)
    if "__repr__" not in cls.__dict__:  # attrs' repr, with big arrays summarised
        type.__setattr__(cls, "__repr__", _repr.record_repr)
    new = attrs.frozen(cls)
    info = _Info(new, localns)
    _INFO[new] = info
    info.lenses = {n: _FieldLens(info, n) for n in info.names}
    type.__setattr__(new, "_tp_lenses_", info.lenses)
    _serve_lenses(new, info.lenses)
    classes.register_backprop(new, _RecordBackprop(info))
    return new


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field, static))
class _ModelClass(_ModelMeta):
    """The metaclass of ``Model``: each subclass statement makes a record (``_record``)."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kwargs: Any
    ) -> _ModelClass:
        cls = super().__new__(mcs, name, bases, ns, **kwargs)
        if "__attrs_attrs__" in ns or not any(isinstance(b, _ModelClass) for b in bases):
            return cls  # attrs re-creating the class with slots, or Model itself
        new: Any = _record(cls, _localns(sys._getframe(1)))
        return new  # type: ignore[no-any-return]


class Model(metaclass=_ModelClass):
    """Base class of differentiable records: ``class Network(Model): ...`` is a ``@model``.

    A subclass is exactly what ``@model`` makes (frozen, slotted, validated, a lens per field at
    class level, a derived ``Backprop`` instance); its record arithmetic is declared here, so
    every type checker (pyright, Pylance, mypy without the plugin) types ``net - 0.1 * grad``.
    Generic records are ``class Layer(Model, Generic[I, O])``.

    Example:
        >>> from typedprop import Model, grad_bp
        >>> class Pair(Model):
        ...     a: float
        ...     b: float
        >>> p = Pair(1.0, 2.0)
        >>> g = grad_bp(lambda q: (q ^ Pair.a) * (q ^ Pair.b), p)
        >>> p - 0.5 * g, Pair.a
        (Pair(a=0.0, b=1.5), <Lens Pair.a>)
    """

    __slots__ = ()

    def __add__(self, other: Self) -> Self:
        out: Self = _add(self, other)
        return out

    def __sub__(self, other: Self) -> Self:
        out: Self = _sub(self, other)
        return out

    def __neg__(self) -> Self:
        out: Self = _neg(self)
        return out

    def __mul__(self, s: float) -> Self:
        out: Self = _mul(self, s)
        return out

    def __rmul__(self, s: float) -> Self:  # s * self
        out: Self = _mul(self, s)
        return out

    def __truediv__(self, s: float) -> Self:
        out: Self = _truediv(self, s)
        return out

    @overload
    def __xor__(self, lens: Lens[Any, T]) -> T: ...
    @overload
    def __xor__(self, lens: T) -> T: ...
    def __xor__(self, lens: Any) -> Any:
        """``record ^ Record.field``: the field. Typed here for checkers that see a class-level
        field as the field's own type (as ``BVar.__xor__`` is)."""
        return lens.view(self) if isinstance(lens, Lens) else NotImplemented


# --- split_bv / join_bv ---


class Split(Generic[S]):
    """A ``BVar`` of a record seen field by field: ``split.weight1`` is a ``BVar`` of the field.

    Fields are projected when first read, so reading ``k`` fields costs ``k`` projections.
    """

    __slots__ = ("_bvar", "_cache", "_info")

    def __init__(self, bvar: BVar[S], info: _Info) -> None:
        self._bvar = bvar
        self._info = info
        self._cache: dict[str, BVar[Any]] = {}

    def __getattr__(self, name: str) -> BVar[Any]:
        cache = self._cache
        v = cache.get(name)
        if v is None:
            lens = self._info.lenses.get(name)
            if lens is None:
                raise AttributeError(f"{self._info.cls.__qualname__} has no field {name!r}")
            v = cache[name] = lens._view_var(self._bvar)
        return v

    def __dir__(self) -> list[str]:
        return list(self._info.names)

    def __repr__(self) -> str:
        return f"split_bv({self._bvar!r})"


def split_bv(x: BVar[S]) -> Split[S]:
    """A ``BVar`` of a record as an object with one ``BVar`` per field (by attribute).

    Example:
        >>> from typedprop import grad_bp, model, split_bv
        >>> @model
        ... class Pair:
        ...     a: float
        ...     b: float
        >>> grad_bp(lambda p: split_bv(p).a * split_bv(p).b, Pair(2.0, 5.0))
        Pair(a=5.0, b=2.0)
    """
    return Split(x, _info(type(deep_value(x))))


def join_bv(cls: type[S], **fields: Any) -> BVar[S]:
    """A ``BVar`` of a record from its fields' ``BVar``s (or plain values); the reverse of
    ``split_bv``. Field values are validated as in the record's constructor.

    Example:
        >>> from typedprop import grad_bp, join_bv, model
        >>> @model
        ... class Pair:
        ...     a: float
        ...     b: float
        >>> grad_bp(lambda x: join_bv(Pair, a=x, b=x * 2.0) ^ Pair.b, 1.0)
        2.0
    """
    info = _info(cls)
    names = [n for n in info.names if n in fields]
    unknown = set(fields) - set(info.names)
    if unknown:
        raise TypeError(f"join_bv: {cls.__qualname__} has no field(s) {sorted(unknown)}")
    values = [fields[n] for n in names]

    def pull(*vals: Any) -> tuple[Any, Callable[[Any], Any]]:
        given = dict(zip(names, vals, strict=True))
        if any(type(v) is BVar for v in vals):
            record: Any = join_bv(cls, **given)
        else:
            record = _checked(info, given)

        def pullback(g: Any) -> tuple[Any, ...]:
            return tuple(None if n in info.statics else (g ^ info.lenses[n]) for n in names)

        return record, pullback

    out: Any = _apply_n(Op(f"join_bv {cls.__qualname__}", len(values), pull=pull), values)
    return out if type(out) is BVar else BVar(out, _CONST)
