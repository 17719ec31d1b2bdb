"""Sizes counted from the built network (never from the formula under test).

* ``n_params``: every stored number (affine weights and biases, router parameters, all experts).
* ``n_experts``: experts over all MoE nodes.
* ``params_per_expert``: the largest expert's parameter count (the "loaded in memory" size of K1).
* ``routing_path_params``: parameters read while routing one input (tree: n * depth per tree; linear
  gate: all its scores).
* ``active_params``: parameters touched by one forward pass: every non-MoE parameter, the routing path
  and the k selected experts of each MoE node.
* ``depth``: the most affine layers on any input-output path, an MoE node counting its experts' layers.
* ``width``: the largest output dimension of an affine or expert layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from constructions.ir._ir import Affine, MoE, Net

__all__ = ["NetSizes", "count_sizes"]


@dataclass(frozen=True)
class NetSizes:
    n_params: int
    n_experts: int
    params_per_expert: int
    routing_path_params: int
    active_params: int
    depth: int
    width: int
    n_moe_layers: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def count_sizes(net: Net) -> NetSizes:
    """Count every size of ``net`` from its graph.

    >>> from constructions import random_relu_net
    >>> s = count_sizes(random_relu_net((2, 32, 32, 1)))
    >>> (s.n_params, s.depth, s.width, s.n_experts)
    (1185, 3, 32, 0)
    """
    n_params = n_experts = ppe = path = active = width = n_moe = 0
    layer_depth: dict[str, int] = {}
    for v in net.order:
        spec = net.spec(v)
        before = max((layer_depth[u] for u in net.operands(v)), default=0)
        step = 0
        if isinstance(spec, Affine):
            n_params += spec.weight.size + spec.bias.size
            active += spec.weight.size + spec.bias.size
            width = max(width, spec.n_out)
            step = 1
        elif isinstance(spec, MoE):
            ex, r = spec.experts, spec.router
            n_moe += 1
            n_experts += ex.n_experts
            n_params += r.n_params + ex.n_experts * ex.params_per_expert
            ppe = max(ppe, ex.params_per_expert)
            path += r.path_params
            active += r.path_params + r.k * ex.params_per_expert
            width = max(width, ex.width)
            step = ex.n_layers
        layer_depth[v] = before + step
    return NetSizes(n_params, n_experts, ppe, path, active, layer_depth[net.output], width, n_moe)
