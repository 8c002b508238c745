"""Decompositions and symmetric matrices: result dimensions from plain overloads, and the
mistakes mypy reports for them (non-square input, wrong vector lengths, wrong unpacking)."""

from typedprop import BVar
from typedprop.linalg import (
    Mat,
    Vec,
    diag_r,
    eigensystem,
    invlndet,
    mean_l,
    mtm,
    norm_0,
    svd_full,
    sym,
    zeros,
)

sq = zeros(3, 3)
wide = zeros(2, 3)
tall = zeros(5, 2)
v3 = zeros(3)
v4 = zeros(4)
reveal_type(eigensystem(sq))  # N: Revealed type is "tuple[typedprop.linalg._types.Vec[Literal[3]], typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
reveal_type(svd_full(tall))  # N: Revealed type is "tuple[typedprop.linalg._types.Mat[Literal[5], Any], typedprop.linalg._types.Vec[Any], typedprop.linalg._types.Mat[Literal[2], Any]]"
reveal_type(sym(sq))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[3]]"
reveal_type(mtm(wide))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[3]]"
reveal_type(invlndet(sq))  # N: Revealed type is "tuple[typedprop.linalg._types.Mat[Literal[3], Literal[3]], float, float]"
reveal_type(diag_r(0.0, v3, 4, 5))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[4], Literal[5]]"
reveal_type(mean_l(tall))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[2]]"
reveal_type(mean_l([v3, v3]))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(norm_0(wide))  # N: Revealed type is "float"
bad1 = eigensystem(wide)  # E: Dimension mismatch in eigensystem: Mat[2, 3] is not square  [dim-mismatch]
bad2 = sym(wide)  # E: Dimension mismatch in sym: Mat[2, 3] is not square  [dim-mismatch]
bad3 = invlndet(tall)  # E: Dimension mismatch in invlndet: Mat[5, 2] is not square  [dim-mismatch]
bad4 = mean_l([v3, v4])  # E: Need type annotation for "bad4"  [var-annotated] # E: Argument 1 to "mean_l" has incompatible type "list[object]"; expected "Mat[Never, Never] | Sequence[Vec[Never]]"  [arg-type]
values, vectors = eigensystem(sq)
bad5: Vec[4] = values  # E: Incompatible types in assignment (expression has type "Vec[Literal[3]]", variable has type "Vec[Literal[4]]")  [assignment]
bad6: Mat[3, 2] = vectors  # E: Incompatible types in assignment (expression has type "Mat[Literal[3], Literal[3]]", variable has type "Mat[Literal[3], Literal[2]]")  [assignment]
u, s, vt = svd_full(tall)
bad7: Mat[2, 2] = u  # E: Incompatible types in assignment (expression has type "Mat[Literal[5], Any]", variable has type "Mat[Literal[2], Literal[2]]")  [assignment]
bad8: Mat[5, 5] = mtm(tall)  # E: Incompatible types in assignment (expression has type "Mat[Literal[2], Literal[2]]", variable has type "Mat[Literal[5], Literal[5]]")  [assignment]
bad9, bad10 = svd_full(tall)  # E: Too many values to unpack (2 expected, 3 provided)  [misc]
bad11: Vec[3] = norm_0(v3)  # E: Incompatible types in assignment (expression has type "float", variable has type "Vec[Literal[3]]")  [assignment]
inverse, logdet, sign = invlndet(sq)
bad12: Mat[2, 2] = inverse  # E: Incompatible types in assignment (expression has type "Mat[Literal[3], Literal[3]]", variable has type "Mat[Literal[2], Literal[2]]")  [assignment]


def on_bvars(x: BVar[Mat[3, 3]], y: BVar[Mat[2, 3]]) -> None:
    reveal_type(eigensystem(x))  # N: Revealed type is "tuple[typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]], typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Literal[3]]]]"
    reveal_type(svd_full(y))  # N: Revealed type is "tuple[typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[2], Any]], typedprop._core.BVar[typedprop.linalg._types.Vec[Any]], typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Any]]]"
    reveal_type(sym(x))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
    reveal_type(mtm(y))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
    reveal_type(invlndet(x))  # N: Revealed type is "tuple[typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[3], Literal[3]]], typedprop._core.BVar[float], typedprop._core.BVar[float]]"
    bad13 = eigensystem(y)  # E: Dimension mismatch in eigensystem: Mat[2, 3] is not square  [dim-mismatch]
    bad14 = sym(y)  # E: Dimension mismatch in sym: Mat[2, 3] is not square  [dim-mismatch]
    w, _ = eigensystem(x)
    bad15: BVar[Vec[2]] = w  # E: Incompatible types in assignment (expression has type "BVar[Vec[Literal[3]]]", variable has type "BVar[Vec[Literal[2]]]")  [assignment]
