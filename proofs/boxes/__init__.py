"""The one box search: best-first branch and bound over axis-aligned boxes (numpy only).

Used by the prover, realness, Lipschitz constants (``proofs``) and by the certifier's sup error, network
maxima and routing partitions (``checkers.certify``). See :func:`box_search`.
"""

from ._search import BoxBounds as BoxBounds
from ._search import BoxSearch as BoxSearch
from ._search import bisect_widest as bisect_widest
from ._search import box_search as box_search
from ._search import budget_clock as budget_clock

__all__ = ["BoxBounds", "BoxSearch", "bisect_widest", "box_search", "budget_clock"]
