"""The functions of ``typedprop.linalg`` and ``typedprop.functions``: constructors typed from
their integer arguments (``zeros(20, 100)`` is ``Mat[20, 100]``), exact result types where the
result's dimensions are arithmetic (``vjoin``, ``hstack``, ``split``, ``row``...), and one
``[dim-mismatch]`` where two arguments' dimensions definitely clash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.nodes import Expression, IntExpr, ListExpr, TupleExpr
from mypy.plugin import FunctionContext, FunctionSigContext
from mypy.types import (
    AnyType,
    FunctionLike,
    Instance,
    LiteralType,
    Type,
    TypeOfAny,
    TypeVarType,
    get_proper_type,
)

from typedprop.mypy_plugin._common import (
    ADD,
    DIM_MISMATCH,
    MAT,
    VEC,
    Types,
    accept_anything,
    erase_dimensions,
    fail_for_good,
    is_bvar,
    unwrap,
)
from typedprop.mypy_plugin._dims import (
    differ,
    form,
    literal_int,
    normalize,
    plus,
    rebuild,
    show,
    variables_in,
)

# --- signatures adjusted before mypy checks a call ---

# name: (message's word, which axis of the first, which axis of the second must agree)
CHECKED_PAIRS: Final = {
    "dot": ("dot", 0, 0),
    "cross": ("cross", 0, 0),
    "vstack": ("vstack", 1, 1),
    "hstack": ("hstack", 0, 0),
}
# typedprop.functions of two operands of one shape
LOSSES: Final = frozenset({"cross_entropy"})
CONSTRUCTORS: Final = frozenset({"zeros", "eye", "konst", "linspace"})
SQUARE: Final = frozenset(
    {"inv", "chol", "det", "lndet", "take_diag", "eigenvalues", "eigensystem", "sym", "invlndet"}
)
SHAPE_CHECKS: Final = SQUARE | {"unrow", "uncol"}


def _arg_type(ctx: FunctionSigContext, i: int) -> Type | None:
    if len(ctx.args) <= i or not ctx.args[i]:
        return None
    return ctx.api.get_expression_type(ctx.args[i][0])


def shape_signature(ctx: FunctionSigContext, short: str) -> FunctionLike:
    """Square-matrix operations and unrow/uncol: one ``[dim-mismatch]`` instead of mypy's
    inference error when the matrix definitely has the wrong shape."""
    sig = ctx.default_signature
    first = _arg_type(ctx, 0)
    x, _ = unwrap(first) if first is not None else (None, False)
    if x is None or x.type.fullname != MAT:
        return sig
    m, n = x.args
    message = None
    if short in SQUARE and differ(m, n):
        message = f"Dimension mismatch in {short}: {show(x)} is not square"
    one = m if short == "unrow" else n
    if short in ("unrow", "uncol") and differ(one, LiteralType(1, _int(ctx))):
        message = f"Dimension mismatch in {short}: {show(x)} needs a 1 there"
    if message is None:
        return sig
    fail_for_good(ctx, message, DIM_MISMATCH)
    # the function hook gives the result its type; unrow/uncol's 1 is a literal, not a variable
    return erase_dimensions(sig) if short in SQUARE else accept_anything(sig)


def _int(ctx: FunctionSigContext | FunctionContext) -> Instance:
    return ctx.api.named_generic_type("builtins.int", [])


def constructor_signature(ctx: FunctionSigContext) -> FunctionLike:
    """Dimension parameters as plain ``int``: the function hook computes the result, and mypy
    must not infer the dimensions from the expected type and then fault the arguments."""
    sig = ctx.default_signature
    int_type = _int(ctx)
    args = [int_type if isinstance(get_proper_type(t), TypeVarType) else t for t in sig.arg_types]
    return sig.copy_modified(arg_types=args, ret_type=AnyType(TypeOfAny.special_form))


def pair_signature(ctx: FunctionSigContext, short: str) -> FunctionLike:
    """dot / cross / vstack / hstack and the losses: one ``[dim-mismatch]`` instead of mypy's
    inference error (the function hook then gives the result the type it would have had)."""
    sig = ctx.default_signature
    left, right = _arg_type(ctx, 0), _arg_type(ctx, 1)
    if left is None or right is None:
        return sig
    a, _ = unwrap(left)
    b, _ = unwrap(right)
    if a is None or b is None:
        return sig
    message = None
    if short in LOSSES:
        if a.type.fullname != b.type.fullname or any(
            differ(x, y) for x, y in zip(a.args, b.args, strict=True)
        ):
            message = f"Dimension mismatch in {short}: {show(a)} and {show(b)} differ"
    elif len(a.args) == len(b.args):
        name, i, j = CHECKED_PAIRS[short]
        if differ(a.args[i], b.args[j]):
            message = f"Dimension mismatch in {name}: {show(a)} {name} {show(b)}"
        elif short == "cross" and differ(a.args[0], LiteralType(3, _int(ctx))):
            message = f"Dimension mismatch in cross: {show(a)} cross {show(b)}; needs Vec[3]"
    if message is None:
        return sig
    fail_for_good(ctx, message, DIM_MISMATCH)
    return erase_dimensions(sig)  # the function hook (or the loss's own type) gives the result


# --- result types of typedprop.linalg's functions ---


def _args(ctx: FunctionContext) -> list[Type]:
    return [ts[0] for ts in ctx.arg_types if ts]


def _types(ctx: FunctionContext) -> Types:
    return Types(ctx.api.named_generic_type)


def _any_bvar(types: list[Type]) -> bool:
    return any(unwrap(t)[1] or is_bvar(t) for t in types)


def _one(ctx: FunctionContext, kind: str) -> tuple[Instance, bool] | None:
    """The first argument's ``Vec``/``Mat`` of the given kind and whether it was a ``BVar``."""
    args = _args(ctx)
    x, wrap = unwrap(args[0]) if args else (None, False)
    return (x, wrap) if x is not None and x.type.fullname == kind else None


def _two(ctx: FunctionContext, kind: str) -> tuple[Instance, Instance, bool] | None:
    """Two ``Vec``/``Mat`` arguments of one kind, and whether either was a ``BVar``."""
    args = _args(ctx)
    if len(args) != 2:
        return None
    a, _ = unwrap(args[0])
    b, _ = unwrap(args[1])
    if a is None or b is None or a.type.fullname != kind or b.type.fullname != kind:
        return None
    return a, b, _any_bvar(args)


def _sum(ctx: FunctionContext, a: Type, b: Type, minus: bool = False) -> Type | None:
    """``a + b`` (or ``a - b``) as a dimension: a literal, or a symbolic ``Add``."""
    x, y = form(a), form(b)
    if x is None or y is None:
        return None
    types = _types(ctx)
    if minus:
        if y[1]:
            return None
        total = (x[0] - y[0], x[1])
    else:
        total = plus(x, y)
    if not total[1]:
        return LiteralType(total[0], _int(ctx)) if total[0] >= 0 else None
    return rebuild(
        total, _int(ctx), types.named(ADD, [a, b]), {**variables_in(a), **variables_in(b)}
    )


def _zeros(ctx: FunctionContext) -> Type:
    t = _types(ctx)
    dims = [literal_int(a) for a in _args(ctx)]
    return t.vec(dims[0]) if len(dims) == 1 else t.mat(dims[0], dims[1])


def _eye(ctx: FunctionContext) -> Type:
    n = literal_int(_args(ctx)[0])
    return _types(ctx).mat(n, n)


def _konst(ctx: FunctionContext) -> Type:
    args = _args(ctx)
    t = _types(ctx)
    dims = [literal_int(a) for a in args[1:]]
    shape = t.vec(dims[0]) if len(dims) == 1 else t.mat(dims[0], dims[1])
    return t.bvar(shape, is_bvar(args[0]))


def _linspace(ctx: FunctionContext) -> Type:
    args = _args(ctx)
    t = _types(ctx)
    return t.bvar(t.vec(literal_int(args[2])), is_bvar(args[0]) or is_bvar(args[1]))


def _length(expr: Expression) -> int | None:
    return len(expr.items) if isinstance(expr, ListExpr | TupleExpr) else None


def _element_bvar(ctx: FunctionContext, expr: Expression) -> bool:
    if not isinstance(expr, ListExpr | TupleExpr):
        return False
    return any(is_bvar(ctx.api.get_expression_type(e)) for e in expr.items)


def _vector(ctx: FunctionContext) -> Type:
    if not ctx.args or not ctx.args[0]:
        return ctx.default_return_type
    expr = ctx.args[0][0]
    t = _types(ctx)
    return t.bvar(t.vec(_length(expr)), _element_bvar(ctx, expr))


def _vec_n(n: int) -> Callable[[FunctionContext], Type]:
    def hook(ctx: FunctionContext) -> Type:
        t = _types(ctx)
        return t.bvar(t.vec(n), any(is_bvar(a) for a in _args(ctx)))

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
            return t.bvar(t.vec(_sum(ctx, a.args[0], b.args[0])), wrap)
        keep, grow = (1, 0) if kind == "vstack" else (0, 1)
        total = _sum(ctx, a.args[grow], b.args[grow])
        kept: Type = a.args[keep]
        dims = [total, kept] if kind == "vstack" else [kept, total]
        return t.bvar(t.mat(dims[0], dims[1]), wrap)

    return hook


def _int_arg(ctx: FunctionContext, index: int) -> int | None:
    if len(ctx.args) > index and ctx.args[index]:
        expr = ctx.args[index][0]
        if isinstance(expr, IntExpr):
            return expr.value
        return literal_int(ctx.arg_types[index][0])
    return None


def _split(axis: int, kind: str) -> Callable[[FunctionContext], Type]:
    """split / split_rows / split_cols at ``p``: a pair whose dimensions add up."""

    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, kind)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        p = _int_arg(ctx, 1)
        n = literal_int(x.args[axis])
        if p is not None and n is not None and not 0 <= p <= n:
            ctx.api.fail(
                f"Dimension mismatch in split: cannot split {show(x)} at {p}",
                ctx.context,
                code=DIM_MISMATCH,
            )
            p = None
        t = _types(ctx)
        first: Type | None = LiteralType(p, _int(ctx)) if p is not None else None
        rest = _sum(ctx, x.args[axis], first, minus=True) if first is not None else None
        if kind == VEC:
            parts: list[Type] = [t.vec(first), t.vec(rest)]
        elif axis == 0:
            parts = [t.mat(first, x.args[1]), t.mat(rest, x.args[1])]
        else:
            parts = [t.mat(x.args[0], first), t.mat(x.args[0], rest)]
        return t.tuple([t.bvar(part, wrap) for part in parts])

    return hook


def _head_tail(ctx: FunctionContext) -> Type:
    found = _one(ctx, VEC)
    if found is None:
        return ctx.default_return_type
    x, wrap = found
    t = _types(ctx)
    tail = _sum(ctx, x.args[0], LiteralType(1, _int(ctx)), minus=True)
    return t.tuple([t.bvar(t.float(), wrap), t.bvar(t.vec(tail), wrap)])


def _reshape(kind: str) -> Callable[[FunctionContext], Type]:
    """row / col / unrow / uncol."""

    def hook(ctx: FunctionContext) -> Type:
        args = _args(ctx)
        x, wrap = unwrap(args[0]) if args else (None, False)
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


Result = Callable[[Types, Instance, bool], Type]  # the types, the argument, was it a BVar


def _of_one(kind: str, result: Result, square: bool = False) -> Callable[[FunctionContext], Type]:
    """Functions of one vector or matrix (inv, det, chol, svd, diag, cov, to_rows...): the
    result's type from the argument's; of a matrix that must be square and is not (reported by
    ``shape_signature``), with unknown sizes."""

    def hook(ctx: FunctionContext) -> Type:
        found = _one(ctx, kind)
        if found is None:
            return ctx.default_return_type
        x, wrap = found
        if square and differ(x.args[0], x.args[1]):
            x = x.copy_modified(args=[AnyType(TypeOfAny.special_form)] * 2)
        return result(_types(ctx), x, wrap)

    return hook


def _square(result: Callable[[Types, Type], Type]) -> Callable[[FunctionContext], Type]:
    """Functions of a square ``Mat[N, N]`` whose result depends on ``N``."""
    return _of_one(MAT, lambda t, x, wrap: t.bvar(result(t, x.args[0]), wrap), square=True)


def _pair(name: str) -> Callable[[FunctionContext], Type]:
    """dot / cross / outer of two vectors (their mismatches: ``pair_signature``)."""

    def hook(ctx: FunctionContext) -> Type:
        found = _two(ctx, VEC)
        if found is None:
            return ctx.default_return_type
        a, b, wrap = found
        t = _types(ctx)
        if name == "outer":
            return t.bvar(t.mat(a.args[0], b.args[0]), wrap)
        return t.bvar(a if name == "cross" else t.float(), wrap)

    return hook


def _svd_size(t: Types, x: Instance) -> Type:
    m, n = literal_int(x.args[0]), literal_int(x.args[1])
    if m is None or n is None:
        return t.vec(None)
    smaller = get_proper_type(x.args[0] if m <= n else x.args[1])
    return t.vec(smaller if isinstance(smaller, LiteralType) else None)


def _scalar_of(ctx: FunctionContext) -> Type:
    """Norms and means: a float, or a ``BVar`` of one."""
    args = _args(ctx)
    x, wrap = unwrap(args[0]) if args else (None, False)
    if x is None:
        return ctx.default_return_type
    return _types(ctx).bvar(_types(ctx).float(), wrap)


def _normalized(hook: Callable[[FunctionContext], Type]) -> Callable[[FunctionContext], Type]:
    def run(ctx: FunctionContext) -> Type:
        return normalize(hook(ctx), _int(ctx))

    return run


FUNCTIONS: Final[dict[str, Callable[[FunctionContext], Type]]] = {
    name: _normalized(hook)
    for name, hook in {
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
        "inv": _square(lambda t, n: t.mat(n, n)),
        "chol": _square(lambda t, n: t.mat(n, n)),
        "det": _square(lambda t, n: t.float()),
        "lndet": _square(lambda t, n: t.float()),
        "take_diag": _square(lambda t, n: t.vec(n)),
        "eigenvalues": _square(lambda t, n: t.vec(n)),
        "svd": _of_one(MAT, lambda t, x, wrap: t.bvar(_svd_size(t, x), wrap)),
        "diag": _of_one(VEC, lambda t, x, wrap: t.bvar(t.mat(x.args[0], x.args[0]), wrap)),
        "dot": _pair("dot"),
        "cross": _pair("cross"),
        "outer": _pair("outer"),
        "to_rows": _of_one(MAT, lambda t, x, wrap: t.list_of(t.bvar(t.vec(x.args[1]), wrap))),
        "to_columns": _of_one(MAT, lambda t, x, wrap: t.list_of(t.bvar(t.vec(x.args[0]), wrap))),
        "cov": _of_one(MAT, lambda t, x, wrap: t.bvar(t.mat(x.args[1], x.args[1]), wrap)),
        "mean_cov": _of_one(
            MAT,
            lambda t, x, wrap: t.tuple(
                [t.bvar(t.vec(x.args[1]), wrap), t.bvar(t.mat(x.args[1], x.args[1]), wrap)]
            ),
        ),
        "norm_1": _scalar_of,
        "norm_2": _scalar_of,
        "norm_inf": _scalar_of,
    }.items()
}
