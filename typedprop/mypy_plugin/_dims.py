"""Dimensions as the plugin reads them: a literal, a dimension variable, or a sum of them.

A dimension type is turned into a *form*, a constant plus a count of each variable
(``Add[I, Add[H, 2]]`` is ``I + H + 2``), so that sums compare however they were written and
``Add[3, 4]`` is ``7`` wherever it appears, also after mypy substituted a generic's variables.
Two dimensions *definitely differ* when both forms are known and unequal: for literals that is
a clash at run time, and inside generic code two different forms are different types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from mypy.type_visitor import TypeQuery, TypeTranslator
from mypy.types import (
    Instance,
    LiteralType,
    Type,
    TypeAliasType,
    TypeVarId,
    TypeVarType,
    get_proper_type,
)

from typedprop.mypy_plugin._common import ADD, VEC

# A dimension's form: its constant, and each variable (by id, with its name) with its count.
Form = tuple[int, tuple[tuple[TypeVarId, str, int], ...]]


def literal_int(t: Type) -> int | None:
    """The integer a type stands for: ``Literal[3]``, or an ``int`` known to be 3 (a ``Final``)."""
    p = get_proper_type(t)
    if isinstance(p, LiteralType) and isinstance(p.value, int) and not isinstance(p.value, bool):
        return p.value
    if isinstance(p, Instance) and p.last_known_value is not None:
        return literal_int(p.last_known_value)
    return None


def form(t: Type) -> Form | None:
    """The form of a dimension type, or ``None`` where it is unknown (``Any``, ``int``)."""
    n = literal_int(t)
    if n is not None:
        return n, ()
    p = get_proper_type(t)
    if isinstance(p, TypeVarType):
        return 0, ((p.id, p.name, 1),)
    if isinstance(p, Instance) and p.type.fullname == ADD and len(p.args) == 2:
        a, b = form(p.args[0]), form(p.args[1])
        if a is None or b is None:
            return None
        return plus(a, b)
    return None


def plus(a: Form, b: Form) -> Form:
    counts: Counter[tuple[TypeVarId, str]] = Counter()
    for key, name, k in a[1] + b[1]:
        counts[(key, name)] += k
    return a[0] + b[0], tuple(sorted(((i, n, k) for (i, n), k in counts.items()), key=_order))


def _order(item: tuple[TypeVarId, str, int]) -> tuple[str, int]:
    return item[1], item[0].raw_id


def differ(a: Type, b: Type) -> bool:
    """Whether two dimensions definitely differ."""
    x, y = form(a), form(b)
    return x is not None and y is not None and _key(x) != _key(y)


def _key(f: Form) -> tuple[int, tuple[tuple[TypeVarId, int], ...]]:
    return f[0], tuple((i, k) for i, _, k in f[1])


def show_dim(t: Type) -> str:
    """A dimension as messages name it: ``3``, ``N``, ``I + H``, or ``?``."""
    f = form(t)
    if f is None:
        return "?"
    parts = [name if k == 1 else f"{k}*{name}" for _, name, k in f[1]]
    if f[0] or not parts:
        parts.append(str(f[0]))
    return " + ".join(parts)


def show(inst: Instance) -> str:
    """``Vec[3]``, ``Mat[H, I + H]``: a vector's or a matrix's type as messages name it."""
    name = "Vec" if inst.type.fullname == VEC else "Mat"
    return f"{name}[{', '.join(show_dim(a) for a in inst.args)}]"


class _Normalize(TypeTranslator):
    """Every ``Add[...]`` whose parts are all literals becomes the literal of its sum; symbolic
    sums are rebuilt in one order, so that equal sums are equal types."""

    def __init__(self, int_type: Instance, add_type: Instance | None) -> None:
        super().__init__()
        self.int_type = int_type
        self.add_type = add_type

    def visit_type_alias_type(self, t: TypeAliasType, /) -> Type:
        return t.copy_modified(args=[a.accept(self) for a in t.args])

    def visit_instance(self, t: Instance, /) -> Type:
        if t.type.fullname == ADD:
            return self._sum(t)
        return super().visit_instance(t)

    def _sum(self, t: Instance) -> Type:
        f = form(t)
        if f is None:
            return super().visit_instance(t)
        if not f[1]:
            return LiteralType(f[0], self.int_type)
        return rebuild(f, self.int_type, self.add_type or t, variables_in(t))


def rebuild(
    f: Form, int_type: Instance, add_type: Instance, variables: Mapping[TypeVarId, TypeVarType]
) -> Type:
    """A form as a type: a literal, a variable, or ``Add[...]`` nested to the right."""
    terms: list[Type] = []
    for key, _, k in f[1]:
        terms.extend([variables[key]] * k)
    if f[0] or not terms:
        terms.append(LiteralType(f[0], int_type))
    out = terms[-1]
    for term in reversed(terms[:-1]):
        out = add_type.copy_modified(args=[term, out])
    return out


class _HasSum(TypeQuery[bool]):
    def strategy(self, items: list[bool]) -> bool:
        return any(items)

    def visit_instance(self, t: Instance, /) -> bool:
        return t.type.fullname == ADD or super().visit_instance(t)


def has_sum(t: Type) -> bool:
    """Whether a type mentions ``Add`` anywhere (only those need normalising)."""
    return t.accept(_HasSum())


def normalize(t: Type, int_type: Instance) -> Type:
    """``t`` with every sum of dimensions in its one normal form (``Add[3, 4]`` is ``7``)."""
    if not has_sum(t):
        return t
    return t.accept(_Normalize(int_type, None))


class _Variables(TypeQuery[dict[TypeVarId, TypeVarType]]):
    def strategy(self, items: list[dict[TypeVarId, TypeVarType]]) -> dict[TypeVarId, TypeVarType]:
        return {k: v for d in items for k, v in d.items()}

    def visit_type_var(self, t: TypeVarType, /) -> dict[TypeVarId, TypeVarType]:
        return {t.id: t}


def variables_in(t: Type) -> dict[TypeVarId, TypeVarType]:
    """Every type variable a type mentions, by id."""
    return t.accept(_Variables())
