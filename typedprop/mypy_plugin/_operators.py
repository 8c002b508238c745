"""Operators on ``Vec``, ``Mat`` and their ``BVar``s: a definite mismatch is one
``[dim-mismatch]`` error in the run-time ``ShapeError``'s words, and the expression keeps the
type the user meant (the left operand's shape), so that nothing cascades from it."""

from __future__ import annotations

from typing import Final

from mypy.plugin import MethodSigContext
from mypy.types import FunctionLike, Instance, Type

from typedprop.mypy_plugin._common import (
    DIM_MISMATCH,
    MAT,
    Types,
    accept_anything,
    fail_for_good,
    unwrap,
)
from typedprop.mypy_plugin._dims import differ, show

OPERATORS: Final = {
    "__matmul__": "@",
    "__rmatmul__": "@",
    "__add__": "+",
    "__radd__": "+",
    "__sub__": "-",
    "__rsub__": "-",
    "__mul__": "*",
    "__rmul__": "*",
    "__truediv__": "/",
    "__rtruediv__": "/",
}
_REFLECTED: Final = frozenset({"__rmatmul__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__"})


def operator_signature(ctx: MethodSigContext, method: str) -> FunctionLike:
    """The operator's own signature, or, where the dimensions definitely clash, one that
    accepts anything after one ``[dim-mismatch]`` error."""
    sig = ctx.default_signature
    if not ctx.args or not ctx.args[0]:
        return sig
    other = ctx.api.get_expression_type(ctx.args[0][0])
    left, right = (other, ctx.type) if method in _REFLECTED else (ctx.type, other)
    op = OPERATORS[method]
    found = clash(op, left, right)
    if found is None:
        return sig
    a, b, wrap = found
    # once per overload item: mypy drops the repeats of one message at one place
    message = f"Dimension mismatch in {op}: {show(a)} {op} {show(b)}"
    if method in _REFLECTED:
        ctx.api.fail(message, ctx.context, code=DIM_MISMATCH)
    else:
        fail_for_good(ctx, message, DIM_MISMATCH)
    types = Types(ctx.api.named_generic_type)
    return accept_anything(sig, types.bvar(meant(types, op, a, b), wrap))


def clash(op: str, left: Type, right: Type) -> tuple[Instance, Instance, bool] | None:
    """The two operands, and whether either is a ``BVar``, when their dimensions definitely
    clash under ``op``."""
    a, wrap_a = unwrap(left)
    b, wrap_b = unwrap(right)
    if a is None or b is None:
        return None
    if op == "@":
        bad = differ(a.args[-1], b.args[0])
    elif len(a.args) == len(b.args):
        bad = any(differ(x, y) for x, y in zip(a.args, b.args, strict=True))
    else:  # a vector on each row of a matrix: the vector's length is the matrix's columns
        bad = differ(a.args[-1], b.args[-1])
    return (a, b, wrap_a or wrap_b) if bad else None


def meant(types: Types, op: str, a: Instance, b: Instance) -> Type:
    """The kind of result ``a op b`` would have had (a vector, a matrix, a number), with its
    dimensions unknown: the mistake is reported once, and nothing downstream clashes with a
    guess at what was meant."""
    if op == "@":
        if a.type.fullname == MAT and b.type.fullname == MAT:
            return types.mat(None, None)
        if MAT in (a.type.fullname, b.type.fullname):
            return types.vec(None)
        return types.float()
    if MAT in (a.type.fullname, b.type.fullname):
        return types.mat(None, None)
    return types.vec(None)
