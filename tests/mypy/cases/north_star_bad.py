"""The north star's deliberate mistake: a matrix times a vector of the wrong length."""

from typedprop.linalg import zeros

w, v = zeros(20, 100), zeros(99)
reveal_type(w)  # N: Revealed type is "typedprop.linalg._types.Mat[Literal[20], Literal[100]]"
reveal_type(v)  # N: Revealed type is "typedprop.linalg._types.Vec[Literal[99]]"
bad = w @ v  # E: Dimension mismatch in @: Mat[20, 100] @ Vec[99]  [dim-mismatch]
