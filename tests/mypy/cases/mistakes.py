"""More definite mistakes: each is exactly one error, and nothing cascades from it."""

from typing import Literal

from typedprop import BVar, auto, model
from typedprop.linalg import Mat, Vec, cross, dot, hstack, inv, outer, vstack, zeros

a3, a4 = zeros(3), zeros(4)
m23, m32, m33 = zeros(2, 3), zeros(3, 2), zeros(3, 3)
e1 = m23 * m32  # E: Dimension mismatch in *: Mat[2, 3] * Mat[3, 2]  [dim-mismatch]
e2 = m23 - m32  # E: Dimension mismatch in -: Mat[2, 3] - Mat[3, 2]  [dim-mismatch]
e3 = a3 / a4  # E: Dimension mismatch in /: Vec[3] / Vec[4]  [dim-mismatch]
e4 = a4 + m23  # E: Dimension mismatch in +: Vec[4] + Mat[2, 3]  [dim-mismatch]
e5 = m32 @ m32  # E: Dimension mismatch in @: Mat[3, 2] @ Mat[3, 2]  [dim-mismatch]
e6 = a4 @ m32  # E: Dimension mismatch in @: Vec[4] @ Mat[3, 2]  [dim-mismatch]
e7 = m33 @ a4  # E: Dimension mismatch in @: Mat[3, 3] @ Vec[4]  [dim-mismatch]
e8 = vstack(m23, m32)  # E: Dimension mismatch in vstack: Mat[2, 3] vstack Mat[3, 2]  [dim-mismatch]
e9 = hstack(m23, m32)  # E: Dimension mismatch in hstack: Mat[2, 3] hstack Mat[3, 2]  [dim-mismatch]
e10 = dot(a4, a3)  # E: Dimension mismatch in dot: Vec[4] dot Vec[3]  [dim-mismatch]
e11 = cross(a3, a4)  # E: Dimension mismatch in cross: Vec[3] cross Vec[4]  [dim-mismatch]
e12 = inv(m32)  # E: Dimension mismatch in inv: Mat[3, 2] is not square  [dim-mismatch]
after = e1 + 1.0  # a mismatch keeps its kind, with unknown dimensions: nothing cascades
reveal_type(after)  # N: Revealed type is "typedprop.linalg._types.Mat[Any, Any]"


def returned(a: Mat[Literal[2], Literal[3]], b: Vec[Literal[4]]) -> Vec[Literal[2]]:
    return a @ b  # E: Dimension mismatch in @: Mat[2, 3] @ Vec[4]  [dim-mismatch]


def returned_dot(a: Vec[Literal[2]], b: Vec[Literal[4]]) -> float:
    return dot(a, b)  # E: Dimension mismatch in dot: Vec[2] dot Vec[4]  [dim-mismatch]


def returned_inv(a: Mat[Literal[2], Literal[3]]) -> Mat[Literal[3], Literal[3]]:
    return inv(a)  # E: Dimension mismatch in inv: Mat[2, 3] is not square  [dim-mismatch]


def bvars(x: BVar[Vec[Literal[3]]], w: BVar[Mat[Literal[2], Literal[4]]]) -> None:
    e13 = w @ x  # E: Dimension mismatch in @: Mat[2, 4] @ Vec[3]  [dim-mismatch]
    e14 = x + a4  # E: Dimension mismatch in +: Vec[3] + Vec[4]  [dim-mismatch]
    e15 = auto(a4) - x  # E: Dimension mismatch in -: Vec[4] - Vec[3]  [dim-mismatch]
    e16 = w @ auto(a3)  # E: Dimension mismatch in @: Mat[2, 4] @ Vec[3]  [dim-mismatch]
    e17 = dot(x, auto(a4))  # E: Dimension mismatch in dot: Vec[3] dot Vec[4]  [dim-mismatch]
    e18 = vstack(w, auto(m23))  # E: Dimension mismatch in vstack: Mat[2, 4] vstack Mat[2, 3]  [dim-mismatch]
    e19 = x * a4  # E: Dimension mismatch in *: Vec[3] * Vec[4]  [dim-mismatch]


def nested_invalid(b: BVar[Vec[-2]], xs: list[Mat[1]], t: tuple[Vec[3, 3], int]) -> None: ...  # E: Invalid dimension -2 in "Vec[...]": a dimension is a non-negative integer literal or a type variable bound to int  [dim-invalid]  # E: "Mat" takes 2 dimension(s), got 1  [dim-invalid]  # E: "Vec" takes 1 dimension(s), got 2  [dim-invalid]


@model
class Small:
    w: Mat[2, 3]
    b: Vec[2]


e20 = Small(zeros(3, 2), zeros(2))  # E: Argument 1 to "Small" has incompatible type "Mat[Literal[3], Literal[2]]"; expected "Mat[Literal[2], Literal[3]]"  [arg-type]
e21 = Small(zeros(2, 3), zeros(3))  # E: Argument 2 to "Small" has incompatible type "Vec[Literal[3]]"; expected "Vec[Literal[2]]"  [arg-type]
e22 = Small(w=zeros(2, 3), b=zeros(2, 1))  # E: Argument "b" to "Small" has incompatible type "Mat[Literal[2], Literal[1]]"; expected "Vec[Literal[2]]"  [arg-type]
ok = Small(zeros(2, 3), zeros(2))
e23 = ok.w @ zeros(2)  # E: Dimension mismatch in @: Mat[2, 3] @ Vec[2]  [dim-mismatch]
e24 = (ok ^ Small.w) @ zeros(4)  # E: Dimension mismatch in @: Mat[2, 3] @ Vec[4]  [dim-mismatch]


def in_model(s: BVar[Small]) -> None:
    e25 = (s ^ Small.w) @ auto(zeros(2))  # E: Dimension mismatch in @: Mat[2, 3] @ Vec[2]  [dim-mismatch]
    e26 = (s ^ Small.b) + auto(zeros(3))  # E: Dimension mismatch in +: Vec[2] + Vec[3]  [dim-mismatch]
