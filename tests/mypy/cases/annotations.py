"""Dimensions in annotations: literals, variables, nesting, and invalid ones."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from typedprop import BVar
from typedprop.linalg import Add, Mat, Vec

N = TypeVar("N", bound=int)
M = TypeVar("M", bound=int)


def literal(v: Vec[20], m: Mat[20, 100]) -> None:
    reveal_type(v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[20]]"
    reveal_type(m)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"


def portable(v: Vec[Literal[3]]) -> None:
    reveal_type(v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]]"


def nested(
    b: BVar[Vec[100]], xs: list[Mat[3, 3]], maybe: Vec[3] | None, quoted: "Mat[2, 5]"
) -> None:
    reveal_type(b)  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[100]]]"
    reveal_type(xs)  # N: Revealed type is "list[typedprop.linalg._types.Mat[Literal[3], Literal[3]]]"
    reveal_type(maybe)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[3]] | None"
    reveal_type(quoted)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Literal[5]]"


def variables(v: Vec[N], m: Mat[M, N]) -> Vec[M]:
    reveal_type(m @ v)  # N: Revealed type is "typedprop.linalg._types.Vec[M]"
    return m @ v


def arithmetic(v: Vec[Add[2, 3]], w: Vec[Add[M, N]]) -> None:
    reveal_type(v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[5]]"


class Holder(Generic[N]):
    def __init__(self, v: Vec[N]) -> None:
        self.v = v


def bad_negative(v: Vec[-1]) -> None: ...  # E: Invalid dimension -1 in "Vec[...]": a dimension is a non-negative integer literal or a type variable bound to int  [dim-invalid]
def bad_arity(m: Mat[3]) -> None: ...  # E: "Mat" takes 2 dimension(s), got 1  [dim-invalid]
def bad_float(v: Vec[1.5]) -> None: ...  # E: Invalid dimension typing.Any in "Vec[...]": a dimension is a non-negative integer literal or a type variable bound to int  [dim-invalid]
def bad_type(v: Vec[str]) -> None: ...  # E: Invalid dimension str in "Vec[...]": a dimension is a non-negative integer literal or a type variable bound to int  [dim-invalid]
def bad_too_many(v: Vec[1, 2]) -> None: ...  # E: "Vec" takes 1 dimension(s), got 2  [dim-invalid]
