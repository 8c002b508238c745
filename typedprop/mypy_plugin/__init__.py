"""The mypy plugin: dimensions, lenses and models checked before anything runs.

Enable it with ``plugins = typedprop.mypy_plugin`` in mypy's configuration. It adds what plain
generics cannot express (see ``docs/static-typing.md``):

- ``Vec[20]``, ``Mat[20, 100]`` in annotations mean ``Vec[Literal[20]]``...; an invalid dimension
  is a ``[dim-invalid]`` error; ``Add[2, 3]`` is ``Literal[5]``, and sums are normalised wherever
  they appear, also after a generic's variables are substituted (``_dims``, ``_annotations``);
- calls of generic code solve dimension variables from the arguments, keeping literals
  (``make_layer(4, 10)`` is ``Layer[4, 10]``) and solving sums (``_generic``);
- constructors take their dimensions from integer arguments (``zeros(20, 100)`` is
  ``Mat[20, 100]``, ``Final`` constants included); operations with arithmetic in their result
  (``vjoin``, ``hstack``, ``split``, ``row``...) get exact result types (``_linalg``);
- a definite dimension mismatch is one ``[dim-mismatch]`` error in the run-time ``ShapeError``'s
  words (``Dimension mismatch in @: Mat[20, 100] @ Vec[99]``), and the expression keeps the type
  the user meant, so that nothing cascades; where it cannot decide, the plugin stays silent
  (``_operators``, ``_linalg``, ``_generic``);
- ``@model`` classes and ``Model`` subclasses get typed record arithmetic; class-level
  ``Network.weight1`` is a ``Lens[Network, Mat[20, 100]]``; a lens applied to a record or a
  ``BVar`` of one views the field of *that* record's type; ``split_bv(x).w`` is a
  ``BVar`` of the field's type (``_records``).

It imports nothing from the runtime library, and every hook falls back to mypy's own answer on
input it does not understand.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from mypy.nodes import Decorator, FuncDef, OverloadedFuncDef, TypeInfo
from mypy.options import Options
from mypy.plugin import (
    AnalyzeTypeContext,
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import CallableType, FunctionLike, Instance, Overloaded, Type, get_proper_type

from typedprop.mypy_plugin._annotations import ARITY, analyze_dims, analyze_model, as_any
from typedprop.mypy_plugin._common import (
    ALIASES,
    BVAR,
    CURRENT,
    FUNCTIONS,
    LENS,
    MAT,
    MODEL,
    MODEL_BASE,
    SPLIT,
    VEC,
    guarded,
)
from typedprop.mypy_plugin._dims import has_sum
from typedprop.mypy_plugin._generic import dimension_class, dimension_variables, solve_signature
from typedprop.mypy_plugin._linalg import (
    CHECKED_PAIRS,
    CONSTRUCTORS,
    LOSSES,
    SHAPE_CHECKS,
    constructor_signature,
    pair_signature,
    shape_signature,
)
from typedprop.mypy_plugin._linalg import FUNCTIONS as LINALG_FUNCTIONS
from typedprop.mypy_plugin._operators import OPERATORS, operator_signature
from typedprop.mypy_plugin._records import (
    Ambiguity,
    call_signature,
    field_lens,
    field_value,
    is_model,
    model_class,
    model_fields,
    rshift_signature,
    rxor_signature,
    split_attribute,
    xor_signature,
)

OPTICS: Final = frozenset({LENS, "typedprop.lens.Prism", "typedprop.lens.Traversal"})
_NESTING_RUNNERS: Final = frozenset({"typedprop._runners.grad_bp", "typedprop.grad_bp"})
# calls into these are never generic in dimensions: no need to look at them
_FOREIGN: Final = ("builtins.", "typing.", "typing_extensions.", "numpy.", "_typeshed.", "abc.")


def _in_linalg(fullname: str) -> bool:
    return fullname.startswith("typedprop.linalg.")


def _signature_fallback(ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
    return ctx.default_signature


class TypedpropPlugin(Plugin):
    """typedprop's hooks; ``get_*_hook`` methods only dispatch."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        CURRENT[:] = [self]

    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        name = ALIASES.get(fullname, fullname)
        if name in ARITY:
            return guarded(lambda ctx: _captured(ctx, analyze_dims(ctx, name)), as_any)
        info = self._model_info(fullname)
        if info is not None and info.defn.type_vars:
            return guarded(lambda ctx: _captured(ctx, analyze_model(ctx, info)), as_any)
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        hook: Callable[[FunctionSigContext], FunctionLike] | None = None
        short = fullname.rpartition(".")[2]
        if fullname in _NESTING_RUNNERS:
            hook = _nested_runner_signature
        elif (_in_linalg(fullname) and short in CHECKED_PAIRS) or (
            fullname.startswith(FUNCTIONS + ".") and short in LOSSES
        ):
            hook = lambda ctx: pair_signature(ctx, short)  # noqa: E731
        elif _in_linalg(fullname) and short in CONSTRUCTORS:
            hook = constructor_signature
        elif _in_linalg(fullname) and short in SHAPE_CHECKS:
            hook = lambda ctx: shape_signature(ctx, short)  # noqa: E731
        else:
            hook = self._solver(fullname)
        return _signature_hook(hook) if hook else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        hook = LINALG_FUNCTIONS.get(fullname.rpartition(".")[2]) if _in_linalg(fullname) else None
        return guarded(hook, lambda ctx: ctx.default_return_type) if hook else None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        cls, _, method = fullname.rpartition(".")
        hook: Callable[[MethodSigContext], FunctionLike] | None = None
        if cls in (VEC, MAT, BVAR) and method in OPERATORS:
            hook = lambda ctx: operator_signature(ctx, method)  # noqa: E731
        elif cls == BVAR and method == "__xor__":
            hook = xor_signature
        elif cls == BVAR and method == "__call__":
            hook = call_signature
        elif cls == LENS and method == "__rxor__":
            hook = rxor_signature
        elif cls in OPTICS and method == "__rshift__":
            hook = rshift_signature
        else:
            hook = self._solver(cls, method)
        return _signature_hook(hook) if hook else None

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        cls_name, _, attr = fullname.rpartition(".")
        info = self._model_info(cls_name)
        if info is None or attr not in model_fields(info):
            return None
        # a generic model's field: mypy is about to call it ambiguous (see Ambiguity)
        watcher = Ambiguity.expect() if info.defn.type_vars else None
        return guarded(
            lambda ctx: field_lens(ctx, info, watcher),
            lambda ctx: _done(watcher, ctx.default_attr_type),
        )

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        cls_name, _, attr = fullname.rpartition(".")
        hook: Callable[[AttributeContext], Type] | None = None
        if cls_name == SPLIT and not self._has(SPLIT, attr):
            hook = lambda ctx: split_attribute(ctx, attr)  # noqa: E731
        else:
            info = self._model_info(cls_name)
            if info is not None and attr in model_fields(info):
                hook = field_value
        if hook is None:
            return None
        inner = hook
        return guarded(lambda ctx: _captured(ctx, inner(ctx)), lambda ctx: ctx.default_attr_type)

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if ALIASES.get(fullname, fullname) == MODEL:
            return guarded(model_class, lambda ctx: None)
        return None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if ALIASES.get(fullname, fullname) == MODEL_BASE or self._model_info(fullname):
            return guarded(model_class, lambda ctx: None)
        return None

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        """The plugin's own source, hashed: mypy's cache is keyed on the plugin's entry module
        only, so without this a newer plugin would reuse results of an older one's modules."""
        return _source_hash()

    # --- helpers that need the plugin's state ---

    def _model_info(self, fullname: str) -> TypeInfo | None:
        sym = self.lookup_fully_qualified(fullname)
        node = sym.node if sym is not None else None
        if isinstance(node, TypeInfo) and is_model(node):
            return node
        return None

    def _solver(
        self, fullname: str, method: str | None = None
    ) -> Callable[[Any], FunctionLike] | None:
        """``solve_signature`` for a function, a class's constructor or a method that has
        dimension variables or sums of dimensions in its signature (only those calls are the
        plugin's to solve; the rest stay with mypy and other plugins). The items of an overload
        are solved quietly: which item applies is mypy's to decide."""
        if fullname.startswith(_FOREIGN):
            return None
        sym = self.lookup_fully_qualified(fullname)
        node: object = sym.node if sym is not None else None
        if isinstance(node, TypeInfo):
            if method is None or dimension_class(node):
                return solve_signature if dimension_class(node) else None
            node = node.get_method(method)
        if isinstance(node, Decorator):
            node = node.func
        if (
            isinstance(node, OverloadedFuncDef)
            and isinstance(node.type, Overloaded)
            and any(_dimension_signature(item) for item in node.type.items)
        ):
            return lambda ctx: solve_signature(ctx, quiet=True)
        if isinstance(node, FuncDef) and isinstance(node.type, CallableType):
            return solve_signature if _dimension_signature(node.type) else None
        return None

    def _has(self, fullname: str, name: str) -> bool:
        """Whether the class itself has the attribute (not one its ``__getattr__`` serves)."""
        sym = self.lookup_fully_qualified(fullname)
        node = sym.node if sym is not None else None
        return not isinstance(node, TypeInfo) or node.get(name) is not None


@functools.cache
def _source_hash() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _dimension_signature(sig: CallableType) -> bool:
    return bool(dimension_variables(sig)) or has_sum(sig)


def _captured(ctx: AnalyzeTypeContext | AttributeContext, result: Type) -> Type:
    Ambiguity.capture(ctx.api)
    return result


def _done(watcher: object, t: Type) -> Type:
    Ambiguity.done(watcher)
    return t


def _signature_hook(hook: Callable[[Any], FunctionLike]) -> Callable[[Any], FunctionLike]:
    def run(ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
        Ambiguity.capture(ctx.api)
        return hook(ctx)

    return guarded(run, _signature_fallback)


def _nested_runner_signature(ctx: FunctionSigContext) -> FunctionLike:
    """``grad_bp(f, x)`` with ``x`` a ``BVar[X]`` of an enclosing call: ``f`` takes a
    ``BVar[X]`` (the inner call's ``BVar`` behaves as one) and the result is a ``BVar[X]``."""
    sig = ctx.default_signature
    if len(ctx.args) < 2 or not ctx.args[1] or not sig.variables:
        return sig
    x_type = get_proper_type(ctx.api.get_expression_type(ctx.args[1][0]))
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


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return TypedpropPlugin
