"""Classical golden theorems: Yarotsky's sawtooth square and 1-D piecewise-linear interpolation.

These two statements have exactly known errors, so they test the whole pipeline end to end: the
statement (this module), the explicit ReLU network (``constructions.yarotsky``,
``constructions.interpolation``), the certifier (``checkers``) and the report.

Main statements
---------------
* ``sawtooth_square_approx`` (Yarotsky 2017, Prop. 2; tag classical): f_m(x) = x - sum_{s<=m} g_s(x)/4^s
  satisfies sup_{[0,1]} |f_m(x) - x^2| = 2^(-2m-2), with a ReLU network of depth m + 1, width 3 and
  12 m - 2 parameters (O(m)).
* ``pl_interpolation_error_le`` (classical interpolation bound): the piecewise-linear interpolant I_n f of
  f in C^2[0,1] on n uniform intervals satisfies sup |f - I_n f| <= h^2 max|f''| / 8, h = 1/n, and is a
  ReLU network with one hidden layer of width n.

Implementation notes
--------------------
* [ours] The width-3 network for f_m and the one-hidden-layer form of I_n f are our explicit
  constructions of the classical objects; sizes are counted from the networks.
* [ours] "Certified within 1%": the upper bound is certified against (1 + 1/100) 2^(-2m-2), and the
  value 2^(-2m-2) is attained exactly at x = 2^-(m+1) (exact rational evaluation), which together pin
  the sup error within 1%.
* The constant 12 in n_params <= 12 m is ours (the count is 12 m - 2).
* max|f''| for each target is given in the instance; a unit test recomputes it with sympy.

References
----------
* D. Yarotsky, "Error bounds for approximations with deep ReLU networks", Neural Networks 94 (2017),
  arXiv 1610.01145, Prop. 2.
* Any numerical analysis text, e.g. Atkinson, "An Introduction to Numerical Analysis", Thm 3.2 (linear
  interpolation error).
"""

from __future__ import annotations

import sympy
from sympy import Le, Rational, Symbol

from proofs._core import Claim, Provenance, Theorem
from proofs._registry import register

__all__ = ["sawtooth_square_approx", "pl_interpolation_error_le"]

m = Symbol("m", integer=True, positive=True)
n = Symbol("n", integer=True, positive=True)
M = Symbol("M", positive=True)
x0 = Symbol("x0", real=True)
f_m = sympy.Function("f_m")
sup_err = Symbol("sup|f_m(x) - x^2|", nonnegative=True)
sup_interp = Symbol("sup|f(x) - I_n f(x)|", nonnegative=True)

_YAROTSKY = "constructions.yarotsky:sawtooth_square"
_QUICK_M = tuple({"m": k} for k in range(1, 7))
_FULL_M = tuple({"m": k} for k in range(1, 9))

sawtooth_square_approx = register(
    Theorem(
        id="classical/yarotsky-square",
        name="sawtooth_square_approx",
        label="Yarotsky Prop. 2",
        title="Sawtooth approximation of x^2: sup error 2^(-2m-2) with O(m) ReLU units",
        paper="classical",
        arxiv="1610.01145",
        section="Prop. 2",
        statement=(
            "For g the hat function on [0,1] and g_s its s-fold composition, f_m(x) = x - sum_{s=1..m} "
            "g_s(x)/4^s satisfies sup_{x in [0,1]} |f_m(x) - x^2| = 2^(-2m-2), and f_m is computed by a "
            "ReLU network with O(m) layers, units and weights."
        ),
        statement_provenance=Provenance.PAPER,
        construction="width-3 ReLU network carrying (relu(g_{s-1}), relu(g_{s-1} - 1/2), relu(f_{s-1})), m + 1 affine layers",  # noqa: E501
        construction_provenance=Provenance.OURS,
        symbols=(m, x0),
        hypotheses=(sympy.Ge(m, 1, evaluate=False), "x in [0, 1]"),
        claims=(
            Claim(
                name="sup_error_within_one_percent",
                check="certified_sup_error",
                statement=Le(sup_err, Rational(101, 100) * 2 ** (-2 * m - 2), evaluate=False),
                args={"construction": _YAROTSKY, "bound": Rational(101, 100) * 2 ** (-2 * m - 2), "tol": 0.005},
                quick=_QUICK_M,
                full=_FULL_M,
                provenance=Provenance.OURS,
                constant=Rational(101, 100),
                note="certified upper bound; with the attained value below it pins the sup within 1%",
            ),
            Claim(
                name="error_attained_at_first_midpoint",
                check="exact_point_error",
                statement=sympy.Eq(x0**2 - f_m(x0), -(2 ** (-2 * m - 2)), evaluate=False),
                args={"construction": _YAROTSKY, "point": (2 ** (-m - 1),), "expected": -(2 ** (-2 * m - 2))},
                quick=_QUICK_M,
                full=_FULL_M,
                provenance=Provenance.PAPER,
                note="at x = 2^-(m+1): exact rational evaluation",
            ),
            Claim(
                name="depth_eq_m_plus_one",
                check="size_formula",
                statement=sympy.Eq(Symbol("depth"), m + 1, evaluate=False),
                args={"construction": _YAROTSKY, "quantity": "depth", "formula": m + 1, "relation": "eq"},
                quick=_QUICK_M,
                full=_FULL_M,
                provenance=Provenance.OURS,
            ),
            Claim(
                name="width_eq_three",
                check="size_formula",
                statement=sympy.Eq(Symbol("width"), 3, evaluate=False),
                args={"construction": _YAROTSKY, "quantity": "width", "formula": sympy.Integer(3), "relation": "eq"},
                quick=_QUICK_M,
                full=_FULL_M,
                provenance=Provenance.OURS,
            ),
            Claim(
                name="n_params_le_linear_in_m",
                check="size_formula",
                statement=Le(Symbol("n_params"), 12 * m, evaluate=False),
                args={"construction": _YAROTSKY, "quantity": "n_params", "formula": 12 * m, "relation": "le"},
                quick=_QUICK_M,
                full=_FULL_M,
                provenance=Provenance.OURS,
                constant=12,
                note="O(m) parameters with our constant C = 12",
            ),
        ),
        notes="The network is ours; the error identity is Yarotsky's. Certified by CROWN over boxes of [0, 1].",
    )
)

_INTERP = "constructions.interpolation:pl_interpolant"
# max|f''| on [0, 1] for each target (recomputed with sympy.maximum in tests/unit/test_classical.py)
_TARGETS = ((x0**2, 2), (x0**3, 6), (sympy.sin(3 * x0), 9), (sympy.exp(x0), sympy.E))

pl_interpolation_error_le = register(
    Theorem(
        id="classical/pl-interpolation",
        name="pl_interpolation_error_le",
        label="PL interpolation bound",
        title="Piecewise-linear interpolation on n intervals: sup error <= h^2 max|f''| / 8",
        paper="classical",
        section="linear interpolation error (textbook)",
        statement=(
            "For f in C^2[0,1] and its piecewise-linear interpolant I_n f on the uniform grid of n intervals "
            "(h = 1/n), sup_{[0,1]} |f - I_n f| <= h^2 max_{[0,1]} |f''| / 8. I_n f is a ReLU network with "
            "one hidden layer of n units."
        ),
        statement_provenance=Provenance.PAPER,
        construction="Psi(x) = f(0) + s_0 relu(x) + sum_j (s_j - s_{j-1}) relu(x - j/n): one ReLU per kink",
        construction_provenance=Provenance.OURS,
        symbols=(n, M, x0),
        hypotheses=("f in C^2[0, 1]", sympy.Eq(M, Symbol("max|f''|"), evaluate=False)),
        claims=(
            Claim(
                name="sup_error_le_h2_max_fpp_over_8",
                check="certified_sup_error",
                statement=Le(sup_interp, M / (8 * n**2), evaluate=False),
                args={"construction": _INTERP, "bound": M / (8 * n**2)},
                quick=tuple({"f": f, "n": k, "M": mm} for f, mm in _TARGETS for k in (4, 16)),
                full=tuple({"f": f, "n": k, "M": mm} for f, mm in _TARGETS for k in (4, 16, 64)),
                provenance=Provenance.PAPER,
                constant=Rational(1, 8),
            ),
            Claim(
                name="hidden_width_eq_n",
                check="size_formula",
                statement=sympy.Eq(Symbol("width"), n, evaluate=False),
                args={"construction": _INTERP, "quantity": "width", "formula": n, "relation": "eq"},
                quick=tuple({"f": f, "n": k} for f, _ in _TARGETS[:1] for k in (4, 16)),
                full=tuple({"f": f, "n": k} for f, _ in _TARGETS[:1] for k in (4, 16, 64)),
                provenance=Provenance.OURS,
            ),
        ),
    )
)
