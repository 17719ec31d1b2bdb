"""moecheck's theorem statements, one module per paper (sympy only: no torch here).

Public surface: the theorem model (:class:`Theorem`, :class:`Claim`, :class:`Provenance`), the
registry (:func:`register`, :func:`registered`, :func:`lookup`, :func:`load_user_module`) and the
one input-error type :class:`InvalidInput`, and the one :class:`Status` of every engine result.
"""

from ._core import PAPERS as PAPERS
from ._core import PROFILES as PROFILES
from ._core import Claim as Claim
from ._core import Provenance as Provenance
from ._core import Theorem as Theorem
from ._criteria import PreRegistered as PreRegistered
from ._errors import InvalidInput as InvalidInput
from ._errors import ResourceLimit as ResourceLimit
from ._errors import require as require
from ._registry import BUILTIN_MODULES as BUILTIN_MODULES
from ._registry import load_builtin as load_builtin
from ._registry import load_user_module as load_user_module
from ._registry import lookup as lookup
from ._registry import register as register
from ._registry import registered as registered
from ._registry import source_of as source_of
from ._registry import unregister as unregister
from ._status import Status as Status

__all__ = [
    "PAPERS",
    "PROFILES",
    "Claim",
    "Provenance",
    "Theorem",
    "PreRegistered",
    "InvalidInput",
    "ResourceLimit",
    "require",
    "BUILTIN_MODULES",
    "load_builtin",
    "load_user_module",
    "lookup",
    "register",
    "registered",
    "unregister",
    "source_of",
    "Status",
]
