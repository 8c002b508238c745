"""Operators on Vec and Mat, and on their BVars: result dimensions and mismatches."""

from typing import Literal

from typedprop import BVar, auto
from typedprop.linalg import Mat, Vec, zeros

m = zeros(20, 100)
v = zeros(100)
u = zeros(99)
s = zeros(3, 3)
reveal_type(m @ v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[20]]"
reveal_type(m @ zeros(100, 7))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[7]]"
reveal_type(zeros(20) @ m)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(v @ v)  # N: Revealed type is "float"
bad1 = m @ u  # E: Dimension mismatch in @: Mat[20, 100] @ Vec[99]  [dim-mismatch]
bad2 = m @ zeros(99, 7)  # E: Dimension mismatch in @: Mat[20, 100] @ Mat[99, 7]  [dim-mismatch]
bad3 = zeros(21) @ m  # E: Dimension mismatch in @: Vec[21] @ Mat[20, 100]  [dim-mismatch]
bad4 = v @ u  # E: Dimension mismatch in @: Vec[100] @ Vec[99]  [dim-mismatch]
reveal_type(v + v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(v - v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(v * v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(v / 2.0)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(2.0 * v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
reveal_type(-v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[100]]"
bad5 = v + u  # E: Dimension mismatch in +: Vec[100] + Vec[99]  [dim-mismatch]
bad6 = v - u  # E: Dimension mismatch in -: Vec[100] - Vec[99]  [dim-mismatch]
bad7 = v * u  # E: Dimension mismatch in *: Vec[100] * Vec[99]  [dim-mismatch]
bad8 = s + zeros(3, 4)  # E: Dimension mismatch in +: Mat[3, 3] + Mat[3, 4]  [dim-mismatch]
reveal_type(zeros(5, 100) + v)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[5], Literal[100]]"
bad9 = zeros(5, 100) + u  # E: Dimension mismatch in +: Mat[5, 100] + Vec[99]  [dim-mismatch]


def on_bvars(
    bm: BVar[Mat[Literal[20], Literal[100]]], bv: BVar[Vec[Literal[100]]], bu: BVar[Vec[Literal[99]]]
) -> None:
    reveal_type(bm @ bv)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[20]]]"
    reveal_type(bm @ v)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[20]]]"
    reveal_type(m @ bv)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[20]]]"
    reveal_type(bv + bv)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    reveal_type(bv * 2.0)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    bad10 = bm @ bu  # E: Dimension mismatch in @: Mat[20, 100] @ Vec[99]  [dim-mismatch]
    bad11 = bm @ u  # E: Dimension mismatch in @: Mat[20, 100] @ Vec[99]  [dim-mismatch]
    bad12 = m @ bu  # E: Dimension mismatch in @: Mat[20, 100] @ Vec[99]  [dim-mismatch]
    bad13 = bv + bu  # E: Dimension mismatch in +: Vec[100] + Vec[99]  [dim-mismatch]
    bad14 = bv - u  # E: Dimension mismatch in -: Vec[100] - Vec[99]  [dim-mismatch]
    reveal_type(auto(v) @ auto(v))  # N: Revealed type is "typedprop._core.BVar[float]"


def mixed(
    bm: BVar[Mat[Literal[20], Literal[100]]], bv: BVar[Vec[Literal[100]]], s: BVar[float]
) -> None:
    reveal_type(bm.T)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[100], Literal[20]]]"
    reveal_type(bv + bm)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    reveal_type(bv - m)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    reveal_type(m * bv)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    reveal_type(v / bm)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[20], Literal[100]]]"
    reveal_type(s * bv)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    reveal_type(s * v)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    reveal_type(v * s)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    reveal_type(s * s)  # N: Revealed type is "typedprop._core.BVar[float]"
    reveal_type(v + m)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
    reveal_type(v / m)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
    reveal_type(bv + bm @ bv)  # E: Dimension mismatch in +: Vec[100] + Vec[20]  [dim-mismatch]  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Any]]"
    bad15 = bv + zeros(20, 99)  # E: Dimension mismatch in +: Vec[100] + Mat[20, 99]  [dim-mismatch]
    bad16 = bm.T @ bv  # E: Dimension mismatch in @: Mat[100, 20] @ Vec[100]  [dim-mismatch]
    bad17 = zeros(20, 99) - bv  # E: Dimension mismatch in -: Mat[20, 99] - Vec[100]  [dim-mismatch]
    bad18 = v / zeros(3, 99)  # E: Dimension mismatch in /: Vec[100] / Mat[3, 99]  [dim-mismatch]
    bad19 = bv * zeros(20, 99)  # E: Dimension mismatch in *: Vec[100] * Mat[20, 99]  [dim-mismatch]
    bad20 = bm.T + bm  # E: Dimension mismatch in +: Mat[100, 20] + Mat[20, 100]  [dim-mismatch]
    bad21 = s * zeros(3) + bv  # E: Dimension mismatch in +: Vec[3] + Vec[100]  [dim-mismatch]
