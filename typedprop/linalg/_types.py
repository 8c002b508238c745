"""``Vec[n]`` and ``Mat[m, n]``: read-only float64 (or float32) arrays whose dimensions are part
of the type.

At run time ``Vec[3]`` is a checking constructor (``Vec[3](np.zeros(4))`` raises
``ShapeError``) and an ``isinstance`` target that checks the shape; every vector, whatever its
length, is an instance of the one class ``Vec``. With a type variable, ``Vec[N]`` is the
ordinary generic alias used in annotations. ``Add[M, N]`` writes a sum of dimensions.

Arithmetic never broadcasts a declared dimension: ``Vec[3] + Vec[4]`` raises ``ShapeError``
("Dimension mismatch in +: Vec[3] + Vec[4]"). The one declared broadcast is a vector combined
with every row of a matrix, ``Mat[B, N] + Vec[N]`` (a bias on a batch), on either side and
whether the matrix is a ``Mat`` or a plain 2-d array (``Vec[3] + ndarray(2, 3)`` is a
``Mat[2, 3]``, as is ``ndarray(2, 3) + Vec[3]``). Plain numbers broadcast, and plain arrays may
broadcast into a declared shape (a ``keepdims`` sum, say) but not out of it otherwise.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from typedprop import _repr, classes
from typedprop.errors import FieldTypeError, ShapeError

__all__ = ["Add", "Mat", "Vec", "show"]

N = TypeVar("N", bound=int)
M = TypeVar("M", bound=int)
K = TypeVar("K", bound=int)

Array = NDArray[np.float64]  # or float32, for a Vec or Mat made from float32 data
_F64 = np.dtype(np.float64)  # numpy's builtin dtypes are singletons: compared by identity
_F32 = np.dtype(np.float32)


def show(v: Any) -> str:
    """How a value's dimensions are named in messages: ``Vec[3]``, ``Mat[2, 3]``."""
    if type(v) is Vec:
        return f"Vec[{v.array.shape[0]}]"
    if type(v) is Mat:
        r, c = v.array.shape
        return f"Mat[{r}, {c}]"
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    return type(v).__name__


def mismatch(op: str, a: Any, b: Any, why: str = "") -> ShapeError:
    """The error for operands whose dimensions do not fit, in the plugin's words."""
    return ShapeError(f"Dimension mismatch in {op}: {show(a)} {op} {show(b)}{why}")


def _dim(p: Any) -> int | None:
    """An integer dimension from ``3`` or ``Literal[3]``; ``None`` for anything else."""
    if isinstance(p, int) and not isinstance(p, bool):
        return p
    if typing.get_origin(p) is Literal and len(typing.get_args(p)) == 1:
        return _dim(typing.get_args(p)[0])
    if isinstance(p, _Sum):
        parts = [_dim(a) for a in p.parts]
        known = [d for d in parts if d is not None]
        return sum(known) if len(known) == len(parts) else None
    return None


class _Sum:
    """``Add[M, N]`` with a part that is not yet a number (a dimension variable)."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts = parts

    def __repr__(self) -> str:
        return "Add[" + ", ".join(getattr(p, "__name__", repr(p)) for p in self.parts) + "]"


class Add(int, Generic[M, N]):
    """The dimension ``M + N`` in an annotation: ``Vec[Add[M, N]]``; ``Add[2, 3]`` is ``5``.

    (A subclass of ``int`` only so that type checkers accept it where a dimension goes.)
    """

    def __class_getitem__(cls, params: Any) -> Any:
        parts = params if isinstance(params, tuple) else (params,)
        total = _dim(_Sum(parts))
        return total if total is not None else _Sum(parts)


class _DimMeta(type):
    """``Vec[3]`` and ``Mat[2, 3]``: checking constructors and shape-checking isinstance."""

    _dims: tuple[int, ...] | None = None
    _base: type | None = None

    def __instancecheck__(cls, obj: object) -> bool:
        dims = cls._dims
        if dims is None:
            return type.__instancecheck__(cls, obj)
        return type(obj) is cls._base and obj.array.shape == dims  # type: ignore[attr-defined]

    if not TYPE_CHECKING:  # checkers type Vec[Literal[3]](data) by __init__: a Vec[Literal[3]]

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            dims = cls._dims
            if dims is None:
                return type.__call__(cls, *args, **kwargs)
            base = cls._base
            assert base is not None
            value = base(*args, **kwargs)
            if value.array.shape != dims:
                raise ShapeError(
                    f"{cls.__name__}: expected shape {dims}, got {show(value)} "
                    f"(an array of shape {value.array.shape})"
                )
            return value

    def __repr__(cls) -> str:
        return cls.__qualname__


_CONCRETE: dict[tuple[type, tuple[int, ...]], type] = {}


def _concrete(base: type, dims: tuple[int, ...]) -> type:
    key = (base, dims)
    cls = _CONCRETE.get(key)
    if cls is None:
        name = f"{base.__name__}[{', '.join(map(str, dims))}]"
        cls = _DimMeta(name, (base,), {"__slots__": (), "_dims": dims, "_base": base})
        cls.__qualname__ = name
        _CONCRETE[key] = cls
    return cls


def _freeze(arr: NDArray[Any], ndim: int, what: str) -> Array:
    """A read-only float64 array of ``ndim`` axes (float32 stays float32), copying only what
    must be copied."""
    a = np.asarray(arr)
    if a.dtype.kind not in "biuf" and not (a.dtype.kind == "O" and _all_real(a)):
        raise FieldTypeError(
            f"{what}: expected real numbers, got an array of dtype {a.dtype}"
            f"{_dtype_hint(a)}; convert it explicitly (np.real, np.nan_to_num) if you meant to"
        )
    if a.dtype is not _F64 and a.dtype is not _F32:
        a = np.asarray(a, dtype=np.float32 if a.dtype.type is np.float32 else np.float64)
    if a.ndim != ndim:
        raise ShapeError(f"{what}: expected an array of {ndim} axes, got shape {a.shape}")
    if a.flags.writeable:
        a = a.copy() if a is arr or a.base is not None else a
        a.flags.writeable = False
    return a  # pyright: ignore[reportReturnType]  # float32 too: Array names the default


def _all_real(a: NDArray[Any]) -> bool:
    """Whether an object array holds only real numbers (no ``None``, strings or complex)."""
    return all(
        isinstance(e, int | float | np.integer | np.floating) and not isinstance(e, bool)
        for e in a.flat
    )


def _dtype_hint(a: NDArray[Any]) -> str:
    if a.dtype.kind == "c":
        return " (its imaginary part would be lost)"
    if a.dtype.kind == "O":
        return " holding " + ", ".join(sorted({type(e).__name__ for e in a.flat}))
    return ""


def _field_check(
    base: type, hint: Any, v: Any, bindings: dict[Any, tuple[int, str]], where: str
) -> Any:
    """A ``@model`` field annotated ``Vec[...]``/``Mat[...]``: the value converted from a plain
    array if need be, its dimensions checked against literals and against the dimension
    variables other fields of the record have bound."""
    if isinstance(v, np.ndarray):
        try:
            v = base(v)
        except FieldTypeError as e:
            raise FieldTypeError(f"{where}: {e}") from None
    elif type(v) is not base:
        got = type(v).__name__
        raise FieldTypeError(f"{where}: expected {_hint_name(base, hint)}, got {got}")
    params = hint._dims if isinstance(hint, _DimMeta) and hint._dims else typing.get_args(hint)
    shape = v.array.shape
    if len(params) != len(shape):
        return v
    notes = []
    for p, actual in zip(params, shape, strict=True):
        expected = _dim(p)
        if expected is None and isinstance(p, TypeVar):
            if p not in bindings:
                bindings[p] = (actual, where)
                continue
            expected, source = bindings[p]
            notes.append(f"{p.__name__} = {expected} from {source}")
        elif expected is None and isinstance(p, _Sum):
            parts = [
                _dim(a) if _dim(a) is not None else bindings.get(a, (None,))[0] for a in p.parts
            ]
            if any(d is None for d in parts):
                continue
            expected = sum(d for d in parts if d is not None)
            notes.append(f"{p!r} = {expected}")
        if expected is not None and expected != actual:
            why = f" ({'; '.join(notes)})" if notes else ""
            raise ShapeError(f"{where}: expected {_hint_name(base, hint)}{why}, got {show(v)}")
    return v


def _fast_check(base: Any, hint: Any) -> Any:
    """For ``@model``: a quick test that a field annotated ``hint`` holds a ``base`` that
    passes ``_field_check`` unchanged, where no dimension variable is bound; else ``None``."""
    if isinstance(hint, _DimMeta) and hint._dims:
        dims = hint._dims

        def sized(v: Any) -> bool:
            return type(v) is base and v.array.shape == dims

        return sized
    if hint is base:
        return lambda v: type(v) is base
    return None


def _hint_name(base: type, hint: Any) -> str:
    if isinstance(hint, _DimMeta) and hint._dims:
        return hint.__name__
    args = typing.get_args(hint)
    names = [
        getattr(a, "__name__", None) or repr(_dim(a) if _dim(a) is not None else a) for a in args
    ]
    return f"{base.__name__}[{', '.join(names)}]" if args else base.__name__


class _Static:
    """What ``Vec`` and ``Mat`` share: the array, numpy interop, arithmetic without broadcasts."""

    __slots__ = ("array",)
    __array_priority__ = 20.0
    array: Array

    # --- numpy interop ---

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        if dtype is None or np.dtype(dtype) == self.array.dtype:
            return self.array.copy() if copy else self.array
        return self.array.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            return NotImplemented  # read-only: no in-place results
        raw = [x.array if isinstance(x, _Static) else x for x in inputs]
        if ufunc is np.equal or ufunc is np.not_equal:  # ndarray == Vec: whole values, as ==
            same = type(inputs[0]) is type(inputs[1]) and inputs[0] == inputs[1]
            return same if ufunc is np.equal else not same
        if ufunc in _ORDER:
            raise _unordered(_ORDER[ufunc], next(x for x in inputs if isinstance(x, _Static)))
        if ufunc is np.matmul and method == "__call__" and len(inputs) == 2:
            return _matmul(*inputs)  # ndarray @ Vec/Mat: the operator rules, checked
        result = getattr(ufunc, method)(*raw, **kwargs)
        if method != "__call__" or not isinstance(result, np.ndarray):
            return result
        if ufunc.signature is not None:  # generalized ufuncs: no broadcasting
            return _wrap_any(result)
        for x in inputs:
            if isinstance(x, _Static) and not _fits(x.array.shape, result.shape):
                others = [y for y in inputs if y is not x]
                raise mismatch(ufunc.__name__, x, others[0] if others else result)
        return _wrap_any(result)

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.array.shape

    @property
    def ndim(self) -> int:
        """The number of axes (1 for ``Vec``, 2 for ``Mat``)."""
        return self.array.ndim

    def __len__(self) -> int:
        return len(self.array)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.array)

    def __repr__(self) -> str:
        if self.array.size > _repr.THRESHOLD:  # big: one line, summarised
            return f"{show(self)}({_repr.summary(self.array)})"
        body = np.array2string(self.array, separator=", ", prefix=show(self) + "(")
        return f"{show(self)}({body})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and bool(np.array_equal(self.array, other.array))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: make a new one instead")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.array,))

    # --- no order: a Vec or Mat is one value (compare its array for elementwise masks) ---

    def __lt__(self, other: Any) -> Any:
        raise _unordered("<", self)

    def __le__(self, other: Any) -> Any:
        raise _unordered("<=", self)

    def __gt__(self, other: Any) -> Any:
        raise _unordered(">", self)

    def __ge__(self, other: Any) -> Any:
        raise _unordered(">=", self)

    # --- arithmetic ---

    def _binary(self, other: Any, fn: Any, op: str, reflected: bool) -> Any:
        x = self.array
        t = type(other)
        if t is type(self):
            y = other.array
            if x.shape != y.shape:
                return _raise(
                    mismatch(op, other, self) if reflected else mismatch(op, self, other)
                )
        elif t is float or t is int or isinstance(other, np.number):
            y = other
        elif t is np.ndarray:
            y = other
            try:
                out = fn(y, x) if reflected else fn(x, y)
            except ValueError:  # numpy could not broadcast them at all
                out = None
            if out is None or not _fits(x.shape, out.shape):
                raise mismatch(op, other, self) if reflected else mismatch(op, self, other)
            return _wrap_like(self, out) if out.shape == x.shape else _wrap_any(out)
        elif t is Vec and type(self) is Mat:
            y = other.array
            if y.shape[0] != x.shape[1]:
                raise mismatch(op, other, self) if reflected else mismatch(op, self, other)
        else:
            return NotImplemented
        return _wrap_like(self, fn(y, x) if reflected else fn(x, y))

    def __neg__(self) -> Any:
        return _wrap_like(self, -self.array)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _wrap_like(self, np.abs(self.array))


def _raise(e: Exception) -> Any:
    raise e


def _unordered(op: str, v: Any) -> TypeError:
    return TypeError(
        f"{op} is not defined for {show(v)}: a Vec or Mat is one value, compared whole with == "
        f"and != (one bool); for an elementwise mask compare its array (v.array {op} 0.0)"
    )


_ORDER = {np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">="}


def _matmul(x: Any, y: Any) -> Any:
    """``x @ y`` where one side is a ``Vec``/``Mat`` and the other a plain array of 1 or 2
    axes: a vector product is a float, others a ``Vec``/``Mat`` by their axes."""
    a, b = _raw(x), _raw(y)
    if not (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.ndim in (1, 2)
        and b.ndim in (1, 2)
        and a.shape[-1] == b.shape[0]
    ):
        raise mismatch("@", x, y)
    r = a @ b
    return number(r) if r.ndim == 0 else _wrap_any(r)


def number(r: Any) -> Any:
    """A single number computed from arrays: a Python float, or a numpy float32 from float32
    data (a Python float is a float64, the precision float32 data did not have)."""
    return r if r.dtype is _F32 else float(r)


def _raw(v: Any) -> Any:
    return v.array if isinstance(v, _Static) else v


def _fits(operand: tuple[int, ...], result: tuple[int, ...]) -> bool:
    """A declared operand was not broadcast: same shape, or a vector on each row of a matrix."""
    return operand == result or (
        len(operand) == 1 and len(result) == 2 and operand[0] == result[1]
    )


def _wrap_like(like: Any, arr: Any) -> Any:
    arr.setflags(write=False)  # cheaper than arr.flags.writeable = False, on every result
    v = _new(type(like))
    _set_array(v, arr)
    return v


def _vec(arr: Any) -> Any:
    """A fresh float64/float32 array of one axis as a ``Vec``: the operators' own results,
    whose dtype needs no check (``_rewrap`` checks it)."""
    arr.setflags(write=False)
    v = _new(Vec)
    _set_array(v, arr)
    return v


def _mat(arr: Any) -> Any:
    """A fresh float64/float32 array of two axes as a ``Mat`` (as ``_vec``)."""
    arr.setflags(write=False)
    m = _new(Mat)
    _set_array(m, arr)
    return m


def _wrap_any(arr: Any) -> Any:
    """A fresh array as a ``Vec`` or ``Mat`` by its number of axes (other arrays stay arrays)."""
    if arr.ndim == 1:
        return Vec._rewrap(arr)
    if arr.ndim == 2:
        return Mat._rewrap(arr)
    return arr


_set_array = _Static.__dict__["array"].__set__
_new = object.__new__


class Vec(_Static, Generic[N], metaclass=_DimMeta):
    """A vector of ``N`` float64 (or float32) numbers, read-only.

    Example:
        >>> from typedprop.linalg import Vec, vector
        >>> v = vector([1.0, 2.0, 3.0])
        >>> v, v * 2.0, v @ v
        (Vec[3]([1., 2., 3.]), Vec[3]([2., 4., 6.]), 14.0)
        >>> Vec[3]([1.0, 2.0])
        Traceback (most recent call last):
        ...
        typedprop.errors.ShapeError: Vec[3]: expected shape (3,), got Vec[2] ...
    """

    __slots__ = ()

    def __init__(self, data: ArrayLike) -> None:
        _set_array(self, _freeze(data, 1, "Vec"))  # type: ignore[arg-type]

    def __class_getitem__(cls, params: Any) -> Any:
        d = _dim(params)
        if d is not None:
            return _concrete(cls, (d,))
        return super().__class_getitem__(params)  # type: ignore[misc]

    @classmethod
    def _tp_field_check(
        cls, hint: Any, v: Any, bindings: dict[Any, tuple[int, str]], where: str
    ) -> Any:
        return _field_check(Vec, hint, v, bindings, where)

    @classmethod
    def _tp_fast_check(cls, hint: Any) -> Any:
        return _fast_check(Vec, hint)

    @classmethod
    def _rewrap(cls, arr: Any) -> Vec[Any]:
        """A fresh float array of one axis as a ``Vec`` (no copy, no checks; float64 unless
        it is float32)."""
        dt = arr.dtype
        if dt is not _F64 and dt is not _F32:
            arr = arr.astype(np.float64)
        arr.setflags(write=False)
        v = _new(Vec)
        _set_array(v, arr)
        return v

    def _outer(self, other: Vec[K]) -> Mat[N, K]:
        return _mat(np.dot(self.array[:, None], other.array[None, :]))  # type: ignore[no-any-return]

    @overload
    def __getitem__(self, i: int) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Vec[Any]: ...
    def __getitem__(self, i: Any) -> Any:
        """An element (``v[i]``) is a float, a slice (``v[1:3]``) a ``Vec``."""
        r = self.array[i]
        return _wrap_any(r.copy()) if isinstance(r, np.ndarray) else number(r)

    def __add__(self, other: Vec[N] | float) -> Vec[N]:
        if type(other) is Vec:  # the common case, without _binary's general dispatch
            x, y = self.array, other.array
            if x.shape == y.shape:
                return _vec(x + y)  # type: ignore[no-any-return]
        return self._binary(other, np.add, "+", False)  # type: ignore[no-any-return]

    def __radd__(self, other: float) -> Vec[N]:  # other + self
        return self._binary(other, np.add, "+", True)  # type: ignore[no-any-return]

    def __sub__(self, other: Vec[N] | float) -> Vec[N]:
        return self._binary(other, np.subtract, "-", False)  # type: ignore[no-any-return]

    def __rsub__(self, other: float) -> Vec[N]:  # other - self
        return self._binary(other, np.subtract, "-", True)  # type: ignore[no-any-return]

    def __mul__(self, other: Vec[N] | float) -> Vec[N]:
        if type(other) is Vec:
            x, y = self.array, other.array
            if x.shape == y.shape:
                return _vec(x * y)  # type: ignore[no-any-return]
        return self._binary(other, np.multiply, "*", False)  # type: ignore[no-any-return]

    def __rmul__(self, other: float) -> Vec[N]:  # other * self
        return self._binary(other, np.multiply, "*", True)  # type: ignore[no-any-return]

    def __truediv__(self, other: Vec[N] | float) -> Vec[N]:
        return self._binary(other, np.divide, "/", False)  # type: ignore[no-any-return]

    def __rtruediv__(self, other: float) -> Vec[N]:  # other / self
        return self._binary(other, np.divide, "/", True)  # type: ignore[no-any-return]

    def __pow__(self, other: float) -> Vec[N]:
        return self._binary(other, np.power, "**", False)  # type: ignore[no-any-return]

    def __neg__(self) -> Vec[N]:
        return _wrap_like(self, -self.array)  # type: ignore[no-any-return]

    @overload
    def __matmul__(self, other: Mat[N, K]) -> Vec[K]: ...
    @overload
    def __matmul__(self, other: Vec[N]) -> float: ...
    def __matmul__(self, other: Any) -> Any:
        t = type(other)
        if t is Mat:
            a, b = self.array, other.array
            if b.shape[0] != a.shape[0]:
                raise mismatch("@", self, other)
            return _vec(np.dot(a, b))
        if t is Vec:
            if other.array.shape != self.array.shape:
                raise mismatch("@", self, other)
            return number(self.array @ other.array)
        if t is np.ndarray:
            return _matmul(self, other)
        return NotImplemented

    def __rmatmul__(self, other: NDArray[Any]) -> Any:  # other @ self, other a plain array
        if type(other) is np.ndarray:
            return _matmul(other, self)
        return NotImplemented


class Mat(_Static, Generic[M, N], metaclass=_DimMeta):
    """An ``M`` by ``N`` matrix of float64 (or float32) numbers, read-only.

    Example:
        >>> from typedprop.linalg import Mat, matrix, vector
        >>> m = matrix([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> m @ vector([1.0, 1.0])
        Vec[3]([ 3.,  7., 11.])
        >>> m @ vector([1.0, 1.0, 1.0])
        Traceback (most recent call last):
        ...
        typedprop.errors.ShapeError: Dimension mismatch in @: Mat[3, 2] @ Vec[3]
    """

    __slots__ = ()

    def __init__(self, data: ArrayLike) -> None:
        _set_array(self, _freeze(data, 2, "Mat"))  # type: ignore[arg-type]

    def __class_getitem__(cls, params: Any) -> Any:
        ps = params if isinstance(params, tuple) else (params,)
        dims = [_dim(p) for p in ps]
        if len(ps) == 2 and all(d is not None for d in dims):
            return _concrete(cls, tuple(dims))  # type: ignore[arg-type]
        if len(ps) != 2:
            raise TypeError(f"Mat takes two dimensions (Mat[rows, columns]), got {len(ps)}")
        return super().__class_getitem__(params)  # type: ignore[misc]

    @classmethod
    def _tp_field_check(
        cls, hint: Any, v: Any, bindings: dict[Any, tuple[int, str]], where: str
    ) -> Any:
        return _field_check(Mat, hint, v, bindings, where)

    @classmethod
    def _tp_fast_check(cls, hint: Any) -> Any:
        return _fast_check(Mat, hint)

    @classmethod
    def _rewrap(cls, arr: Any) -> Mat[Any, Any]:
        """A fresh float array of two axes as a ``Mat`` (no copy, no checks; float64 unless
        it is float32)."""
        dt = arr.dtype
        if dt is not _F64 and dt is not _F32:
            arr = arr.astype(np.float64)
        arr.setflags(write=False)
        m = _new(Mat)
        _set_array(m, arr)
        return m

    @property
    def T(self) -> Mat[N, M]:
        """The transpose."""
        return _mat(self.array.T)  # type: ignore[no-any-return]

    @overload
    def __getitem__(self, index: int) -> Vec[N]: ...
    @overload
    def __getitem__(self, index: tuple[int, int]) -> float: ...
    @overload
    def __getitem__(self, index: Any) -> Any: ...
    def __getitem__(self, index: Any) -> Any:
        """A row (``m[i]``) is a ``Vec``, an element (``m[i, j]``) a float, a slice a ``Mat``."""
        r = self.array[index]
        return _wrap_any(r.copy()) if isinstance(r, np.ndarray) else number(r)

    def __add__(self, other: Mat[M, N] | Vec[N] | float) -> Mat[M, N]:
        t: type = type(other)
        if t is Vec or t is Mat:  # a bias on each row, or a matrix of the same shape
            x, y = self.array, other.array  # type: ignore[union-attr]
            if y.shape == x.shape or (t is Vec and y.shape[0] == x.shape[1]):
                return _mat(x + y)  # type: ignore[no-any-return]
        return self._binary(other, np.add, "+", False)  # type: ignore[no-any-return]

    def __radd__(self, other: Vec[N] | float) -> Mat[M, N]:  # other + self
        return self._binary(other, np.add, "+", True)  # type: ignore[no-any-return]

    def __sub__(self, other: Mat[M, N] | Vec[N] | float) -> Mat[M, N]:
        return self._binary(other, np.subtract, "-", False)  # type: ignore[no-any-return]

    def __rsub__(self, other: Vec[N] | float) -> Mat[M, N]:  # other - self
        return self._binary(other, np.subtract, "-", True)  # type: ignore[no-any-return]

    def __mul__(self, other: Mat[M, N] | Vec[N] | float) -> Mat[M, N]:
        return self._binary(other, np.multiply, "*", False)  # type: ignore[no-any-return]

    def __rmul__(self, other: Vec[N] | float) -> Mat[M, N]:  # other * self
        return self._binary(other, np.multiply, "*", True)  # type: ignore[no-any-return]

    def __truediv__(self, other: Mat[M, N] | Vec[N] | float) -> Mat[M, N]:
        return self._binary(other, np.divide, "/", False)  # type: ignore[no-any-return]

    def __rtruediv__(self, other: Vec[N] | float) -> Mat[M, N]:  # other / self
        return self._binary(other, np.divide, "/", True)  # type: ignore[no-any-return]

    def __pow__(self, other: float) -> Mat[M, N]:
        return self._binary(other, np.power, "**", False)  # type: ignore[no-any-return]

    def __neg__(self) -> Mat[M, N]:
        return _wrap_like(self, -self.array)  # type: ignore[no-any-return]

    @overload
    def __matmul__(self, other: Vec[N]) -> Vec[M]: ...
    @overload
    def __matmul__(self, other: Mat[N, K]) -> Mat[M, K]: ...
    def __matmul__(self, other: Any) -> Any:
        t = type(other)
        # np.dot: numpy's @ takes an inner dimension of 1 (the rank-1 gradient xᵀ g of one
        # row) in its own loop, about 3x slower than np.dot's BLAS product; the same otherwise
        if t is Vec:
            a, b = self.array, other.array
            if b.shape[0] != a.shape[1]:
                raise mismatch("@", self, other)
            return _vec(np.dot(a, b))
        if t is Mat:
            a, b = self.array, other.array
            if b.shape[0] != a.shape[1]:
                raise mismatch("@", self, other)
            return _mat(np.dot(a, b))
        if t is np.ndarray:
            return _matmul(self, other)
        return NotImplemented

    def __rmatmul__(self, other: NDArray[Any]) -> Any:  # other @ self, other a plain array
        if type(other) is np.ndarray:
            return _matmul(other, self)
        return NotImplemented


# --- Backprop instances ---


class _VecBackprop(classes.Backprop[Vec[Any]]):
    def zero(self, x: Vec[Any]) -> Vec[Any]:
        return Vec._rewrap(np.zeros(x.array.shape, x.array.dtype))

    def add(self, x: Vec[Any], y: Vec[Any]) -> Vec[Any]:
        return x + y

    def one(self, x: Vec[Any]) -> Vec[Any]:
        return Vec._rewrap(np.ones(x.array.shape, x.array.dtype))


class _MatBackprop(classes.Backprop[Mat[Any, Any]]):
    def zero(self, x: Mat[Any, Any]) -> Mat[Any, Any]:
        return Mat._rewrap(np.zeros(x.array.shape, x.array.dtype))

    def add(self, x: Mat[Any, Any], y: Mat[Any, Any]) -> Mat[Any, Any]:
        return x + y

    def one(self, x: Mat[Any, Any]) -> Mat[Any, Any]:
        return Mat._rewrap(np.ones(x.array.shape, x.array.dtype))


classes.register_backprop(Vec, _VecBackprop())
classes.register_backprop(Mat, _MatBackprop())
