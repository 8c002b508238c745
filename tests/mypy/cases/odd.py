"""Unusual input: the plugin steps aside (mypy's own answer stands) and never crashes."""

from typing import Any

from typedprop import BVar
from typedprop.linalg import Mat, Vec, hstack, konst, matrix, split, vector, zeros


def unknowns(n: int, rows: list[list[float]], xs: list[float], anything: Any) -> None:
    reveal_type(vector(xs))  # N: Revealed type is "typedprop.linalg._types.Vec[Any]"
    reveal_type(matrix(rows))  # N: Revealed type is "typedprop.linalg._types.Mat[Any, Any]"
    reveal_type(split(zeros(4), n))  # N: Revealed type is "tuple[typedprop.linalg._types.Vec[Any], typedprop.linalg._types.Vec[Any]]"
    reveal_type(konst(1.0, n, 2))  # N: Revealed type is "typedprop.linalg._types.Mat[Any, Literal[2]]"
    reveal_type(hstack(anything, anything))  # N: Revealed type is "Any"
    reveal_type(zeros(3) @ anything)  # N: Revealed type is "Any"
    reveal_type(anything @ zeros(3))  # N: Revealed type is "Any"


def ragged() -> None:
    reveal_type(matrix([[1.0, 2.0], [3.0]]))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Any]"


def untyped_bvar(b: BVar[Any]) -> None:
    reveal_type(b @ zeros(3))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Any]]"


missing = zeros()  # E: All overload variants of "zeros" require at least one argument  [call-overload]  # N: Possible overload variants:  # N: def [N: int] zeros(int, /) -> Any  # N: def [M: int, N: int] zeros(int, int, /) -> Any
