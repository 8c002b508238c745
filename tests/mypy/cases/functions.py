"""typedprop.functions keep the type of what they are given: elementwise functions a BVar's
Vec[n] or Mat[m, n], reductions a number (or a Vec of a Mat's rows or columns)."""

from typedprop import BVar
from typedprop.functions import (
    acosh,
    asin,
    atanh,
    log_base,
    logsumexp,
    maximum,
    minimum,
    product,
    sign,
)
from typedprop.linalg import Mat, Vec, zeros


def elementwise(v: BVar[Vec[3]], m: BVar[Mat[2, 5]]) -> None:
    reveal_type(asin(v))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]]"
    reveal_type(acosh(m))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[2], Literal[5]]]"
    reveal_type(sign(v))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]]"
    reveal_type(log_base(2.0, v))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]]"
    reveal_type(atanh(zeros(4)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
    bad1: BVar[Vec[4]] = asin(v)  # E: Argument 1 to "asin" has incompatible type "BVar[Vec[Literal[3]]]"; expected "BVar[Vec[Literal[4]]]"  [arg-type]
    bad2: Vec[3] = asin(v)  # E: Incompatible types in assignment (expression has type "BVar[Vec[Literal[3]]]", variable has type "Vec[Literal[3]]")  [assignment]
    bad3: BVar[Mat[5, 2]] = atanh(m)  # E: Argument 1 to "atanh" has incompatible type "BVar[Mat[Literal[2], Literal[5]]]"; expected "BVar[Mat[Literal[5], Literal[2]]]"  [arg-type]
    bad4: Vec[3] = log_base(2.0, zeros(4))  # E: Argument 2 to "log_base" has incompatible type "Vec[Literal[4]]"; expected "Vec[Literal[3]]"  [arg-type]


def reductions(v: BVar[Vec[3]], m: BVar[Mat[2, 5]], xs: list[BVar[float]]) -> None:
    reveal_type(logsumexp(v))  # N: Revealed type is "typedprop._core.BVar[float]"
    reveal_type(logsumexp(m))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]"
    reveal_type(logsumexp(m, axis=0))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[5]]]"
    reveal_type(maximum(m, axis=1))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]"
    reveal_type(minimum(zeros(2, 5), axis=0))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[5]]"
    reveal_type(product(v))  # N: Revealed type is "typedprop._core.BVar[float]"
    reveal_type(maximum(xs))  # N: Revealed type is "typedprop._core.BVar[float]"
    bad5: BVar[Vec[5]] = logsumexp(m)  # E: Incompatible types in assignment (expression has type "BVar[Vec[Literal[2]]]", variable has type "BVar[Vec[Literal[5]]]")  [assignment]
    bad6: Vec[2] = minimum(zeros(2, 5), axis=0)  # E: Incompatible types in assignment (expression has type "Vec[Literal[5]]", variable has type "Vec[Literal[2]]")  [assignment]
    bad7: float = product(v)  # E: Incompatible types in assignment (expression has type "BVar[float]", variable has type "float")  [assignment]
    bad8: BVar[Vec[2]] = maximum(m, axis=0)  # E: Incompatible types in assignment (expression has type "BVar[Vec[Literal[5]]]", variable has type "BVar[Vec[Literal[2]]]")  [assignment]
    bad9: float = maximum(xs)  # E: Incompatible types in assignment (expression has type "BVar[float]", variable has type "float")  [assignment]
