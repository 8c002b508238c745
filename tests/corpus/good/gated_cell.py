"""A gated recurrent cell whose weights read the input and the state joined: ``vjoin(x, h)``,
its generic fields viewed through ``lens_of`` (the portable spelling of
gated_cell_mypy_only.py)."""

from typing import Generic, Literal, TypeVar

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, lens_of
from typedprop.functions import logistic, sum_elements, tanh
from typedprop.linalg import Add, Mat, Vec, vjoin, zeros

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
L2 = Literal[2]
L4 = Literal[4]


class GatedCell(Model, Generic[In, H]):
    gate: Mat[H, Add[In, H]]
    candidate: Mat[H, Add[In, H]]


def cell_step(cell: BVar[GatedCell[In, H]], x: BVar[Vec[In]], h: BVar[Vec[H]]) -> BVar[Vec[H]]:
    gate: BVar[Mat[H, Add[In, H]]] = cell ^ lens_of(GatedCell[In, H], lambda c: c.gate)
    candidate: BVar[Mat[H, Add[In, H]]] = cell ^ lens_of(GatedCell[In, H], lambda c: c.candidate)
    xh = vjoin(x, h)
    g = logistic(gate @ xh)
    c = tanh(candidate @ xh)
    return g * c + (1.0 - g) * h


def main() -> None:
    rng = np.random.default_rng(6)
    cell = GatedCell(
        Mat[L4, Add[L2, L4]](rng.normal(size=(4, 6))),
        Mat[L4, Add[L2, L4]](rng.normal(size=(4, 6))),
    )
    xs = [Vec[L2](rng.normal(size=2)) for _ in range(4)]

    def loss(c: BVar[GatedCell[L2, L4]]) -> BVar[float]:
        h: BVar[Vec[L4]] = auto(zeros(4))
        for x in xs:
            h = cell_step(c, auto(x), h)
        return sum_elements(h * h)

    grad = grad_bp(loss, cell)
    assert grad.gate.shape == (4, 6)


if __name__ == "__main__":
    main()
