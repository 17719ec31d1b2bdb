"""The symbolic prover: sign and relation proofs over stated ranges, with interval fallbacks and
exactly replayed counterexamples. Mathematics only: never torch.
"""

from ._defined import condition_holds as condition_holds
from ._defined import declared_conflict as declared_conflict
from ._defined import domain_point as domain_point
from ._defined import prove_defined as prove_defined
from ._defined import respects_declarations as respects_declarations
from ._interval import Unsupported as Unsupported
from ._interval import ieval as ieval
from ._interval import point_text as point_text
from ._interval import replay as replay
from ._interval import sign_of_constant as sign_of_constant
from ._interval import sympify_arg as sympify_arg
from ._prover import Domain as Domain
from ._prover import Proof as Proof
from ._prover import assume_domain as assume_domain
from ._prover import expand_log_on as expand_log_on
from ._prover import in_domain as in_domain
from ._prover import prove_identity as prove_identity
from ._prover import prove_nonneg as prove_nonneg
from ._prover import prove_positive as prove_positive
from ._prover import range_assumptions as range_assumptions

__all__ = [
    "Domain",
    "Proof",
    "Unsupported",
    "assume_domain",
    "condition_holds",
    "declared_conflict",
    "domain_point",
    "prove_defined",
    "respects_declarations",
    "expand_log_on",
    "ieval",
    "in_domain",
    "point_text",
    "prove_identity",
    "prove_nonneg",
    "prove_positive",
    "range_assumptions",
    "replay",
    "sign_of_constant",
    "sympify_arg",
]
