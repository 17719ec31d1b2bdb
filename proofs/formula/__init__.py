"""The formula layer: parsing user formulas, realness on a domain, the sympy-to-interval/exact
evaluator and sound target enclosures. Mathematics only: never torch.
"""

from ._definedness import Condition as Condition
from ._definedness import definedness_conditions as definedness_conditions
from ._enclosure import LipschitzResult as LipschitzResult
from ._enclosure import Target as Target
from ._enclosure import affine_residual_bounds as affine_residual_bounds
from ._enclosure import certified_lipschitz as certified_lipschitz
from ._enclosure import compile_target as compile_target
from ._enclosure import exact_value as exact_value
from ._evaluate import SUPPORTED as SUPPORTED
from ._evaluate import compile_program as compile_program
from ._evaluate import float_bounds as float_bounds
from ._evaluate import float_function as float_function
from ._evaluate import interval_enclosure as interval_enclosure
from ._evaluate import point_enclosure as point_enclosure
from ._evaluate import point_interval as point_interval
from ._interval import LIBM_ULPS as LIBM_ULPS
from ._interval import Program as Program
from ._interval import Step as Step
from ._interval import Unsupported as Unsupported
from ._interval import dual_norm_upper as dual_norm_upper
from ._interval import exact_floats as exact_floats
from ._interval import float_constant as float_constant
from ._interval import mp_constant as mp_constant
from ._interval import mpf_to_fraction as mpf_to_fraction
from ._interval import run_intervals as run_intervals
from ._interval import run_mp as run_mp
from ._interval import run_points as run_points
from ._interval import validated_boxes as validated_boxes
from ._parse import MAX_POWER_BITS as MAX_POWER_BITS
from ._parse import evaluated as evaluated
from ._parse import input_symbols as input_symbols
from ._parse import parse_expression as parse_expression
from ._parse import parse_formula as parse_formula
from ._parse import parse_formula_written as parse_formula_written
from ._parse import quote as quote
from ._realness import RealnessResult as RealnessResult
from ._realness import prove_real_on_domain as prove_real_on_domain
from ._realness import real_arguments as real_arguments

__all__ = [
    "Unsupported",
    "SUPPORTED",
    "compile_program",
    "interval_enclosure",
    "point_interval",
    "point_enclosure",
    "float_bounds",
    "float_function",
    "Target",
    "LipschitzResult",
    "parse_expression",
    "parse_formula",
    "parse_formula_written",
    "evaluated",
    "Condition",
    "definedness_conditions",
    "quote",
    "MAX_POWER_BITS",
    "input_symbols",
    "compile_target",
    "affine_residual_bounds",
    "certified_lipschitz",
    "exact_value",
    "LIBM_ULPS",
    "Step",
    "Program",
    "run_intervals",
    "run_points",
    "run_mp",
    "mp_constant",
    "float_constant",
    "exact_floats",
    "validated_boxes",
    "dual_norm_upper",
    "mpf_to_fraction",
    "RealnessResult",
    "real_arguments",
    "prove_real_on_domain",
]
