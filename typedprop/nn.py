"""Layers: typed records of parameters that are called like functions (``layer(x)``).

Each layer is a generic ``Model`` record whose dimensions are its type parameters
(``Linear[I, O]`` holds a ``Mat[O, I]`` weight), built by its ``init`` class method from a
``numpy.random.Generator``, and called on a ``Vec[I]`` (one example) or a ``Mat[B, I]`` (a batch,
one example per row). The same call works on plain records and, inside a differentiable function,
on a ``BVar`` of the record: ``(net ^ Net.hidden)(x)``. That works because a layer's
``__call__`` reads its fields through lenses (``self ^ Linear.weight``), which view a plain record
and a ``BVar`` alike, and ``BVar.__call__`` (in ``typedprop._core``) calls the record's own
``__call__`` with the ``BVar`` as ``self``. A user's model is a record whose fields are layers;
giving it a ``__call__`` written the same way makes it callable the same way.

Optimizers are in ``typedprop.optim``; the operations layers are made of in
``typedprop.functions`` and ``typedprop.linalg``. The guide is docs/nn.md.
"""

from __future__ import annotations

import math
from typing import Any, Generic, Literal, TypeVar, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

from typedprop._arith import _assemble_array
from typedprop._core import BVar, Op, _apply1, _apply2, _Partial, deep_value
from typedprop._summary import count_params as count_params
from typedprop._summary import summary as summary
from typedprop.errors import ShapeError
from typedprop.functions import logistic, softmax, sqrt, tanh
from typedprop.linalg import Mat, Vec
from typedprop.linalg._types import show
from typedprop.record import Model, static

__all__ = [
    "Embedding",
    "GRUCell",
    "LSTMCell",
    "LayerNorm",
    "Linear",
    "SelfAttention",
    "count_params",
    "dropout",
    "summary",
]

I = TypeVar("I", bound=int)  # noqa: E741  - the input dimension, as in Linear[I, O]
O = TypeVar("O", bound=int)  # noqa: E741
B = TypeVar("B", bound=int)
V = TypeVar("V", bound=int)
D = TypeVar("D", bound=int)
H = TypeVar("H", bound=int)
S = TypeVar("S", bound=int)
X = TypeVar("X", bound=Vec[Any] | Mat[Any, Any] | BVar[Vec[Any]] | BVar[Mat[Any, Any]])

Init = Literal["glorot", "he", "normal"]


# --- helpers shared by the layers ---


def _float_dtype(dtype: DTypeLike, where: str) -> np.dtype[Any]:
    """The parameters' dtype: float64 (the default) or float32; anything else refused."""
    d = np.dtype(dtype)
    if d != np.float64 and d != np.float32:
        raise ValueError(f"{where}: dtype must be np.float64 or np.float32, got {d}")
    return d


def _weights(
    rng: np.random.Generator, rows: int, cols: int, init: Init, dtype: np.dtype[Any]
) -> Mat[Any, Any]:
    """A ``rows`` by ``cols`` weight matrix drawn by the named scheme (fan-in ``cols``), drawn
    in float64 and rounded to ``dtype`` (a float32 layer starts at its float64 twin's numbers)."""
    if init == "glorot":
        limit = math.sqrt(6.0 / (rows + cols))
        a = rng.uniform(-limit, limit, size=(rows, cols))
    elif init == "he":
        a = rng.normal(0.0, math.sqrt(2.0 / cols), size=(rows, cols))
    elif init == "normal":
        a = rng.normal(0.0, 1.0 / math.sqrt(cols), size=(rows, cols))
    else:
        raise ValueError(f"init must be 'glorot', 'he' or 'normal', got {init!r}")
    return Mat._rewrap(a.astype(dtype, copy=False))


def _field(cls: type, name: str) -> Any:
    """The lens of a layer's field (``Linear.weight``), reached by name: checkers other than
    mypy with the plugin refuse a generic record's field at class level."""
    return getattr(cls, name)


def _zeros(n: int, dtype: np.dtype[Any]) -> Vec[Any]:
    return Vec._rewrap(np.zeros(n, dtype))


def _dims(value: object, what: str) -> None:
    """Refuse a negative or non-integer size given to an ``init``."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
        raise ShapeError(f"{what} must be a non-negative integer, got {value!r}")


def _rows_of(layer: str, x: Any, n: int, name: str = "x") -> int:
    """The number of axes of ``x`` (1: one example, 2: a batch of rows), its width checked."""
    v = deep_value(x)
    t = type(v)
    if (t is Vec or t is Mat) and v.array.shape[-1] == n:
        return int(v.array.ndim)
    raise ShapeError(
        f"{layer}: {name} must be a Vec[{n}] or a Mat[B, {n}] (a batch of rows), got {show(v)}"
    )


def _affine(w: Any, x: Any, ndim: int) -> Any:
    """``w @ x`` for one example, ``x @ w.T`` for a batch of rows."""
    return w @ x if ndim == 1 else x @ w.T


def _same_batch(layer: str, x: Any, h: Any) -> None:
    """A batch of inputs and a batch of states must have one number of rows."""
    xs, hs = deep_value(x).array.shape, deep_value(h).array.shape
    if len(xs) != len(hs) or (len(xs) == 2 and xs[0] != hs[0]):
        raise ShapeError(
            f"{layer}: the input {show(deep_value(x))} and the state {show(deep_value(h))} "
            f"must both be one example (Vec) or batches of the same size (Mat)"
        )


# --- Linear ---


class Linear(Model, Generic[I, O]):
    """A dense layer: ``y = weight @ x + bias``, on a ``Vec[I]`` or each row of a ``Mat[B, I]``.

    ``Linear[I, O]`` maps ``Vec[I]`` to ``Vec[O]`` and ``Mat[B, I]`` to ``Mat[B, O]``
    (``x @ weight.T + bias``). With ``use_bias=False`` the bias is left out (and stays zero).

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> from typedprop.linalg import zeros
        >>> layer = nn.Linear.init(np.random.default_rng(0), 3, 2)
        >>> layer(zeros(3)), layer(zeros(5, 3)).shape
        (Vec[2]([0., 0.]), (5, 2))
    """

    weight: Mat[O, I]
    bias: Vec[O]
    use_bias: bool = static(default=True)

    @classmethod
    def init(
        cls,
        rng: np.random.Generator,
        in_dim: I,
        out_dim: O,
        *,
        bias: bool = True,
        init: Init = "glorot",
        dtype: DTypeLike = np.float64,
    ) -> Linear[I, O]:
        """A layer with weights drawn from ``rng`` and a zero bias.

        ``init`` names the distribution of the weights, with ``fan_in = in_dim`` and
        ``fan_out = out_dim``: ``"glorot"`` (Glorot/Xavier uniform) draws from
        ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``; ``"he"`` (He/Kaiming normal, for
        ReLU layers) from ``N(0, 2 / fan_in)``; ``"normal"`` from ``N(0, 1 / fan_in)``.
        ``dtype=np.float32`` makes float32 parameters (float64 by default).

        Raises:
            ShapeError: a size that is not a non-negative integer.
            ValueError: an unknown ``init``, or a ``dtype`` other than float64 and float32.
        """
        _dims(in_dim, "Linear.init: in_dim")
        _dims(out_dim, "Linear.init: out_dim")
        dt = _float_dtype(dtype, "Linear.init")
        weight: Mat[O, I] = _weights(rng, out_dim, in_dim, init, dt)
        b: Vec[O] = _zeros(out_dim, dt)
        return Linear(weight, b, bias)

    @overload
    def __call__(self, x: Vec[I]) -> Vec[O]: ...
    @overload
    def __call__(self, x: Mat[B, I]) -> Mat[B, O]: ...
    @overload
    def __call__(self, x: BVar[Vec[I]]) -> BVar[Vec[O]]: ...
    @overload
    def __call__(self, x: BVar[Mat[B, I]]) -> BVar[Mat[B, O]]: ...
    def __call__(self, x: Any) -> Any:
        """The layer applied to one example or to each row of a batch.

        Raises:
            ShapeError: ``x`` is not a ``Vec[I]`` or a ``Mat[B, I]``.
        """
        layer: Any = deep_value(self)
        o, i = layer.weight.array.shape
        ndim = _rows_of(f"Linear[{i}, {o}]", x, i)
        y = _affine(self ^ _field(Linear, "weight"), x, ndim)
        return y + (self ^ _field(Linear, "bias")) if layer.use_bias else y


# --- Embedding ---


def _gather(table: Any, index: Any) -> Any:
    return Mat._rewrap(table.array[index])


def _gather_vjp(g: Any, ans: Any, table: Any, index: Any) -> Any:
    """The table's gradient as the rows used, kept sparse: one part keyed by the distinct rows
    (as a fancy index ``((r0, r1, ...),)``), a repeated row's gradients summed first."""
    rows, inverse = np.unique(index, return_inverse=True)
    if len(rows) == len(index):
        return _Partial(table, _assemble_array, {(tuple(int(r) for r in index),): g})
    if type(g) is BVar:  # a nested derivative: the sum is a product with a constant
        p = np.zeros((len(rows), len(index)), deep_value(g).array.dtype)
        p[inverse, np.arange(len(index))] = 1.0
        g = Mat._rewrap(p) @ g
    else:
        summed = np.zeros((len(rows), deep_value(g).array.shape[1]), deep_value(g).array.dtype)
        np.add.at(summed, inverse, deep_value(g).array)
        g = Mat._rewrap(summed)
    return _Partial(table, _assemble_array, {(tuple(int(r) for r in rows),): g})


_GATHER = Op("embedding", 2, fwd=_gather, vjps=(_gather_vjp, None))


class Embedding(Model, Generic[V, D]):
    """A lookup table of ``V`` vectors of size ``D``: ``emb(i)`` is row ``i`` of ``table``.

    Called with an integer, it gives a ``Vec[D]``; with an integer array of indices, a ``Mat``
    of those rows. Its gradient is kept sparse: the rows used, summed into one table only when
    the whole record's gradient is assembled, so ``k`` lookups cost O(k) rows, not a ``V``
    by ``D`` array each.

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> emb = nn.Embedding.init(np.random.default_rng(0), 10, 4)
        >>> emb(3).shape, emb(np.array([1, 2, 1])).shape
        ((4,), (3, 4))
    """

    table: Mat[V, D]

    @classmethod
    def init(
        cls, rng: np.random.Generator, vocab: V, dim: D, *, dtype: DTypeLike = np.float64
    ) -> Embedding[V, D]:
        """A table drawn from ``N(0, 1)``, as in ``torch.nn.Embedding`` (of ``dtype``).

        Raises:
            ShapeError: a size that is not a non-negative integer.
            ValueError: a ``dtype`` other than float64 and float32.
        """
        _dims(vocab, "Embedding.init: vocab")
        _dims(dim, "Embedding.init: dim")
        dt = _float_dtype(dtype, "Embedding.init")
        table: Mat[V, D] = Mat._rewrap(rng.normal(size=(vocab, dim)).astype(dt, copy=False))
        return Embedding(table)

    @overload
    def __call__(self, index: int) -> Vec[D]: ...
    @overload
    def __call__(self, index: NDArray[np.integer[Any]] | list[int]) -> Mat[Any, D]: ...
    @overload
    def __call__(self, index: BVar[int]) -> BVar[Vec[D]]: ...
    def __call__(self, index: Any) -> Any:
        """The row(s) of the table at ``index``.

        Raises:
            ShapeError: an index that is not an integer in ``range(V)`` (or an array of them).
        """
        table: Any = deep_value(self).table
        vocab = table.array.shape[0]
        idx = np.asarray(deep_value(index))
        if idx.dtype.kind not in "iu" or idx.ndim > 1 or (idx.size and idx.min() < 0):
            raise ShapeError(
                f"Embedding[{vocab}, {table.array.shape[1]}]: index must be an integer in "
                f"0..{vocab - 1} or a one-axis integer array of them, got {index!r}"
            )
        if idx.size and idx.max() >= vocab:
            raise ShapeError(
                f"Embedding[{vocab}, {table.array.shape[1]}]: index {int(idx.max())} is out "
                f"of range; the table has {vocab} rows (0..{vocab - 1})"
            )
        if idx.ndim == 0:
            return (self ^ _field(Embedding, "table"))[int(idx)]
        return _apply2(_GATHER, self ^ _field(Embedding, "table"), idx)


# --- LayerNorm ---


class LayerNorm(Model, Generic[D]):
    """Layer normalization: ``(x - mean(x)) / sqrt(var(x) + eps) * gain + bias``.

    On a ``Vec[D]`` the mean and (biased) variance are over its ``D`` elements; on a
    ``Mat[B, D]``, over each row's. The row statistics are products with a constant ``D`` by
    ``D`` averaging matrix, so a call costs O(B·D²).

    Example:
        >>> from typedprop import nn
        >>> from typedprop.linalg import vector
        >>> nn.LayerNorm.init(2)(vector([1.0, 3.0]))
        Vec[2]([-0.999995,  0.999995])
    """

    gain: Vec[D]
    bias: Vec[D]
    eps: float = static(default=1e-5)

    @classmethod
    def init(cls, dim: D, *, eps: float = 1e-5, dtype: DTypeLike = np.float64) -> LayerNorm[D]:
        """Gain one, bias zero (of ``dtype``).

        Raises:
            ShapeError: a size that is not a non-negative integer.
            ValueError: a ``dtype`` other than float64 and float32.
        """
        _dims(dim, "LayerNorm.init: dim")
        dt = _float_dtype(dtype, "LayerNorm.init")
        gain: Vec[D] = Vec._rewrap(np.ones(dim, dt))
        bias: Vec[D] = _zeros(dim, dt)
        return LayerNorm(gain, bias, eps)

    @overload
    def __call__(self, x: Vec[D]) -> Vec[D]: ...
    @overload
    def __call__(self, x: Mat[B, D]) -> Mat[B, D]: ...
    @overload
    def __call__(self, x: BVar[Vec[D]]) -> BVar[Vec[D]]: ...
    @overload
    def __call__(self, x: BVar[Mat[B, D]]) -> BVar[Mat[B, D]]: ...
    def __call__(self, x: Any) -> Any:
        """``x`` (or each of its rows) normalized, scaled and shifted.

        Raises:
            ShapeError: ``x`` is not a ``Vec[D]`` or a ``Mat[B, D]``.
        """
        layer: Any = deep_value(self)
        d = layer.gain.array.shape[0]
        _rows_of(f"LayerNorm[{d}]", x, d)
        average = Mat._rewrap(np.full((d, d), 1.0 / max(d, 1), layer.gain.array.dtype))
        centered = x - x @ average
        var = (centered * centered) @ average
        return centered / sqrt(var + layer.eps) * (self ^ _field(LayerNorm, "gain")) + (
            self ^ _field(LayerNorm, "bias")
        )


# --- recurrent cells ---


class GRUCell(Model, Generic[I, H]):
    """A gated recurrent unit (Cho et al., 2014): ``cell(x, h)`` is the next state.

    ``z = logistic(W_z x + U_z h + b_z)``, ``r = logistic(W_r x + U_r h + b_r)``,
    ``c = tanh(W_h x + U_h (r ⊙ h) + b_h)``, and the next state ``(1 - z) ⊙ h + z ⊙ c``.
    ``x`` a ``Vec[I]`` and ``h`` a ``Vec[H]``, or batches ``Mat[B, I]`` and ``Mat[B, H]``.

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> from typedprop.linalg import zeros
        >>> cell = nn.GRUCell.init(np.random.default_rng(0), 3, 4)
        >>> cell(zeros(3), zeros(4)).shape
        (4,)
    """

    w_z: Mat[H, I]
    u_z: Mat[H, H]
    b_z: Vec[H]
    w_r: Mat[H, I]
    u_r: Mat[H, H]
    b_r: Vec[H]
    w_h: Mat[H, I]
    u_h: Mat[H, H]
    b_h: Vec[H]

    @classmethod
    def init(
        cls, rng: np.random.Generator, in_dim: I, hidden: H, *, dtype: DTypeLike = np.float64
    ) -> GRUCell[I, H]:
        """Weights Glorot-uniform (see ``Linear.init``), biases zero (of ``dtype``).

        Raises:
            ShapeError: a size that is not a non-negative integer.
            ValueError: a ``dtype`` other than float64 and float32.
        """
        _dims(in_dim, "GRUCell.init: in_dim")
        _dims(hidden, "GRUCell.init: hidden")
        dt = _float_dtype(dtype, "GRUCell.init")
        ws = [_weights(rng, hidden, n, "glorot", dt) for n in (in_dim, hidden) * 3]
        return GRUCell(
            ws[0], ws[1], _zeros(hidden, dt), ws[2], ws[3], _zeros(hidden, dt), ws[4], ws[5],
            _zeros(hidden, dt),
        )  # fmt: skip

    @overload
    def __call__(self, x: Vec[I], h: Vec[H]) -> Vec[H]: ...
    @overload
    def __call__(self, x: Mat[B, I], h: Mat[B, H]) -> Mat[B, H]: ...
    @overload
    def __call__(self, x: BVar[Vec[I]], h: BVar[Vec[H]] | Vec[H]) -> BVar[Vec[H]]: ...
    @overload
    def __call__(self, x: BVar[Mat[B, I]], h: BVar[Mat[B, H]] | Mat[B, H]) -> BVar[Mat[B, H]]: ...
    @overload
    def __call__(self, x: Vec[I], h: BVar[Vec[H]]) -> BVar[Vec[H]]: ...
    @overload
    def __call__(self, x: Mat[B, I], h: BVar[Mat[B, H]]) -> BVar[Mat[B, H]]: ...
    def __call__(self, x: Any, h: Any) -> Any:
        """The next state from the input ``x`` and the state ``h``.

        Raises:
            ShapeError: ``x`` or ``h`` of the wrong width, or batches of different sizes.
        """
        w: Any = deep_value(self).u_z.array.shape[0]
        i = deep_value(self).w_z.array.shape[1]
        where = f"GRUCell[{i}, {w}]"
        ndim = _rows_of(where, x, i)
        _rows_of(where, h, w, "h")
        _same_batch(where, x, h)
        c = self

        def gate(wx: Any, uh: Any, b: Any, state: Any) -> Any:
            return _affine(c ^ wx, x, ndim) + _affine(c ^ uh, state, ndim) + (c ^ b)

        z = logistic(
            gate(_field(GRUCell, "w_z"), _field(GRUCell, "u_z"), _field(GRUCell, "b_z"), h)
        )
        r = logistic(
            gate(_field(GRUCell, "w_r"), _field(GRUCell, "u_r"), _field(GRUCell, "b_r"), h)
        )
        candidate = tanh(
            gate(_field(GRUCell, "w_h"), _field(GRUCell, "u_h"), _field(GRUCell, "b_h"), r * h)
        )
        return (1.0 - z) * h + z * candidate


class LSTMCell(Model, Generic[I, H]):
    """A long short-term memory cell: ``cell(x, (h, c))`` is the next ``(h, c)``.

    ``i = logistic(W_i x + U_i h + b_i)``, ``f = logistic(W_f x + U_f h + b_f)``,
    ``g = tanh(W_g x + U_g h + b_g)``, ``o = logistic(W_o x + U_o h + b_o)``; then
    ``c' = f ⊙ c + i ⊙ g`` and ``h' = o ⊙ tanh(c')``. One example (``Vec``) or a batch of rows
    (``Mat``), as ``GRUCell``.

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> from typedprop.linalg import zeros
        >>> cell = nn.LSTMCell.init(np.random.default_rng(0), 3, 4)
        >>> h, c = cell(zeros(3), (zeros(4), zeros(4)))
        >>> h.shape, c.shape
        ((4,), (4,))
    """

    w_i: Mat[H, I]
    u_i: Mat[H, H]
    b_i: Vec[H]
    w_f: Mat[H, I]
    u_f: Mat[H, H]
    b_f: Vec[H]
    w_g: Mat[H, I]
    u_g: Mat[H, H]
    b_g: Vec[H]
    w_o: Mat[H, I]
    u_o: Mat[H, H]
    b_o: Vec[H]

    @classmethod
    def init(
        cls, rng: np.random.Generator, in_dim: I, hidden: H, *, dtype: DTypeLike = np.float64
    ) -> LSTMCell[I, H]:
        """Weights Glorot-uniform (see ``Linear.init``), biases zero except the forget gate's,
        one (Jozefowicz et al., 2015), so that the cell starts by remembering (of ``dtype``).

        Raises:
            ShapeError: a size that is not a non-negative integer.
            ValueError: a ``dtype`` other than float64 and float32.
        """
        _dims(in_dim, "LSTMCell.init: in_dim")
        _dims(hidden, "LSTMCell.init: hidden")
        dt = _float_dtype(dtype, "LSTMCell.init")
        ws = [_weights(rng, hidden, n, "glorot", dt) for n in (in_dim, hidden) * 4]
        one = Vec._rewrap(np.ones(hidden, dt))
        z = _zeros
        return LSTMCell(
            ws[0], ws[1], z(hidden, dt), ws[2], ws[3], one, ws[4], ws[5], z(hidden, dt),
            ws[6], ws[7], z(hidden, dt),
        )  # fmt: skip

    @overload
    def __call__(self, x: Vec[I], state: tuple[Vec[H], Vec[H]]) -> tuple[Vec[H], Vec[H]]: ...
    @overload
    def __call__(
        self, x: Mat[B, I], state: tuple[Mat[B, H], Mat[B, H]]
    ) -> tuple[Mat[B, H], Mat[B, H]]: ...
    @overload
    def __call__(
        self,
        x: BVar[Vec[I]],
        state: tuple[BVar[Vec[H]] | Vec[H], BVar[Vec[H]] | Vec[H]],
    ) -> tuple[BVar[Vec[H]], BVar[Vec[H]]]: ...
    @overload
    def __call__(
        self,
        x: BVar[Mat[B, I]],
        state: tuple[BVar[Mat[B, H]] | Mat[B, H], BVar[Mat[B, H]] | Mat[B, H]],
    ) -> tuple[BVar[Mat[B, H]], BVar[Mat[B, H]]]: ...
    @overload
    def __call__(
        self, x: Vec[I], state: tuple[BVar[Vec[H]], BVar[Vec[H]]]
    ) -> tuple[BVar[Vec[H]], BVar[Vec[H]]]: ...
    @overload
    def __call__(
        self, x: Mat[B, I], state: tuple[BVar[Mat[B, H]], BVar[Mat[B, H]]]
    ) -> tuple[BVar[Mat[B, H]], BVar[Mat[B, H]]]: ...
    def __call__(self, x: Any, state: Any) -> Any:
        """The next ``(h, c)`` from the input ``x`` and the state ``(h, c)``.

        Raises:
            ShapeError: ``x``, ``h`` or ``c`` of the wrong width, or batches of different sizes.
        """
        h, c = state
        w = deep_value(self).u_i.array.shape[0]
        i = deep_value(self).w_i.array.shape[1]
        where = f"LSTMCell[{i}, {w}]"
        ndim = _rows_of(where, x, i)
        _rows_of(where, h, w, "h")
        _rows_of(where, c, w, "c")
        _same_batch(where, x, h)
        _same_batch(where, x, c)
        s = self

        def gate(wx: Any, uh: Any, b: Any) -> Any:
            return _affine(s ^ wx, x, ndim) + _affine(s ^ uh, h, ndim) + (s ^ b)

        i_ = logistic(
            gate(_field(LSTMCell, "w_i"), _field(LSTMCell, "u_i"), _field(LSTMCell, "b_i"))
        )
        f = logistic(
            gate(_field(LSTMCell, "w_f"), _field(LSTMCell, "u_f"), _field(LSTMCell, "b_f"))
        )
        g = tanh(gate(_field(LSTMCell, "w_g"), _field(LSTMCell, "u_g"), _field(LSTMCell, "b_g")))
        o = logistic(
            gate(_field(LSTMCell, "w_o"), _field(LSTMCell, "u_o"), _field(LSTMCell, "b_o"))
        )
        c_next = f * c + i_ * g
        return o * tanh(c_next), c_next


# --- attention ---

_MASKED = -1e30  # a causal mask's score: exp of it (less the row maximum) is exactly zero


class SelfAttention(Model, Generic[D]):
    """Multi-head scaled dot-product self-attention over a sequence ``Mat[S, D]``.

    With ``q = x Wq^T``, ``k = x Wk^T``, ``v = x Wv^T`` split by columns into ``heads`` heads
    of width ``d = D / heads``, head ``j`` is ``softmax(q_j k_j^T / sqrt(d) + M) v_j`` (the
    softmax along each row), and the output ``concat(heads) Wo^T``, a ``Mat[S, D]``. With
    ``causal=True``, ``M`` masks the future (position ``t`` attends to positions ``<= t``);
    otherwise ``M = 0``.

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> from typedprop.linalg import zeros
        >>> attend = nn.SelfAttention.init(np.random.default_rng(0), 8, 2)
        >>> attend(zeros(5, 8), causal=True).shape
        (5, 8)
    """

    wq: Mat[D, D]
    wk: Mat[D, D]
    wv: Mat[D, D]
    wo: Mat[D, D]
    heads: int = static(default=1)

    @classmethod
    def init(
        cls, rng: np.random.Generator, dim: D, heads: int = 1, *, dtype: DTypeLike = np.float64
    ) -> SelfAttention[D]:
        """The four projections Glorot-uniform (see ``Linear.init``), of ``dtype``.

        Raises:
            ShapeError: ``dim`` not a non-negative integer, or not a multiple of ``heads``.
            ValueError: a ``dtype`` other than float64 and float32.
        """
        _dims(dim, "SelfAttention.init: dim")
        if not isinstance(heads, int) or heads < 1 or dim % heads:
            raise ShapeError(
                f"SelfAttention.init: heads must be a positive divisor of dim={dim}, got {heads!r}"
            )
        dt = _float_dtype(dtype, "SelfAttention.init")
        wq, wk, wv, wo = (_weights(rng, dim, dim, "glorot", dt) for _ in range(4))
        return SelfAttention(wq, wk, wv, wo, heads)

    @overload
    def __call__(self, x: Mat[S, D], *, causal: bool = False) -> Mat[S, D]: ...
    @overload
    def __call__(self, x: BVar[Mat[S, D]], *, causal: bool = False) -> BVar[Mat[S, D]]: ...
    def __call__(self, x: Any, *, causal: bool = False) -> Any:
        """Each position of ``x`` replaced by its attention over the sequence.

        Raises:
            ShapeError: ``x`` is not a ``Mat[S, D]``.
        """
        layer: Any = deep_value(self)
        d = layer.wq.array.shape[0]
        if _rows_of(f"SelfAttention[{d}]", x, d) != 2:
            raise ShapeError(
                f"SelfAttention[{d}]: x must be a sequence Mat[S, {d}], one position per row, "
                f"got {show(deep_value(x))}"
            )
        seq = deep_value(x).array.shape[0]
        width = d // layer.heads
        q = x @ (self ^ _field(SelfAttention, "wq")).T
        k = x @ (self ^ _field(SelfAttention, "wk")).T
        v = x @ (self ^ _field(SelfAttention, "wv")).T
        wo = self ^ _field(SelfAttention, "wo")
        full = np.full((seq, seq), _MASKED, layer.wq.array.dtype)
        mask = Mat._rewrap(np.triu(full, 1)) if causal else None
        out: Any = None
        for j in range(layer.heads):
            cols = slice(j * width, (j + 1) * width)
            scores = q[:, cols] @ k[:, cols].T / math.sqrt(width)
            if mask is not None:
                scores = scores + mask
            head = softmax(scores) @ v[:, cols] @ wo[:, cols].T
            out = head if out is None else out + head
        return out


# --- dropout ---


def dropout(x: X, rate: float, rng: np.random.Generator) -> X:
    """``x`` with each element zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)`` (inverted dropout: the expected value is unchanged). The mask is a
    constant: no gradient flows into it. ``rate == 0`` gives ``x`` itself (use it at
    evaluation time); draw a fresh mask each training step.

    Raises:
        ValueError: ``rate`` outside ``[0, 1)``.

    Example:
        >>> import numpy as np
        >>> from typedprop import nn
        >>> from typedprop.linalg import vector
        >>> nn.dropout(vector([1.0, 2.0, 3.0, 4.0]), 0.5, np.random.default_rng(0))
        Vec[4]([2., 0., 0., 0.])
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate!r}")
    if rate == 0.0:
        return x
    bx: Any = x
    if type(bx) is BVar and bx._tape.tracing:  # compile_grad: a fresh mask at each replay
        traced: X = _apply1(_dropout_op(rate, rng), bx)
        return traced
    v = deep_value(x)
    keep = (rng.random(v.array.shape) >= rate) / v.array.dtype.type(1.0 - rate)
    mask: Any = Vec._rewrap(keep) if keep.ndim == 1 else Mat._rewrap(keep)
    out: X = x * mask
    return out


def _dropout_op(rate: float, rng: np.random.Generator) -> Op:
    """``dropout`` as one node that draws its mask when it runs, for ``compile_grad``'s
    replays (``typedprop.compiled``): the same draws, values and gradient as the eager path."""

    def pull(v: Any) -> tuple[Any, Any]:
        keep = (rng.random(v.array.shape) >= rate) / v.array.dtype.type(1.0 - rate)
        mask: Any = Vec._rewrap(keep) if keep.ndim == 1 else Mat._rewrap(keep)
        return v * mask, lambda g: g * mask

    return Op("dropout", 1, pull=pull, bare=True)
