"""A network built from a layer factory whose second call has its sizes swapped."""

from typing import Generic, Literal, TypeVar

from typedprop import Model
from typedprop.linalg import Mat, Vec, zeros

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)


class Layer(Model, Generic[In, Out]):
    weight: Mat[Out, In]
    bias: Vec[Out]


def make_layer(i: In, o: Out) -> Layer[In, Out]:
    return Layer(zeros(o, i), zeros(o))


class Net(Model):
    l1: Layer[Literal[4], Literal[10]]
    l2: Layer[Literal[10], Literal[3]]


def main() -> None:
    net = Net(make_layer(4, 10), make_layer(3, 10))  # mistake: l2 is 10 -> 3, not 3 -> 10
    print(net)


if __name__ == "__main__":
    main()
