"""The mypy plugin: dimensions, lenses and models checked before anything runs.

Enable it with ``plugins = typedprop.mypy_plugin`` in mypy's configuration. It adds what plain
generics cannot express (see ``docs/static-typing.md``):

- ``Vec[20]``, ``Mat[20, 100]`` in annotations mean ``Vec[Literal[20]]``...; an invalid dimension
  is a ``[dim-invalid]`` error; ``Add[2, 3]`` is ``Literal[5]``;
- constructors take their dimensions from integer arguments (``zeros(20, 100)`` is
  ``Mat[20, 100]``, ``Final`` constants included); operations with arithmetic in their result
  (``vjoin``, ``hstack``, ``split``, ``row``...) get exact result types;
- a definite dimension mismatch is one ``[dim-mismatch]`` error in the run-time ``ShapeError``'s
  words (``Dimension mismatch in @: Mat[20, 100] @ Vec[99]``), and the expression's type becomes
  ``Any`` so that nothing cascades; where it cannot decide, the plugin stays silent;
- ``@model`` classes get typed record arithmetic; class-level ``Network.weight1`` is a
  ``Lens[Network, Mat[20, 100]]``; ``split_bv(x).weight1`` is a ``BVar`` of the field's type.

It imports nothing from the runtime library, and every hook falls back to mypy's own answer on
input it does not understand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from mypy.errorcodes import ATTR_DEFINED, ErrorCode
from mypy.nodes import (
    ARG_POS,
    Argument,
    Expression,
    IntExpr,
    ListExpr,
    TupleExpr,
    TypeInfo,
    Var,
)
from mypy.options import Options
from mypy.plugin import (
    AnalyzeTypeContext,
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodSigContext,
    Plugin,
)
from mypy.plugins.common import add_method_to_class
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    LiteralType,
    RawExpressionType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarType,
    UnboundType,
    get_proper_type,
)
from mypy.typevars import fill_typevars

DIM_MISMATCH: Final = ErrorCode("dim-mismatch", "Dimensions that cannot agree", "typedprop")
DIM_INVALID: Final = ErrorCode("dim-invalid", "An invalid dimension in Vec/Mat", "typedprop")

VEC: Final = "typedprop.linalg._types.Vec"
MAT: Final = "typedprop.linalg._types.Mat"
ADD: Final = "typedprop.linalg._types.Add"
BVAR: Final = "typedprop._core.BVar"
LENS: Final = "typedprop.lens.Lens"
SPLIT: Final = "typedprop.record.Split"
MODEL: Final = "typedprop.record.model"
OPS: Final = "typedprop.linalg._ops"

_ALIASES: Final = {
    "typedprop.linalg.Vec": VEC,
    "typedprop.linalg.Mat": MAT,
    "typedprop.linalg.Add": ADD,
    "typedprop.model": MODEL,
}
_ARITY: Final = {VEC: 1, MAT: 2, ADD: 2}
_OPERATORS: Final = {
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

Dim = int | str | None  # a literal dimension, a type variable's name, or unknown
Ctx = TypeVar("Ctx")
Out = TypeVar("Out")


def _guarded(hook: Callable[[Ctx], Out], fallback: Callable[[Ctx], Out]) -> Callable[[Ctx], Out]:
    """``hook``, falling back to mypy's own answer if it fails: the plugin never crashes mypy."""

    def safe(ctx: Ctx) -> Out:
        try:
            return hook(ctx)
        except Exception:
            return fallback(ctx)

    return safe


def _as_any(ctx: AnalyzeTypeContext) -> Type:
    return AnyType(TypeOfAny.from_error)


def _in_linalg(fullname: str) -> bool:
    return fullname.startswith(OPS + ".") or fullname.startswith("typedprop.linalg.")


# --- reading and making dimensioned types ---


def _literal_int(t: Type) -> int | None:
    """The integer a type stands for: ``Literal[3]``, or an ``int`` known to be 3 (a ``Final``)."""
    p = get_proper_type(t)
    if isinstance(p, LiteralType) and isinstance(p.value, int) and not isinstance(p.value, bool):
        return p.value
    if isinstance(p, Instance) and p.last_known_value is not None:
        return _literal_int(p.last_known_value)
    return None


def _dim(t: Type) -> Dim:
    n = _literal_int(t)
    if n is not None:
        return n
    p = get_proper_type(t)
    if isinstance(p, TypeVarType):
        return p.name
    if isinstance(p, Instance) and p.type.fullname == ADD:
        parts = [_dim(a) for a in p.args]
        if all(isinstance(d, int) for d in parts):
            return sum(d for d in parts if isinstance(d, int))
    return None


def _show_dim(t: Type) -> str:
    d = _dim(t)
    return "?" if d is None else str(d)


def _unwrap(t: Type) -> tuple[Instance | None, bool]:
    """The ``Vec``/``Mat`` inside a type (through one ``BVar``), and whether it was a ``BVar``."""
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.type.fullname == BVAR and p.args:
        inner, _ = _unwrap(p.args[0])
        return inner, True
    if isinstance(p, Instance) and p.type.fullname in (VEC, MAT):
        return p, False
    return None, False


def _show(inst: Instance) -> str:
    name = "Vec" if inst.type.fullname == VEC else "Mat"
    return f"{name}[{', '.join(_show_dim(a) for a in inst.args)}]"


class _Types:
    """Constructing the library's types from inside a hook (by full name, through the plugin's
    own lookup: ``typedprop.linalg`` need not be imported where the hook runs)."""

    def __init__(self, plugin: Plugin, builtin: Callable[[str, list[Type]], Instance]) -> None:
        self.plugin = plugin
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


def _sum(a: Type, b: Type, minus: bool = False) -> int | None:
    x, y = _literal_int(a), _literal_int(b)
    if x is None or y is None:
        return None
    return x - y if minus else x + y


# --- the plugin ---


class TypedpropPlugin(Plugin):
    """typedprop's hooks; ``get_*_hook`` methods only dispatch."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        _CURRENT[:] = [self]

    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        name = _ALIASES.get(fullname, fullname)
        if name in _ARITY:
            return _guarded(lambda ctx: _analyze_dims(ctx, name), _as_any)
        info = self._model_info(fullname)
        if info is not None and info.defn.type_vars:
            return _guarded(lambda ctx: _analyze_model(ctx, info), _as_any)
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        hook: Callable[[FunctionSigContext], FunctionLike] | None = None
        short = fullname.rpartition(".")[2]
        if fullname in _NESTING_RUNNERS:
            hook = _nested_runner_signature
        elif _in_linalg(fullname) and short in _CHECKED_PAIRS:
            hook = lambda ctx: _pair_signature(ctx, short)  # noqa: E731
        elif _in_linalg(fullname) and short in _CONSTRUCTORS:
            hook = _constructor_signature
        elif _in_linalg(fullname) and short in _SHAPE_CHECKS:
            hook = lambda ctx: _shape_signature(ctx, short)  # noqa: E731
        return _guarded(hook, lambda ctx: ctx.default_signature) if hook else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        hook = _FUNCTIONS.get(fullname.rpartition(".")[2]) if _in_linalg(fullname) else None
        return _guarded(hook, lambda ctx: ctx.default_return_type) if hook else None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        cls, _, method = fullname.rpartition(".")
        if cls in (VEC, MAT, BVAR) and method in _OPERATORS:
            return _guarded(
                lambda ctx: _operator_signature(ctx, method), lambda ctx: ctx.default_signature
            )
        return None

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        cls_name, _, attr = fullname.rpartition(".")
        info = self._model_info(cls_name)
        if info is not None and attr in _model_fields(info):
            return _guarded(lambda ctx: _field_lens(ctx, info), lambda ctx: ctx.default_attr_type)
        return None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if fullname.startswith(SPLIT + "."):
            name = fullname[len(SPLIT) + 1 :]
            return _guarded(
                lambda ctx: _split_attribute(ctx, name), lambda ctx: ctx.default_attr_type
            )
        return None

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if _ALIASES.get(fullname, fullname) == MODEL:
            return _guarded(_model_class, lambda ctx: None)
        return None

    # --- helpers that need the plugin's state ---

    def _model_info(self, fullname: str) -> TypeInfo | None:
        sym = self.lookup_fully_qualified(fullname)
        node = sym.node if sym is not None else None
        if isinstance(node, TypeInfo) and "typedprop" in node.metadata:
            return node
        return None


def _operator_signature(ctx: MethodSigContext, method: str) -> FunctionLike:
    """The operator's own signature, or, where the dimensions definitely clash, one that
    accepts anything and returns ``Any`` after one ``[dim-mismatch]`` error."""
    sig = ctx.default_signature
    if not ctx.args or not ctx.args[0]:
        return sig
    try:
        other = ctx.api.get_expression_type(ctx.args[0][0])
    except Exception:
        return sig
    left, right = (other, ctx.type) if method in _REFLECTED else (ctx.type, other)
    message = _mismatch(_OPERATORS[method], left, right)
    if message is None:
        return sig
    # once per overload item: mypy drops the repeats of one message at one place
    ctx.api.fail(message, ctx.context, code=DIM_MISMATCH)
    anything = AnyType(TypeOfAny.from_error)
    return sig.copy_modified(arg_types=[anything] * len(sig.arg_types), ret_type=anything)


def _mismatch(op: str, left: Type, right: Type) -> str | None:
    """The run-time ``ShapeError``'s message when two operands' dimensions definitely clash."""
    a, _ = _unwrap(left)
    b, _ = _unwrap(right)
    if a is None or b is None:
        return None
    da = [_dim(t) for t in a.args]
    db = [_dim(t) for t in b.args]
    clash = False
    if op == "@":
        inner_a = da[-1]
        inner_b = db[0]
        clash = isinstance(inner_a, int) and isinstance(inner_b, int) and inner_a != inner_b
    elif len(da) == len(db):
        clash = any(
            isinstance(x, int) and isinstance(y, int) and x != y
            for x, y in zip(da, db, strict=True)
        )
    else:
        x, y = (da[-1], db[0]) if len(da) == 2 else (da[0], db[-1])
        clash = isinstance(x, int) and isinstance(y, int) and x != y
    if not clash:
        return None
    return f"Dimension mismatch in {op}: {_show(a)} {op} {_show(b)}"


# --- annotations ---


def _analyze_dims(ctx: AnalyzeTypeContext, fullname: str) -> Type:
    """``Vec[20]`` as ``Vec[Literal[20]]``; ``Add[2, 3]`` as ``Literal[5]``."""
    t = ctx.type
    short = fullname.rsplit(".", 1)[1]
    int_type = ctx.api.named_type("builtins.int", [])
    if not t.args:
        return ctx.api.named_type(fullname, [AnyType(TypeOfAny.special_form)] * _ARITY[fullname])
    if len(t.args) != _ARITY[fullname]:
        ctx.api.fail(
            f'"{short}" takes {_ARITY[fullname]} dimension(s), got {len(t.args)}',
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
    if fullname == ADD:
        total = _sum(args[0], args[1])
        if total is not None:
            return LiteralType(total, int_type)
    return ctx.api.named_type(fullname, args)


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


def _analyze_model(ctx: AnalyzeTypeContext, info: TypeInfo) -> Type:
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
    return Instance(info, args)


# --- signatures adjusted before mypy checks a call ---

_NESTING_RUNNERS: Final = frozenset({"typedprop._runners.grad_bp", "typedprop.grad_bp"})


def _nested_runner_signature(ctx: FunctionSigContext) -> FunctionLike:
    """``grad_bp(f, x)`` with ``x`` a ``BVar[X]`` of an enclosing call: ``f`` takes a
    ``BVar[X]`` (the inner call's ``BVar`` behaves as one) and the result is a ``BVar[X]``."""
    sig = ctx.default_signature
    if len(ctx.args) < 2 or not ctx.args[1] or not sig.variables:
        return sig
    try:
        x_type = get_proper_type(ctx.api.get_expression_type(ctx.args[1][0]))
    except Exception:
        return sig
    if not (isinstance(x_type, Instance) and x_type.type.fullname == BVAR and x_type.args):
        return sig
    from mypy.expandtype import expand_type  # not at the top: it must load after mypy.types

    a = sig.variables[0]
    inner = expand_type(sig, {a.id: x_type.args[0]})
    assert isinstance(inner, CallableType)
    return inner.copy_modified(
        arg_types=[inner.arg_types[0], x_type],
        ret_type=x_type,
        variables=[v for v in sig.variables if v.id != a.id],
    )


_CHECKED_PAIRS: Final = {
    "dot": ("dot", 0, 0),
    "cross": ("cross", 0, 0),
    "vstack": ("vstack", 1, 1),
    "hstack": ("hstack", 0, 0),
}
_CONSTRUCTORS: Final = frozenset({"zeros", "eye", "konst", "linspace"})


_SQUARE: Final = frozenset({"inv", "chol", "det", "lndet", "take_diag", "eigenvalues"})
_SHAPE_CHECKS: Final = _SQUARE | {"unrow", "uncol"}


def _shape_signature(ctx: FunctionSigContext, short: str) -> FunctionLike:
    """Square-matrix operations and unrow/uncol: one ``[dim-mismatch]`` instead of mypy's
    inference error when the matrix definitely has the wrong shape."""
    sig = ctx.default_signature
    if not ctx.args or not ctx.args[0]:
        return sig
    x, _ = _unwrap(ctx.api.get_expression_type(ctx.args[0][0]))
    if x is None or x.type.fullname != MAT:
        return sig
    m, n = _dim(x.args[0]), _dim(x.args[1])
    message = None
    if short in _SQUARE and isinstance(m, int) and isinstance(n, int) and m != n:
        message = f"Dimension mismatch in {short}: {_show(x)} is not square"
    one = m if short == "unrow" else n
    if short in ("unrow", "uncol") and isinstance(one, int) and one != 1:
        message = f"Dimension mismatch in {short}: {_show(x)} needs a 1 there"
    if message is None:
        return sig
    ctx.api.fail(message, ctx.context, code=DIM_MISMATCH)
    anything = AnyType(TypeOfAny.from_error)
    return sig.copy_modified(arg_types=[anything] * len(sig.arg_types), ret_type=anything)


def _constructor_signature(ctx: FunctionSigContext) -> FunctionLike:
    """Dimension parameters as plain ``int``: the function hook computes the result, and mypy
    must not infer the dimensions from the expected type and then fault the arguments."""
    sig = ctx.default_signature
    int_type = ctx.api.named_generic_type("builtins.int", [])
    args = [int_type if isinstance(get_proper_type(t), TypeVarType) else t for t in sig.arg_types]
    return sig.copy_modified(arg_types=args, ret_type=AnyType(TypeOfAny.special_form))


def _pair_signature(ctx: FunctionSigContext, short: str) -> FunctionLike:
    """dot / cross / vstack / hstack: one ``[dim-mismatch]`` instead of mypy's inference error."""
    sig = ctx.default_signature
    if len(ctx.args) < 2 or not ctx.args[0] or not ctx.args[1]:
        return sig
    try:
        left = ctx.api.get_expression_type(ctx.args[0][0])
        right = ctx.api.get_expression_type(ctx.args[1][0])
    except Exception:
        return sig
    a, _ = _unwrap(left)
    b, _ = _unwrap(right)
    if a is None or b is None or len(a.args) != len(b.args):
        return sig
    name, i, j = _CHECKED_PAIRS[short]
    x, y = _dim(a.args[i]), _dim(b.args[j])
    message = None
    if isinstance(x, int) and isinstance(y, int) and x != y:
        message = f"Dimension mismatch in {name}: {_show(a)} {name} {_show(b)}"
    elif short == "cross" and isinstance(x, int) and x != 3:
        message = f"Dimension mismatch in cross: {_show(a)} cross {_show(b)}; needs Vec[3]"
    if message is None:
        return sig
    ctx.api.fail(message, ctx.context, code=DIM_MISMATCH)
    anything = AnyType(TypeOfAny.from_error)
    return sig.copy_modified(arg_types=[anything] * len(sig.arg_types), ret_type=anything)


# --- functions of typedprop.linalg ---


def _args(ctx: FunctionContext) -> list[Type]:
    return [ts[0] for ts in ctx.arg_types if ts]


_CURRENT: list[Plugin] = []  # the plugin instance of this mypy run (set in its __init__)


def _types(ctx: FunctionContext) -> _Types:
    return _Types(_CURRENT[-1], ctx.api.named_generic_type)


def _any_bvar(types: Sequence[Type]) -> bool:
    return any(_unwrap(t)[1] for t in types)


def _one(ctx: FunctionContext, kind: str) -> tuple[Instance, bool] | None:
    """The first argument's ``Vec``/``Mat`` of the given kind and whether it was a ``BVar``."""
    args = _args(ctx)
    x, wrap = _unwrap(args[0]) if args else (None, False)
    return (x, wrap) if x is not None and x.type.fullname == kind else None


def _two(ctx: FunctionContext, kind: str) -> tuple[Instance, Instance, bool] | None:
    """Two ``Vec``/``Mat`` arguments of one kind, and whether either was a ``BVar``."""
    args = _args(ctx)
    if len(args) != 2:
        return None
    a, _ = _unwrap(args[0])
    b, _ = _unwrap(args[1])
    if a is None or b is None or a.type.fullname != kind or b.type.fullname != kind:
        return None
    return a, b, _any_bvar(args)


def _tuple(ctx: FunctionContext, items: list[Type]) -> Type:
    fallback = ctx.api.named_generic_type("builtins.tuple", [AnyType(TypeOfAny.special_form)])
    return TupleType(items, fallback)


def _fail(ctx: FunctionContext, message: str) -> Type:
    ctx.api.fail(message, ctx.context, code=DIM_MISMATCH)
    return AnyType(TypeOfAny.from_error)


def _zeros(ctx: FunctionContext) -> Type:
    t = _types(ctx)
    dims = [_literal_int(a) for a in _args(ctx)]
    return t.vec(dims[0]) if len(dims) == 1 else t.mat(dims[0], dims[1])


def _eye(ctx: FunctionContext) -> Type:
    n = _literal_int(_args(ctx)[0])
    return _types(ctx).mat(n, n)


def _konst(ctx: FunctionContext) -> Type:
    args = _args(ctx)
    t = _types(ctx)
    dims = [_literal_int(a) for a in args[1:]]
    shape = t.vec(dims[0]) if len(dims) == 1 else t.mat(dims[0], dims[1])
    return t.bvar(shape, _is_bvar(args[0]))


def _linspace(ctx: FunctionContext) -> Type:
    args = _args(ctx)
    t = _types(ctx)
    return t.bvar(t.vec(_literal_int(args[2])), _is_bvar(args[0]) or _is_bvar(args[1]))


def _is_bvar(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, Instance) and p.type.fullname == BVAR


def _length(expr: Expression) -> int | None:
    return len(expr.items) if isinstance(expr, ListExpr | TupleExpr) else None


def _element_bvar(ctx: FunctionContext, expr: Expression) -> bool:
    if not isinstance(expr, ListExpr | TupleExpr):
        return False
    return any(_is_bvar(ctx.api.get_expression_type(e)) for e in expr.items)


def _vector(ctx: FunctionContext) -> Type:
    if not ctx.args or not ctx.args[0]:
        return ctx.default_return_type
    expr = ctx.args[0][0]
    t = _types(ctx)
    return t.bvar(t.vec(_length(expr)), _element_bvar(ctx, expr))


def _vec_n(n: int) -> Callable[[FunctionContext], Type]:
    def hook(ctx: FunctionContext) -> Type:
        t = _types(ctx)
        return t.bvar(t.vec(n), any(_is_bvar(a) for a in _args(ctx)))

    return hook


def _matrix(ctx: FunctionContext) -> Type:
    if not ctx.args or not ctx.args[0]:
        return ctx.default_return_type
    expr = ctx.args[0][0]
    t = _types(ctx)
    rows = _length(expr)
    cols = None
    wrap = False
    if isinstance(expr, ListExpr | TupleExpr) and expr.items:
        lengths = {_length(r) for r in expr.items}
        cols = lengths.pop() if len(lengths) == 1 else None
        wrap = any(_element_bvar(ctx, r) for r in expr.items)
    return t.bvar(t.mat(rows, cols), wrap)


def _join(kind: str) -> Callable[[FunctionContext], Type]:
    """vjoin (``Vec[m] # Vec[n]``), vstack (rows add, columns agree), hstack (the reverse)."""

    def hook(ctx: FunctionContext) -> Type:
        found = _two(ctx, VEC if kind == "vjoin" else MAT)
        if found is None:
            return ctx.default_return_type
        a, b, wrap = found
        t = _types(ctx)
        if kind == "vjoin":
            return t.bvar(t.vec(_sum(a.args[0], b.args[0])), wrap)
        keep, grow = (1, 0) if kind == "vstack" else (0, 1)
        total = _sum(a.args[grow], b.args[grow])
        kept: Type = a.args[keep]
        dims: list[int | Type | None] = [total, kept] if kind == "vstack" else [kept, total]
        return t.bvar(t.mat(dims[0], dims[1]), wrap)

    return hook


def _int_arg(ctx: FunctionContext, index: int) -> int | None:
    if len(ctx.args) > index and ctx.args[index]:
        expr = ctx.args[index][0]
        if isinstance(expr, IntExpr):
            return expr.value
        return _literal_int(ctx.arg_types[index][0])
    return None


def _split(axis: int, kind: str) -> Callable[[FunctionContext], Type]:
    """split / split_rows / split_cols at ``p``: a pair whose dimensions add up."""

    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, kind)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        p = _int_arg(ctx, 1)
        n = _literal_int(x.args[axis])
        if p is not None and n is not None and not 0 <= p <= n:
            return _fail(ctx, f"Dimension mismatch in split: cannot split {_show(x)} at {p}")
        rest = n - p if p is not None and n is not None else None
        t = _types(ctx)
        if kind == VEC:
            parts: list[Type] = [t.vec(p), t.vec(rest)]
        elif axis == 0:
            parts = [t.mat(p, x.args[1]), t.mat(rest, x.args[1])]
        else:
            parts = [t.mat(x.args[0], p), t.mat(x.args[0], rest)]
        return _tuple(ctx, [t.bvar(part, wrap) for part in parts])

    return hook


def _head_tail(ctx: FunctionContext) -> Type:
    found = _one(ctx, VEC)
    if found is None:
        return ctx.default_return_type
    x, wrap = found
    t = _types(ctx)
    n = _literal_int(x.args[0])
    head = t.bvar(ctx.api.named_generic_type("builtins.float", []), wrap)
    tail = t.bvar(t.vec(n - 1 if n is not None else None), wrap)
    return _tuple(ctx, [head, tail])


def _reshape(kind: str) -> Callable[[FunctionContext], Type]:
    """row / col / unrow / uncol."""

    def hook(ctx: FunctionContext) -> Type:
        args = _args(ctx)
        x, wrap = _unwrap(args[0]) if args else (None, False)
        if x is None:
            return ctx.default_return_type
        t = _types(ctx)
        if kind in ("row", "col") and x.type.fullname == VEC:
            n = x.args[0]
            shape = t.mat(1, n) if kind == "row" else t.mat(n, 1)
            return t.bvar(shape, wrap)
        if kind in ("unrow", "uncol") and x.type.fullname == MAT:
            other = x.args[1] if kind == "unrow" else x.args[0]
            return t.bvar(t.vec(other), wrap)
        return ctx.default_return_type

    return hook


def _square(
    name: str, result: Callable[[_Types, Type], Type]
) -> Callable[[FunctionContext], Type]:
    """Operations on square matrices (inv, det, take_diag, chol...): the result type (their
    check is ``_shape_signature``)."""

    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, MAT)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        t = _types(ctx)
        return t.bvar(result(t, x.args[0]), wrap)

    return hook


def _float_result(t: _Types, n: Type) -> Type:
    return t.named("builtins.float", [])


def _pair(name: str) -> Callable[[FunctionContext], Type]:
    """dot / cross / outer of two vectors (their mismatches: ``_pair_signature``)."""

    def hook(ctx: FunctionContext) -> Type:
        found = _two(ctx, VEC)
        if found is None:
            return ctx.default_return_type
        a, b, wrap = found
        t = _types(ctx)
        if name == "outer":
            return t.bvar(t.mat(a.args[0], b.args[0]), wrap)
        return t.bvar(a if name == "cross" else t.named("builtins.float", []), wrap)

    return hook


def _to_rows(columns: bool) -> Callable[[FunctionContext], Type]:
    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, MAT)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        t = _types(ctx)
        return ctx.api.named_generic_type(
            "builtins.list", [t.bvar(t.vec(x.args[0] if columns else x.args[1]), wrap)]
        )

    return hook


def _vector_of_matrix(pick: Callable[[Instance], Type]) -> Callable[[FunctionContext], Type]:
    """svd / eigenvalues / take_diag-like results: a vector whose size comes from the matrix."""

    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, MAT)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        t = _types(ctx)
        return t.bvar(t.vec(pick(x)), wrap)

    return hook


def _svd_size(x: Instance) -> Type:
    m, n = _literal_int(x.args[0]), _literal_int(x.args[1])
    if m is None or n is None:
        return AnyType(TypeOfAny.special_form)
    smaller = get_proper_type(x.args[0] if m <= n else x.args[1])
    return smaller if isinstance(smaller, LiteralType) else AnyType(TypeOfAny.special_form)


def _diag(ctx: FunctionContext) -> Type:
    found = _one(ctx, VEC)
    if found is None:
        return ctx.default_return_type
    x, wrap = found
    t = _types(ctx)
    return t.bvar(t.mat(x.args[0], x.args[0]), wrap)


def _cov(with_mean: bool) -> Callable[[FunctionContext], Type]:
    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, MAT)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        t = _types(ctx)
        n = x.args[1]
        c = t.bvar(t.mat(n, n), wrap)
        if not with_mean:
            return c
        return _tuple(ctx, [t.bvar(t.vec(n), wrap), c])

    return hook


def _scalar_of(ctx: FunctionContext) -> Type:
    """Norms and means: a float, or a ``BVar`` of one."""
    args = _args(ctx)
    x, wrap = _unwrap(args[0]) if args else (None, False)
    if x is None:
        return ctx.default_return_type
    return _types(ctx).bvar(ctx.api.named_generic_type("builtins.float", []), wrap)


_FUNCTIONS: Final[dict[str, Callable[[FunctionContext], Type]]] = {
    "zeros": _zeros,
    "eye": _eye,
    "konst": _konst,
    "linspace": _linspace,
    "vector": _vector,
    "matrix": _matrix,
    "vec2": _vec_n(2),
    "vec3": _vec_n(3),
    "vec4": _vec_n(4),
    "vjoin": _join("vjoin"),
    "vstack": _join("vstack"),
    "hstack": _join("hstack"),
    "split": _split(0, VEC),
    "split_rows": _split(0, MAT),
    "split_cols": _split(1, MAT),
    "head_tail": _head_tail,
    "row": _reshape("row"),
    "col": _reshape("col"),
    "unrow": _reshape("unrow"),
    "uncol": _reshape("uncol"),
    "inv": _square("inv", lambda t, n: t.mat(n, n)),
    "chol": _square("chol", lambda t, n: t.mat(n, n)),
    "det": _square("det", _float_result),
    "lndet": _square("lndet", _float_result),
    "take_diag": _square("take_diag", lambda t, n: t.vec(n)),
    "eigenvalues": _square("eigenvalues", lambda t, n: t.vec(n)),
    "diag": _diag,
    "dot": _pair("dot"),
    "cross": _pair("cross"),
    "outer": _pair("outer"),
    "to_rows": _to_rows(False),
    "to_columns": _to_rows(True),
    "svd": _vector_of_matrix(_svd_size),
    "cov": _cov(False),
    "mean_cov": _cov(True),
    "norm_1": _scalar_of,
    "norm_2": _scalar_of,
    "norm_inf": _scalar_of,
}


# --- models ---


def _model_class(ctx: ClassDefContext) -> None:
    """Mark a ``@model`` class and give it typed record arithmetic."""
    info = ctx.cls.info
    info.metadata["typedprop"] = {"model": True}
    self_type = fill_typevars(info)
    number = ctx.api.named_type("builtins.float")
    for name, arg_type in (
        ("__add__", self_type),
        ("__sub__", self_type),
        ("__mul__", number),
        ("__rmul__", number),
        ("__truediv__", number),
    ):
        if name not in info.names:
            add_method_to_class(
                ctx.api,
                ctx.cls,
                name,
                [Argument(Var("other", arg_type), arg_type, None, ARG_POS)],
                self_type,
            )
    if "__neg__" not in info.names:
        add_method_to_class(ctx.api, ctx.cls, "__neg__", [], self_type)


def _model_fields(info: TypeInfo) -> set[str]:
    """The names of a model's fields: its annotated, non-method attributes."""
    names = set()
    for klass in info.mro:
        if "typedprop" not in klass.metadata:
            continue
        for name, sym in klass.names.items():
            field = isinstance(sym.node, Var) and not sym.node.is_classvar and sym.type is not None
            if field and not name.startswith("_") and not sym.plugin_generated:
                names.add(name)
    return names


def _field_lens(ctx: AttributeContext, info: TypeInfo) -> Type:
    """``Network.weight1`` at class level: a ``Lens[Network, <the field's type>]``."""
    owner = Instance(info, [AnyType(TypeOfAny.special_form)] * len(info.defn.type_vars))
    field = ctx.default_attr_type
    if isinstance(get_proper_type(field), CallableType):
        return field
    return _Types(_CURRENT[-1], ctx.api.named_generic_type).named(LENS, [owner, field])


def _split_attribute(ctx: AttributeContext, name: str) -> Type:
    """``split_bv(x).weight1``: a ``BVar`` of the field's type."""
    split = get_proper_type(ctx.type)
    if not isinstance(split, Instance) or not split.args:
        return ctx.default_attr_type
    record = get_proper_type(split.args[0])
    if not isinstance(record, Instance):
        return ctx.default_attr_type
    sym = record.type.get(name)
    if sym is None or not isinstance(sym.node, Var) or sym.type is None:
        ctx.api.fail(f'"{record.type.name}" has no field "{name}"', ctx.context, code=ATTR_DEFINED)
        return AnyType(TypeOfAny.from_error)
    from mypy.expandtype import expand_type_by_instance

    field = expand_type_by_instance(sym.type, record)
    return _Types(_CURRENT[-1], ctx.api.named_generic_type).named(BVAR, [field])


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return TypedpropPlugin
