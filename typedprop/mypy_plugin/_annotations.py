"""Annotations: ``Vec[20]`` read as ``Vec[Literal[20]]``, ``Add[2, 3]`` as ``Literal[5]``, and
bare integers as the dimensions of a generic model (``Layer[3, 2]``)."""

from __future__ import annotations

from typing import Final

from mypy.nodes import TypeInfo
from mypy.plugin import AnalyzeTypeContext
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    RawExpressionType,
    Type,
    TypeOfAny,
    TypeVarType,
    UnboundType,
    get_proper_type,
)

from typedprop.mypy_plugin._common import ADD, DIM_INVALID, MAT, VEC
from typedprop.mypy_plugin._dims import normalize

ARITY: Final = {VEC: 1, MAT: 2, ADD: 2}


def as_any(ctx: AnalyzeTypeContext) -> Type:
    return AnyType(TypeOfAny.from_error)


def analyze_dims(ctx: AnalyzeTypeContext, fullname: str) -> Type:
    """``Vec[20]`` as ``Vec[Literal[20]]``; ``Add[2, 3]`` as ``Literal[5]``."""
    t = ctx.type
    short = fullname.rsplit(".", 1)[1]
    int_type = ctx.api.named_type("builtins.int", [])
    if not t.args:
        return ctx.api.named_type(fullname, [AnyType(TypeOfAny.special_form)] * ARITY[fullname])
    if len(t.args) != ARITY[fullname]:
        ctx.api.fail(
            f'"{short}" takes {ARITY[fullname]} dimension(s), got {len(t.args)}',
            ctx.context,
            code=DIM_INVALID,
        )
        return AnyType(TypeOfAny.from_error)
    args: list[Type] = []
    for a in t.args:
        if isinstance(a, RawExpressionType):
            v = a.literal_value
            if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                args.append(LiteralType(v, int_type))
                continue
            _invalid(ctx, short, repr(v) if v is not None else a.simple_name())
            args.append(AnyType(TypeOfAny.from_error))
            continue
        analyzed = ctx.api.analyze_type(a)
        if not _is_dimension(analyzed) or _is_unknown(analyzed, a):
            _invalid(ctx, short, a.name if isinstance(a, UnboundType) else "")
            args.append(AnyType(TypeOfAny.from_error))
            continue
        args.append(analyzed)
    return normalize(ctx.api.named_type(fullname, args), int_type)


def _is_dimension(t: Type) -> bool:
    p = get_proper_type(t)
    if isinstance(p, AnyType | TypeVarType):
        return True
    if isinstance(p, LiteralType):
        return isinstance(p.value, int) and not isinstance(p.value, bool) and p.value >= 0
    return isinstance(p, Instance) and p.type.fullname in ("builtins.int", ADD)


def _is_unknown(analyzed: Type, raw: Type) -> bool:
    """An argument that analyzed to ``Any`` without being written ``Any`` (a float literal)."""
    p = get_proper_type(analyzed)
    return isinstance(p, AnyType) and not (isinstance(raw, UnboundType) and "Any" in raw.name)


def _invalid(ctx: AnalyzeTypeContext, short: str, what: str) -> None:
    shown = f" {what}" if what else ""
    ctx.api.fail(
        f'Invalid dimension{shown} in "{short}[...]": a dimension is a non-negative integer '
        f"literal or a type variable bound to int",
        ctx.context,
        code=DIM_INVALID,
    )


def analyze_model(ctx: AnalyzeTypeContext, info: TypeInfo) -> Type:
    """``Layer[3, 2]`` for a generic model whose parameters are dimensions."""
    int_type = ctx.api.named_type("builtins.int", [])
    args: list[Type] = []
    for a in ctx.type.args:
        if isinstance(a, RawExpressionType) and isinstance(a.literal_value, int):
            args.append(LiteralType(a.literal_value, int_type))
        else:
            args.append(ctx.api.analyze_type(a))
    if len(args) != len(info.defn.type_vars):
        return ctx.api.analyze_type(ctx.type.copy_modified(args=ctx.type.args))
    return normalize(Instance(info, args), int_type)
