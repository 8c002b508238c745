"""float32 end to end: values, records, every op's result and gradient, the optimizers and
checkpoints keep float32 when given float32; float64 stays the default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from typedprop import BVar, backprop, grad_bp, model, nn
from typedprop import checkpoint as ckpt
from typedprop import functions as fns
from typedprop import linalg as la
from typedprop._core import deep_value
from typedprop._tree import leaves
from typedprop.errors import FieldTypeError
from typedprop.functions import cross_entropy, logistic, sum_elements
from typedprop.linalg import Mat, Vec
from typedprop.optim import Adam, AdamState


@model
class Net:
    first: nn.Linear[4, 5]
    second: nn.Linear[5, 3]


def _dtypes(x: Any) -> set[np.dtype[Any]]:
    """The dtypes of every number in a value (a Python float counts as float64)."""
    out: set[np.dtype[Any]] = set()
    for leaf in leaves(x):
        if isinstance(leaf, Vec | Mat):
            out.add(leaf.array.dtype)
        elif isinstance(leaf, np.ndarray | np.generic):
            out.add(leaf.dtype)
        elif isinstance(leaf, float):
            out.add(np.dtype(np.float64))
    return out


def _train(dtype: Any, tmp_path: Path) -> tuple[Net, list[float], list[set[Any]]]:
    """Three Adam steps of a small classifier in ``dtype``, then a checkpoint round trip; the
    parameters, the losses and every dtype seen (forward values, losses, gradients, state)."""
    rng = np.random.default_rng(0)
    net = Net(
        nn.Linear.init(rng, 4, 5, dtype=dtype, init="normal"),
        nn.Linear.init(rng, 5, 3, dtype=dtype, init="normal"),
    )
    x: Mat[6, 4] = Mat(np.random.default_rng(1).normal(size=(6, 4)).astype(dtype))
    target: Mat[6, 3] = Mat(np.eye(3, dtype=dtype)[[0, 1, 2, 0, 1, 2]])
    seen: list[set[Any]] = [_dtypes(net), _dtypes(x), _dtypes(target)]

    def loss(n: BVar[Net]) -> BVar[float]:
        hidden = logistic((n ^ Net.first)(x))
        logits = (n ^ Net.second)(hidden)
        seen.extend([_dtypes(hidden.value), _dtypes(logits.value)])
        return cross_entropy(logits, target)

    opt = Adam(lr=0.05)
    state: Any = opt.init(net)
    losses = []
    for _ in range(3):
        value, grad = backprop(loss, net)
        seen.extend([_dtypes(value), _dtypes(grad)])
        losses.append(float(value))
        state, net = opt.step(state, net, grad)
        seen.extend([_dtypes(net), _dtypes(state)])
    tmp_path.mkdir()
    ckpt.save(tmp_path / "net.npz", net)
    ckpt.save(tmp_path / "state.npz", state)
    loaded = ckpt.load(tmp_path / "net.npz", Net)
    loaded_state = ckpt.load(tmp_path / "state.npz", AdamState[Net])
    assert _leaves_equal(loaded, net) and _leaves_equal(loaded_state, state)
    seen.extend([_dtypes(loaded), _dtypes(loaded_state)])
    return loaded, losses, seen


def _leaves_equal(a: Any, b: Any) -> bool:
    return all(
        np.array_equal(np.asarray(x), np.asarray(y))
        for x, y in zip(leaves(a), leaves(b), strict=True)
    )


def test_float32_training_never_upcasts(tmp_path: Path) -> None:
    """Every parameter, forward value, loss, gradient, optimizer state and loaded checkpoint
    of a float32 run is float32, of the float64 run float64, and the two agree to float32
    precision."""
    net32, losses32, seen32 = _train(np.float32, tmp_path / "32")
    net64, losses64, seen64 = _train(np.float64, tmp_path / "64")
    f32, f64 = {np.dtype(np.float32)}, {np.dtype(np.float64)}
    assert [s for s in seen32 if s - {np.dtype(np.int64)} != f32] == []
    assert [s for s in seen64 if s - {np.dtype(np.int64)} != f64] == []
    np.testing.assert_allclose(losses32, losses64, rtol=1e-5)
    for a, b in zip(leaves(net32), leaves(net64), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    assert losses32[-1] < losses32[0]


# --- each op: value and gradient keep float32 ---

_RNG = np.random.default_rng(3)
_V = _RNG.uniform(0.2, 0.8, 4)
_W = _RNG.uniform(-1.0, 1.0, 4)
_A = _RNG.normal(size=(3, 3))
_SPD = _A @ _A.T + 3.0 * np.eye(3)
_M = _RNG.uniform(0.2, 0.8, (3, 4))


def _total(y: Any) -> Any:
    """A number that depends on every part of an op's result (summed, part by part)."""
    v = deep_value(y)
    if isinstance(v, Vec | Mat):
        return sum_elements(y)
    if isinstance(v, tuple | list):
        return sum((_total(y[i]) for i in range(len(v))), start=0.0)
    return y


CASES: dict[str, tuple[Callable[[Any], Any], NDArray[np.float64]]] = {
    **{
        name: (getattr(fns, name), _V)
        for name in [
            "acos",
            "asin",
            "atan",
            "atanh",
            "cos",
            "cosh",
            "exp",
            "log",
            "logistic",
            "relu",
            "sin",
            "sinh",
            "softplus",
            "sqrt",
            "tan",
            "tanh",
            "sum_elements",
            "mean",
            "softmax",
            "log_softmax",
            "logsumexp",
            "maximum",
            "minimum",
            "product",
        ]
    },
    "acosh": (lambda v: fns.acosh(v + 1.0), _V),
    "asinh": (fns.asinh, _W),
    "log_base": (lambda v: fns.log_base(2.0, v), _V),
    "cross_entropy": (lambda v: fns.cross_entropy(v, Vec(np.eye(4, dtype=np.float32)[1])), _W),
    "pow": (lambda v: v**1.5, _V),
    "pow at 0 ** 0": (lambda v: v ** (v * 0.5), np.array([0.0, 1.0, 2.0, 0.5])),
    "div": (lambda v: 1.0 / v, _V),
    "mat_logsumexp": (fns.logsumexp, _M),
    "mat_softmax": (fns.softmax, _M),
    "dot": (lambda v: la.dot(v, v), _W),
    "vec @ vec": (lambda v: v @ v, _W),
    "outer": (lambda v: la.outer(v, v), _W),
    "cross": (lambda v: la.cross(v[:3], v[1:]), _W),
    "norm_1": (la.norm_1, _W),
    "norm_2": (la.norm_2, _W),
    "norm_inf": (la.norm_inf, _W),
    "diag": (la.diag, _W),
    "diag_r": (lambda v: la.diag_r(0.5, v, 4, 5), _W),
    "vmap": (lambda v: la.vmap(fns.exp, v), _W),
    "zip_with_vector": (lambda v: la.zip_with_vector(lambda a, b: a * b, v, v), _W),
    "vector of elements": (lambda v: la.vector([v[0], v[2] * v[1]]), _W),
    "linalg mean": (la.mean, _W),
    "vjoin": (lambda v: la.vjoin(v, v), _W),
    "split": (lambda v: la.split(v, 1), _W),
    "head_tail": (la.head_tail, _W),
    "col": (la.col, _W),
    "konst": (lambda v: la.konst(fns.sum_elements(v), 2, 3), _W),
    "mat @ vec": (lambda m: m @ Vec(_W.astype(np.float32)), _M),
    "mat @ mat.T": (lambda m: m @ m.T, _M),
    "mat + vec": (lambda m: m + Vec(_W.astype(np.float32)), _M),
    "tr": (la.tr, _SPD),
    "take_diag": (la.take_diag, _SPD),
    "hstack": (lambda m: la.hstack(m, m), _M),
    "vstack": (lambda m: la.vstack(m, m), _M),
    "split_rows": (lambda m: la.split_rows(m, 1), _M),
    "split_cols": (lambda m: la.split_cols(m, 2), _M),
    "to_rows": (la.to_rows, _M),
    "to_columns": (la.to_columns, _M),
    "mean_l": (la.mean_l, _M),
    "cov": (la.cov, _M),
    "mean_cov": (la.mean_cov, _M),
    "mtm": (la.mtm, _M),
    "mmap": (lambda m: la.mmap(fns.tanh, m), _M),
    "chol": (lambda m: la.chol(la.sym(m)), _SPD),
    "det": (la.det, _SPD),
    "lndet": (la.lndet, _SPD),
    "inv": (la.inv, _SPD),
    "invlndet": (la.invlndet, _SPD),
    "eigenvalues": (lambda m: la.eigenvalues(la.sym(m)), _SPD),
    "eigensystem": (lambda m: la.eigensystem(la.sym(m)), _SPD),
    "svd": (la.svd, _M),
    "svd_full": (la.svd_full, _M),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_keeps_float32(name: str) -> None:
    """The op's value and its gradient are float32 for a float32 argument (and float64 for a
    float64 one), and the float32 gradient agrees with the float64 one to float32 precision."""
    fn, data = CASES[name]
    results = {}
    for dtype in (np.float32, np.float64):
        x: Any = (Vec if data.ndim == 1 else Mat)(data.astype(dtype))
        value = fn(x)
        g = grad_bp(lambda v: _total(fn(v)), x)
        assert _dtypes(value) == {np.dtype(dtype)}, f"{name}: value {_dtypes(value)}"
        assert _dtypes(g) == {np.dtype(dtype)}, f"{name}: gradient {_dtypes(g)}"
        results[dtype] = g.array
    np.testing.assert_allclose(results[np.float32], results[np.float64], rtol=2e-3, atol=2e-4)


# --- values and layers ---


@pytest.mark.parametrize(("cls", "shape"), [(Vec, (3,)), (Mat, (2, 3))])
def test_vec_and_mat_keep_float32_and_convert_the_rest_to_float64(
    cls: Any, shape: tuple[int, ...]
) -> None:
    """float32 and float64 are kept; ints, bools and float16 become float64; complex refused."""
    assert cls(np.ones(shape, np.float32)).array.dtype == np.float32
    assert cls(np.ones(shape)).array.dtype == np.float64
    for other in (np.int32, np.int64, np.bool_, np.float16):
        assert cls(np.ones(shape, other)).array.dtype == np.float64
    with pytest.raises(FieldTypeError, match="complex"):
        cls(np.ones(shape, np.complex64))
    half = cls(np.ones(shape, np.float32)) * 0.5  # a Python float does not promote
    assert half.array.dtype == np.float32
    assert (half + cls(np.ones(shape))).array.dtype == np.float64  # numpy's promotion


def _layers(dtype: Any) -> list[tuple[Any, Any]]:
    """Each layer made with ``dtype`` and an input it takes (the input of ``dtype`` too)."""
    rng = np.random.default_rng(5)
    x: Mat[3, 4] = Mat(rng.normal(size=(3, 4)).astype(dtype))
    return [
        (nn.Linear.init(rng, 4, 2, dtype=dtype), x),
        (nn.Embedding.init(rng, 6, 4, dtype=dtype), np.array([1, 2, 1])),
        (nn.LayerNorm.init(4, dtype=dtype), x),
        (nn.SelfAttention.init(rng, 4, 2, dtype=dtype), x),
    ]


def _cells(dtype: Any) -> list[tuple[Any, Any, Any]]:
    rng = np.random.default_rng(6)
    x: Mat[3, 4] = Mat(rng.normal(size=(3, 4)).astype(dtype))
    h: Mat[3, 2] = Mat(rng.normal(size=(3, 2)).astype(dtype))
    return [
        (nn.GRUCell.init(rng, 4, 2, dtype=dtype), x, h),
        (nn.LSTMCell.init(rng, 4, 2, dtype=dtype), x, (h, h)),
    ]


def _loss_of(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """A loss of a layer: its output on ``args``, through dropout, squared and summed."""

    def loss(layer: Any) -> Any:
        out = layer(*args, **kwargs)
        parts = out if isinstance(out, tuple) else (out,)
        dropped = [nn.dropout(y, 0.5, np.random.default_rng(0)) for y in parts]
        return sum((sum_elements(d * d) for d in dropped), start=0.0)

    return loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_init_and_train_in_their_dtype(dtype: Any) -> None:
    """Each layer's ``init(..., dtype=)`` makes parameters of that dtype, and its output and
    its parameters' gradient stay in it (a causal mask, dropout and a repeated embedding row
    included)."""
    want = {np.dtype(dtype)}

    calls = [(layer, _loss_of(x)) for layer, x in _layers(dtype)]
    attention, x = _layers(dtype)[3]
    calls.append((attention, _loss_of(x, causal=True)))
    calls.extend((cell, _loss_of(x, state)) for cell, x, state in _cells(dtype))
    for layer, loss in calls:
        assert _dtypes(layer) == want, type(layer).__name__
        value, grad = backprop(loss, layer)
        assert _dtypes(value) == want and _dtypes(grad) == want, type(layer).__name__


def test_layer_init_refuses_other_dtypes() -> None:
    """A dtype other than float32 and float64 is a ValueError that names it."""
    with pytest.raises(
        ValueError, match=r"Linear\.init: dtype must be np\.float64 or np\.float32, got float16"
    ):
        nn.Linear.init(np.random.default_rng(0), 2, 2, dtype=np.float16)
