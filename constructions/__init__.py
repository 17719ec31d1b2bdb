"""Explicit networks: the constructions of the theorems' proofs, on one IR (a networkx graph).

Public surface: the IR (:class:`Net`, :class:`NetBuilder`, node specs, routers, experts), exact and
reference evaluation, the torch compiler (:func:`compile_net`) and size counts (:func:`count_sizes`).
Paper constructions live in their own modules (``constructions.yarotsky``, ...).
"""

import os as _os

# torch's OpenMP workers busy-wait by default, which slows a shared 2-core machine 3-30x; set before torch loads
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# construction helpers other packages use
from ._active_memory import ActiveMemoryMoE as ActiveMemoryMoE
from ._budget import human_bytes as human_bytes
from ._budget import memory_budget as memory_budget
from ._budget import parse_bytes as parse_bytes
from ._budget import require_memory as require_memory
from ._budget import set_memory_budget as set_memory_budget
from ._cpwl_experts import kuhn_interpolate as kuhn_interpolate
from ._cpwl_experts import moebius as moebius
from .ir import Affine as Affine
from .ir import Built as Built
from .ir import Concat as Concat
from .ir import Input as Input
from .ir import LinearGate as LinearGate
from .ir import MoE as MoE
from .ir import Net as Net
from .ir import NetBuilder as NetBuilder
from .ir import NetSizes as NetSizes
from .ir import PReLU as PReLU
from .ir import Slice as Slice
from .ir import StackedExperts as StackedExperts
from .ir import TorchNet as TorchNet
from .ir import TreeRouter as TreeRouter
from .ir import compile_net as compile_net
from .ir import count_sizes as count_sizes
from .ir import dyadic_tree_router as dyadic_tree_router
from .ir import evaluate_exact as evaluate_exact
from .ir import evaluate_numpy as evaluate_numpy
from .ir import random_relu_net as random_relu_net
from .ir import route_numpy as route_numpy
from .ir import sequential_net as sequential_net

__all__ = [
    "human_bytes",
    "memory_budget",
    "parse_bytes",
    "require_memory",
    "set_memory_budget",
    "Built",
    "TorchNet",
    "compile_net",
    "Affine",
    "Concat",
    "Input",
    "LinearGate",
    "MoE",
    "Net",
    "NetBuilder",
    "PReLU",
    "Slice",
    "StackedExperts",
    "TreeRouter",
    "dyadic_tree_router",
    "evaluate_exact",
    "evaluate_numpy",
    "random_relu_net",
    "route_numpy",
    "sequential_net",
    "NetSizes",
    "count_sizes",
    "ActiveMemoryMoE",
    "kuhn_interpolate",
    "moebius",
]
