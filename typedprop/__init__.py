"""typedprop: heterogeneous, statically typed reverse-mode automatic differentiation.

Write a function that computes a result from ``BVar``s; ``grad_bp`` gives its gradient, of the
input's own type. Start with ``grad_bp``/``backprop``/``eval_bp`` (``typedprop._runners``), the
functions in ``typedprop.functions``, and ``op1``/``op2`` (``typedprop.op``) for operations of
your own; ``typedprop.testing.check_grad`` verifies gradients against finite differences.
"""

from typedprop import functions as functions
from typedprop import nn as nn
from typedprop._core import BVar as BVar
from typedprop._flatten import flatten as flatten
from typedprop._runners import auto as auto
from typedprop._runners import backprop as backprop
from typedprop._runners import backprop2 as backprop2
from typedprop._runners import backprop_n as backprop_n
from typedprop._runners import backprop_with as backprop_with
from typedprop._runners import backprop_with2 as backprop_with2
from typedprop._runners import backprop_with_n as backprop_with_n
from typedprop._runners import collect_var as collect_var
from typedprop._runners import eval_bp as eval_bp
from typedprop._runners import eval_bp2 as eval_bp2
from typedprop._runners import eval_bp_n as eval_bp_n
from typedprop._runners import grad_bp as grad_bp
from typedprop._runners import grad_bp2 as grad_bp2
from typedprop._runners import grad_bp_n as grad_bp_n
from typedprop._runners import sequence_var as sequence_var
from typedprop._summary import count_params as count_params
from typedprop._summary import summary as summary
from typedprop.classes import Backprop as Backprop
from typedprop.classes import add as add
from typedprop.classes import one as one
from typedprop.classes import register_backprop as register_backprop
from typedprop.classes import zero as zero
from typedprop.compiled import compile_eval as compile_eval
from typedprop.compiled import compile_grad as compile_grad
from typedprop.errors import CheckpointError as CheckpointError
from typedprop.errors import DegenerateError as DegenerateError
from typedprop.errors import EscapedBVarError as EscapedBVarError
from typedprop.errors import FieldTypeError as FieldTypeError
from typedprop.errors import GradientCheckError as GradientCheckError
from typedprop.errors import LensError as LensError
from typedprop.errors import MissingInstanceError as MissingInstanceError
from typedprop.errors import NoGradientError as NoGradientError
from typedprop.errors import NonScalarOutputError as NonScalarOutputError
from typedprop.errors import ParallelError as ParallelError
from typedprop.errors import PullbackError as PullbackError
from typedprop.errors import ShapeError as ShapeError
from typedprop.errors import SingularMatrixError as SingularMatrixError
from typedprop.errors import TraceError as TraceError
from typedprop.errors import TypedpropError as TypedpropError
from typedprop.lens import Lens as Lens
from typedprop.lens import Prism as Prism
from typedprop.lens import Traversal as Traversal
from typedprop.lens import iso_var as iso_var
from typedprop.lens import lens_of as lens_of
from typedprop.lens import over_var as over_var
from typedprop.lens import preview_var as preview_var
from typedprop.lens import set_var as set_var
from typedprop.lens import to_list_of_var as to_list_of_var
from typedprop.lens import view_var as view_var
from typedprop.op import Op as Op
from typedprop.op import coerce_var as coerce_var
from typedprop.op import compose_op as compose_op
from typedprop.op import id_op as id_op
from typedprop.op import iso_var2 as iso_var2
from typedprop.op import iso_var_n as iso_var_n
from typedprop.op import lift_op1 as lift_op1
from typedprop.op import lift_op2 as lift_op2
from typedprop.op import lift_op3 as lift_op3
from typedprop.op import lift_op_n as lift_op_n
from typedprop.op import no_grad as no_grad
from typedprop.op import op1 as op1
from typedprop.op import op2 as op2
from typedprop.op import op3 as op3
from typedprop.op import op_const as op_const
from typedprop.op import op_iso as op_iso
from typedprop.op import op_iso2 as op_iso2
from typedprop.op import op_iso_n as op_iso_n
from typedprop.op import op_lens as op_lens
from typedprop.op import op_n as op_n
from typedprop.record import Model as Model
from typedprop.record import Split as Split
from typedprop.record import join_bv as join_bv
from typedprop.record import model as model
from typedprop.record import split_bv as split_bv
from typedprop.record import static as static
from typedprop.testing import allclose as allclose

__all__ = [
    "Backprop",
    "BVar",
    "CheckpointError",
    "DegenerateError",
    "EscapedBVarError",
    "FieldTypeError",
    "GradientCheckError",
    "Lens",
    "LensError",
    "MissingInstanceError",
    "Model",
    "NoGradientError",
    "NonScalarOutputError",
    "Op",
    "ParallelError",
    "Prism",
    "PullbackError",
    "ShapeError",
    "SingularMatrixError",
    "Split",
    "TraceError",
    "Traversal",
    "TypedpropError",
    "add",
    "allclose",
    "auto",
    "backprop",
    "backprop2",
    "backprop_n",
    "backprop_with",
    "backprop_with2",
    "backprop_with_n",
    "coerce_var",
    "collect_var",
    "compile_eval",
    "compile_grad",
    "compose_op",
    "count_params",
    "eval_bp",
    "eval_bp2",
    "eval_bp_n",
    "flatten",
    "grad_bp",
    "grad_bp2",
    "grad_bp_n",
    "id_op",
    "iso_var",
    "iso_var2",
    "iso_var_n",
    "join_bv",
    "lens_of",
    "lift_op1",
    "lift_op2",
    "lift_op3",
    "lift_op_n",
    "model",
    "nn",
    "no_grad",
    "one",
    "op1",
    "op2",
    "op3",
    "op_const",
    "op_iso",
    "op_iso2",
    "op_iso_n",
    "op_lens",
    "op_n",
    "over_var",
    "preview_var",
    "register_backprop",
    "sequence_var",
    "set_var",
    "split_bv",
    "static",
    "summary",
    "to_list_of_var",
    "view_var",
    "zero",
]
