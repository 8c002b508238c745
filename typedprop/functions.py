"""Elementwise functions, reductions and losses, each with its derivative rule beside it.

Every function here works on Python floats, numpy arrays and their ``BVar``s: on plain values it
is the numpy computation and nothing more; on ``BVar``s it records one node. The rules are written
with these same functions, so everything here has a second derivative. ``softmax``,
``log_softmax`` and ``cross_entropy`` work along the last axis, so a batch is a matrix of rows.
For linear algebra (``dot``, ``outer``, norms) see ``typedprop.linalg``.
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from typedprop._arith import (
    BROADCAST_TO,
    POW,
    RESHAPE,
    is_wrapper,
    raw,
    shape_of,
    sum_axis,
    target_of,
)
from typedprop._core import BVar, Op, _apply1, _apply2, deep_value
from typedprop.errors import NoGradientError, ShapeError

__all__ = [
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cos",
    "cosh",
    "cross_entropy",
    "exp",
    "log",
    "log_base",
    "log_softmax",
    "logistic",
    "logsumexp",
    "maximum",
    "mean",
    "minimum",
    "product",
    "relu",
    "sign",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "sqrt",
    "sum_elements",
    "tan",
    "tanh",
]

T = TypeVar("T")
M = TypeVar("M", bound=int)
N = TypeVar("N", bound=int)

# Plain (non-BVar) numeric values: the second overload of the reductions and losses, kept apart
# from BVar so that an argument of type BVar[Any] picks the first overload.
if TYPE_CHECKING:  # typing only: functions sit below linalg at run time
    from typedprop.linalg import Mat, Vec

Numeric: TypeAlias = "float | np.ndarray | np.generic | Vec[Any] | Mat[Any, Any]"

# --- elementwise ---

_EXP = Op("exp", 1, fwd=np.exp, vjps=(lambda g, ans, x: g * ans,))
_LOG = Op("log", 1, fwd=np.log, vjps=(lambda g, ans, x: g / x,))
_SQRT = Op("sqrt", 1, fwd=np.sqrt, vjps=(lambda g, ans, x: g / (2.0 * ans),))
_SIN = Op("sin", 1, fwd=np.sin, vjps=(lambda g, ans, x: g * cos(x),))
_COS = Op("cos", 1, fwd=np.cos, vjps=(lambda g, ans, x: -g * sin(x),))
_TAN = Op("tan", 1, fwd=np.tan, vjps=(lambda g, ans, x: g * (1.0 + ans * ans),))
_TANH = Op("tanh", 1, fwd=np.tanh, vjps=(lambda g, ans, x: g * (1.0 - ans * ans),))
_SINH = Op("sinh", 1, fwd=np.sinh, vjps=(lambda g, ans, x: g * cosh(x),))
_COSH = Op("cosh", 1, fwd=np.cosh, vjps=(lambda g, ans, x: g * sinh(x),))


def _pow(x: Any, e: float) -> Any:
    return _apply2(POW, x, e)


# the inverse functions' derivatives as powers: ``**`` gives numpy's inf/nan at and beyond the
# domain's edges (1 / 0 on Python floats would raise)
_ASIN = Op("asin", 1, fwd=np.arcsin, vjps=(lambda g, ans, x: g * _pow(1.0 - x * x, -0.5),))
_ACOS = Op("acos", 1, fwd=np.arccos, vjps=(lambda g, ans, x: -g * _pow(1.0 - x * x, -0.5),))
_ATAN = Op("atan", 1, fwd=np.arctan, vjps=(lambda g, ans, x: g * _pow(1.0 + x * x, -1.0),))
_ASINH = Op("asinh", 1, fwd=np.arcsinh, vjps=(lambda g, ans, x: g * _pow(x * x + 1.0, -0.5),))
_ACOSH = Op("acosh", 1, fwd=np.arccosh, vjps=(lambda g, ans, x: g * _pow(x * x - 1.0, -0.5),))
_ATANH = Op("atanh", 1, fwd=np.arctanh, vjps=(lambda g, ans, x: g * _pow(1.0 - x * x, -1.0),))
_SIGN = Op("sign", 1, fwd=np.sign, vjps=(None,))


def _numpy_errors() -> tuple[Any, Any]:
    """numpy's context variable holding the error settings, and its maker of settings
    (numpy >= 2; ``None`` where numpy keeps them otherwise)."""
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # pragma: no cover (numpy 1.x)
        return None, None
    var, make = getattr(umath, "_extobj_contextvar", None), getattr(umath, "_make_extobj", None)
    return (var, make) if var is not None and make is not None else (None, None)


_errors, _make_errors = _numpy_errors()
_QUIET: tuple[Any, Any] = (None, None)  # the last settings seen, and the same with over=ignore


def _exp_quietly(r: Any) -> None:
    """``with np.errstate(over="ignore"): np.exp(r, out=r)``, logistic's own step (eager and
    in a compiled replay) at a third of its cost: the settings with overflow ignored are made
    once per settings object (one is never changed: ``np.errstate`` and ``np.seterr*`` put a
    new one in place)."""
    global _QUIET
    if _errors is None:  # pragma: no cover
        with np.errstate(over="ignore"):
            np.exp(r, out=r)
        return
    now = _errors.get()
    seen, quiet = _QUIET
    if seen is not now:
        quiet = _make_errors(over="ignore")  # the current settings, overflow ignored
        _QUIET = (now, quiet)
    token = _errors.set(quiet)
    try:
        np.exp(r, out=r)
    finally:
        _errors.reset(token)


def _logistic(x: Any) -> Any:
    # 1 / (1 + exp(-x)) is accurate on the whole line (the tanh form, 0.5 tanh(x / 2) + 0.5,
    # cancels for x << 0: 0.0 below -37); exp(-x) overflows to inf below -709, where the answer,
    # under 1e-308, becomes 0. In place on one fresh buffer, for arrays.
    t = type(x)
    if t is not np.ndarray and is_wrapper(t):  # Vec/Mat: compute on the array, wrap once
        return t._rewrap(_logistic(x.array))
    if t is float or t is int:
        e = math.exp(-abs(x))  # Python's exp raises on overflow: keep its argument <= 0
        return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    if t is np.ndarray and x.ndim and x.dtype.kind == "f":
        r = np.negative(x)
        _exp_quietly(r)
        r += 1.0
        np.reciprocal(r, out=r)
        return r
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-_floats(x)[()]))


def _logistic_vjp(g: Any, ans: Any, x: Any) -> Any:
    t = type(ans)
    if t is type(g) and t is not np.ndarray and is_wrapper(t):
        return t._rewrap(_logistic_vjp(g.array, ans.array, x))
    if type(g) is np.ndarray and type(ans) is np.ndarray and g.shape == ans.shape and ans.ndim:
        s = np.subtract(1.0, ans)  # g * ans * (1 - ans), in one fresh buffer
        s *= ans
        s *= g
        return s
    return g * (ans * (1.0 - ans))


_LOGISTIC = Op("logistic", 1, fwd=_logistic, vjps=(_logistic_vjp,))
_RELU = Op(
    "relu",
    1,
    fwd=lambda x: np.maximum(x, 0.0),
    vjps=(lambda g, ans, x: g * (raw(deep_value(x)) > 0),),
)
_SOFTPLUS = Op(
    "softplus",
    1,
    fwd=lambda x: np.logaddexp(0.0, x),
    vjps=(lambda g, ans, x: g * logistic(x),),
)


@overload
def exp(x: BVar[T]) -> BVar[T]: ...
@overload
def exp(x: T) -> T: ...
def exp(x: Any) -> Any:
    """``e ** x`` elementwise; derivative ``exp(x)``."""
    return _apply1(_EXP, x)


@overload
def log(x: BVar[T]) -> BVar[T]: ...
@overload
def log(x: T) -> T: ...
def log(x: Any) -> Any:
    """The natural logarithm elementwise; derivative ``1 / x``."""
    return _apply1(_LOG, x)


@overload
def sqrt(x: BVar[T]) -> BVar[T]: ...
@overload
def sqrt(x: T) -> T: ...
def sqrt(x: Any) -> Any:
    """The square root elementwise; derivative ``1 / (2 sqrt(x))``."""
    return _apply1(_SQRT, x)


@overload
def sin(x: BVar[T]) -> BVar[T]: ...
@overload
def sin(x: T) -> T: ...
def sin(x: Any) -> Any:
    """The sine elementwise; derivative ``cos(x)``."""
    return _apply1(_SIN, x)


@overload
def cos(x: BVar[T]) -> BVar[T]: ...
@overload
def cos(x: T) -> T: ...
def cos(x: Any) -> Any:
    """The cosine elementwise; derivative ``-sin(x)``."""
    return _apply1(_COS, x)


@overload
def tan(x: BVar[T]) -> BVar[T]: ...
@overload
def tan(x: T) -> T: ...
def tan(x: Any) -> Any:
    """The tangent elementwise; derivative ``1 + tan(x) ** 2``."""
    return _apply1(_TAN, x)


@overload
def tanh(x: BVar[T]) -> BVar[T]: ...
@overload
def tanh(x: T) -> T: ...
def tanh(x: Any) -> Any:
    """The hyperbolic tangent elementwise; derivative ``1 - tanh(x) ** 2``."""
    return _apply1(_TANH, x)


@overload
def sinh(x: BVar[T]) -> BVar[T]: ...
@overload
def sinh(x: T) -> T: ...
def sinh(x: Any) -> Any:
    """The hyperbolic sine elementwise; derivative ``cosh(x)``."""
    return _apply1(_SINH, x)


@overload
def cosh(x: BVar[T]) -> BVar[T]: ...
@overload
def cosh(x: T) -> T: ...
def cosh(x: Any) -> Any:
    """The hyperbolic cosine elementwise; derivative ``sinh(x)``."""
    return _apply1(_COSH, x)


@overload
def asin(x: BVar[T]) -> BVar[T]: ...
@overload
def asin(x: T) -> T: ...
def asin(x: Any) -> Any:
    """The inverse sine elementwise; derivative ``1 / sqrt(1 - x ** 2)`` (``nan`` outside
    ``[-1, 1]`` and ``inf`` at its ends, as numpy gives)."""
    return _apply1(_ASIN, x)


@overload
def acos(x: BVar[T]) -> BVar[T]: ...
@overload
def acos(x: T) -> T: ...
def acos(x: Any) -> Any:
    """The inverse cosine elementwise; derivative ``-1 / sqrt(1 - x ** 2)`` (``nan`` outside
    ``[-1, 1]``, ``-inf`` at its ends)."""
    return _apply1(_ACOS, x)


@overload
def atan(x: BVar[T]) -> BVar[T]: ...
@overload
def atan(x: T) -> T: ...
def atan(x: Any) -> Any:
    """The inverse tangent elementwise; derivative ``1 / (1 + x ** 2)``."""
    return _apply1(_ATAN, x)


@overload
def asinh(x: BVar[T]) -> BVar[T]: ...
@overload
def asinh(x: T) -> T: ...
def asinh(x: Any) -> Any:
    """The inverse hyperbolic sine elementwise; derivative ``1 / sqrt(x ** 2 + 1)``."""
    return _apply1(_ASINH, x)


@overload
def acosh(x: BVar[T]) -> BVar[T]: ...
@overload
def acosh(x: T) -> T: ...
def acosh(x: Any) -> Any:
    """The inverse hyperbolic cosine elementwise; derivative ``1 / sqrt(x ** 2 - 1)`` (``inf``
    at 1, ``nan`` below, as numpy gives)."""
    return _apply1(_ACOSH, x)


@overload
def atanh(x: BVar[T]) -> BVar[T]: ...
@overload
def atanh(x: T) -> T: ...
def atanh(x: Any) -> Any:
    """The inverse hyperbolic tangent elementwise; derivative ``1 / (1 - x ** 2)`` (the value
    is ``±inf`` at ±1 and ``nan`` beyond, as numpy gives)."""
    return _apply1(_ATANH, x)


@overload
def sign(x: BVar[T]) -> BVar[T]: ...
@overload
def sign(x: T) -> T: ...
def sign(x: Any) -> Any:
    """``-1``, ``0`` or ``1`` by the sign of each element; its gradient is zero everywhere
    (backprop's ``signum``)."""
    return _apply1(_SIGN, x)


@overload
def log_base(b: BVar[Any] | float, x: BVar[T]) -> BVar[T]: ...
@overload
def log_base(b: BVar[float], x: T) -> BVar[T]: ...
@overload
def log_base(b: BVar[T], x: T) -> BVar[T]: ...
@overload
def log_base(b: float, x: T) -> T: ...
@overload
def log_base(b: T, x: T) -> T: ...
def log_base(b: Any, x: Any) -> Any:
    """The logarithm of ``x`` in base ``b``, ``log(x) / log(b)``, elementwise and broadcast;
    differentiable in both (backprop's ``logBase``, base first).

    Example:
        >>> from typedprop.functions import log_base
        >>> float(log_base(2.0, 8.0))
        3.0
    """
    if type(b) is float or type(b) is int:  # log(b) a Python float: it keeps x's float32
        return log(x) / float(np.log(float(b)))
    return log(x) / log(b)


@overload
def logistic(x: BVar[T]) -> BVar[T]: ...
@overload
def logistic(x: T) -> T: ...
def logistic(x: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-x))`` elementwise; derivative ``s (1 - s)``.

    Example:
        >>> from typedprop.functions import logistic
        >>> float(logistic(0.0))
        0.5
    """
    return _apply1(_LOGISTIC, x)


@overload
def relu(x: BVar[T]) -> BVar[T]: ...
@overload
def relu(x: T) -> T: ...
def relu(x: Any) -> Any:
    """``max(x, 0)`` elementwise; derivative 1 where ``x > 0``, else 0 (0 at 0 itself)."""
    return _apply1(_RELU, x)


@overload
def softplus(x: BVar[T]) -> BVar[T]: ...
@overload
def softplus(x: T) -> T: ...
def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` elementwise, computed without overflow; derivative ``logistic(x)``."""
    return _apply1(_SOFTPLUS, x)


# --- reductions ---


def _sum_all(x: Any) -> Any:
    return x.sum() if type(x) is np.ndarray else np.sum(x)


def _broadcast_back(g: Any, x: Any) -> Any:
    return _apply2(BROADCAST_TO, g, target_of(x))


_SUM = Op("sum_elements", 1, fwd=_sum_all, vjps=(lambda g, ans, x: _broadcast_back(g, x),))
_MEAN = Op(
    "mean",
    1,
    fwd=np.mean,
    vjps=(lambda g, ans, x: _broadcast_back(g / np.size(deep_value(x)), x),),
)


@overload
def sum_elements(x: BVar[Any]) -> BVar[float]: ...
@overload
def sum_elements(x: Numeric) -> float: ...
def sum_elements(x: Any) -> Any:
    """The sum of all elements; its gradient is ``g`` in every position.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp
        >>> from typedprop.functions import sum_elements
        >>> grad_bp(sum_elements, np.array([1.0, 2.0]))
        array([1., 1.])
    """
    return _apply1(_SUM, x)


@overload
def mean(x: BVar[Any]) -> BVar[float]: ...
@overload
def mean(x: Numeric) -> float: ...
def mean(x: Any) -> Any:
    """The mean of all elements; its gradient is ``g / size`` in every position."""
    return _apply1(_MEAN, x)


# --- softmax and cross-entropy (last axis) ---


def _last_axis(name: str, x: Any) -> None:
    s = shape_of(x)
    if not s:
        raise ShapeError(
            f"{name}: expected an array with at least one axis (a vector or a batch of rows), "
            f"got a number; {name} works along the last axis"
        )
    if s[-1] == 0:
        raise ShapeError(
            f"{name}: the last axis of shape {s} has length 0; {name} normalises along the last "
            f"axis, which needs at least one class"
        )


def _softmax(x: Any) -> Any:
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax(x: Any) -> Any:
    if type(x) is np.ndarray:  # array methods, and in place on our own buffers
        shifted = x - x.max(axis=-1, keepdims=True)
        lse = np.exp(shifted).sum(axis=-1, keepdims=True)
        np.log(lse, out=lse)
        shifted -= lse
        return shifted
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


_SOFTMAX = Op(
    "softmax",
    1,
    fwd=_softmax,
    vjps=(lambda g, ans, x: ans * (g - sum_axis(g * ans, -1, True)),),
)
_LOG_SOFTMAX = Op(
    "log_softmax",
    1,
    fwd=_log_softmax,
    vjps=(lambda g, ans, x: g - exp(ans) * sum_axis(g, -1, True),),
)


@overload
def softmax(x: BVar[T]) -> BVar[T]: ...
@overload
def softmax(x: T) -> T: ...
def softmax(x: Any) -> Any:
    """``exp(x) / sum(exp(x))`` along the last axis (each row of a batch), computed stably.

    Raises:
        ShapeError: ``x`` is a number (softmax needs an axis).
    """
    _last_axis("softmax", x)
    return _apply1(_SOFTMAX, x)


@overload
def log_softmax(x: BVar[T]) -> BVar[T]: ...
@overload
def log_softmax(x: T) -> T: ...
def log_softmax(x: Any) -> Any:
    """``x - log(sum(exp(x)))`` along the last axis, computed stably.

    Raises:
        ShapeError: ``x`` is a number.
    """
    _last_axis("log_softmax", x)
    return _apply1(_LOG_SOFTMAX, x)


def _cross_entropy(logits: Any, target: Any, *, target_grad: bool = True) -> tuple[Any, Any]:
    """Fused: the pullback reuses the forward's softmax, and its gradient for the logits is
    ``softmax(logits) * sum(target) - target`` per row (``softmax - target`` for one-hot or
    probability targets) instead of a chain through ``log`` and ``softmax``."""
    if type(logits) is np.ndarray and type(target) is np.ndarray:
        return _cross_entropy_arrays(logits, target, target_grad)
    tl: Any = type(logits)  # Any: pyright would still see the ndarray case handled above
    tt: Any = type(target)
    if is_wrapper(tl) and type(raw(target)) is np.ndarray:  # Vec/Mat logits: on the arrays
        ans, pullback_arrays = _cross_entropy_arrays(raw(logits), raw(target), target_grad)

        def pullback_wrapped(g: Any) -> tuple[Any, Any]:
            gl, gt = pullback_arrays(g)
            return tl._rewrap(gl), (tt._rewrap(gt) if gt is not None and is_wrapper(tt) else gt)

        return ans, pullback_wrapped
    lsm = _apply1(_LOG_SOFTMAX, logits)
    ans = -_apply1(_SUM, target * lsm)

    def pullback(g: Any) -> tuple[Any, Any]:
        glogits = g * (exp(lsm) * sum_axis(target, -1, True) - target)
        return glogits, (-g * lsm if target_grad else None)

    return ans, pullback


def _cross_entropy_arrays(
    logits: NDArray[Any], target: NDArray[Any], target_grad: bool
) -> tuple[Any, Any]:
    """The same for plain arrays, in few numpy calls: ``sum(t) lse - t . shifted`` per row
    (a vector's reductions without an axis, numpy's reductions called as ufuncs: each
    ``.max(axis=...)`` method call would add a Python frame)."""
    if logits.ndim == 1 and logits.dtype is _F64 and target.dtype.kind != "c":  # Python floats
        shifted = logits - _MAX(logits)
        e = np.exp(shifted)
        total = float(_ADD(e))
        lse = math.log(total)
        weight = float(_ADD(target))
        ans = lse * weight - float(np.dot(target, shifted))

        def pullback_one(g: Any) -> tuple[Any, Any]:
            p = e / total
            if weight != 1.0:  # a one-hot or probability target sums to 1
                p *= weight
            p -= target
            if g != 1.0:
                p *= g
            return p, (-g * (shifted - lse) if target_grad else None)

        return ans, pullback_one
    if logits.ndim == 1:
        shifted = logits - _MAX(logits)
        e = np.exp(shifted)
        total = _ADD(e)
        lse = np.log(total)
        weight = _ADD(target)
        total_loss = lse * weight - np.dot(target, shifted)
    else:
        shifted = logits - _MAX(logits, axis=-1, keepdims=True)
        e = np.exp(shifted)
        total = _ADD(e, axis=-1, keepdims=True)
        lse = np.log(total)
        weight = _ADD(target, axis=-1, keepdims=True)
        total_loss = np.vdot(lse, weight) - np.vdot(target, shifted)
    ans = total_loss if total_loss.dtype == np.float32 else float(total_loss)

    def pullback(g: Any) -> tuple[Any, Any]:
        p = e / total  # the softmax, in a fresh buffer worked in place
        p *= weight
        p -= target
        if g != 1.0:
            p *= g
        return p, (-g * (shifted - lse) if target_grad else None)

    return ans, pullback


_MAX: Any = np.maximum.reduce  # Any: the stubs type a reduce's result by its ufunc's bools
_ADD: Any = np.add.reduce
_F64 = np.dtype(np.float64)


def _cross_entropy_const_target(logits: Any, target: Any) -> tuple[Any, Any]:
    """The cross-entropy with a target that takes no gradient (data)."""
    if type(logits) is np.ndarray and type(target) is np.ndarray:
        return _cross_entropy_arrays(logits, target, False)
    return _cross_entropy(logits, target, target_grad=False)


_CROSS_ENTROPY = Op("cross_entropy", 2, pull=_cross_entropy)
_CROSS_ENTROPY_CONST_TARGET = Op("cross_entropy", 2, pull=_cross_entropy_const_target)


@overload
def cross_entropy(logits: BVar[Any], target: BVar[Any] | Numeric) -> BVar[float]: ...
@overload
def cross_entropy(logits: Numeric, target: BVar[Any]) -> BVar[float]: ...
@overload
def cross_entropy(logits: Numeric, target: Numeric) -> float: ...
def cross_entropy(logits: Any, target: Any) -> Any:
    """``-sum(target * log_softmax(logits))``, summed over every row of a batch.

    ``logits`` are unnormalised scores (a vector, or a matrix with one example per row) and
    ``target`` has the same shape (one-hot rows or probabilities). The gradient for the logits is
    the fused ``softmax(logits) - target`` (scaled by each row's target sum).

    Raises:
        ShapeError: the shapes differ, or the logits are a number.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp
        >>> from typedprop.functions import cross_entropy
        >>> t = np.array([0.0, 1.0])
        >>> grad_bp(lambda y: cross_entropy(y, t), np.zeros(2))
        array([ 0.5, -0.5])
    """
    sl, st = shape_of(logits), shape_of(target)
    if not sl or not sl[-1]:
        _last_axis("cross_entropy", logits)
    if sl != st:
        raise ShapeError(
            f"cross_entropy: logits of shape {sl} and target of shape {st}; the target needs "
            f"the logits' shape (one row of class scores per example)"
        )
    op = _CROSS_ENTROPY if type(target) is BVar else _CROSS_ENTROPY_CONST_TARGET
    return _apply2(op, logits, target)


# --- along an axis: logsumexp, maximum, minimum, product ---
#
# The rules work on plain arrays (and numbers); a Vec or Mat goes through _AS_ARRAY on the way in
# and _WRAP on the way out, two differentiable re-wrappings, so its gradient is a Vec or Mat.


def _wrap(r: Any) -> Any:
    if type(r) is np.ndarray and r.ndim in (1, 2):
        from typedprop.linalg._types import _wrap_any  # linalg sits above this module

        return _wrap_any(r)
    return r


_AS_ARRAY: Op = Op("as_array", 1, fwd=raw, vjps=(lambda g, ans, x: _apply1(_WRAP, g),))
_WRAP: Op = Op("wrap", 1, fwd=_wrap, vjps=(lambda g, ans, r: _apply1(_AS_ARRAY, g),))


def _floats(x: Any) -> NDArray[np.floating[Any]]:
    """``x`` as an array of float64, or of float32 when it is float32 (kept, not upcast)."""
    a = np.asarray(x)
    return a if a.dtype == np.float32 else np.asarray(a, dtype=np.float64)


def _scalar(r: Any) -> Any:
    """A 0-d result as a numpy scalar (numpy's reductions give those), others as they are."""
    return r[()] if type(r) is np.ndarray and r.ndim == 0 else r


def _keep(v: Any, axis: int | None, a: Any) -> Any:
    """A reduction's result (or its gradient) with the reduced axis put back as length 1, so
    that it broadcasts against the argument ``a``."""
    if axis is None or not np.ndim(deep_value(v)):
        return v
    kept = list(shape_of(a) or ())
    kept[axis] = 1
    return _apply2(RESHAPE, v, tuple(kept))


def _logsumexp(a: Any, axis: int | None) -> Any:
    a = _floats(a)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # rows of -inf (answer -inf) or with +inf (inf)
    with np.errstate(divide="ignore"):  # log(0) for a row of -inf: -inf, the right answer
        r = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
    r += m
    return _scalar(r.reshape(()) if axis is None else np.squeeze(r, axis))


_LOGSUMEXP = Op(
    "logsumexp",
    2,
    fwd=_logsumexp,
    vjps=(lambda g, ans, a, axis: _keep(g, axis, a) * exp(a - _keep(ans, axis, a)), None),
)


def _extremum_vjp(g: Any, ans: Any, a: Any, axis: int | None) -> Any:
    """The output's gradient shared equally among the elements equal to the extremum."""
    av = deep_value(a)
    if not np.ndim(av):
        return g
    hit = av == _keep(np.asarray(deep_value(ans)), axis, av)
    share = hit / np.maximum(np.sum(hit, axis=axis, keepdims=True), 1)
    if np.asarray(av).dtype == np.float32:  # the counts' float64 would promote the gradient
        share = share.astype(np.float32)
    return _keep(g, axis, a) * share


_MAXIMUM = Op(
    "maximum", 2, fwd=lambda a, axis: _scalar(np.max(a, axis=axis)), vjps=(_extremum_vjp, None)
)
_MINIMUM = Op(
    "minimum", 2, fwd=lambda a, axis: _scalar(np.min(a, axis=axis)), vjps=(_extremum_vjp, None)
)


def _along_last(x: Any, axis: int | None) -> Any:
    """``x`` as an array with the reduced axis last (one axis for ``None``: every element)."""
    x = _floats(x)
    return x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)


def _back(y: Any, axis: int | None, shape: tuple[int, ...]) -> Any:
    return y.reshape(shape) if axis is None else np.moveaxis(y, -1, axis)


def _partial_products(xm: Any) -> tuple[Any, Any]:
    """The products of the elements before and after each one along the last axis."""
    before = np.ones_like(xm)
    after = np.ones_like(xm)
    np.cumprod(xm[..., :-1], axis=-1, out=before[..., 1:])
    after[..., :-1] = np.cumprod(xm[..., :0:-1], axis=-1)[..., ::-1]
    return before, after


def _others(a: Any, axis: int | None) -> Any:
    """For each element, the product of the others along ``axis``, without dividing by the
    element: exact with zeros, and right where the whole product underflows or overflows."""
    before, after = _partial_products(_along_last(a, axis))
    return _back(before * after, axis, np.shape(a))


def _others_vjp(g: Any, ans: Any, a: Any, axis: int | None) -> Any:
    """``sum over i != j of g_i times the product of the elements other than i and j``, for each
    ``j``: two scans carrying the derivatives of the partial products, again without division."""
    if type(a) is BVar or type(g) is BVar:
        raise NoGradientError(
            "product: its first and second derivatives are exact, but a third derivative "
            "(grad_bp nested three deep around product) is not provided"
        )
    xm = _along_last(a, axis)
    gm = _along_last(g, axis)
    before, after = _partial_products(xm)
    d_before = np.zeros_like(xm)
    d_after = np.zeros_like(xm)
    n = xm.shape[-1]
    for j in range(1, n):
        d_before[..., j] = (
            d_before[..., j - 1] * xm[..., j - 1] + gm[..., j - 1] * before[..., j - 1]
        )
    for j in range(n - 2, -1, -1):
        d_after[..., j] = d_after[..., j + 1] * xm[..., j + 1] + gm[..., j + 1] * after[..., j + 1]
    return _back(d_before * after + before * d_after, axis, np.shape(a))


# its own derivative is in raw numpy: product has exact first and second derivatives, no third
_OTHERS = Op("product_of_others", 2, fwd=_others, vjps=(_others_vjp, None))


def _product_vjp(g: Any, ans: Any, a: Any, axis: int | None) -> Any:
    """``g`` times the product of the other elements, for each element."""
    if not np.ndim(deep_value(a)):
        return g
    return _keep(g, axis, a) * _apply2(_OTHERS, a, axis)


_PRODUCT = Op(
    "product", 2, fwd=lambda a, axis: _scalar(np.prod(a, axis=axis)), vjps=(_product_vjp, None)
)


def _stack(xs: Any) -> Any:
    return np.stack([_floats(raw(e)) for e in xs])


def _unstack_vjp(g: Any, ans: Any, xs: Any) -> Any:
    """The stacked gradient as a list or tuple, each element of its element's kind."""
    elements = deep_value(xs)
    return type(elements)(_part(g[i], type(e)) for i, e in enumerate(elements))


def _part(g: Any, kind: type) -> Any:
    if is_wrapper(kind):
        return _apply1(_WRAP, g)
    return float(g) if kind is float and type(g) is not BVar else g


_STACK = Op("stack", 1, fwd=_stack, vjps=(_unstack_vjp,))


def _reduce(op: Op, name: str, x: Any, axis: int | None) -> Any:
    """``op`` over the elements of ``x`` (an array, number, Vec, Mat, or a list or tuple of
    numbers or same-shaped arrays, reduced across its elements)."""
    if type(x) in (list, tuple) and any(type(e) is BVar for e in x):
        from typedprop._runners import collect_var  # the runners sit above this module

        x = collect_var(x)
    v = deep_value(x)
    if type(v) in (list, tuple):
        shapes = {shape_of(deep_value(e)) for e in v}
        if not v:
            raise ShapeError(f"{name}: the {type(v).__name__} is empty; nothing to reduce")
        if None in shapes or len(shapes) > 1:
            raise ShapeError(
                f"{name}: expected a {type(v).__name__} of numbers or of arrays of one shape; "
                f"its elements' shapes are {', '.join(sorted(map(str, shapes)))}"
            )
        if axis is not None:
            raise ShapeError(
                f"{name}: axis={axis} given for a {type(v).__name__}; a list or tuple is "
                f"reduced across its elements (elementwise), without an axis"
            )
        return _apply2(op, _apply1(_STACK, x), 0)
    s = shape_of(v)
    if s is None or isinstance(v, str | bytes):
        raise ShapeError(
            f"{name}: expected a number, an array, a Vec, a Mat, or a list or tuple of numbers "
            f"or arrays; got a value of type {type(v).__name__}"
        )
    _check_axis(name, s, axis)
    if not is_wrapper(type(v)):
        return _apply2(op, x, axis)
    return _apply1(_WRAP, _apply2(op, _apply1(_AS_ARRAY, x), axis))


def _check_axis(name: str, s: tuple[int, ...], axis: int | None) -> None:
    if axis is not None and not -len(s) <= axis < len(s):
        raise ShapeError(
            f"{name}: axis {axis} does not exist in a value of shape {s} "
            f"({len(s)} axes); use axis=None to reduce over every element"
        )
    if (s[axis] if axis is not None else int(np.prod(s))) == 0:
        raise ShapeError(f"{name}: the value of shape {s} has no elements along axis {axis}")


@overload
def logsumexp(x: BVar[Mat[M, N]], axis: Literal[-1, 1] = -1) -> BVar[Vec[M]]: ...
@overload
def logsumexp(x: BVar[Mat[M, N]], axis: Literal[0, -2]) -> BVar[Vec[N]]: ...
@overload
def logsumexp(x: BVar[Vec[Any]], axis: int | None = -1) -> BVar[float]: ...
@overload
def logsumexp(x: BVar[Mat[Any, Any]], axis: None) -> BVar[float]: ...
@overload
def logsumexp(x: BVar[Any], axis: int | None = -1) -> BVar[Any]: ...
@overload
def logsumexp(x: Mat[M, N], axis: Literal[-1, 1] = -1) -> Vec[M]: ...
@overload
def logsumexp(x: Mat[M, N], axis: Literal[0, -2]) -> Vec[N]: ...
@overload
def logsumexp(x: Vec[Any] | float, axis: int | None = -1) -> float: ...
@overload
def logsumexp(x: Mat[Any, Any], axis: None) -> float: ...
@overload
def logsumexp(x: np.ndarray | np.generic, axis: int | None = -1) -> Any: ...
def logsumexp(x: Any, axis: int | None = -1) -> Any:
    """``log(sum(exp(x)))`` along ``axis`` (the last by default; ``None``: over every element),
    computed without overflow; its gradient is the softmax along that axis.

    A ``Mat`` gives a ``Vec`` (one number per row by default), a ``Vec`` a number.

    Raises:
        ShapeError: ``x`` is a number (with an axis), the axis does not exist or is empty.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp
        >>> from typedprop.functions import logsumexp
        >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + log 2, no overflow
        1000.6931471805599
        >>> grad_bp(logsumexp, np.array([0.0, 0.0]))
        array([0.5, 0.5])
    """
    v = deep_value(x)
    s = shape_of(v)
    if s is None or (not s and axis is not None):
        raise ShapeError(
            f"logsumexp: expected an array with axis {axis}, got "
            f"{'a number' if s is not None else type(v).__name__}; pass axis=None to take "
            f"the logsumexp of every element"
        )
    _check_axis("logsumexp", s, axis)
    if not is_wrapper(type(v)):
        return _apply2(_LOGSUMEXP, x, axis)
    return _apply1(_WRAP, _apply2(_LOGSUMEXP, _apply1(_AS_ARRAY, x), axis))


_REDUCTION_DOC = """ of the elements of ``x``: over every element, or along ``axis``
    for an array or a ``Mat`` (a ``Mat`` along an axis gives a ``Vec``); a list or tuple of
    numbers or of same-shaped arrays is reduced across its elements, elementwise."""


@overload
def maximum(x: BVar[Mat[M, N]], axis: Literal[-1, 1]) -> BVar[Vec[M]]: ...
@overload
def maximum(x: BVar[Mat[M, N]], axis: Literal[0, -2]) -> BVar[Vec[N]]: ...
@overload
def maximum(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]] | BVar[float]) -> BVar[float]: ...
@overload
def maximum(x: BVar[list[T]] | BVar[tuple[T, ...]]) -> BVar[T]: ...
@overload
def maximum(x: list[BVar[T]] | tuple[BVar[T], ...]) -> BVar[T]: ...
@overload
def maximum(x: BVar[Any], axis: int | None = None) -> BVar[Any]: ...
@overload
def maximum(x: Mat[M, N], axis: Literal[-1, 1]) -> Vec[M]: ...
@overload
def maximum(x: Mat[M, N], axis: Literal[0, -2]) -> Vec[N]: ...
@overload
def maximum(x: Vec[Any] | Mat[Any, Any] | float) -> float: ...
@overload
def maximum(x: list[T] | tuple[T, ...]) -> T: ...
@overload
def maximum(x: np.ndarray | np.generic, axis: int | None = None) -> Any: ...
def maximum(x: Any, axis: int | None = None) -> Any:
    """The largest element; ties share the gradient equally (each of ``k`` tied elements
    gets ``g / k``; backprop gives every one ``g``, and Python's ``max`` gives the first all).

    Raises:
        ShapeError: nothing to reduce (an empty list or axis), elements of different shapes,
            an axis that does not exist, or a value that is not numbers.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp
        >>> from typedprop.functions import maximum
        >>> grad_bp(maximum, np.array([3.0, 1.0, 3.0]))
        array([0.5, 0. , 0.5])
    """
    return _reduce(_MAXIMUM, "maximum", x, axis)


@overload
def minimum(x: BVar[Mat[M, N]], axis: Literal[-1, 1]) -> BVar[Vec[M]]: ...
@overload
def minimum(x: BVar[Mat[M, N]], axis: Literal[0, -2]) -> BVar[Vec[N]]: ...
@overload
def minimum(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]] | BVar[float]) -> BVar[float]: ...
@overload
def minimum(x: BVar[list[T]] | BVar[tuple[T, ...]]) -> BVar[T]: ...
@overload
def minimum(x: list[BVar[T]] | tuple[BVar[T], ...]) -> BVar[T]: ...
@overload
def minimum(x: BVar[Any], axis: int | None = None) -> BVar[Any]: ...
@overload
def minimum(x: Mat[M, N], axis: Literal[-1, 1]) -> Vec[M]: ...
@overload
def minimum(x: Mat[M, N], axis: Literal[0, -2]) -> Vec[N]: ...
@overload
def minimum(x: Vec[Any] | Mat[Any, Any] | float) -> float: ...
@overload
def minimum(x: list[T] | tuple[T, ...]) -> T: ...
@overload
def minimum(x: np.ndarray | np.generic, axis: int | None = None) -> Any: ...
def minimum(x: Any, axis: int | None = None) -> Any:
    """The smallest element; ties share the gradient equally, as in ``maximum``.

    Raises:
        ShapeError: as ``maximum``.
    """
    return _reduce(_MINIMUM, "minimum", x, axis)


@overload
def product(x: BVar[Mat[M, N]], axis: Literal[-1, 1]) -> BVar[Vec[M]]: ...
@overload
def product(x: BVar[Mat[M, N]], axis: Literal[0, -2]) -> BVar[Vec[N]]: ...
@overload
def product(x: BVar[Vec[Any]] | BVar[Mat[Any, Any]] | BVar[float]) -> BVar[float]: ...
@overload
def product(x: BVar[list[T]] | BVar[tuple[T, ...]]) -> BVar[T]: ...
@overload
def product(x: list[BVar[T]] | tuple[BVar[T], ...]) -> BVar[T]: ...
@overload
def product(x: BVar[Any], axis: int | None = None) -> BVar[Any]: ...
@overload
def product(x: Mat[M, N], axis: Literal[-1, 1]) -> Vec[M]: ...
@overload
def product(x: Mat[M, N], axis: Literal[0, -2]) -> Vec[N]: ...
@overload
def product(x: Vec[Any] | Mat[Any, Any] | float) -> float: ...
@overload
def product(x: list[T] | tuple[T, ...]) -> T: ...
@overload
def product(x: np.ndarray | np.generic, axis: int | None = None) -> Any: ...
def product(x: Any, axis: int | None = None) -> Any:
    """The product of the elements; each element's gradient is ``g`` times the product of the
    others, computed without dividing by the element, so zeros are handled exactly (backprop
    divides, and gives ``nan`` there), as is a product that underflows. Its second derivatives
    are exact too; a third derivative is not available.

    Raises:
        ShapeError: as ``maximum``.

    Example:
        >>> import numpy as np
        >>> from typedprop import grad_bp
        >>> from typedprop.functions import product
        >>> grad_bp(product, np.array([2.0, 0.0, 5.0]))
        array([ 0., 10.,  0.])
    """
    return _reduce(_PRODUCT, "product", x, axis)
