"""The certifier: IBP/CROWN over the IR with per-box MoE routing, branch and bound, exact replays of
witnesses, the exact rational tier, routing partitions. Its results are certificates, never verdicts.
"""

from ._bounds import METHODS as METHODS
from ._bounds import NetBounds as NetBounds
from ._bounds import bound_net as bound_net
from ._certify import SupErrorCertificate as SupErrorCertificate
from ._certify import SupErrorProblem as SupErrorProblem
from ._certify import certified_sup_error as certified_sup_error
from ._chunks import DEFAULT_MEMORY_BUDGET as DEFAULT_MEMORY_BUDGET
from ._chunks import NetTensors as NetTensors
from ._chunks import box_bytes as box_bytes
from ._chunks import boxes_per_chunk as boxes_per_chunk
from ._crown import TINY as TINY
from ._crown import Step as Step
from ._crown import StepGraph as StepGraph
from ._crown import concretize_upper as concretize_upper
from ._crown import round_down as round_down
from ._crown import round_up as round_up
from ._crown import slack_factor as slack_factor
from ._exact_tier import exact_sup_le as exact_sup_le
from ._exact_tier import rational_polynomial_targets as rational_polynomial_targets
from ._float64 import Float64Allowance as Float64Allowance
from ._float64 import float64_allowance as float64_allowance
from ._net_max import NetMaximum as NetMaximum
from ._net_max import certified_net_max as certified_net_max
from ._partition import Partition as Partition
from ._partition import RoutingCertificate as RoutingCertificate
from ._partition import certified_partition as certified_partition
from ._partition import certified_routing as certified_routing
from ._partition import route_count_bounds as route_count_bounds
from ._replay import exact_path as exact_path
from ._replay import network_enclosure as network_enclosure
from ._replay import replay_error as replay_error
from ._replay import shrink_point as shrink_point
from ._routing import Candidates as Candidates
from ._routing import gate_candidates as gate_candidates
from ._routing import route_region as route_region
from ._routing import tree_candidates as tree_candidates
from ._routing import tree_cells as tree_cells

__all__ = [
    "NetBounds",
    "bound_net",
    "METHODS",
    "SupErrorCertificate",
    "SupErrorProblem",
    "certified_sup_error",
    "DEFAULT_MEMORY_BUDGET",
    "NetTensors",
    "box_bytes",
    "boxes_per_chunk",
    "Step",
    "StepGraph",
    "slack_factor",
    "TINY",
    "concretize_upper",
    "round_up",
    "round_down",
    "rational_polynomial_targets",
    "exact_sup_le",
    "Float64Allowance",
    "float64_allowance",
    "NetMaximum",
    "certified_net_max",
    "Partition",
    "RoutingCertificate",
    "certified_partition",
    "certified_routing",
    "route_count_bounds",
    "network_enclosure",
    "exact_path",
    "replay_error",
    "shrink_point",
    "Candidates",
    "tree_cells",
    "tree_candidates",
    "gate_candidates",
    "route_region",
]
