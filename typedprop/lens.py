"""Lenses: focusing on a part of a value, outside and inside differentiable code.

A ``Lens[S, A]`` views an ``A`` inside an ``S`` and sets it (``view``, ``set``, ``over``);
lenses compose with ``>>`` (``Network.layer1 >> Layer.weight``). Every ``@model`` field is a lens
at class level (``Network.weight1``). ``s ^ lens`` views a plain value, and views a ``BVar``
inside a differentiable computation; ``view_var``, ``set_var``, ``over_var``, ``preview_var``,
``to_list_of_var``, ``iso_var``, ``split_bv`` and ``join_bv`` are the other ``BVar`` tools.

Reading a field records one projection whose gradient is kept sparse (by field name) and
assembled into a full record once, when the record's own node is reached: ``k`` field reads of a
record cost O(k), not O(k · fields) as in backprop, where each read adds a zero-filled record.
Records themselves are in ``typedprop.record``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast, overload

from typedprop import classes
from typedprop._core import _CONST, BVar, Op, _apply1, _apply2, _Partial, deep_value
from typedprop._runners import sequence_var
from typedprop.op import op_iso

__all__ = [
    "Lens",
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


class Lens(Generic[S, A]):
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

    __slots__ = ("_get", "_op", "_set", "name")

    def __init__(
        self, get: Callable[[S], A], set: Callable[[S, A], S], name: str = "lens"
    ) -> None:
        self._get = get
        self._set = set
        self.name = name
        self._op = Op(f"view {name}", 1, fwd=get, vjps=(self._view_vjp,))

    def __repr__(self) -> str:
        return f"<Lens {self.name}>"

    def view(self, s: S) -> A:
        """The focused part of ``s``."""
        return self._get(s)

    def set(self, s: S, a: A) -> S:
        """``s`` with its focused part replaced by ``a``."""
        return self._set(s, a)

    def over(self, s: S, f: Callable[[A], A]) -> S:
        """``s`` with its focused part replaced by ``f`` of it."""
        return self._set(s, f(self._get(s)))

    def __rshift__(self, other: Lens[A, B]) -> Lens[S, B]:
        """The composition: first this lens, then ``other`` inside its focus."""
        return _Composed(self, other)

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


def view_var(lens: Lens[S, A], s: BVar[S]) -> BVar[A]:
    """The focused part of a ``BVar`` (``s ^ lens``); its gradient flows back into ``s``'s.

    Example:
        >>> from typedprop import Lens, grad_bp, view_var
        >>> first = Lens(lambda p: p[0], lambda p, a: (a, p[1]), name="first")
        >>> grad_bp(lambda p: view_var(first, p) * 3.0, (1.0, 2.0))
        (3.0, 0.0)
    """
    if type(s) is not BVar:
        return BVar(lens.view(cast(S, s)), _CONST)
    return lens._view_var(s)


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


def preview_var(lens: Lens[S, A | None], s: BVar[S]) -> BVar[A] | None:
    """The focused part of ``s`` if it is present, ``None`` where the field holds ``None``.

    For optional fields (``Optional[...]``): the ``BVar`` version of ``lens.view(s) if ... is not
    None``.
    """
    if lens.view(deep_value(s)) is None:
        return None
    return cast(BVar[A], view_var(lens, s))


@overload
def to_list_of_var(lens: Lens[S, list[A]], s: BVar[S]) -> list[BVar[A]]: ...
@overload
def to_list_of_var(lens: Lens[S, tuple[A, ...]], s: BVar[S]) -> list[BVar[A]]: ...
def to_list_of_var(lens: Lens[S, Any], s: BVar[S]) -> list[BVar[Any]]:
    """The elements of a sequence field of ``s`` (repeated parts, such as a list of layers),
    one ``BVar`` each; reading all ``n`` of them costs O(n)."""
    seq: Any = view_var(lens, s)
    return list(sequence_var(seq))


def iso_var(to: Callable[[A], B], from_: Callable[[B], A], x: BVar[A]) -> BVar[B]:
    """``x`` viewed through an isomorphism; the gradient maps back through ``from_``.

    For structural isomorphisms only (wrapping, reshaping): the derivative is taken to be 1.
    """
    out: BVar[B] = op_iso(to, from_, name="iso_var")(x)
    return out
