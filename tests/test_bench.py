"""bench/peers.py, quickly: its numpy and typedprop variants agree and are timed, and its
verdicts on issue 12's targets follow the figures (the peers themselves are not installed here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bench import peers
from bench._harness import Timing
from bench.handwritten import grad_forms, loss_forms


@pytest.mark.parametrize("config", peers.CONFIGS)
def test_every_handwritten_form_and_typedprop_agree_and_are_timed(config: str) -> None:
    """``measure`` checks every gradient against numpy's before timing, and raises if one
    differs; here it runs with two tiny rounds and no peers."""
    got = peers.measure(config, rounds=2, sample_s=1e-4, peers=False)
    timed = set(got["samples"])
    assert {peers.NUMPY, peers.TAPE, peers.TUPLE, peers.RECORD, peers.EVAL} <= timed
    assert all(len(s) == 2 and min(s) > 0 for s in got["samples"].values())
    assert got["numpy grad form"] in got["forms"]


def test_the_forms_differ_only_in_how_they_are_written() -> None:
    """Each hand-written form gives the same gradient; the rows layout at batch 1 has every
    rank-1 spelling and both bias sums, in place and as written."""
    pr = peers.problem("B=1 row")
    forms = grad_forms(pr.layout, 1)
    assert len(forms) == 2 * 3 * 2
    want = forms[0].grad(pr.p, pr.x, pr.t)
    for form in forms:
        for g, w, a in zip(form.grad(pr.p, pr.x, pr.t), want, pr.p, strict=True):
            assert g.shape == a.shape
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)
    losses = {name: f(pr.p, pr.x, pr.t) for name, f in loss_forms(pr.layout)}
    assert np.isclose(losses["in place"], losses["as written"], rtol=1e-13)


def _res(**medians: float) -> dict[str, Timing]:
    names = {
        "numpy": peers.NUMPY,
        "torch": peers.TORCH,
        "jit": peers.JAX_JIT,
        "tuple": peers.TUPLE,
        "record": peers.RECORD,
        "fwd": peers.FORWARD,
        "eval": peers.EVAL,
    }
    return {names[k]: Timing(names[k], [v, v, v]) for k, v in medians.items()}


def test_verdicts_follow_the_figures() -> None:
    """Met exactly when the ratio is within the target; 'faster than' is strict; batch 128
    compares with JAX at its best thread setting."""
    b1 = _res(numpy=100, torch=120, jit=110, tuple=110, record=116, fwd=50, eval=52)
    res = {
        ("B=1 row", 1): b1,
        ("B=128", 1): _res(
            numpy=1000, torch=1100, jit=900, tuple=1040, record=1000, fwd=5, eval=6
        ),
        ("B=128", 2): _res(numpy=700, torch=700, jit=950, tuple=760, record=760, fwd=5, eval=5),
    }
    got = {(v.target, v.where): (v.figure, v.met) for v in peers.targets(res)}
    assert got["grad_bp faster than PyTorch eager, batch 1", "B=1 row, 1 thread"] == (
        "0.92x",
        True,
    )
    assert got["grad_bp faster than JAX jit(grad), batch 1", "B=1 row, 1 thread"] == (
        "1.00x",
        False,
    )
    assert got["grad_bp <= 1.10x numpy by hand, batch 1", "B=1 row, 1 thread"] == ("1.10x", True)
    assert got["@model Mat/Vec <= 1.05x grad_bp_n on arrays", "B=1 row, 1 thread"][1] is False
    assert got["eval_bp_n <= 1.05x numpy forward", "B=1 row, 1 thread"] == ("1.04x", True)
    assert got["grad_bp <= 1.05x numpy by hand, batch 128", "B=128, 2 threads"] == ("1.09x", False)
    assert got["grad_bp faster than PyTorch eager, batch 128", "B=128, 2 threads"] == (
        "1.09x",
        False,
    )
    best = "grad_bp <= 1.15x JAX jit(grad) at its best threads, batch 128"
    assert got[best, "B=128, 1 thread"] == ("1.16x", False)  # 1040 / 900
    assert got[best, "B=128, 2 threads"] == ("0.84x", True)  # 760 / 900
    assert ("eval_bp_n <= 1.05x numpy forward", "B=128, 1 thread") in got


def test_a_compiled_mode_gets_its_row_and_its_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``typedprop.compile_grad`` exists, its gradients are checked and timed like the
    others; a stand-in with the promised contract (``cg(*xs) == grad_bp_n(f, *xs)``) shows it."""
    import typedprop

    def compile_grad(f: Any) -> Any:
        return lambda *xs: typedprop.grad_bp_n(f, *xs)

    monkeypatch.setattr(typedprop, "compile_grad", compile_grad, raising=False)
    got = peers.measure("B=1 vector", rounds=2, sample_s=1e-4, peers=False)
    assert peers.COMPILED in got["samples"]
    assert got["missing"] == []
    res = {("B=1 vector", 1): {n: Timing(n, s) for n, s in got["samples"].items()}}
    names = {v.target for v in peers.targets(res, peers.COMPILED)}
    assert "compile_grad <= 1.10x numpy by hand, batch 1" in names


def test_a_wrong_compiled_gradient_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import typedprop

    def compile_grad(f: Any) -> Any:
        return lambda *xs: tuple(2 * g for g in typedprop.grad_bp_n(f, *xs))

    monkeypatch.setattr(typedprop, "compile_grad", compile_grad, raising=False)
    with pytest.raises(AssertionError, match="compile_grad: gradient 0 differs"):
        peers.measure("B=1 row", rounds=2, sample_s=1e-4, peers=False)


def test_missing_peers_are_named_with_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(peers, "_optional", lambda name: None)
    got = peers.measure("B=1 row", rounds=2, sample_s=1e-4, peers=True)
    assert {peers.TORCH, peers.JAX_JIT, peers.JAX, peers.AUTOGRAD} <= set(got["missing"])
    run: dict[str, Any] = {"threads": 1, "limited": False, "torch threads": None}
    run |= {"XLA_FLAGS": None, "versions": {}, "results": {"B=1 row": got}}
    peers.report([run], markdown=True)
    out = capsys.readouterr().out
    assert "not installed: JAX grad, no jit, JAX jit(grad), PyTorch eager, autograd" in out
    assert "pip install -e '.[bench]'" in out
    assert "| typedprop grad_bp_n, 6 arrays" in out
