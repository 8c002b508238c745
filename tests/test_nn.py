"""``typedprop.nn``: each layer's values against a numpy re-computation, its gradient against
finite differences (first and second order, hypothesis over random sizes), the same call on a
record and on a ``BVar`` of it, wrong input sizes refused with ``ShapeError``, and the embedding's
gradient kept sparse."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typedprop import BVar, Model, ShapeError, auto, grad_bp, nn
from typedprop._core import _Partial
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.testing import check_grad

dims = st.integers(1, 4)
seeds = st.integers(0, 2**16)


def vec(rng: np.random.Generator, n: int) -> Vec[Any]:
    return Vec(rng.normal(size=n))


def mat(rng: np.random.Generator, m: int, n: int) -> Mat[Any, Any]:
    return Mat(rng.normal(size=(m, n)))


def sigmoid(a: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-a))


# --- Linear ---


@given(dims, dims, dims, seeds, st.sampled_from(["glorot", "he", "normal"]))
def test_linear_value_and_gradient(i: int, o: int, b: int, seed: int, init: Any) -> None:
    """``weight @ x + bias`` on a vector and on each row of a batch; gradients checked."""
    rng = np.random.default_rng(seed)
    layer = nn.Linear.init(rng, i, o, init=init)
    layer = nn.Linear(layer.weight, vec(rng, o))
    x, xs = vec(rng, i), mat(rng, b, i)
    w, bias = layer.weight.array, layer.bias.array
    np.testing.assert_allclose(layer(x).array, w @ x.array + bias)
    np.testing.assert_allclose(layer(xs).array, xs.array @ w.T + bias)
    check_grad(lambda ly, v: sum_elements(ly(v) * ly(v)), layer, x)
    check_grad(lambda ly, v: sum_elements(ly(v) * ly(v)), layer, xs)


def test_linear_init_distributions() -> None:
    """Glorot is uniform within sqrt(6 / (fan_in + fan_out)); He has variance 2 / fan_in;
    normal 1 / fan_in; the bias starts at zero, and is left out with ``bias=False``."""
    rng = np.random.default_rng(0)
    glorot = nn.Linear.init(rng, 300, 200).weight.array
    assert np.abs(glorot).max() <= np.sqrt(6 / 500)
    assert np.var(glorot) == pytest.approx(6 / 500 / 3, rel=0.05)
    assert np.var(nn.Linear.init(rng, 300, 200, init="he").weight.array) == pytest.approx(
        2 / 300, rel=0.05
    )
    assert np.var(nn.Linear.init(rng, 300, 200, init="normal").weight.array) == pytest.approx(
        1 / 300, rel=0.05
    )
    plain = nn.Linear.init(rng, 3, 2, bias=False)
    plain = nn.Linear(plain.weight, Vec(np.ones(2)), use_bias=False)
    x = vec(rng, 3)
    np.testing.assert_allclose(plain(x).array, plain.weight.array @ x.array)
    assert grad_bp(lambda ly: sum_elements(ly(auto(x))), plain).bias.array.tolist() == [0, 0]
    with pytest.raises(ValueError, match="init must be"):
        nn.Linear.init(rng, 3, 2, init="xavier")  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match="in_dim must be a non-negative integer"):
        nn.Linear.init(rng, -1, 2)  # type: ignore[dim-mismatch]


def test_linear_refuses_a_wrong_input_size() -> None:
    """A ``Linear[3, 4]`` on a ``Vec[5]`` (plain or in a ``BVar``) is a ``ShapeError``."""
    layer: nn.Linear[Literal[3], Literal[4]] = nn.Linear.init(np.random.default_rng(0), 3, 4)
    bad = Vec[Literal[5]](np.zeros(5))
    message = r"Linear\[3, 4\]: x must be a Vec\[3\] or a Mat\[B, 3\].*got Vec\[5\]"
    with pytest.raises(ShapeError, match=message):
        layer(bad)  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match=message):
        grad_bp(lambda ly: sum_elements(ly(auto(bad))), layer)  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match=r"got Mat\[2, 5\]"):
        layer(Mat[Literal[2], Literal[5]](np.zeros((2, 5))))  # type: ignore[arg-type]


# --- a model of layers ---


class Net(Model):
    hidden: nn.Linear[Any, Any]
    norm: nn.LayerNorm[Any]
    out: nn.Linear[Any, Any]

    def __call__(self, x: Any) -> Any:
        return (self ^ Net.out)((self ^ Net.norm)((self ^ Net.hidden)(x)))


def test_a_model_of_layers_is_callable_on_itself_and_on_its_bvar() -> None:
    """``net(x)`` and, inside ``grad_bp``, ``bvar(x)`` and ``(bvar ^ Net.hidden)(x)`` give the
    same values; the gradient is a ``Net``, checked against finite differences."""
    rng = np.random.default_rng(3)
    net = Net(nn.Linear.init(rng, 3, 4), nn.LayerNorm.init(4), nn.Linear.init(rng, 4, 2))
    x = vec(rng, 3)
    seen: dict[str, Any] = {}

    def loss(n: BVar[Net]) -> BVar[float]:
        y = n(auto(x))
        seen["call"] = y.value
        seen["hidden"] = (n ^ Net.hidden)(x).value
        out: BVar[float] = sum_elements(y * y)
        return out

    g = grad_bp(loss, net)
    assert isinstance(g, Net)
    np.testing.assert_allclose(seen["call"].array, net(x).array)
    np.testing.assert_allclose(seen["hidden"].array, net.hidden(x).array)
    check_grad(lambda n: sum_elements(n(auto(x)) * n(auto(x))), net)


def test_a_bvar_of_a_record_without_call_is_not_callable() -> None:
    """Calling a ``BVar`` whose value has no ``__call__`` is a ``TypeError`` naming it."""

    class Plain(Model):
        w: float

    with pytest.raises(TypeError, match=r"a BVar of .*Plain is not callable"):
        grad_bp(lambda p: p(1.0), Plain(1.0))  # type: ignore[misc, call-overload]


# --- Embedding ---


@given(dims, dims, seeds, st.lists(st.integers(0, 3), min_size=1, max_size=5))
def test_embedding_rows_and_gradient(v: int, d: int, seed: int, raw: list[int]) -> None:
    """An integer gives its row, an integer array its rows (repeats allowed); the gradient
    adds each use's gradient into its row, first and second order."""
    rng = np.random.default_rng(seed)
    emb = nn.Embedding.init(rng, v, d)
    index = np.array([i % v for i in raw])
    np.testing.assert_allclose(emb(int(index[0])).array, emb.table.array[index[0]])
    np.testing.assert_allclose(emb(index).array, emb.table.array[index])
    weights = mat(rng, len(index), d)

    def loss(e: Any) -> Any:
        rows = e(index)
        return sum_elements(rows * rows * weights) + sum_elements(e(int(index[-1])) ** 3)

    check_grad(loss, emb)
    expected = np.zeros((v, d))
    np.add.at(expected, index, 2 * emb.table.array[index] * weights.array)
    expected[index[-1]] += 3 * emb.table.array[index[-1]] ** 2
    np.testing.assert_allclose(grad_bp(loss, emb).table.array, expected)


def test_embedding_gradient_stays_sparse() -> None:
    """A lookup's gradient is a ``_Partial`` holding only the distinct rows used (repeats
    summed), not a dense ``V`` by ``D`` array."""
    table: Mat[Any, Any] = Mat(np.arange(12.0).reshape(6, 2))
    g: Mat[Any, Any] = Mat(np.ones((3, 2)))
    vjps: Any = nn._GATHER.vjps
    part = vjps[0](g, None, table, np.array([4, 1, 4]))
    assert isinstance(part, _Partial)
    ((key, rows),) = part.parts.items()
    assert key == ((1, 4),)
    np.testing.assert_allclose(rows.array, [[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(part.full().array[[1, 4]], [[1.0, 1.0], [2.0, 2.0]])


def test_embedding_refuses_bad_indices() -> None:
    """An index out of range, negative, or not an integer is a ``ShapeError``."""
    emb = nn.Embedding.init(np.random.default_rng(0), 5, 2)
    with pytest.raises(ShapeError, match=r"index 5 is out of range; the table has 5 rows"):
        emb(5)
    with pytest.raises(ShapeError, match=r"must be an integer in 0\.\.4"):
        emb(np.array([1, -1]))
    with pytest.raises(ShapeError, match=r"must be an integer in 0\.\.4"):
        emb(1.5)  # type: ignore[call-overload]


# --- LayerNorm ---


@given(st.integers(2, 5), dims, seeds)
def test_layer_norm_value_and_gradient(d: int, b: int, seed: int) -> None:
    """Each vector or row normalized to mean 0, variance 1, then scaled and shifted."""
    rng = np.random.default_rng(seed)
    norm = nn.LayerNorm(vec(rng, d), vec(rng, d))
    x, xs = vec(rng, d), mat(rng, b, d)

    def expected(a: Any) -> Any:
        mu = a.mean(axis=-1, keepdims=True)
        var = a.var(axis=-1, keepdims=True)
        return (a - mu) / np.sqrt(var + 1e-5) * norm.gain.array + norm.bias.array

    np.testing.assert_allclose(norm(x).array, expected(x.array), atol=1e-12)
    np.testing.assert_allclose(norm(xs).array, expected(xs.array), atol=1e-12)
    check_grad(lambda n, v: sum_elements(n(v) * n(v) * n(v)), norm, x, atol=1e-5)
    check_grad(lambda n, v: sum_elements(n(v) * n(v) * n(v)), norm, xs, atol=1e-5)
    with pytest.raises(ShapeError, match=r"LayerNorm\[\d\]: x must be a Vec"):
        norm(vec(rng, d + 1))


# --- recurrent cells ---


@given(dims, dims, dims, seeds)
def test_gru_cell_value_and_gradient(i: int, h: int, b: int, seed: int) -> None:
    """The GRU update against numpy, for one example and a batch; gradients checked."""
    rng = np.random.default_rng(seed)
    cell = nn.GRUCell.init(rng, i, h)
    x, s = vec(rng, i), vec(rng, h)
    c = {f: getattr(cell, f).array for f in ("w_z", "u_z", "w_r", "u_r", "w_h", "u_h")}
    z = sigmoid(c["w_z"] @ x.array + c["u_z"] @ s.array)
    r = sigmoid(c["w_r"] @ x.array + c["u_r"] @ s.array)
    cand = np.tanh(c["w_h"] @ x.array + c["u_h"] @ (r * s.array))
    np.testing.assert_allclose(cell(x, s).array, (1 - z) * s.array + z * cand)
    xs, ss = mat(rng, b, i), mat(rng, b, h)
    np.testing.assert_allclose(cell(xs, ss).array[0], cell(xs[0], ss[0]).array)
    check_grad(lambda ce, v, st_: sum_elements(ce(v, st_) * ce(v, st_)), cell, x, s)
    check_grad(lambda ce, v, st_: sum_elements(ce(v, st_)), cell, xs, ss)
    with pytest.raises(ShapeError, match=r"GRUCell\[\d, \d\]: h must be a Vec"):
        cell(x, vec(rng, h + 1))
    with pytest.raises(ShapeError, match="batches of the same size"):
        cell(xs, mat(rng, b + 1, h))


@given(dims, dims, dims, seeds)
def test_lstm_cell_value_and_gradient(i: int, h: int, b: int, seed: int) -> None:
    """The LSTM update against numpy (forget bias one), for one example and a batch."""
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell.init(rng, i, h)
    assert cell.b_f.array.tolist() == [1.0] * h
    x, s, m = vec(rng, i), vec(rng, h), vec(rng, h)
    c = {a.name: getattr(cell, a.name).array for a in type(cell).__attrs_attrs__}

    def gate(k: str) -> Any:
        return c[f"w_{k}"] @ x.array + c[f"u_{k}"] @ s.array + c[f"b_{k}"]

    c_next = sigmoid(gate("f")) * m.array + sigmoid(gate("i")) * np.tanh(gate("g"))
    h_next = sigmoid(gate("o")) * np.tanh(c_next)
    got_h, got_c = cell(x, (s, m))
    np.testing.assert_allclose(got_c.array, c_next)
    np.testing.assert_allclose(got_h.array, h_next)
    xs, ss, ms = mat(rng, b, i), mat(rng, b, h), mat(rng, b, h)
    np.testing.assert_allclose(
        cell(xs, (ss, ms))[0].array[0], cell(xs[0], (ss[0], ms[0]))[0].array
    )

    def loss(ce: Any, v: Any, st_: Any, mem: Any) -> Any:
        hh, cc = ce(v, (st_, mem))
        return sum_elements(hh * cc)

    check_grad(loss, cell, x, s, m)
    check_grad(loss, cell, xs, ss, ms)
    with pytest.raises(ShapeError, match=r"LSTMCell\[\d, \d\]: c must be a Vec"):
        cell(x, (s, vec(rng, h + 1)))
    with pytest.raises(ShapeError, match=r"LSTMCell\[\d, \d\]: x must be a Vec"):
        cell(vec(rng, i + 1), (s, m))


# --- attention ---


def _attention(a: nn.SelfAttention[Any], x: Any, causal: bool) -> Any:
    """Multi-head attention re-computed in numpy, heads concatenated."""
    q, k, v = (x @ getattr(a, w).array.T for w in ("wq", "wk", "wv"))
    s, d = x.shape
    width = d // a.heads
    outs = []
    for j in range(a.heads):
        cols = slice(j * width, (j + 1) * width)
        scores = q[:, cols] @ k[:, cols].T / np.sqrt(width)
        if causal:
            scores = np.where(np.tril(np.ones((s, s))) > 0, scores, -np.inf)
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        outs.append(p / p.sum(axis=1, keepdims=True) @ v[:, cols])
    return np.hstack(outs) @ a.wo.array.T


@settings(max_examples=15)
@given(st.sampled_from([(1, 1), (2, 1), (4, 2), (6, 3)]), dims, seeds, st.booleans())
def test_self_attention_value_and_gradient(
    dh: tuple[int, int], s: int, seed: int, causal: bool
) -> None:
    """Multi-head attention against numpy, with and without the causal mask."""
    d, heads = dh
    rng = np.random.default_rng(seed)
    attend = nn.SelfAttention.init(rng, d, heads)
    x = mat(rng, s, d)
    np.testing.assert_allclose(attend(x, causal=causal).array, _attention(attend, x.array, causal))
    check_grad(lambda a, v: sum_elements(a(v, causal=causal) ** 2), attend, x)


def test_self_attention_refuses_bad_sizes() -> None:
    """``dim`` must be a multiple of ``heads``; the input a ``Mat[S, D]``."""
    rng = np.random.default_rng(0)
    with pytest.raises(ShapeError, match="heads must be a positive divisor of dim=6"):
        nn.SelfAttention.init(rng, 6, 4)
    attend = nn.SelfAttention.init(rng, 4, 2)
    with pytest.raises(ShapeError, match=r"SelfAttention\[4\]: x must be a sequence"):
        attend(Vec(np.zeros(4)))  # type: ignore[call-overload]
    with pytest.raises(ShapeError, match=r"got Mat\[3, 5\]"):
        attend(Mat(np.zeros((3, 5))))


# --- dropout ---


def test_dropout() -> None:
    """Identity at rate 0; otherwise a constant mask of zeros and ``1 / (1 - rate)``, which the
    gradient goes through unchanged; a rate outside [0, 1) is refused."""
    rng = np.random.default_rng(0)
    x: Mat[Any, Any] = Mat(np.ones((50, 40)))
    assert nn.dropout(x, 0.0, rng) is x
    y = nn.dropout(x, 0.25, np.random.default_rng(1)).array
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.03
    g = grad_bp(lambda v: sum_elements(nn.dropout(v, 0.25, np.random.default_rng(1))), x)
    np.testing.assert_allclose(g.array, y)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        nn.dropout(x, 1.0, rng)


# --- layers as parts of a model: saved, loaded, stepped ---


def test_layers_round_trip_through_a_checkpoint(tmp_path: Any) -> None:
    """A model of layers, static fields included (``use_bias``, ``heads``), loads back equal."""
    from typedprop.checkpoint import load, save

    class Stack(Model):
        lin: nn.Linear[Any, Any]
        att: nn.SelfAttention[Any]
        emb: nn.Embedding[Any, Any]

    rng = np.random.default_rng(5)
    stack = Stack(
        nn.Linear.init(rng, 3, 4, bias=False),
        nn.SelfAttention.init(rng, 4, 2),
        nn.Embedding.init(rng, 10, 3),
    )
    save(tmp_path / "stack.npz", stack)
    back = load(tmp_path / "stack.npz", Stack)
    assert back == stack
    assert (back.lin.use_bias, back.att.heads) == (False, 2)
