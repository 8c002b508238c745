"""Operations whose result dimensions are arithmetic, and their mismatches."""

from typedprop import BVar
from typedprop.linalg import (
    Mat,
    Vec,
    col,
    cov,
    cross,
    diag,
    det,
    dot,
    eigenvalues,
    head_tail,
    hstack,
    inv,
    lndet,
    mean_cov,
    norm_2,
    outer,
    row,
    split,
    split_cols,
    split_rows,
    svd,
    take_diag,
    to_rows,
    uncol,
    unrow,
    vec2,
    vec3,
    vec4,
    vjoin,
    vstack,
    zeros,
)

a = zeros(3)
b = zeros(4)
m = zeros(2, 3)
n = zeros(5, 3)
k = zeros(2, 7)
reveal_type(vjoin(a, b))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[7]]"
reveal_type(vstack(m, n))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[7], Literal[3]]"
reveal_type(hstack(m, k))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Literal[10]]"
bad1 = vstack(m, k)  # E: Dimension mismatch in vstack: Mat[2, 3] vstack Mat[2, 7]  [dim-mismatch]
bad2 = hstack(m, n)  # E: Dimension mismatch in hstack: Mat[2, 3] hstack Mat[5, 3]  [dim-mismatch]
reveal_type(split(b, 1))  # N: Revealed type is "tuple[typedprop.linalg._types.Vec[Literal[1]], typedprop.linalg._types.Vec[Literal[3]]]"
reveal_type(head_tail(b))  # N: Revealed type is "tuple[float, typedprop.linalg._types.Vec[Literal[3]]]"
reveal_type(split_rows(n, 2))  # N: Revealed type is "tuple[typedprop.linalg._types.Mat[Literal[2], Literal[3]], typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
reveal_type(split_cols(k, 3))  # N: Revealed type is "tuple[typedprop.linalg._types.Mat[Literal[2], Literal[3]], typedprop.linalg._types.Mat[Literal[2], Literal[4]]]"
bad3 = split(a, 5)  # E: Dimension mismatch in split: cannot split Vec[3] at 5  [dim-mismatch]
reveal_type(row(a))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[1], Literal[3]]"
reveal_type(col(a))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[1]]"
reveal_type(unrow(zeros(1, 6)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[6]]"
reveal_type(uncol(zeros(6, 1)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[6]]"
bad4 = unrow(m)  # E: Dimension mismatch in unrow: Mat[2, 3] needs a 1 there  [dim-mismatch]
reveal_type(vec2(1.0, 2.0))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[2]]"
reveal_type(vec3(1.0, 2.0, 3.0))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(vec4(1.0, 2.0, 3.0, 4.0))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
reveal_type(dot(a, a))  # N: Revealed type is "float"
bad5 = dot(a, b)  # E: Dimension mismatch in dot: Vec[3] dot Vec[4]  [dim-mismatch]
reveal_type(outer(a, b))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[4]]"
reveal_type(cross(a, a))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
bad6 = cross(b, b)  # E: Dimension mismatch in cross: Vec[4] cross Vec[4]; needs Vec[3]  [dim-mismatch]
reveal_type(inv(zeros(3, 3)))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[3]]"
bad7 = inv(m)  # E: Dimension mismatch in inv: Mat[2, 3] is not square  [dim-mismatch]
bad8 = det(m)  # E: Dimension mismatch in det: Mat[2, 3] is not square  [dim-mismatch]
bad9 = lndet(zeros(4, 2))  # E: Dimension mismatch in lndet: Mat[4, 2] is not square  [dim-mismatch]
reveal_type(det(zeros(3, 3)))  # N: Revealed type is "float"
reveal_type(take_diag(zeros(3, 3)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(diag(b))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[4], Literal[4]]"
reveal_type(to_rows(n))  # N: Revealed type is "list[typedprop.linalg._types.Vec[Literal[3]]]"
reveal_type(svd(n))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(eigenvalues(zeros(4, 4)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
bad10 = eigenvalues(n)  # E: Dimension mismatch in eigenvalues: Mat[5, 3] is not square  [dim-mismatch]
reveal_type(cov(n))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[3]]"
reveal_type(mean_cov(n))  # N: Revealed type is "tuple[typedprop.linalg._types.Vec[Literal[3]], typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
reveal_type(norm_2(a))  # N: Revealed type is "float"


def on_bvars(x: BVar[Vec[3]], y: BVar[Vec[4]]) -> None:
    reveal_type(vjoin(x, y))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[7]]]"
    reveal_type(split(y, 1))  # N: Revealed type is "tuple[typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[1]]], typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]]]"
    reveal_type(dot(x, x))  # N: Revealed type is "typedprop._core.BVar[float]"
    bad11 = dot(x, y)  # E: Dimension mismatch in dot: Vec[3] dot Vec[4]  [dim-mismatch]
    reveal_type(outer(x, y))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Literal[4]]]"
