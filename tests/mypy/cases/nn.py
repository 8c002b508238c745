"""typedprop.nn: layers typed to the dimension, on values and on BVars, and their mistakes."""

from typing import Literal

import numpy as np

from typedprop import BVar, Model, auto, grad_bp, nn
from typedprop.functions import sum_elements
from typedprop.linalg import Mat, Vec, zeros

rng = np.random.default_rng(0)
lin = nn.Linear.init(rng, 3, 4)
reveal_type(lin)  # N: Revealed type is "typedprop.nn.Linear[Literal[3], Literal[4]]"
reveal_type(lin(zeros(3)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
reveal_type(lin(zeros(7, 3)))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[7], Literal[4]]"
lin(zeros(5))  # E: Argument 1 to "__call__" of "Linear" has incompatible type "Vec[Literal[5]]"; expected "Vec[Literal[3]]"  [arg-type]
lin(zeros(7, 5))  # E: Argument 1 to "__call__" of "Linear" has incompatible type "Mat[Literal[7], Literal[5]]"; expected "Mat[Literal[7], Literal[3]]"  [arg-type]
nn.Linear.init(rng, 3, 4, init="xavier")  # E: Argument "init" to "init" of "Linear" has incompatible type "Literal['xavier']"; expected "Literal['glorot', 'he', 'normal']"  [arg-type]
bad_linear: nn.Linear[3, 5] = nn.Linear.init(rng, 3, 4)  # E: Incompatible types in assignment (expression has type "Linear[Literal[3], Literal[4]]", variable has type "Linear[Literal[3], Literal[5]]")  [assignment]
norm = nn.LayerNorm.init(4)
reveal_type(norm)  # N: Revealed type is "typedprop.nn.LayerNorm[Literal[4]]"
reveal_type(norm(lin(zeros(3))))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"
norm(zeros(5))  # E: Argument 1 to "__call__" of "LayerNorm" has incompatible type "Vec[Literal[5]]"; expected "Vec[Literal[4]]"  [arg-type]
emb = nn.Embedding.init(rng, 10, 8)
reveal_type(emb)  # N: Revealed type is "typedprop.nn.Embedding[Literal[10], Literal[8]]"
reveal_type(emb(3))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[8]]"
gru = nn.GRUCell.init(rng, 3, 5)
reveal_type(gru(zeros(3), zeros(5)))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[5]]"
reveal_type(gru(zeros(2, 3), zeros(2, 5)))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[2], Literal[5]]"
gru(zeros(3), zeros(4))  # E: Argument 2 to "__call__" of "GRUCell" has incompatible type "Vec[Literal[4]]"; expected "Vec[Literal[5]]"  [arg-type]
gru(zeros(4), zeros(5))  # E: Argument 1 to "__call__" of "GRUCell" has incompatible type "Vec[Literal[4]]"; expected "Vec[Literal[3]]"  [arg-type]
lstm = nn.LSTMCell.init(rng, 3, 5)
reveal_type(lstm(zeros(3), (zeros(5), zeros(5))))  # N: Revealed type is "tuple[typedprop.linalg._types.Vec[Literal[5]], typedprop.linalg._types.Vec[Literal[5]]]"
lstm(zeros(3), (zeros(5), zeros(6)))  # E: Argument 2 to "__call__" of "LSTMCell" has incompatible type "tuple[Vec[Literal[5]], Vec[Literal[6]]]"; expected "tuple[Vec[Literal[5]], Vec[Literal[5]]]"  [arg-type]
attend = nn.SelfAttention.init(rng, 8, 2)
reveal_type(attend(zeros(6, 8), causal=True))  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[6], Literal[8]]"
attend(zeros(6, 7))  # E: Argument 1 to "__call__" of "SelfAttention" has incompatible type "Mat[Literal[6], Literal[7]]"; expected "Mat[Literal[6], Literal[8]]"  [arg-type]
reveal_type(nn.dropout(zeros(4), 0.5, rng))  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[4]]"


class Net(Model):
    hidden: nn.Linear[3, 4]
    norm: nn.LayerNorm[4]
    out: nn.Linear[4, 2]

    def __call__(self, x: BVar[Vec[3]]) -> BVar[Vec[2]]:
        return (self ^ Net.out)((self ^ Net.norm)((self ^ Net.hidden)(x)))


Net(nn.Linear.init(rng, 3, 4), nn.LayerNorm.init(4), nn.Linear.init(rng, 4, 3))  # E: Argument 3 to "Net" has incompatible type "Linear[Literal[4], Literal[3]]"; expected "Linear[Literal[4], Literal[2]]"  [arg-type]


def loss(net: BVar[Net], x: Vec[3], batch: Mat[7, 3]) -> BVar[float]:
    reveal_type((net ^ Net.hidden)(x))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[4]]]"
    reveal_type((net ^ Net.hidden)(auto(batch)))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[7], Literal[4]]]"
    reveal_type(net(auto(x)))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]"
    (net ^ Net.hidden)(zeros(5))  # E: Argument 1 to "__call__" of "BVar" has incompatible type "Vec[Literal[5]]"; expected "BVar[Vec[Literal[3]]] | Vec[Literal[3]]"  [arg-type]
    (net ^ Net.out)(auto(x))  # E: Argument 1 to "auto" has incompatible type "Vec[Literal[3]]"; expected "Vec[Literal[4]]"  [arg-type]
    net(x)  # E: Argument 1 to "__call__" of "Net" has incompatible type "Vec[Literal[3]]"; expected "BVar[Vec[Literal[3]]]"  [arg-type]
    return sum_elements(net(auto(x)))


def sequence(cell: BVar[nn.GRUCell[3, 5]], xs: list[Vec[3]]) -> BVar[Vec[5]]:
    h: BVar[Vec[5]] = auto(zeros(5))
    for x in xs:
        h = cell(auto(x), h)
    reveal_type(cell(auto(xs[0]), h))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[5]]]"
    cell(auto(zeros(4)), h)  # E: Argument 1 to "auto" has incompatible type "Vec[Literal[4]]"; expected "Vec[Literal[3]]"  [arg-type]
    return h


def attention(a: BVar[nn.SelfAttention[8]], x: BVar[Mat[6, 8]]) -> BVar[Mat[6, 8]]:
    reveal_type(a(x))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Mat[Literal[6], Literal[8]]]"
    a(auto(zeros(6, 4)))  # E: Argument 1 to "__call__" of "BVar" has incompatible type "BVar[Mat[Literal[6], Literal[4]]]"; expected "BVar[Mat[Never, Literal[8]]] | Mat[Never, Literal[8]]"  [arg-type]
    return a(x, causal=True)


def embed(e: BVar[nn.Embedding[10, 8]]) -> BVar[Vec[8]]:
    reveal_type(e(2))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[8]]]"
    return e(2)


grad_bp(lambda n: loss(n, zeros(3), zeros(7, 3)), Net(lin, norm, nn.Linear.init(rng, 4, 2)))


def states(h: BVar[Vec[5]], c: BVar[Vec[5]]) -> None:
    reveal_type(gru(zeros(3), h))  # N: Revealed type is "typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[5]]]"
    reveal_type(lstm(zeros(3), (h, c)))  # N: Revealed type is "tuple[typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[5]]], typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[5]]]]"
    gru(zeros(3), auto(zeros(4)))  # E: Argument 1 to "auto" has incompatible type "Vec[Literal[4]]"; expected "Vec[Literal[5]]"  [arg-type]
