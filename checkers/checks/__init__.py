"""The checks: typed claim arguments -> an engine -> an :class:`Outcome`.

Each public module in this package registers its checks (``@register_check``) on import; the modules are
imported on first use of the registry (``get_check``, ``registered_checks``, ``validate_theorem``), not with
this package, so that importing the runner, the report or the command line stays free of torch. A check
never imports a theorem: it gets the claim's static data, one instance and a context. A module that fails
to import does not take the others down: its error is kept in ``IMPORT_ERRORS`` and reported on the rows
whose check it would have registered.
"""

from ._args import ArgError as ArgError
from ._args import ClaimArgs as ClaimArgs
from ._args import Construction as Construction
from ._args import Expr as Expr
from ._args import NoArgs as NoArgs
from ._args import Path as Path
from ._args import Relation as Relation
from ._outcome import SENSES as SENSES
from ._outcome import SLACK_KINDS as SLACK_KINDS
from ._outcome import Evidence as Evidence
from ._outcome import Outcome as Outcome
from ._outcome import Verdict as Verdict
from ._outcome import as_vacuous as as_vacuous
from ._outcome import default_slack as default_slack
from ._outcome import plain_value as plain_value
from ._outcome import vacuous_if as vacuous_if
from ._outcome import verdict_of as verdict_of
from ._registry import IMPORT_ERRORS as IMPORT_ERRORS
from ._registry import CheckContext as CheckContext
from ._registry import CheckFn as CheckFn
from ._registry import CheckTimeout as CheckTimeout
from ._registry import ShareFn as ShareFn
from ._registry import args_class as args_class
from ._registry import claim_args as claim_args
from ._registry import derived_seed as derived_seed
from ._registry import frozen_instance as frozen_instance
from ._registry import get_check as get_check
from ._registry import register_check as register_check
from ._registry import registered_checks as registered_checks
from ._registry import share_key as share_key
from ._registry import statement_text as statement_text
from ._registry import validate_theorem as validate_theorem
from ._seeds import bootstrap_interval as bootstrap_interval
from ._seeds import ols_slope as ols_slope
from ._seeds import t_interval as t_interval

__all__ = [
    "ArgError",
    "ClaimArgs",
    "Construction",
    "Expr",
    "NoArgs",
    "Path",
    "Relation",
    "args_class",
    "claim_args",
    "statement_text",
    "validate_theorem",
    "SENSES",
    "SLACK_KINDS",
    "default_slack",
    "vacuous_if",
    "as_vacuous",
    "Evidence",
    "Outcome",
    "Verdict",
    "verdict_of",
    "plain_value",
    "CheckContext",
    "CheckFn",
    "CheckTimeout",
    "get_check",
    "register_check",
    "registered_checks",
    "ShareFn",
    "share_key",
    "derived_seed",
    "frozen_instance",
    "t_interval",
    "bootstrap_interval",
    "ols_slope",
    "IMPORT_ERRORS",
]
