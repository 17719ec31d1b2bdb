"""The network IR (a networkx graph), its torch compiler and its size counts."""

from ._built import Built as Built
from ._compile import TorchNet as TorchNet
from ._compile import compile_net as compile_net
from ._ir import Affine as Affine
from ._ir import Concat as Concat
from ._ir import Input as Input
from ._ir import LinearGate as LinearGate
from ._ir import MoE as MoE
from ._ir import Net as Net
from ._ir import NetBuilder as NetBuilder
from ._ir import PReLU as PReLU
from ._ir import Slice as Slice
from ._ir import StackedExperts as StackedExperts
from ._ir import TreeRouter as TreeRouter
from ._ir import dyadic_tree_router as dyadic_tree_router
from ._ir import evaluate_exact as evaluate_exact
from ._ir import evaluate_numpy as evaluate_numpy
from ._ir import random_relu_net as random_relu_net
from ._ir import route_numpy as route_numpy
from ._ir import sequential_net as sequential_net
from ._sizes import NetSizes as NetSizes
from ._sizes import count_sizes as count_sizes

__all__ = [
    "Built",
    "TorchNet",
    "compile_net",
    "Input",
    "Affine",
    "PReLU",
    "Concat",
    "Slice",
    "MoE",
    "LinearGate",
    "TreeRouter",
    "StackedExperts",
    "Net",
    "NetBuilder",
    "dyadic_tree_router",
    "sequential_net",
    "random_relu_net",
    "evaluate_numpy",
    "evaluate_exact",
    "route_numpy",
    "NetSizes",
    "count_sizes",
]
