"""What every part of the plugin shares: the library's names, the error codes, the guard that
keeps a failing hook from crashing mypy, and the helper that builds the library's types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from mypy.errorcodes import ErrorCode
from mypy.nodes import TypeInfo
from mypy.plugin import Plugin
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarType,
    get_proper_type,
)

DIM_MISMATCH: Final = ErrorCode("dim-mismatch", "Dimensions that cannot agree", "typedprop")
DIM_INVALID: Final = ErrorCode("dim-invalid", "An invalid dimension in Vec/Mat", "typedprop")
LENS_MISMATCH: Final = ErrorCode(
    "lens-mismatch", "A lens applied to a value of another record type", "typedprop"
)

VEC: Final = "typedprop.linalg._types.Vec"
MAT: Final = "typedprop.linalg._types.Mat"
ADD: Final = "typedprop.linalg._types.Add"
BVAR: Final = "typedprop._core.BVar"
LENS: Final = "typedprop.lens.Lens"
SPLIT: Final = "typedprop.record.Split"
MODEL: Final = "typedprop.record.model"
MODEL_BASE: Final = "typedprop.record.Model"
OPS: Final = "typedprop.linalg._ops"
FUNCTIONS: Final = "typedprop.functions"

ALIASES: Final = {
    "typedprop.linalg.Vec": VEC,
    "typedprop.linalg.Mat": MAT,
    "typedprop.linalg.Add": ADD,
    "typedprop.model": MODEL,
    "typedprop.Model": MODEL_BASE,
}

Ctx = TypeVar("Ctx")
Out = TypeVar("Out")


def guarded(hook: Callable[[Ctx], Out], fallback: Callable[[Ctx], Out]) -> Callable[[Ctx], Out]:
    """``hook``, falling back to mypy's own answer if it fails: the plugin never crashes mypy."""

    def safe(ctx: Ctx) -> Out:
        try:
            return hook(ctx)
        except Exception:
            return fallback(ctx)

    return safe


CURRENT: list[Plugin] = []  # the plugin instance of this mypy run (set in its __init__)


class Types:
    """Constructing the library's types from inside a hook (by full name, through the plugin's
    own lookup: ``typedprop.linalg`` need not be imported where the hook runs)."""

    def __init__(self, builtin: Callable[[str, list[Type]], Instance]) -> None:
        self.plugin = CURRENT[-1]
        self.builtin = builtin

    def named(self, fullname: str, args: list[Type]) -> Instance:
        if fullname.startswith("builtins."):
            return self.builtin(fullname, args)
        sym = self.plugin.lookup_fully_qualified(fullname)
        assert sym is not None and isinstance(sym.node, TypeInfo), fullname
        return Instance(sym.node, args)

    def dim(self, d: int | Type | None) -> Type:
        if d is None:
            return AnyType(TypeOfAny.special_form)
        if isinstance(d, int):
            return LiteralType(d, self.named("builtins.int", []))
        return d

    def vec(self, n: int | Type | None) -> Instance:
        return self.named(VEC, [self.dim(n)])

    def mat(self, m: int | Type | None, n: int | Type | None) -> Instance:
        return self.named(MAT, [self.dim(m), self.dim(n)])

    def bvar(self, t: Type, wrap: bool) -> Type:
        return self.named(BVAR, [t]) if wrap else t

    def float(self) -> Instance:
        return self.named("builtins.float", [])

    def list_of(self, item: Type) -> Instance:
        return self.named("builtins.list", [item])

    def tuple(self, items: list[Type]) -> TupleType:
        return TupleType(items, self.named("builtins.tuple", [AnyType(TypeOfAny.special_form)]))


def is_bvar(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, Instance) and p.type.fullname == BVAR


def unwrap(t: Type) -> tuple[Instance | None, bool]:
    """The ``Vec``/``Mat`` inside a type (through one ``BVar``), and whether it was a ``BVar``."""
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.type.fullname == BVAR and p.args:
        inner, _ = unwrap(p.args[0])
        return inner, True
    if isinstance(p, Instance) and p.type.fullname in (VEC, MAT):
        return p, False
    return None, False


def fail_for_good(ctx: Any, message: str, code: ErrorCode) -> None:
    """Report an error that stands whatever mypy is trying at the moment.

    mypy checks ``a @ b`` by trying ``a.__matmul__(b)`` and then ``b.__rmatmul__(a)`` while
    it holds back errors, and an attempt that reported one counts as failed: the expression
    would become ``Any`` and the ``Any`` would cascade (``Returning Any from function...``).
    The mismatch is a fact about the operands, not about the attempt, so it is reported past
    the held-back list and the attempt succeeds with the type the user meant.
    """
    errors = getattr(ctx.api, "errors", None)
    stack = getattr(errors, "_watchers", None)
    if not isinstance(stack, list):
        ctx.api.fail(message, ctx.context, code=code)
        return
    held = stack[:]
    del stack[:]
    try:
        ctx.api.fail(message, ctx.context, code=code)
    finally:
        stack[:] = held


def is_dimension(v: object) -> bool:
    """Whether a type variable is a dimension (bound to ``int``)."""
    if not isinstance(v, TypeVarType):
        return False
    bound = get_proper_type(v.upper_bound)
    return isinstance(bound, Instance) and bound.type.fullname == "builtins.int"


def erase_dimensions(sig: CallableType) -> CallableType:
    """``sig`` with its dimension variables unknown: after the plugin reported that the
    arguments' dimensions clash, the call is still checked for everything else (a vector where
    a matrix goes), and its result keeps its kind."""
    from mypy.expandtype import expand_type  # not at the top: it must load after mypy.types

    dims = [v for v in sig.variables if is_dimension(v)]
    out = expand_type(sig, {v.id: AnyType(TypeOfAny.from_error) for v in dims})
    assert isinstance(out, CallableType)
    return out.copy_modified(variables=[v for v in sig.variables if v not in dims])


def accept_anything(sig: CallableType, ret: Type | None = None) -> CallableType:
    """``sig`` made to accept any arguments, after the plugin reported its one error about them;
    its result is ``ret`` (what the user meant, so nothing cascades) or ``Any``."""
    anything = AnyType(TypeOfAny.from_error)
    return sig.copy_modified(
        arg_types=[anything] * len(sig.arg_types),
        ret_type=ret if ret is not None else anything,
        variables=[],
    )
