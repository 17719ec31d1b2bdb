"""Explicit networks: the constructions of the theorems' proofs, on one IR (a networkx graph).

Public surface: the IR (:class:`Net`, :class:`NetBuilder`, node specs, routers, experts), exact and
reference evaluation, the torch compiler (:func:`compile_net`) and size counts (:func:`count_sizes`).
Paper constructions live in their own modules (``constructions.yarotsky``, ...).
"""

import os as _os

# torch's OpenMP workers busy-wait by default, which slows a shared 2-core machine 3-30x; set before torch loads
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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
