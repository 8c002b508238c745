"""Elementwise functions, reductions and losses, each with its derivative rule beside it.

Every function here works on Python floats, numpy arrays and their ``BVar``s: on plain values it
is the numpy computation and nothing more; on ``BVar``s it records one node. The rules are written
with these same functions, so everything here has a second derivative. ``softmax``,
``log_softmax`` and ``cross_entropy`` work along the last axis, so a batch is a matrix of rows.
For linear algebra (``dot``, ``outer``, norms) see ``typedprop.linalg``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from typedprop._arith import BROADCAST_TO, is_wrapper, raw, shape_of, sum_axis, target_of
from typedprop._core import BVar, Op, _apply1, _apply2, deep_value
from typedprop.errors import ShapeError

__all__ = [
    "cos",
    "cosh",
    "cross_entropy",
    "exp",
    "log",
    "log_softmax",
    "logistic",
    "mean",
    "relu",
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
        with np.errstate(over="ignore"):
            np.exp(r, out=r)
        r += 1.0
        np.divide(1.0, r, out=r)
        return r
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)[()]))


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
) -> tuple[float, Any]:
    """The same for plain arrays, in few numpy calls: ``sum(t) lse - t . shifted`` per row."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=-1, keepdims=True)
    lse = np.log(total)
    weight = target.sum(axis=-1, keepdims=True)
    ans = float(np.vdot(lse, weight) - np.vdot(target, shifted))

    def pullback(g: Any) -> tuple[Any, Any]:
        p = e / total  # the softmax, in a fresh buffer worked in place
        p *= weight
        p -= target
        p *= g
        return p, (-g * (shifted - lse) if target_grad else None)

    return ans, pullback


_CROSS_ENTROPY = Op("cross_entropy", 2, pull=_cross_entropy)
_CROSS_ENTROPY_CONST_TARGET = Op(
    "cross_entropy", 2, pull=lambda y, t: _cross_entropy(y, t, target_grad=False)
)


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
    _last_axis("cross_entropy", logits)
    sl, st = shape_of(logits), shape_of(target)
    if sl != st:
        raise ShapeError(
            f"cross_entropy: logits of shape {sl} and target of shape {st}; the target needs "
            f"the logits' shape (one row of class scores per example)"
        )
    op = _CROSS_ENTROPY if type(target) is BVar else _CROSS_ENTROPY_CONST_TARGET
    return _apply2(op, logits, target)
