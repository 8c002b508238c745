"""Constructors take their dimensions from integer arguments."""

from typing import Final

from typedprop import BVar, auto
from typedprop.linalg import eye, konst, linspace, matrix, vector, zeros

ROWS: Final = 20
COLS: Final = 100
reveal_type(zeros(20, 100))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
reveal_type(zeros(7))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[7]]"
reveal_type(zeros(ROWS, COLS))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
reveal_type(eye(4))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[4], Literal[4]]"
reveal_type(konst(2.0, 3))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(konst(2.0, 2, 5))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Literal[5]]"
reveal_type(linspace(0.0, 1.0, 11))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[11]]"
reveal_type(vector([1.0, 2.0, 3.0]))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"
reveal_type(matrix([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[3], Literal[2]]"


def unknown(n: int) -> None:
    reveal_type(zeros(n))  # N: Revealed type is "typedprop.linalg._types.Vec[Any]"
    reveal_type(zeros(n, 3))  # N: Revealed type is "typedprop.linalg._types.Mat[Any, Literal[3]]"


def differentiable(x: BVar[float]) -> None:
    reveal_type(konst(x, 3))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[3]]]"
    reveal_type(linspace(x, 1.0, 4))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[4]]]"
    reveal_type(vector([x, 1.0]))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]"
