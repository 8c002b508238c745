"""The rules behind ``BVar``'s operators: arithmetic, ``@``, indexing, transposes, broadcasting.

Each op is its forward function with one vector-Jacobian product per argument beside it (``g``
the output's gradient, ``ans`` the output, ``x, y`` the arguments). The products are written with
these same ops, so they are differentiable again (second derivatives). Broadcasting arguments get
their gradients summed back to their own shape by ``unbroadcast``.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from typedprop import classes
from typedprop._core import BVar, Op, _apply1, _apply2, _Partial, deep_value, materialize

# --- shapes and broadcasting ---


def shape_of(v: Any) -> tuple[int, ...] | None:
    """The array shape of a value (``()`` for a number), or ``None`` for a non-array value."""
    t = type(v)
    if t is np.ndarray:
        return v.shape  # type: ignore[no-any-return]
    if t is float or t is int:
        return ()
    if t is BVar:
        return shape_of(v.value)
    if isinstance(v, np.generic | complex | float | int):
        return ()
    s = getattr(v, "shape", None)
    return s if isinstance(s, tuple) else None


def unbroadcast(g: Any, x: Any) -> Any:
    """``g`` summed back to the shape (and kind) of ``x``, the argument numpy broadcast to make
    it: an array's gradient is an array of its shape, a number's is a number."""
    tx = type(x)
    if tx is type(g):
        if tx is np.ndarray:
            if g.shape == x.shape:
                return g
        elif is_wrapper(tx) and g.array.shape == x.array.shape:
            return g
    sx = shape_of(x)
    if sx is None:
        return g
    sg = shape_of(g)
    if sg is None:
        return g
    target = target_of(x)
    if sg == sx and type(target) is type(target_of(g)):
        return g
    return _apply2(SUM_TO, g, target)


def is_wrapper(t: type) -> bool:
    """Whether a type wraps an array (``typedprop.linalg``'s ``Vec`` and ``Mat``): it has
    ``.array`` and a ``_rewrap`` class method to wrap a fresh array of its kind."""
    return hasattr(t, "_rewrap")


def raw(x: Any) -> Any:
    """The array inside an array wrapper; anything else as it is."""
    return x.array if is_wrapper(type(x)) else x


def target_of(x: Any) -> Any:
    """What a sum or broadcast in a derivative rule should produce for the argument ``x``: its
    plain value when that is an array (or an array wrapper such as ``Vec``), ``None`` for a
    number, so that each gradient keeps its argument's kind and shape."""
    v = deep_value(x)
    return v if isinstance(v, np.ndarray) or is_wrapper(type(v)) else None


def as_kind(arr: Any, like: Any) -> Any:
    """The array ``arr`` as a value of ``like``'s kind (an array, or an array wrapper)."""
    return arr if type(like) is np.ndarray else type(like)._rewrap(arr)


def _sum_to(x: Any, like: Any) -> Any:
    """``x`` summed to the shape of ``like``; ``None`` means to a plain number."""
    if like is None:
        total = np.sum(x)
        return float(total) if total.dtype == np.float64 else total
    shape = like.shape
    x = raw(x)
    if type(x) is np.ndarray and x.ndim == 2 and len(shape) == 1 and x.shape[1] == shape[0]:
        # a bias over a batch of rows: one BLAS product beats np.sum(axis=0)
        return as_kind(np.dot(np.ones(x.shape[0], x.dtype), x), like)
    xs = np.shape(x)
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and xs[lead + i] != 1
    )
    return as_kind(np.asarray(np.sum(x, axis=axes)).reshape(shape), like)


def _broadcast_to(x: Any, like: Any) -> Any:
    """``x`` repeated to the shape of ``like`` as a new value; ``None``: ``x`` is a number."""
    if like is None:
        return x
    src = raw(x)
    out = np.empty(like.shape, np.result_type(src))
    out[...] = src
    return as_kind(out, like)


SUM_TO: Op = Op(
    "sum_to",
    2,
    fwd=_sum_to,
    vjps=(lambda g, ans, x, like: _apply2(BROADCAST_TO, g, target_of(x)), None),
)
BROADCAST_TO: Op = Op(
    "broadcast_to",
    2,
    fwd=_broadcast_to,
    vjps=(lambda g, ans, x, like: unbroadcast(g, x), None),
)


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return np.reshape(x, shape)


RESHAPE: Op = Op(
    "reshape",
    2,
    fwd=_reshape,
    vjps=(lambda g, ans, x, shape: _apply2(RESHAPE, g, shape_of(x)), None),
)


def _sum_axis(x: Any, spec: tuple[int | None, bool]) -> Any:
    axis, keepdims = spec
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_axis_vjp(g: Any, ans: Any, x: Any, spec: tuple[int | None, bool]) -> Any:
    axis, keepdims = spec
    target = target_of(x)
    if axis is not None and not keepdims:
        kept = list(target.shape)
        kept[axis] = 1
        g = _apply2(RESHAPE, g, tuple(kept))
    return _apply2(BROADCAST_TO, g, target)


SUM_AXIS: Op = Op("sum", 2, fwd=_sum_axis, vjps=(_sum_axis_vjp, None))


def sum_axis(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """``np.sum(x, axis, keepdims=keepdims)``, differentiable."""
    return _apply2(SUM_AXIS, x, (axis, keepdims))


# --- arithmetic ---


def _g_to_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """``g`` as the gradient of ``x`` in ``x + y``: as it is when the shapes agree."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g
    return unbroadcast(g, x)


def _g_to_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is np.ndarray and type(y) is np.ndarray and g.shape == y.shape:
        return g
    return unbroadcast(g, y)


ADD: Op = Op("+", 2, fwd=operator.add, vjps=(_g_to_x, _g_to_y))
SUB: Op = Op(
    "-",
    2,
    fwd=operator.sub,
    vjps=(_g_to_x, lambda g, ans, x, y: unbroadcast(-g, y)),
)
MUL: Op = Op(
    "*",
    2,
    fwd=operator.mul,
    vjps=(
        lambda g, ans, x, y: unbroadcast(g * y, x),
        lambda g, ans, x, y: unbroadcast(g * x, y),
    ),
)
DIV: Op = Op(
    "/",
    2,
    fwd=operator.truediv,
    vjps=(
        lambda g, ans, x, y: unbroadcast(g / y, x),
        lambda g, ans, x, y: unbroadcast(-(g * ans) / y, y),
    ),
)


def _pow(x: Any, y: Any) -> Any:
    """``x ** y``, with numpy's answers where Python's floats fail: ``inf`` (not an error) for
    ``0.0 ** -0.5`` or an overflow, ``nan`` (not a complex number) for ``(-8.0) ** 0.5``."""
    tx, ty = type(x), type(y)
    if (tx is float or tx is int) and (ty is float or ty is int):
        try:
            ans = x**y
        except (ZeroDivisionError, OverflowError):
            return float(np.power(float(x), float(y)))
        return float(np.power(float(x), float(y))) if type(ans) is complex else ans
    return x**y


def _zeros_of(*vs: Any) -> Any:
    """A constant, 1 where the values of all of ``vs`` are 0 (broadcast together) and 0
    elsewhere, of the kind of the one whose shape it has; ``None`` when there is no such place."""
    ds = [deep_value(v) for v in vs]
    arrays = [raw(d) for d in ds]
    if not all(np.any(a == 0) for a in arrays):
        return None
    m = np.asarray(arrays[0]) == 0
    for a in arrays[1:]:
        m = m & (np.asarray(a) == 0)
    if not m.any():
        return None
    if m.ndim == 0:
        return 1.0
    like = next(d for d, a in zip(ds, arrays, strict=True) if np.shape(a) == m.shape)
    return as_kind(m.astype(_grad_dtype(raw(like))), like)  # float32 stays float32


def _pow_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    z = _zeros_of(x, y)
    # y x ** (y - 1) is 0 * inf where x == y == 0: the derivative of x ** 0 is 0, and x ** 1
    # there gives that 0 (elsewhere the rule is untouched, second derivatives included)
    e = y - 1.0 if z is None else y - 1.0 + 2.0 * z
    return unbroadcast(g * y * _apply2(POW, x, e), x)


def _pow_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    from typedprop.functions import log

    z = _zeros_of(x)
    # where x == 0, x ** y is constant in y (0, or 1 at y == 0): its derivative is 0, not
    # 0 * log 0; log(1) there gives that 0
    return unbroadcast(g * ans * log(x if z is None else x + z), y)


POW: Op = Op("**", 2, fwd=_pow, vjps=(_pow_vjp_x, _pow_vjp_y))
NEG: Op = Op("neg", 1, fwd=operator.neg, vjps=(lambda g, ans, x: -g,))
ABS: Op = Op("abs", 1, fwd=abs, vjps=(lambda g, ans, x: g * np.sign(deep_value(x)),))
BP_ADD: Op = Op(
    "add",
    2,
    fwd=classes.add,
    vjps=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
)

# --- products and transposes ---


def ndim_of(v: Any) -> int:
    """The number of dimensions of a value (0 for a number)."""
    s = shape_of(v)
    return len(s) if s is not None else 0


def _outer(x: Any, y: Any) -> Any:
    if type(x) is np.ndarray:
        return _rank1(x[:, None], y[None, :])
    return x._outer(y)  # an array wrapper (typedprop.linalg.Vec) keeps its own kind


def _rank1(col: Any, row: Any) -> Any:
    """The product of an ``(m, 1)`` and a ``(1, n)`` array: ``np.dot`` is a BLAS rank-1
    product, about twice as fast as ``np.outer`` and 3-4x ``np.matmul``, which takes a loop
    without BLAS for an inner dimension of 1 (bench/rank1.py)."""
    return np.dot(col, row)


def _matmul_k1(x: Any, y: Any) -> Any:
    """``x @ y`` where the inner dimension is 1, the rank-1 way for plain arrays."""
    if type(x) is np.ndarray and type(y) is np.ndarray:
        return _rank1(x, y)
    return x @ y


OUTER: Op = Op(
    "outer",
    2,
    fwd=_outer,
    vjps=(
        lambda g, ans, x, y: _apply2(MATMUL, g, y),
        lambda g, ans, x, y: _apply2(MATMUL, x, g),
    ),
)
TRANSPOSE: Op = Op(
    "transpose", 1, fwd=lambda x: x.T, vjps=(lambda g, ans, x: _apply1(TRANSPOSE, g),)
)


def _ndims(x: Any, y: Any) -> tuple[int, int]:
    if type(x) is np.ndarray and type(y) is np.ndarray:
        return x.ndim, y.ndim
    xa, ya = raw(x), raw(y)
    if type(xa) is np.ndarray and type(ya) is np.ndarray:
        return xa.ndim, ya.ndim
    return ndim_of(x), ndim_of(y)


def _mixed(x: Any, y: Any) -> bool:
    """One operand a plain array, the other an array wrapper (``Vec``, ``Mat``)."""
    tx, ty = type(deep_value(x)), type(deep_value(y))
    return (tx is np.ndarray and is_wrapper(ty)) or (ty is np.ndarray and is_wrapper(tx))


def _to_kind(x: Any, kind: type) -> Any:
    """The array of ``x`` as a value of ``kind``: a plain array, or a fresh wrapper."""
    a = raw(x)
    return a if kind is np.ndarray else kind._rewrap(np.array(a))  # type: ignore[attr-defined]


TO_KIND: Op = Op(
    "to_kind",
    2,
    fwd=_to_kind,
    vjps=(lambda g, ans, x, kind: _apply2(TO_KIND, g, type(deep_value(x))), None),
)


def _mixed_vjp(rule: Any, g: Any, x: Any, y: Any, arg: Any) -> Any:
    """A product's gradient where a plain array meets a ``Vec``/``Mat``: the rule on plain
    arrays, its result made the kind of ``arg``, the argument it is the gradient of."""

    def plain(v: Any) -> Any:
        return _apply2(TO_KIND, v, np.ndarray) if is_wrapper(type(deep_value(v))) else v

    r = rule(plain(g), None, plain(x), plain(y))
    kind = type(deep_value(arg))
    return r if type(deep_value(r)) is kind else _apply2(TO_KIND, r, kind)


def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    tx, ty = type(x), type(y)  # only one side plain, or a BVar, can be mixed: look no further
    if ((tx is np.ndarray) is not (ty is np.ndarray) or tx is BVar or ty is BVar) and _mixed(x, y):
        return _mixed_vjp(_matmul_vjp_x, g, x, y, x)
    nx, ny = _ndims(x, y)
    if ny == 1:
        if nx == 1:
            return g * y
        if nx == 2:
            return _outer_of(g, y)
    elif nx == 1:
        return _product(y, g) if ny == 2 else _matmul_general(g, x, y, 0)
    elif nx == 2 and ny == 2:
        return _product(g, _transpose(y))
    return _matmul_general(g, x, y, 0)


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    tx, ty = type(x), type(y)  # only one side plain, or a BVar, can be mixed: look no further
    if ((tx is np.ndarray) is not (ty is np.ndarray) or tx is BVar or ty is BVar) and _mixed(x, y):
        return _mixed_vjp(_matmul_vjp_y, g, x, y, y)
    nx, ny = _ndims(x, y)
    if nx == 1:
        if ny == 1:
            return g * x
        if ny == 2:
            return _outer_of(x, g)
    elif ny == 1:
        return _product(g, x) if nx == 2 else _matmul_general(g, x, y, 1)
    elif nx == 2 and ny == 2:
        ya = raw(y)
        if type(ya) is np.ndarray and ya.flags.f_contiguous and not ya.flags.c_contiguous:
            # y is a transposed weight (x @ w.T): make the gradient in w's own layout,
            # gᵀ x, so that it comes out C-ordered like w
            return _transpose(_product(_transpose(g), x))
        return _product(_transpose(x), g)
    return _matmul_general(g, x, y, 1)


# The products of the rules: numpy directly on plain arrays (a first derivative), recorded ops
# on anything else (a BVar of an enclosing call, a Vec or Mat).


def _product(a: Any, b: Any) -> Any:
    """``a @ b`` in a derivative rule. A batch of one row makes the weight's gradient
    ``x.T @ g`` of two matrices a rank-1 product, taken by ``MATMUL_K1``."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return _rank1(a, b) if a.ndim == 2 == b.ndim and b.shape[0] == 1 else a @ b
    s = shape_of(b)
    k1 = s is not None and len(s) == 2 and s[0] == 1 and ndim_of(a) == 2
    return _apply2(MATMUL_K1 if k1 else MATMUL, a, b)


def _transpose(a: Any) -> Any:
    return a.T if type(a) is np.ndarray else _apply1(TRANSPOSE, a)


def _outer_of(a: Any, b: Any) -> Any:
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return _rank1(a[:, None], b[None, :])
    return _apply2(OUTER, a, b)


def _swap(v: Any) -> Any:
    return _apply2(SWAP_LAST, v, None)


SWAP_LAST: Op = Op(
    "swap_last_axes",
    2,
    fwd=lambda x, _: np.swapaxes(x, -1, -2),
    vjps=(lambda g, ans, x, _: _apply2(SWAP_LAST, g, None), None),
)


def _matmul_general(g: Any, x: Any, y: Any, which: int) -> Any:
    """The gradient of a stacked (3-d and up) matmul: promote vectors, transpose, sum back."""
    sx, sy = shape_of(x), shape_of(y)
    assert sx is not None
    assert sy is not None
    x2 = _apply2(RESHAPE, x, (1, *sx)) if len(sx) == 1 else x
    y2 = _apply2(RESHAPE, y, (*sy, 1)) if len(sy) == 1 else y
    sg = shape_of(g)
    assert sg is not None
    g2 = g
    if len(sx) == 1:
        g2 = _apply2(RESHAPE, g2, (*sg[:-1], 1, sg[-1]) if len(sy) > 1 else (*sg, 1))
        sg = shape_of(g2)
        assert sg is not None
    if len(sy) == 1:
        g2 = _apply2(RESHAPE, g2, (*sg, 1))
    if which == 0:
        r = _apply2(MATMUL, g2, _swap(y2))
        return _apply2(RESHAPE, unbroadcast(r, x2), sx)
    r = _apply2(MATMUL, _swap(x2), g2)
    return _apply2(RESHAPE, unbroadcast(r, y2), sy)


MATMUL: Op = Op("@", 2, fwd=operator.matmul, vjps=(_matmul_vjp_x, _matmul_vjp_y))
MATMUL_K1: Op = Op("@", 2, fwd=_matmul_k1, vjps=(_matmul_vjp_x, _matmul_vjp_y))

# --- indexing ---


def _hashable_index(key: Any) -> bool:
    t = type(key)
    if t is int or isinstance(key, np.integer):
        return True
    return t is tuple and all(type(k) is int or isinstance(k, np.integer) for k in key)


def _getitem_vjp(g: Any, ans: Any, x: Any, key: Any) -> Any:
    xv = deep_value(x)
    if isinstance(xv, np.ndarray) or is_wrapper(type(xv)):
        if _hashable_index(key):
            return _Partial(x, _assemble_array, {key: g})
        return _apply2(SCATTER, g, (key, xv))
    if isinstance(xv, tuple | list):
        n = len(xv)
        if isinstance(key, slice):
            return _Partial(x, _assemble_sequence, dict(zip(range(n)[key], g, strict=True)))
        return _Partial(x, _assemble_sequence, {operator.index(key) % n: g})
    if isinstance(xv, dict):
        return _Partial(x, _assemble_dict, {key: g})
    raise TypeError(f"indexing a BVar of {type(xv).__name__} has no gradient rule")


def _assemble_sequence(container: Any, parts: dict[Any, Any]) -> Any:
    xv = deep_value(container)
    elems = [materialize(parts[i], e) if i in parts else classes.zero(e) for i, e in enumerate(xv)]
    return classes.instance_for(xv).rebuild(xv, elems)


def _assemble_dict(container: Any, parts: dict[Any, Any]) -> Any:
    xv = deep_value(container)
    return {k: materialize(parts[k], v) if k in parts else classes.zero(v) for k, v in xv.items()}


def _assemble_array(container: Any, parts: dict[Any, Any]) -> Any:
    xv = deep_value(container)
    if any(type(v) is BVar for v in parts.values()):
        total: Any = None
        for k, v in parts.items():
            s = _apply2(SCATTER, v, (k, xv))
            total = s if total is None else total + s
        return total
    z = np.zeros(xv.shape, _grad_dtype(xv))
    for k, v in parts.items():
        z[k] += raw(v)
    return as_kind(z, xv)


def _grad_dtype(xv: Any) -> Any:
    dtype = np.asarray(xv).dtype
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def _scatter(g: Any, spec: tuple[Any, Any]) -> Any:
    key, like = spec
    z = np.zeros(like.shape, _grad_dtype(like))
    np.add.at(z, key, np.asarray(g))
    return as_kind(z, like)


GETITEM: Op = Op("[]", 2, fwd=operator.getitem, vjps=(_getitem_vjp, None))
SCATTER: Op = Op(
    "scatter",
    2,
    fwd=_scatter,
    vjps=(lambda g, ans, x, spec: _apply2(GETITEM, g, spec[0]), None),
)
