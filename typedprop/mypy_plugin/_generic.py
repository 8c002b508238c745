"""Calls of generic code whose type variables are dimensions (``TypeVar("N", bound=int)``).

mypy infers type variables on its own, but for dimensions it falls short three ways: a literal
argument is widened (``make_layer(4, 10)`` would be ``Layer[int, int]``), a sum in a parameter
(``weight: Mat[H, Add[I, H]]``) matches nothing, and two arguments that disagree give only
"Cannot infer value of type parameter". So, before mypy checks a call, the plugin solves the
dimension variables itself from the arguments' types: each place where a parameter's dimension
meets an argument's is a linear equation, solved one unknown at a time (``H = 4`` from one
place, then ``I + H = 7`` gives ``I = 3``). Solved variables are substituted into the signature
and sums are normalised, so mypy checks the call with concrete types; a definite disagreement
is one ``[dim-mismatch]`` error that names the variable, both values and where each came from.
Variables it cannot solve are left to mypy.
"""

from __future__ import annotations

from mypy.expandtype import expand_type
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type_bare
from mypy.nodes import (
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    LambdaExpr,
    MemberExpr,
    NameExpr,
    TypeInfo,
    Var,
)
from mypy.options import Options
from mypy.plugin import FunctionSigContext, MethodSigContext
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarId,
    TypeVarType,
    UnionType,
    get_proper_type,
)

from typedprop.mypy_plugin._common import (
    ADD,
    DIM_MISMATCH,
    Types,
    accept_anything,
    fail_for_good,
    is_dimension,
    unwrap,
)
from typedprop.mypy_plugin._dims import (
    Form,
    form,
    has_sum,
    normalize,
    plus,
    rebuild,
    show,
    variables_in,
)

Equation = tuple[Form, Form, str]  # the parameter's side, the argument's side, where


def dimension_variables(sig: CallableType) -> dict[TypeVarId, TypeVarType]:
    """The signature's own type variables that are dimensions (bound to ``int``)."""
    return {v.id: v for v in sig.variables if isinstance(v, TypeVarType) and is_dimension(v)}


def dimension_class(info: TypeInfo) -> bool:
    """Whether a class is generic in dimensions, or has sums of them in its fields."""
    return any(is_dimension(v) for v in info.defn.type_vars) or any(
        isinstance(sym.node, Var) and sym.node.type is not None and has_sum(sym.node.type)
        for sym in info.names.values()
    )


def solve_signature(
    ctx: FunctionSigContext | MethodSigContext, quiet: bool = False
) -> FunctionLike:
    """The call's signature with its dimension variables solved from the arguments; ``quiet``
    (an overload's item, which may not be the one that applies) leaves a contradiction to
    mypy instead of reporting it."""
    sig = ctx.default_signature
    int_type = ctx.api.named_generic_type("builtins.int", [])
    unknown = dimension_variables(sig)
    if not unknown:
        normal = normalize(sig, int_type)
        return normal if isinstance(normal, CallableType) else sig
    equations: list[Equation] = []
    rigid: dict[TypeVarId, TypeVarType] = {}
    for i, (formal, exprs) in enumerate(zip(sig.arg_types, ctx.args, strict=False)):
        for expr in exprs:
            if isinstance(expr, LambdaExpr) or not unknown.keys() & variables_in(formal).keys():
                continue
            actual = ctx.api.get_expression_type(expr)
            _match(formal, actual, f"{_where(sig, i)} ({_show_type(actual)})", equations)
            rigid.update(variables_in(actual))
    known: dict[TypeVarId, tuple[Form, str]] = {}
    problem = _solve(equations, unknown, known)
    if problem is not None and quiet:
        return sig
    add = Types(ctx.api.named_generic_type).named(ADD, [int_type, int_type])
    solved: dict[TypeVarId, Type] = {
        key: rebuild(f, int_type, add, rigid) for key, (f, _) in known.items()
    }
    if problem is not None:
        # the result keeps what was solved; the rest is unknown, so nothing cascades
        solved.update({key: AnyType(TypeOfAny.from_error) for key in unknown if key not in solved})
    out = expand_type(sig, solved)
    assert isinstance(out, CallableType)
    out = out.copy_modified(variables=[v for v in sig.variables if v.id not in solved])
    if problem is not None:
        message = f"Dimension mismatch in {_callee(ctx)}: {problem}"
        fail_for_good(ctx, message, DIM_MISMATCH)
        return accept_anything(out, normalize(out.ret_type, int_type))
    result = normalize(out, int_type)
    assert isinstance(result, CallableType)
    return result


def _where(sig: CallableType, i: int) -> str:
    name = sig.arg_names[i] if i < len(sig.arg_names) else None
    if sig.arg_kinds[i] in (ARG_STAR, ARG_STAR2) or name is None:
        return f"argument {i + 1}"
    return f'argument "{name}"'


def _callee(ctx: FunctionSigContext | MethodSigContext) -> str:
    call = ctx.context
    if isinstance(call, CallExpr) and isinstance(call.callee, NameExpr | MemberExpr):
        return f'"{call.callee.name}"'
    return "call"


def _match(formal: Type, actual: Type, where: str, out: list[Equation]) -> None:
    """Collect the equations that make ``actual`` fit ``formal``'s dimensions."""
    f = get_proper_type(formal)
    a = get_proper_type(actual)
    if isinstance(f, UnionType):
        for item in f.items:
            p = get_proper_type(item)
            if (
                isinstance(p, Instance)
                and isinstance(a, Instance)
                and a.type.has_base(p.type.fullname)
            ):
                _match(p, a, where, out)
                return
        return
    if isinstance(f, TypeVarType) or (isinstance(f, Instance) and f.type.fullname == ADD):
        lhs, rhs = form(f), form(a)
        if lhs is not None and rhs is not None:
            out.append((lhs, rhs, where))
        return
    if isinstance(f, Instance) and isinstance(a, Instance):
        if not a.type.has_base(f.type.fullname):
            return
        mapped = map_instance_to_supertype(a, f.type)
        for x, y in zip(f.args, mapped.args, strict=False):
            _match(x, y, where, out)
        return
    if isinstance(f, TupleType) and isinstance(a, TupleType) and len(f.items) == len(a.items):
        for x, y in zip(f.items, a.items, strict=True):
            _match(x, y, where, out)


def _show_type(t: Type) -> str:
    """An argument's type in a message: ``Vec[3]`` for the library's types, else mypy's way."""
    inner, wrap = unwrap(t)
    if inner is not None:
        return f"BVar[{show(inner)}]" if wrap else show(inner)
    return format_type_bare(t, Options())


def _solve(
    equations: list[Equation],
    unknown: dict[TypeVarId, TypeVarType],
    known: dict[TypeVarId, tuple[Form, str]],
) -> str | None:
    """Solve the equations one unknown at a time into ``known``; the first contradiction, as
    the message's words, or ``None``."""
    pending = list(equations)
    progress = True
    while pending and progress:
        progress = False
        for eq in list(pending):
            lhs, rhs, where = _substitute(eq[0], known), eq[1], eq[2]
            free = [(key, k) for key, _, k in lhs[1] if key in unknown and key not in known]
            if len(free) > 1:
                continue
            pending.remove(eq)
            progress = True
            if not free:
                if _key(lhs) != _key(rhs):
                    problem = _contradiction(eq, lhs, rhs, known, unknown)
                    for key, _, _ in eq[0][1]:
                        known.pop(key, None)
                    return problem
                continue
            key, k = free[0]
            value = _minus(rhs, _drop(lhs, key))
            if k != 1:
                continue
            if value is None:
                name = next(n for i, n, _ in eq[0][1] if i == key)
                shown = f"{_show_form(eq[0])} is {_show_form(rhs)} from {where}"
                return f"{shown}: no size of {name} fits"
            known[key] = (value, where)
    return None


def _contradiction(
    eq: Equation,
    lhs: Form,
    rhs: Form,
    known: dict[TypeVarId, tuple[Form, str]],
    unknown: dict[TypeVarId, TypeVarType],
) -> str:
    names = [(key, name) for key, name, _ in eq[0][1] if key in known]
    if len(names) == 1 and len(eq[0][1]) == 1 and eq[0][0] == 0:
        key, name = names[0]
        value, source = known[key]
        return f"{name} is {_show_form(value)} from {source} but {_show_form(rhs)} from {eq[2]}"
    return f"{_show_form(lhs)} is needed but {eq[2]} gives {_show_form(rhs)}"


def _show_form(f: Form) -> str:
    parts = [name if k == 1 else f"{k}*{name}" for _, name, k in f[1]]
    if f[0] or not parts:
        parts.append(str(f[0]))
    return " + ".join(parts)


def _key(f: Form) -> tuple[int, tuple[tuple[TypeVarId, int], ...]]:
    return f[0], tuple((i, k) for i, _, k in f[1])


def _substitute(f: Form, known: dict[TypeVarId, tuple[Form, str]]) -> Form:
    out: Form = (f[0], ())
    for key, name, k in f[1]:
        term: Form = known[key][0] if key in known else (0, ((key, name, 1),))
        for _ in range(k):
            out = plus(out, term)
    return out


def _drop(f: Form, key: TypeVarId) -> Form:
    return f[0], tuple(t for t in f[1] if t[0] != key)


def _minus(a: Form, b: Form) -> Form | None:
    """``a - b``, or ``None`` where it is not a dimension (a negative constant alone, or a
    variable that would have to be taken away)."""
    counts = {key: (name, k) for key, name, k in a[1]}
    for key, name, k in b[1]:
        have = counts.get(key, (name, 0))[1]
        if have < k:
            return None
        counts[key] = (name, have - k)
    terms = tuple(sorted(((key, n, k) for key, (n, k) in counts.items() if k), key=_order))
    c = a[0] - b[0]
    if c < 0 and not terms:
        return None
    return c, terms


def _order(item: tuple[TypeVarId, str, int]) -> tuple[str, int]:
    return item[1], item[0].raw_id
