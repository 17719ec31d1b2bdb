"""Per-network tensor caches and memory-budgeted box chunks for :func:`~checkers.certify._bounds.bound_net`.

Two things made bound propagation cost more than linear in the work:

* every call rebuilt what depends on the network only: the tree cells of every leaf
  (``TreeRouter.leaf_cells`` over 2^(n depth) leaves), the torch copies of the centres, expert and
  gate weights. :class:`NetTensors` holds them for one network and one device (a pure function of
  the frozen IR arrays, which are read-only), so a caller bounding many batches (a branch and bound)
  pays once;
* the number of boxes per call was either unbounded (a CROWN coefficient tensor of boxes x rows x
  width float64 reached 5.7 GiB) or a fixed count. :func:`box_bytes` estimates the bytes one box
  needs at the peak of a call, and :func:`boxes_per_chunk` turns a memory budget into a chunk size.

Bounds are computed box by box (no quantity is shared across boxes), so chunking changes no bound
beyond the rounding of a differently blocked matrix product, which the rounding model of
:mod:`checkers.certify._crown` covers for any summation order.
"""

from __future__ import annotations

import numpy as np
import torch

from constructions.ir import Affine, LinearGate, MoE, Net, TreeRouter

__all__ = ["NetTensors", "box_bytes", "boxes_per_chunk", "DEFAULT_MEMORY_BUDGET"]

DEFAULT_MEMORY_BUDGET = 1 << 29  # bytes of working memory one bound_net chunk may use (512 MiB)
_LIVE = 8  # tensors of the peak size alive at once (the coefficients, |.|, clamps, products, pending sums)


class NetTensors:
    """Torch copies of what bound propagation reads from one network's routers and experts, on one device.

    Built lazily, per MoE node; holds references to the IR objects it was built from, so a cached entry
    can never outlive or mismatch its source (entries are keyed by the object and checked by identity).
    """

    def __init__(self, device):
        self.device = device
        self._store: dict[tuple[str, int], tuple[object, object]] = {}

    def _get(self, kind: str, obj, build):
        key = (kind, id(obj))
        hit = self._store.get(key)
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = build()
        self._store[key] = (obj, value)
        return value

    def _t(self, a) -> torch.Tensor:
        return torch.as_tensor(np.array(a), dtype=torch.float64, device=self.device)

    def tree_cells(self, r: TreeRouter) -> tuple[torch.Tensor, torch.Tensor]:
        """Lower and upper corners (E, n) of every leaf cell of the whole space (+-inf outside)."""

        def build():
            cl, ch = r.leaf_cells(np.full(r.n_in, -np.inf), np.full(r.n_in, np.inf))
            return self._t(cl), self._t(ch)

        return self._get("cells", r, build)

    def tree_centres(self, r: TreeRouter) -> tuple[torch.Tensor, ...]:
        """The centres of every level as float64 tensors."""
        return self._get("centres", r, lambda: tuple(self._t(c) for c in r.centres))

    def gate(self, r: LinearGate) -> tuple[torch.Tensor, torch.Tensor]:
        """(W (E, n), b (E,)), b = 0 when the gate has no bias."""

        def build():
            b = np.zeros(r.n_experts) if r.bias is None else r.bias
            return self._t(r.weight), self._t(b)

        return self._get("gate", r, build)

    def experts(self, spec: MoE) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The stacked expert weights and biases, layer by layer."""
        ex = spec.experts
        return self._get("experts", ex, lambda: ([self._t(w) for w in ex.weights], [self._t(b) for b in ex.biases]))


def box_bytes(net: Net, method: str, max_candidates: int | None) -> int:
    """Bytes one box needs at the peak of a ``bound_net`` call (an estimate with a safety factor).

    CROWN's backward pass carries coefficients (rows x width) per box, rows = 2 x the widest bounded
    step; an MoE node gathers per box, for each candidate slot, every expert layer (out x in); a linear
    gate compares E x E score differences over the gate input, in row blocks of at least one row (E x width).
    """
    dims = [net.graph.nodes[v]["dim"] for v in net.order]
    width = max(dims)
    slots_entries = 0
    for v in net.moe_nodes():
        spec = net.spec(v)
        ex = spec.experts
        width = max(width, *(w.shape[1] for w in ex.weights))
        slots = ex.n_experts if max_candidates is None else min(ex.n_experts, max_candidates)
        slots_entries += 3 * slots * sum(w.shape[1] * w.shape[2] + w.shape[1] for w in ex.weights)
        if isinstance(spec.router, LinearGate):
            slots_entries += 2 * spec.router.n_experts * (spec.router.n_in + net.n_in + 2)
    for v in net.order:
        spec = net.spec(v)
        if isinstance(spec, Affine):
            width = max(width, spec.n_in)
    rows = 2 * width if method != "ibp" else 1
    # the linear bounds kept for every refined step: (A_l, A_u) (dim x n_in) and (c_l, c_u)
    kept = 0 if method == "ibp" else 2 * sum(d * (net.n_in + 1) for d in dims)
    entries = _LIVE * (rows * width + 4 * width) + slots_entries + kept
    return 8 * entries


def boxes_per_chunk(net: Net, method: str, max_candidates: int | None, memory_budget: int) -> int:
    """How many boxes one ``bound_net`` chunk may hold within ``memory_budget`` bytes (at least 1)."""
    return max(1, int(memory_budget) // box_bytes(net, method, max_candidates))
