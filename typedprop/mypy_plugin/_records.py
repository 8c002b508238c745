"""Records and lenses: ``@model`` classes (and subclasses of ``Model``) get typed record
arithmetic; a field at class level is a ``Lens``; a lens applied to a record or to a ``BVar`` of
one views the field's type *of that record* (a generic model's variables solved from it:
``net ^ Net.layer1 ^ Layer.weight`` is a ``BVar[Mat[16, 5]]`` when ``layer1: Layer[5, 16]``);
a lens of one model applied to another is one ``[lens-mismatch]`` error; ``split_bv(x).w`` is a
``BVar`` of the field's type."""

from __future__ import annotations

from typing import Any, Final

from mypy.errorcodes import ATTR_DEFINED
from mypy.expandtype import expand_type_by_instance
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import ARG_POS, Argument, Expression, MemberExpr, OpExpr, RefExpr, TypeInfo, Var
from mypy.plugin import AttributeContext, ClassDefContext, MethodSigContext
from mypy.plugins.common import add_method_to_class
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeOfAny,
    get_proper_type,
)
from mypy.typevars import fill_typevars

from typedprop.mypy_plugin._common import (
    BVAR,
    LENS,
    LENS_MISMATCH,
    MODEL_BASE,
    Types,
    fail_for_good,
)
from typedprop.mypy_plugin._dims import normalize

_META: Final = "typedprop"
NN: Final = "typedprop.nn."


def is_model(info: TypeInfo) -> bool:
    return any(_META in klass.metadata for klass in info.mro)


def model_class(ctx: ClassDefContext) -> None:
    """Mark a ``@model`` class (or a ``Model`` subclass) and give it typed record arithmetic."""
    info = ctx.cls.info
    info.metadata[_META] = {"model": True}
    if any(_META in base.metadata or base.fullname == MODEL_BASE for base in info.mro[1:]):
        return  # a model base's methods serve (Model's are typed with Self)
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


def model_fields(info: TypeInfo) -> dict[str, Var]:
    """A model's fields: its annotated, non-method attributes, through its model bases."""
    found: dict[str, Var] = {}
    for klass in reversed(info.mro):
        if _META not in klass.metadata:
            continue
        for name, sym in klass.names.items():
            node = sym.node
            field = isinstance(node, Var) and not node.is_classvar and sym.type is not None
            if field and not name.startswith("_") and not sym.plugin_generated:
                assert isinstance(node, Var)
                found[name] = node
    return found


# --- a generic model's field at class level ---


class Ambiguity:
    """mypy calls a generic class's field at class level ambiguous (``Layer.weight``: of which
    ``Layer``?) and reports it before any plugin hook runs. A model's class-level field is a
    lens, generic in the record it is applied to, so it is not ambiguous: while mypy analyses
    one such access, a watcher on mypy's error list drops that one message. The watcher is put
    on top of mypy's stack when the hook is looked up and taken off when the hook runs, which
    mypy does right after the message, with nothing else in between."""

    errors: Any = None

    @classmethod
    def capture(cls, api: object) -> None:
        """Remember mypy's error list, from any hook's ``api``."""
        errors = getattr(api, "errors", None)
        if errors is None:
            errors = getattr(getattr(api, "api", None), "errors", None)
        if errors is not None and hasattr(errors, "_watchers"):
            cls.errors = errors

    @classmethod
    def expect(cls) -> Any:
        """A watcher that drops the message, on top of mypy's stack (``None`` if it cannot)."""
        from mypy.errors import ErrorWatcher
        from mypy.message_registry import GENERIC_INSTANCE_VAR_CLASS_ACCESS

        if cls.errors is None:
            return None
        message = GENERIC_INSTANCE_VAR_CLASS_ACCESS
        text = getattr(message, "value", message)
        try:
            watcher = ErrorWatcher(cls.errors, filter_errors=lambda _f, i: i.message == text)
            cls.errors._watchers.append(watcher)
        except Exception:
            return None
        return watcher

    @classmethod
    def done(cls, watcher: Any) -> None:
        stack = getattr(cls.errors, "_watchers", None)
        if watcher is not None and stack is not None and watcher in stack:
            stack.remove(watcher)


def field_lens(ctx: AttributeContext, info: TypeInfo, watcher: Any) -> Type:
    """``Network.weight1`` at class level: a ``Lens[Network, <the field's type>]``."""
    Ambiguity.done(watcher)
    owner = Instance(info, [AnyType(TypeOfAny.special_form)] * len(info.defn.type_vars))
    field = ctx.default_attr_type
    if isinstance(get_proper_type(field), CallableType):
        return field
    return Types(ctx.api.named_generic_type).named(LENS, [owner, field])


def field_value(ctx: AttributeContext) -> Type:
    """``layer.weight`` of a ``Gate[3, 4]``: the field's type with its sums normalised."""
    return normalize(ctx.default_attr_type, ctx.api.named_generic_type("builtins.int", []))


# --- a lens applied to a record, to a BVar of one, or composed ---


def view_of(expr: Expression, source: Type) -> tuple[Type | None, str | None]:
    """What the lens written as ``expr`` views in a value of type ``source``: the field's type
    with the record's type arguments put in, and a message where the lens is of another
    model. ``(None, None)`` where ``expr`` is not a lens the plugin can read."""
    if isinstance(expr, OpExpr) and expr.op == ">>":
        # a composition of lenses of the wrong records is reported at its ">>"
        inner, problem = view_of(expr.left, source)
        if inner is None or problem is not None:
            return inner, problem
        view, problem = view_of(expr.right, inner)
        return (None, None) if problem is not None else (view, None)
    if not (isinstance(expr, MemberExpr) and isinstance(expr.expr, RefExpr)):
        return None, None
    info = expr.expr.node
    if not isinstance(info, TypeInfo) or not is_model(info):
        return None, None
    var = model_fields(info).get(expr.name)
    record = get_proper_type(source)
    if var is None or var.type is None or not isinstance(record, Instance):
        return None, None
    if not record.type.has_base(info.fullname):
        if not is_model(record.type):
            return None, None
        return None, (
            f'Lens of "{info.name}" applied to "{record.type.name}": {info.name}.{expr.name} '
            f"views a field of {info.name}, not of {record.type.name}"
        )
    field = expand_type_by_instance(var.type, map_instance_to_supertype(record, info))
    return field, None


def _lens_signature(
    ctx: MethodSigContext, source: Type, expr: Expression, result: Any
) -> FunctionLike:
    """The signature of applying (or composing) the lens written ``expr`` to a ``source``,
    typed from the record's own field, and one ``[lens-mismatch]`` for a lens of another
    record (the operator check then passes, so it is the only error)."""
    sig = ctx.default_signature
    view, problem = view_of(expr, source)
    if problem is not None:
        fail_for_good(ctx, problem, LENS_MISMATCH)
        view = AnyType(TypeOfAny.from_error)
    if view is None:
        return sig
    view = normalize(view, ctx.api.named_generic_type("builtins.int", []))
    anything = AnyType(TypeOfAny.special_form)
    return sig.copy_modified(
        arg_types=[anything] * len(sig.arg_types), ret_type=result(view), variables=[]
    )


def _bvar_inner(t: Type) -> Type | None:
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.type.fullname == BVAR and p.args:
        return p.args[0]
    return None


def xor_signature(ctx: MethodSigContext) -> FunctionLike:
    """``x ^ lens`` with ``x`` a ``BVar`` of a record: a ``BVar`` of the viewed field."""
    source = _bvar_inner(ctx.type)
    if source is None or not ctx.args or not ctx.args[0]:
        return ctx.default_signature
    types = Types(ctx.api.named_generic_type)
    return _lens_signature(ctx, source, ctx.args[0][0], lambda v: types.named(BVAR, [v]))


def rxor_signature(ctx: MethodSigContext) -> FunctionLike:
    """``record ^ lens`` on a plain record: the viewed field."""
    op = ctx.context
    if not (isinstance(op, OpExpr) and ctx.args and ctx.args[0]):
        return ctx.default_signature
    source = ctx.api.get_expression_type(ctx.args[0][0])
    if _bvar_inner(source) is not None:
        return ctx.default_signature
    return _lens_signature(ctx, source, op.right, lambda v: v)


def rshift_signature(ctx: MethodSigContext) -> FunctionLike:
    """``outer >> inner``: the inner lens read in the outer optic's focus type (the result is
    the optic the overload gives: a lens, a prism or a traversal)."""
    outer = get_proper_type(ctx.type)
    ret = get_proper_type(ctx.default_signature.ret_type)
    if not (
        isinstance(outer, Instance)
        and len(outer.args) == 2
        and isinstance(ret, Instance)
        and len(ret.args) == 2
        and ctx.args
        and ctx.args[0]
    ):
        return ctx.default_signature
    return _lens_signature(
        ctx,
        outer.args[1],
        ctx.args[0][0],
        lambda v: ret.copy_modified(args=[outer.args[0], v]),
    )


# --- split_bv(x).w ---


def field_bvar(ctx: AttributeContext, record_type: Type, name: str, what: str) -> Type:
    """A ``BVar`` of the record's field ``name``; an error naming the record if it has none."""
    record = get_proper_type(record_type)
    types = Types(ctx.api.named_generic_type)
    if isinstance(record, AnyType):
        return types.named(BVAR, [record])
    if not isinstance(record, Instance) or not is_model(record.type):
        ctx.api.fail(f'"{what}" has no attribute "{name}"', ctx.context, code=ATTR_DEFINED)
        return AnyType(TypeOfAny.from_error)
    var = model_fields(record.type).get(name)
    if var is None or var.type is None:
        ctx.api.fail(f'"{record.type.name}" has no field "{name}"', ctx.context, code=ATTR_DEFINED)
        return AnyType(TypeOfAny.from_error)
    owner = var.info
    field = expand_type_by_instance(var.type, map_instance_to_supertype(record, owner))
    field = normalize(field, ctx.api.named_generic_type("builtins.int", []))
    return types.named(BVAR, [field])


def split_attribute(ctx: AttributeContext, name: str) -> Type:
    """``split_bv(x).weight1``: a ``BVar`` of the field's type."""
    split = get_proper_type(ctx.type)
    if not isinstance(split, Instance) or not split.args:
        return ctx.default_attr_type
    return field_bvar(ctx, split.args[0], name, "Split")


# --- calling a BVar of a record ---


def call_signature(ctx: MethodSigContext) -> FunctionLike:
    """``x(...)`` with ``x`` a ``BVar`` of a record: the record's own ``__call__`` (the ``BVar``
    runs it with itself as ``self``), so that a ``__call__`` generic in its own variables (a
    batch size) is solved as written; overloaded ones keep the library's overloads."""
    from mypy.typeops import bind_self

    record = _bvar_inner(ctx.type)
    p = get_proper_type(record) if record is not None else None
    if not isinstance(p, Instance) or not is_model(p.type) or p.type.fullname.startswith(NN):
        return ctx.default_signature  # the library's layers have overloads of their own
    method = p.type.get_method("__call__")
    t = get_proper_type(method.type) if method is not None else None
    if not isinstance(t, CallableType):
        return ctx.default_signature
    bound = bind_self(expand_type_by_instance(t, p), p)
    return bound if isinstance(bound, CallableType) else ctx.default_signature
