"""A gated recurrent cell whose weights read the input and the state joined: ``vjoin(x, h)``.

mypy-only on purpose: ``GatedCell.gate`` at class level on a generic model is a lens only with the
plugin (pyright: "Access to generic instance variable through class is ambiguous").
gated_cell.py is the same program in the portable spelling."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, auto, grad_bp, model
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Add, Mat, Vec, vjoin, zeros

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


@model
class GatedCell(Generic[In, H]):
    gate: Mat[H, Add[In, H]]
    candidate: Mat[H, Add[In, H]]


def cell_step(cell: BVar[GatedCell[In, H]], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    xh = vjoin(x, h)
    g = logistic((cell ^ GatedCell.gate) @ xh)
    c = tanh((cell ^ GatedCell.candidate) @ xh)
    return g * c + (1.0 - g) * h


def main() -> None:
    rng = np.random.default_rng(6)
    cell: GatedCell[Literal[2], Literal[4]] = GatedCell(
        Mat(rng.normal(size=(4, 6))), Mat(rng.normal(size=(4, 6)))
    )
    xs: list[Vec[Literal[2]]] = [Vec(rng.normal(size=2)) for _ in range(4)]

    def loss(c: BVar[GatedCell[Literal[2], Literal[4]]]) -> BVar[float]:
        h: BVar[Vec[Literal[4]]] = auto(zeros(4))
        for x in xs:
            h = cell_step(c, auto(x), h)
        return sum_elements(h * h)

    grad = grad_bp(loss, cell)
    assert grad.gate.shape == (4, 6)


if __name__ == "__main__":
    main()
