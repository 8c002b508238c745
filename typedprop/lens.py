"""Lenses: focusing on a part of a value, outside and inside differentiable code.

A ``Lens[S, A]`` views an ``A`` inside an ``S`` and sets it (``view``, ``set``, ``over``);
lenses compose with ``>>`` (``Network.layer1 >> Layer.weight``). Every ``@model`` field is a lens
at class level (``Network.weight1``). ``s ^ lens`` views a plain value, and views a ``BVar``
inside a differentiable computation; ``view_var``, ``set_var``, ``over_var``, ``preview_var``,
``to_list_of_var``, ``iso_var``, ``split_bv`` and ``join_bv`` are the other ``BVar`` tools.

Beyond lenses (exactly one part): a ``Prism[S, A]`` focuses on a part an ``S`` may or may not
hold (one alternative of a union-typed field: ``Net.activation.when(Relu)``), a
``Traversal[S, A]`` on any number of parts (``Net.layers.each() >> Layer.weight``). Every lens
is a prism and every prism a traversal; ``>>`` composes any two and gives the weaker kind.

Reading a field records one projection whose gradient is kept sparse (by field name) and
assembled into a full record once, when the record's own node is reached: ``k`` field reads of a
record cost O(k), not O(k · fields) as in backprop, where each read adds a zero-filled record.
Records themselves are in ``typedprop.record``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import UnionType
from typing import Any, Generic, TypeVar, Union, cast, get_args, get_origin, overload

from typedprop import classes
from typedprop._core import _CONST, BVar, Op, _apply1, _apply2, _Partial, deep_value
from typedprop._runners import sequence_var
from typedprop.errors import LensError
from typedprop.op import op_iso

__all__ = [
    "Lens",
    "Prism",
    "Traversal",
    "iso_var",
    "lens_of",
    "over_var",
    "preview_var",
    "set_var",
    "to_list_of_var",
    "view_var",
]

S = TypeVar("S")
A = TypeVar("A")
B = TypeVar("B")
_R = TypeVar("_R")  # the record of lens_of
_F = TypeVar("_F")  # the field it reaches


class Traversal(Generic[S, A]):
    """A focus on zero or more ``A``s inside an ``S``: all the weights of a list of layers.

    Make one from a lens to a list, tuple or dict field (``Net.layers.each()``) and compose it
    with lenses, prisms and traversals (``Net.layers.each() >> Layer.weight``). ``to_list``
    reads the parts, ``over`` modifies each; ``to_list_of_var`` reads them from a ``BVar``, one
    ``BVar`` each, with sparse gradients (reading all ``n`` parts costs O(n)).

    Example:
        >>> from typedprop import Model
        >>> class Layer(Model):
        ...     w: float
        >>> class Net(Model):
        ...     layers: list[Layer]
        >>> ws = Net.layers.each() >> Layer.w
        >>> ws, ws.to_list(Net([Layer(1.0), Layer(2.0)]))
        (<Traversal Net.layers >> each >> Layer.w>, [1.0, 2.0])
    """

    __slots__ = ("name",)
    name: str

    def __repr__(self) -> str:
        return f"<{_kind(self).__name__} {self.name}>"

    def to_list(self, s: S) -> list[A]:
        """The focused parts of ``s``, in order."""
        parts: list[Any] = [s]
        for step in self._steps():
            parts = [p for x in parts for p in step._parts(x)]
        return parts

    def over(self, s: S, f: Callable[[A], A]) -> S:
        """``s`` with each focused part replaced by ``f`` of it."""
        result: S = _over_path(self._steps(), s, f)
        return result

    def __rshift__(self, other: Traversal[A, B]) -> Traversal[S, B]:
        """The composition: this focus, then ``other`` inside each part."""
        return _compose(self, other)

    @overload
    def each(self: Traversal[S, list[B]]) -> Traversal[S, B]: ...
    @overload
    def each(self: Traversal[S, tuple[B, ...]]) -> Traversal[S, B]: ...
    @overload
    def each(self: Traversal[S, dict[Any, B]]) -> Traversal[S, B]: ...
    def each(self: Traversal[S, Any]) -> Traversal[S, Any]:
        """Every element of the focused list or tuple (every value of a dict)."""
        return _compose(self, _EACH)

    def when(self, cls: type[B]) -> Traversal[S, B]:
        """The focused parts that are ``cls``es (one alternative of a union type)."""
        return _compose(self, _when(cls, self))

    # --- the steps a composition runs, one primitive optic each ---

    def _steps(self) -> tuple[Traversal[Any, Any], ...]:
        return (self,)

    def _parts(self, s: Any) -> list[Any]:
        """The parts of a plain value this primitive focuses on."""
        raise NotImplementedError

    def _parts_var(self, s: BVar[Any]) -> list[BVar[Any]]:
        """The parts of a ``BVar``, each a ``BVar`` whose gradient flows back into ``s``."""
        raise NotImplementedError

    def _over1(self, s: Any, f: Callable[[Any], Any]) -> Any:
        """``s`` with this primitive's parts replaced by ``f`` of them."""
        raise NotImplementedError

    def _var_list(self, s: BVar[Any]) -> list[BVar[Any]]:
        parts: list[BVar[Any]] = [s]
        for step in self._steps():
            parts = [p for x in parts for p in step._parts_var(x)]
        return parts


class Prism(Traversal[S, A]):
    """A focus on an ``A`` that an ``S`` may hold: one alternative of a union (a ``Relu`` in a
    ``Relu | Tanh`` field), the value of an optional.

    ``Net.activation.when(Relu)`` views the ``Relu`` alternative of a field; ``Prism.of(Relu)``
    that of a union value itself; ``Prism(match, build)`` makes one from a function that returns
    the part or ``None`` and its inverse (``build(a)`` is the ``S`` holding ``a``). Only
    structural prisms belong here (their derivative is 1, as a lens's). ``preview`` reads the
    part or ``None``; ``preview_var`` does so inside a differentiable computation, and
    ``view_var`` when the part is known to be there.

    Example:
        >>> from typedprop import Model
        >>> class Relu(Model):
        ...     leak: float
        >>> class Tanh(Model):
        ...     gain: float
        >>> class Net(Model):
        ...     activation: Relu | Tanh
        >>> relu = Net.activation.when(Relu)
        >>> relu, relu.preview(Net(Relu(0.1))), relu.preview(Net(Tanh(1.0)))
        (<Prism Net.activation >> when(Relu)>, Relu(leak=0.1), None)
    """

    __slots__ = ("_build", "_iso", "_match")

    def __init__(
        self, match: Callable[[S], A | None], build: Callable[[A], S], name: str = "prism"
    ) -> None:
        self._match = match
        self._build = build
        self.name = name
        self._iso = op_iso(cast(Callable[[S], A], match), build, name=f"preview {name}")

    @staticmethod
    def of(cls: type[B]) -> Prism[Any, B]:
        """The ``cls`` alternative of a union value: the value itself where it is a ``cls``."""
        return _When(cls)

    def preview(self, s: S) -> A | None:
        """The focused part of ``s``, or ``None`` where ``s`` does not hold one."""
        parts = self.to_list(s)
        return parts[0] if parts else None

    def set(self, s: S, a: A) -> S:
        """``s`` with its focused part replaced by ``a`` where it holds one, else ``s``."""
        return self.over(s, lambda _: a)

    @overload  # as Lens's, so that its override matches item by item
    def __rshift__(self, other: Lens[A, B]) -> Prism[S, B]: ...
    @overload
    def __rshift__(self, other: Prism[A, B]) -> Prism[S, B]: ...
    @overload
    def __rshift__(self, other: Traversal[A, B]) -> Traversal[S, B]: ...
    def __rshift__(self, other: Traversal[A, B]) -> Traversal[S, B]:
        return _compose(self, other)

    def when(self, cls: type[B]) -> Prism[S, B]:
        """The focused part where it is a ``cls`` (one alternative of a union type)."""
        return cast(Prism[S, B], _compose(self, _when(cls, self)))

    def _parts(self, s: Any) -> list[Any]:
        a = self._match(s)
        return [] if a is None else [a]

    def _parts_var(self, s: BVar[Any]) -> list[BVar[Any]]:
        if self._match(deep_value(s)) is None:
            return []
        return [_apply1(self._iso, s)]

    def _over1(self, s: Any, f: Callable[[Any], Any]) -> Any:
        a = self._match(s)
        return s if a is None else self._build(f(a))


class Lens(Prism[S, A]):
    """A focus on an ``A`` inside an ``S``: ``view`` it, ``set`` it, ``over`` (modify) it.

    Make one from a getter and a setter, or take a ``@model`` field at class level. The laws
    (checked for field lenses in the tests): ``view(set(s, a)) == a``, ``set(s, view(s)) == s``,
    ``set(set(s, a), b) == set(s, b)``. Only structural lenses belong here: a lens that scales
    or transforms numbers would give wrong gradients, since a view is taken to have derivative 1.

    Example:
        >>> from typedprop import Lens
        >>> first = Lens(lambda p: p[0], lambda p, a: (a, p[1]), name="first")
        >>> first.view((1.0, 2.0)), first.set((1.0, 2.0), 5.0), (1.0, 2.0) ^ first
        (1.0, (5.0, 2.0), 1.0)
    """

    __slots__ = ("_get", "_op", "_set")

    def __init__(  # the prism's fields are not used: a lens is the prism that always matches
        self, get: Callable[[S], A], set: Callable[[S, A], S], name: str = "lens"
    ) -> None:
        self._get = get
        self._set = set
        self.name = name
        self._op = Op(f"view {name}", 1, fwd=get, vjps=(self._view_vjp,))

    def view(self, s: S) -> A:
        """The focused part of ``s``."""
        return self._get(s)

    def set(self, s: S, a: A) -> S:
        """``s`` with its focused part replaced by ``a``."""
        return self._set(s, a)

    def over(self, s: S, f: Callable[[A], A]) -> S:
        """``s`` with its focused part replaced by ``f`` of it."""
        return self._set(s, f(self._get(s)))

    @overload
    def __rshift__(self, other: Lens[A, B]) -> Lens[S, B]: ...
    @overload
    def __rshift__(self, other: Prism[A, B]) -> Prism[S, B]: ...
    @overload
    def __rshift__(self, other: Traversal[A, B]) -> Traversal[S, B]: ...
    def __rshift__(self, other: Traversal[A, B]) -> Traversal[S, B]:
        """The composition: first this lens, then ``other`` inside its focus."""
        if isinstance(other, Lens):
            return _Composed(self, other)
        return _compose(self, other)

    def _parts(self, s: Any) -> list[Any]:
        return [self.view(s)]

    def _parts_var(self, s: BVar[Any]) -> list[BVar[Any]]:
        return [self._view_var(s)]

    def _over1(self, s: Any, f: Callable[[Any], Any]) -> Any:
        return self.over(s, f)

    def _focus_type(self) -> Any:
        """The class of the focus if it is known (a record field's annotation), for ``of``."""
        return None

    @overload
    def __rxor__(self, s: BVar[S]) -> BVar[A]: ...
    @overload
    def __rxor__(self, s: S) -> A: ...
    def __rxor__(self, s: Any) -> Any:  # s ^ lens
        if type(s) is BVar:
            return self._view_var(s)
        return self._get(s)

    # --- inside differentiable code ---

    def _view_var(self, s: BVar[S]) -> BVar[A]:
        out: BVar[A] = _apply1(self._op, s)
        return out

    def _view_vjp(self, g: Any, ans: Any, s: Any) -> Any:
        return _Partial(s, _assemble_by_lens, {self: g})

    def _embed_zero(self, g: Any) -> Any:
        """``g`` (a gradient of a whole ``S``) with the focused part zeroed."""
        if type(g) is BVar:
            zero_focus: Any = classes.zero(self.view(deep_value(g)))
            return _apply2(_set_fwd(self), zero_focus, g)
        return self._set(g, classes.zero(self._get(g)))

    def _focus_of(self, g: Any) -> Any:
        """The focused part of a gradient of a whole ``S``."""
        return view_var(self, g) if type(g) is BVar else self._get(g)


_PATHS: dict[Any, Lens[Any, Any]] = {}


class _Recorder:
    """What ``lens_of`` runs a path on: it records attribute reads and refuses anything else."""

    __slots__ = ("_tp_names",)

    def __init__(self, names: tuple[str, ...]) -> None:
        object.__setattr__(self, "_tp_names", names)

    def __getattr__(self, name: str) -> _Recorder:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Recorder((*object.__getattribute__(self, "_tp_names"), name))

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "lens_of: the path may only read fields (lambda n: n.layer1.weight); it did "
            "something else with a field (an index, a call, arithmetic or a comparison)"
        )

    __getitem__ = __call__ = __setattr__ = __iter__ = __len__ = __bool__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __matmul__ = __rmatmul__ = __neg__ = __pow__ = __xor__ = __rxor__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = None  # type: ignore[assignment]


def _path_lens(cls: Any, path: Callable[[Any], Any]) -> Lens[Any, Any]:
    """The composition of the field lenses ``path`` reads, starting from the record ``cls``."""
    what = getattr(cls, "__qualname__", repr(cls))
    names = object.__getattribute__(_checked_path(path), "_tp_names")
    if not names:
        raise TypeError(f"lens_of({what}, ...): the path reads no field (lambda n: n.field)")
    owner: Any = getattr(cls, "__origin__", cls)  # Layer[Literal[4], ...] is a Layer
    lenses: list[Lens[Any, Any]] = []
    for i, name in enumerate(names):
        lens = getattr(owner, name, None) if isinstance(owner, type) else None
        if not isinstance(lens, Lens):
            where = ".".join((what, *names[:i]))
            kind = getattr(owner, "__qualname__", None) or "a value of unknown type"
            raise TypeError(
                f"lens_of: {where} is {kind}, which has no field {name!r}; a path reads "
                f"fields of records (Model or @model classes)"
            )
        lenses.append(lens)
        owner = lens._focus_type()
    result = lenses[0]
    for lens in lenses[1:]:
        result = result >> lens
    return result


def _checked_path(path: Callable[[Any], Any]) -> Any:
    """What ``path`` returns on a recorder, which must be the recorder of its field reads."""
    out = path(_Recorder(()))
    if type(out) is not _Recorder:
        raise TypeError(
            f"lens_of: the path must return the field it reads (lambda n: n.layer1.weight), "
            f"but it returned {type(out).__name__}"
        )
    return out


def _assemble_by_lens(container: Any, parts: dict[Any, Any]) -> Any:
    """The full gradient: the container's zero with each lens's part added in."""
    total = classes.zero(deep_value(container))
    for lens, g in parts.items():
        total = lens.set(total, classes.add(lens.view(total), g))
    return total


class _Composed(Lens[S, B]):
    """``outer >> inner``: views apply in turn, so each level keeps its sparse gradient."""

    __slots__ = ("_lenses",)
    _lenses: list[Lens[Any, Any]]

    def __init__(self, outer: Lens[S, Any], inner: Lens[Any, B]) -> None:
        lenses: list[Lens[Any, Any]] = []
        for lens in (outer, inner):
            lenses.extend(lens._lenses if isinstance(lens, _Composed) else [lens])
        self._lenses = lenses

        def get(s: S) -> B:
            v: Any = s
            for lens in lenses:
                v = lens.view(v)
            result: B = v
            return result

        def set_(s: S, b: B) -> S:
            result: S = _set_path(lenses, s, b)
            return result

        super().__init__(get, set_, name=" >> ".join(lens.name for lens in lenses))

    def _view_var(self, s: BVar[S]) -> BVar[B]:
        v: Any = s
        for lens in self._lenses:
            v = lens._view_var(v)
        result: BVar[B] = v
        return result


# --- prisms and traversals: the primitives and their compositions ---


class _When(Prism[Any, B]):
    """``Prism.of(cls)``: a union value where it is a ``cls``, the value itself (no node)."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type[B]) -> None:
        self._cls: Any = get_origin(cls) or cls  # Vec[Literal[3]] is a Vec
        self.name = f"when({getattr(self._cls, '__qualname__', repr(cls))})"

    def _parts(self, s: Any) -> list[Any]:
        return [s] if isinstance(s, self._cls) else []

    def _parts_var(self, s: BVar[Any]) -> list[BVar[Any]]:
        return [s] if isinstance(deep_value(s), self._cls) else []

    def _over1(self, s: Any, f: Callable[[Any], Any]) -> Any:
        return f(s) if isinstance(s, self._cls) else s


class _Each(Traversal[Any, Any]):
    """``.each()``: every element of a list or tuple, every value of a dict."""

    __slots__ = ()

    def __init__(self) -> None:
        self.name = "each"

    def _parts(self, s: Any) -> list[Any]:
        return list(_elements(s, self).values())

    def _parts_var(self, s: BVar[Any]) -> list[BVar[Any]]:
        keys = _elements(deep_value(s), self)
        return [s[k] for k in keys]  # each read sparse: reading all n costs O(n)

    def _over1(self, s: Any, f: Callable[[Any], Any]) -> Any:
        if isinstance(s, dict):
            return {k: f(v) for k, v in s.items()}
        return classes.instance_for(s).rebuild(s, [f(v) for v in s])


_EACH = _Each()


def _elements(s: Any, where: Traversal[Any, Any]) -> dict[Any, Any]:
    if isinstance(s, dict):
        return s
    if isinstance(s, list | tuple):
        return dict(enumerate(s))
    raise LensError(
        f"{where.name}: expected a list, tuple or dict to traverse, got a {type(s).__qualname__}"
    )


class _Chain(Traversal[S, B]):
    """A composition with at least one traversal: its steps run in turn."""

    __slots__ = ("_path",)

    def __init__(self, path: tuple[Traversal[Any, Any], ...]) -> None:
        self._path = path
        self.name = " >> ".join(step.name for step in path)

    def _steps(self) -> tuple[Traversal[Any, Any], ...]:
        return self._path


class _PrismChain(Prism[S, B]):
    """A composition of lenses and prisms, at least one a prism: zero or one part."""

    __slots__ = ("_path",)

    def __init__(self, path: tuple[Traversal[Any, Any], ...]) -> None:
        self._path = path
        self.name = " >> ".join(step.name for step in path)

    def _steps(self) -> tuple[Traversal[Any, Any], ...]:
        return self._path


def _kind(optic: Traversal[Any, Any]) -> type:
    """What ``optic`` is, as a user sees it: a ``Lens``, a ``Prism`` or a ``Traversal``."""
    return Lens if isinstance(optic, Lens) else Prism if isinstance(optic, Prism) else Traversal


def _compose(outer: Traversal[Any, Any], inner: Traversal[Any, Any]) -> Traversal[Any, Any]:
    """``outer >> inner``: a lens of two lenses, a prism of lenses and prisms, else a traversal."""
    if not isinstance(inner, Traversal):
        raise TypeError(
            f"{outer.name} >> {inner!r}: the right of >> must be a lens, prism or traversal"
        )
    if isinstance(outer, Lens) and isinstance(inner, Lens):
        return _Composed(outer, inner)
    path = outer._steps() + inner._steps()
    if isinstance(outer, Prism) and isinstance(inner, Prism):
        return _PrismChain(path)
    return _Chain(path)


def _over_path(steps: Sequence[Traversal[Any, Any]], s: Any, f: Callable[[Any], Any]) -> Any:
    if not steps:
        return f(s)
    rest = steps[1:]
    return steps[0]._over1(s, lambda a: _over_path(rest, a, f))


def _when(cls: type[B], outer: Traversal[Any, Any]) -> _When[B]:
    """``Prism.of(cls)`` after ``outer``, refused if ``outer``'s last step is a record field whose
    union annotation has no ``cls`` alternative (it would never match)."""
    prism = _When(cls)
    last = outer._steps()[-1]
    info, field = getattr(last, "info", None), getattr(last, "field", None)
    hint = info.annotations().get(field) if info is not None and field is not None else None
    if get_origin(hint) in (Union, UnionType):
        options = [get_origin(a) or a for a in get_args(hint)]
        classes_ = [o for o in options if isinstance(o, type)]
        if len(classes_) == len(options) and not any(
            issubclass(prism._cls, o) or issubclass(o, prism._cls) for o in classes_
        ):
            held = " | ".join("None" if o is type(None) else o.__qualname__ for o in classes_)
            raise LensError(
                f"{outer.name}.when({prism._cls.__qualname__}): the field holds {held}, never "
                f"a {prism._cls.__qualname__}; give one of its alternatives"
            )
    return prism


def _set_path(lenses: Sequence[Lens[Any, Any]], s: Any, b: Any) -> Any:
    if len(lenses) == 1:
        return lenses[0].set(s, b)
    head, rest = lenses[0], lenses[1:]
    return head.set(s, _set_path(rest, head.view(s), b))


# --- BVar lens operations ---


def lens_of(cls: type[_R], path: Callable[[_R], _F]) -> Lens[_R, _F]:
    """The lens of the field ``path`` reads: ``lens_of(Network, lambda n: n.layer1.weight)``
    is ``Network.layer1 >> Layer.weight``, typed by every checker.

    Plain type checkers (pyright, Pylance, mypy without the plugin) see ``Network.layer1``
    at class level as the field's value, so they cannot type ``>>`` of field lenses, nor a
    field of a generic record (``Layer.weight`` of ``Layer[I, O]``); they do type a lambda's
    result. ``path`` is run once, on a recorder of attribute reads, and the lens is made of
    the records' own field lenses (same views, same sparse gradients); it is cached by the
    lambda's code. Give a generic record with its dimensions:
    ``lens_of(Layer[Literal[4], Literal[10]], lambda l: l.weight)``.

    Raises:
        TypeError: ``path`` does something other than read fields of records.

    Example:
        >>> from typedprop import Model, lens_of
        >>> class Inner(Model):
        ...     w: float
        >>> class Outer(Model):
        ...     inner: Inner
        >>> w = lens_of(Outer, lambda o: o.inner.w)
        >>> w, Outer(Inner(2.0)) ^ w
        (<Lens Outer.inner >> Inner.w>, 2.0)
    """
    code = getattr(path, "__code__", None)
    key = (cls, code) if code is not None and not code.co_freevars else None
    lens = _PATHS.get(key) if key is not None else None
    if lens is None:
        lens = _path_lens(cls, path)
        if key is not None:
            _PATHS[key] = lens
    return lens


@overload
def view_var(lens: Lens[S, A], s: BVar[S]) -> BVar[A]: ...
@overload
def view_var(lens: Prism[S, A], s: BVar[S]) -> BVar[A]: ...
def view_var(lens: Prism[S, A], s: BVar[S]) -> BVar[A]:
    """The focused part of a ``BVar`` (``s ^ lens``); its gradient flows back into ``s``'s.

    Given a prism, the part known to be there (backprop's ``^^?!``); ``preview_var`` is the
    version that gives ``None`` where it is not.

    Raises:
        LensError: a prism's part is not there (the field holds another alternative).

    Example:
        >>> from typedprop import Lens, grad_bp, view_var
        >>> first = Lens(lambda p: p[0], lambda p, a: (a, p[1]), name="first")
        >>> grad_bp(lambda p: view_var(first, p) * 3.0, (1.0, 2.0))
        (3.0, 0.0)
    """
    if isinstance(lens, Lens):
        if type(s) is not BVar:
            return BVar(lens.view(cast(S, s)), _CONST)
        return lens._view_var(s)
    parts = _optic_vars(lens, s)
    if not parts:
        raise LensError(_absent(lens, s))
    return parts[0]


def _optic_vars(optic: Traversal[Any, Any], s: Any) -> list[BVar[Any]]:
    """The parts ``optic`` focuses on in ``s`` (a ``BVar`` or a plain value), as ``BVar``s."""
    if not isinstance(optic, Traversal):
        raise TypeError(f"expected a lens, prism or traversal, got {type(optic).__qualname__}")
    return optic._var_list(s if type(s) is BVar else BVar(s, _CONST))


def _absent(optic: Traversal[Any, Any], s: Any) -> str:
    """Why ``optic`` found nothing in ``s``: the first step that found nothing, and what it saw."""
    parts: list[Any] = [deep_value(s)]
    for step in optic._steps():
        found = [p for x in parts for p in step._parts(x)]
        if not found:
            seen = " and ".join(sorted({type(x).__qualname__ for x in parts})) or "nothing"
            return (
                f"view_var: {optic.name} found no part in the {type(deep_value(s)).__qualname__}:"
                f" at {step.name} the value is a {seen}; use preview_var to get None instead"
            )
        parts = found
    return f"view_var: {optic.name} found no part"


def _set_fwd(lens: Lens[Any, Any]) -> Op:
    return Op(
        f"set {lens.name}",
        2,
        fwd=lambda a, s: lens.set(s, a),
        vjps=(
            lambda g, ans, a, s: lens._focus_of(g),
            lambda g, ans, a, s: lens._embed_zero(g),
        ),
    )


def set_var(lens: Lens[S, A], a: BVar[A] | A, s: BVar[S] | S) -> BVar[S]:
    """``s`` with its focused part replaced by ``a``, inside a differentiable computation.

    The overwritten part of ``s`` gets no gradient; ``a`` gets the focused part of the result's.

    Example:
        >>> from typedprop import Lens, grad_bp2, set_var
        >>> first = Lens(lambda p: p[0], lambda p, a: (a, p[1]), name="first")
        >>> grad_bp2(lambda a, p: set_var(first, a * 2.0, p)[0], 1.0, (5.0, 6.0))
        (2.0, (0.0, 0.0))
    """
    out: Any = _apply2(_set_fwd(lens), a, s)
    return out if type(out) is BVar else BVar(out, _CONST)


def over_var(lens: Lens[S, A], f: Callable[[BVar[A]], BVar[A]], s: BVar[S]) -> BVar[S]:
    """``s`` with its focused part replaced by ``f`` of it (a view, then a set)."""
    return set_var(lens, f(view_var(lens, s)), s)


@overload
def preview_var(lens: Lens[S, A | None], s: BVar[S]) -> BVar[A] | None: ...
@overload
def preview_var(lens: Traversal[S, A], s: BVar[S]) -> BVar[A] | None: ...
def preview_var(lens: Traversal[S, Any], s: BVar[S]) -> BVar[Any] | None:
    """The focused part of ``s`` if it is present, else ``None`` (backprop's ``^^?``).

    Given a lens of an optional field, ``None`` where the field holds ``None``; given a prism
    (``Net.activation.when(Relu)``), ``None`` where the field holds another alternative, and
    otherwise a ``BVar`` whose gradient flows into that alternative; given a traversal, its
    first part.

    Example:
        >>> from typedprop import Model, grad_bp, preview_var
        >>> class Relu(Model):
        ...     leak: float
        >>> class Tanh(Model):
        ...     gain: float
        >>> class Net(Model):
        ...     activation: Relu | Tanh
        >>> def leak(n):
        ...     relu = preview_var(Net.activation.when(Relu), n)
        ...     return 0.0 if relu is None else (relu ^ Relu.leak) * 2.0
        >>> grad_bp(leak, Net(Relu(0.1))), grad_bp(leak, Net(Tanh(1.0)))
        (Net(activation=Relu(leak=2.0)), Net(activation=Tanh(gain=0.0)))
    """
    if isinstance(lens, Lens):
        if lens.view(deep_value(s)) is None:
            return None
        return view_var(lens, s)
    parts = _optic_vars(lens, s)
    return parts[0] if parts else None


@overload
def to_list_of_var(lens: Lens[S, list[A]], s: BVar[S]) -> list[BVar[A]]: ...
@overload
def to_list_of_var(lens: Lens[S, tuple[A, ...]], s: BVar[S]) -> list[BVar[A]]: ...
@overload
def to_list_of_var(lens: Traversal[S, A], s: BVar[S]) -> list[BVar[A]]: ...
def to_list_of_var(lens: Traversal[S, Any], s: BVar[S]) -> list[BVar[Any]]:
    """Every part a traversal focuses on in ``s``, one ``BVar`` each (backprop's ``^^..``);
    given a lens of a list or tuple field, its elements. Gradients stay sparse: reading all
    ``n`` parts costs O(n).

    Example:
        >>> from typedprop import Model, grad_bp, to_list_of_var
        >>> class Layer(Model):
        ...     w: float
        ...     b: float
        >>> class Net(Model):
        ...     layers: list[Layer]
        >>> def total(n):
        ...     return sum(to_list_of_var(Net.layers.each() >> Layer.w, n), 0.0)
        >>> grad_bp(total, Net([Layer(1.0, 2.0), Layer(3.0, 4.0)]))
        Net(layers=[Layer(w=1.0, b=0.0), Layer(w=1.0, b=0.0)])
    """
    if isinstance(lens, Lens):
        part: Any = view_var(lens, s)
        if isinstance(deep_value(part), list | tuple):
            return list(sequence_var(part))
        return [part]
    return _optic_vars(lens, s)


def iso_var(to: Callable[[A], B], from_: Callable[[B], A], x: BVar[A]) -> BVar[B]:
    """``x`` viewed through an isomorphism; the gradient maps back through ``from_``.

    For structural isomorphisms only (wrapping, reshaping): the derivative is taken to be 1.
    """
    out: BVar[B] = op_iso(to, from_, name="iso_var")(x)
    return out
