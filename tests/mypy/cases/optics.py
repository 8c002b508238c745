"""Prisms, traversals and the op combinators: what their results are typed as, and mistakes."""

from collections.abc import Callable
from typing import NewType

from typedprop import (
    BVar,
    Prism,
    coerce_var,
    compose_op,
    id_op,
    model,
    op1,
    op2,
    op_const,
    op_lens,
    preview_var,
    to_list_of_var,
    view_var,
)
from typedprop.linalg import Mat, Vec


@model
class Relu:
    leak: float


@model
class Tanh:
    gain: float


@model
class Layer:
    weight: Mat[2, 3]
    bias: Vec[2]


@model
class Net:
    activation: Relu | Tanh
    layers: list[Layer]
    scale: float


Meters = NewType("Meters", float)

reveal_type(Net.activation.when(Relu))  # N: Revealed type is "typedprop.lens.Prism[tests.mypy.cases.optics.Net, tests.mypy.cases.optics.Relu]"
reveal_type(Net.layers.each() >> Layer.weight)  # N: Revealed type is "typedprop.lens.Traversal[tests.mypy.cases.optics.Net, typedprop.linalg._types.Mat[Literal[2], Literal[3]]]"
reveal_type(Net.activation.when(Relu) >> Relu.leak)  # N: Revealed type is "typedprop.lens.Prism[tests.mypy.cases.optics.Net, float]"
bad_each = Net.scale.each()  # E: Invalid self argument "Lens[Net, float]" to attribute function "each" with type "Callable[[Traversal[S, list[B]]], Traversal[S, B]]"  [misc]  # E: Need type annotation for "bad_each"  [var-annotated]
bad_path = Net.activation >> Relu.leak  # E: Unsupported operand types for >> ("Lens[Net, Relu | Tanh]" and "Lens[Relu, float]")  [operator]
bad_after = Net.layers.each() >> Relu.leak  # E: Lens of "Relu" applied to "Layer": Relu.leak views a field of Relu, not of Layer  [lens-mismatch]


def run(n: BVar[Net], r: BVar[Relu]) -> None:
    reveal_type(preview_var(Net.activation.when(Relu), n))  # N: Revealed type is "typedprop._core.BVar[tests.mypy.cases.optics.Relu] | None"
    reveal_type(view_var(Net.activation.when(Tanh), n))  # N: Revealed type is "typedprop._core.BVar[tests.mypy.cases.optics.Tanh]"
    reveal_type(to_list_of_var(Net.layers.each() >> Layer.bias, n))  # N: Revealed type is "list[typedprop._core.BVar[typedprop.linalg._types.Vec[Literal[2]]]]"
    reveal_type(preview_var(Prism.of(Relu), r))  # N: Revealed type is "typedprop._core.BVar[tests.mypy.cases.optics.Relu] | None"
    bad_source = preview_var(Net.activation.when(Relu), r)  # E: Cannot infer value of type parameter "S" of "preview_var"  [misc]
    bad_target: BVar[Tanh] = view_var(Net.activation.when(Relu), n)  # E: Argument 1 to "when" of "Prism" has incompatible type "type[Relu]"; expected "type[Tanh]"  [arg-type]


@op1
def square(x: float) -> tuple[float, Callable[[float], float]]:
    return x * x, lambda g: 2.0 * x * g


@op2
def mul(x: float, y: float) -> tuple[float, Callable[[float], tuple[float, float]]]:
    return x * y, lambda g: (g * y, g * x)


@op1
def norm(v: Vec[3]) -> tuple[float, Callable[[float], Vec[3]]]:
    return 0.0, lambda g: v * g


reveal_type(compose_op(mul, square, id_op))  # N: Revealed type is "typedprop.op.Op1[Any, float]"
reveal_type(compose_op(square, mul))  # N: Revealed type is "typedprop.op.Op2[float, float, float]"
reveal_type(id_op(2.0))  # N: Revealed type is "float"
reveal_type(op_lens(Net.scale))  # N: Revealed type is "typedprop.op.Op1[tests.mypy.cases.optics.Net, float]"
reveal_type(op_const(1.0))  # N: Revealed type is "typedprop.op.OpN[float]"
bad_compose = compose_op(norm, square)  # E: Cannot infer value of type parameter "B" of "compose_op"  [misc]
bad_lens = op_lens(Net.activation.when(Relu))  # E: Need type annotation for "bad_lens"  [var-annotated]  # E: Argument 1 to "op_lens" has incompatible type "Prism[Net, Relu]"; expected "Lens[Never, Never]"  [arg-type]


def meters(x: BVar[float], v: BVar[Vec[3]]) -> BVar[Meters]:
    reveal_type(coerce_var(Meters, x))  # N: Revealed type is "typedprop._core.BVar[tests.mypy.cases.optics.Meters]"
    bad_meters: BVar[Meters] = coerce_var(float, x)  # E: Argument 1 to "coerce_var" has incompatible type "type[float]"; expected "Callable[..., Meters]"  [arg-type]
    return coerce_var(Meters, x)
