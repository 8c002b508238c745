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
    "over_var",
    "preview_var",
    "set_var",
    "to_list_of_var",
    "view_var",
]

S = TypeVar("S")
A = TypeVar("A")
B = TypeVar("B")


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
