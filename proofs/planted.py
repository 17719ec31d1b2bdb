"""Planted false claims: a false twin of a claim of every theorem, kept as product data.

Each :class:`PlantedClaim` names a registered theorem and one of its claims, and says how the twin
differs: a tighter constant, a wrong exponent, a wrong count, a mis-routing (an instance that breaks
the construction), a wrong trend, an undefined point (a formula that sympy rewrites into the true one when
it is built, but that is undefined somewhere on the domain as written). A checker with power refutes every
one of them (verdict FAIL); ``moecheck selftest`` runs them and prints the power per check kind. A twin
that is not refuted is a defect of the checker, never of the claim.

Main statements
---------------
* ``PLANTED``: the registry, one tuple; ``planted()`` filters it; ``planted_claim(p)`` builds the
  twin :class:`~proofs.Claim` from the theorem's own claim (never a copy of its formula).

Implementation notes
--------------------
* Each twin changes one thing: ``args`` entries (sympy expressions derived from the true claim's
  arguments) or the instance (``instance``). ``quick`` twins run in ``make test``; all run in
  ``moecheck selftest --all``.
* A twin's ``why`` says why it is false (the true value, or the counterexample a checker must find).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from proofs._core import Claim, frozen_mapping
from proofs._errors import InvalidInput
from proofs._registry import load_builtin, lookup

__all__ = ["KINDS", "PlantedClaim", "PLANTED", "planted", "planted_claim", "planted_instance"]

#: the kinds of falsehood a twin plants
KINDS = ("tighter constant", "wrong exponent", "wrong count", "mis-routing", "wrong trend", "undefined point")


@dataclass(frozen=True)
class PlantedClaim:
    """A false twin of ``theorem``'s claim ``claim``.

    Arguments:
        theorem: the theorem id; claim: the name of its claim the twin is made from.
        kind: one of :data:`KINDS`.
        what: the twin in words (``'sup error <= eps/4 with the network built for eps'``).
        change: a function of the true claim's ``args`` returning the entries that differ.
        instance: the parameter point the twin is checked on (over the true claim's quick instance
            number ``base`` when that is given).
        quick: run by ``make test`` and ``moecheck selftest`` (else only by ``selftest --all``).
        expect: the verdict that counts as refuted: FAIL, or NOT-REPRODUCED for a trained claim (a
            trained run never refutes; its pre-registered rule reversed must not be reproduced).
    """

    theorem: str
    claim: str
    kind: str
    what: str
    instance: Mapping[str, Any]
    change: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    quick: bool = True
    base: int | None = None
    expect: str = "FAIL"
    label: str = field(default="")

    def __post_init__(self) -> None:
        if self.expect not in ("FAIL", "NOT-REPRODUCED"):
            raise InvalidInput(f"planted expect={self.expect!r} must be FAIL or NOT-REPRODUCED")
        if self.kind not in KINDS:
            raise InvalidInput(f"planted kind={self.kind!r} must be one of {KINDS}")
        object.__setattr__(self, "instance", frozen_mapping(self.instance))
        if not self.label:
            object.__setattr__(self, "label", f"{self.theorem}::{self.claim} ({self.kind})")


def planted_claim(p: PlantedClaim) -> Claim:
    """The twin as a :class:`Claim` (same check as the true claim; ``vacuous`` cleared)."""
    load_builtin()
    true = lookup(p.theorem).claim(p.claim)
    args = {**true.args, **(p.change(true.args) if p.change else {})}
    inst = planted_instance(p)
    return dataclasses.replace(
        true,
        name=f"planted_{true.name}",
        args=args,
        finding=False,
        vacuous="",
        note=f"planted false twin: {p.what}",
        quick=(inst,),
        full=(inst,),
    )


def planted_instance(p: PlantedClaim) -> Mapping[str, Any]:
    """The parameter point of the twin: ``p.instance`` over the true claim's quick instance ``p.base``."""
    if p.base is None:
        return p.instance
    load_builtin()
    return frozen_mapping({**lookup(p.theorem).claim(p.claim).quick[p.base], **p.instance})


def _times(key: str, factor: int | sympy.Expr) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    return lambda a: {key: sympy.sympify(a[key]) * sympy.nsimplify(factor)}


def _plus(key: str, delta: int | sympy.Expr) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    return lambda a: {key: sympy.sympify(a[key]) + delta}


def _set(**kw: Any) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    return lambda a: dict(kw)


def _syms(a: Mapping[str, Any], *names: str) -> tuple[sympy.Symbol, ...]:
    """The true claim's own symbols called ``names`` (same assumptions), from its sympy arguments."""
    found = {s.name: s for v in a.values() if isinstance(v, sympy.Basic) for s in v.free_symbols}
    return tuple(found[nm] for nm in names)


def _reading_b(a: Mapping[str, Any]) -> Mapping[str, Any]:
    k, T = _syms(a, "k", "T")
    return {"expr": sympy.sqrt(k) * (1 + sympy.log(T / k))}


def _no_one(a: Mapping[str, Any]) -> Mapping[str, Any]:
    k, T = _syms(a, "k", "T")
    return {"rhs": k * sympy.log(T / k)}


def _lower_shifted(a: Mapping[str, Any]) -> Mapping[str, Any]:
    T, n = _syms(a, "T", "n")
    return {"lhs": (T + 1) * (n + 1)}


def _gap_z_minus_i(a: Mapping[str, Any]) -> Mapping[str, Any]:
    i, z = _syms(a, "i", "z")
    return {"rhs": z - i, "ranges": {"i": (1, 8), "z": (0, 8)}, "integers": ("i",)}


def _gap_times_one_as_written(a: Mapping[str, Any]) -> Mapping[str, Any]:
    # sympy turns (z - i + 1)/(z - i + 1) into 1 when it builds the claim; as written it is 0/0 at z = i - 1
    return {
        "lhs": f"({sympy.sstr(a['lhs'])})*((z - i + 1)/(z - i + 1))",
        "ranges": {"i": (1, 8), "z": (0, 8)},
        "integers": ("i",),
    }


def _lower_through_exp_log(a: Mapping[str, Any]) -> Mapping[str, Any]:
    # exp(log(u)) is u for sympy; as written it is undefined at u = 0 (T = 1)
    return {"lhs": f"exp(log({sympy.sstr(a['lhs'])}))"}


def _quarter_natarajan(a: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"natarajan": sympy.sympify(a["natarajan"]) / 4}


_SIN3 = {"function": "sin(3*x0)*x1", "n_in": 2, "eps": 0.2, "experts": "constant", "lipschitz": 3.05}
_K1 = "kratsios2024/k1-uniform-approx"

PLANTED: tuple[PlantedClaim, ...] = (
    # ------------------------------------------------------------------------------------ classical
    PlantedClaim(
        "classical/yarotsky-square",
        "sup_error_within_one_percent",
        "tighter constant",
        "sup|f_m - x^2| <= 2^(-2m-3) (the truth is 2^(-2m-2))",
        {"m": 3},
        _times("bound", sympy.Rational(50, 101)),
    ),
    PlantedClaim(
        "classical/yarotsky-square",
        "width_eq_three",
        "wrong count",
        "width == 2",
        {"m": 2},
        _set(formula=sympy.Integer(2)),
    ),
    PlantedClaim(
        "classical/pl-interpolation",
        "sup_error_le_h2_max_fpp_over_8",
        "tighter constant",
        "sup|f - I_n f| <= h^2 max|f''| / 16",
        {},
        _times("bound", sympy.Rational(1, 2)),
        base=0,
    ),
    # ------------------------------------------------------------------------------------ kratsios2024
    PlantedClaim(
        _K1,
        "sup_error_le_eps",
        "tighter constant",
        "sup error <= eps/4 with the network built for eps",
        _SIN3,
        _times("bound", sympy.Rational(1, 4)),
    ),
    PlantedClaim(
        _K1,
        "params_per_expert_le_c_over_eps",
        "tighter constant",
        "params per expert <= (n + 1)/(4 eps)",
        {"function": "sin(3*x0)*x1", "n_in": 2, "eps": 0.2, "experts": "cpwl"},
        _times("formula", sympy.Rational(1, 4)),
    ),
    PlantedClaim(
        _K1,
        "routing_path_eq_n_depth",
        "wrong count",
        "routing path == n (D + 1)",
        _SIN3,
        _plus("formula", sympy.Symbol("n_in", integer=True, positive=True)),
    ),
    PlantedClaim(
        _K1,
        "active_params_le_c_eps_log",
        "tighter constant",
        "active params <= C eps^-1 log(1/eps) / 8",
        _SIN3,
        _times("formula", sympy.Rational(1, 8)),
    ),
    PlantedClaim(
        _K1,
        "lipschitz_constant_valid",
        "tighter constant",
        "Lipschitz constant of sin(3 x0) x1 halved (1.525)",
        {**_SIN3, "lipschitz": 1.525},
    ),
    PlantedClaim(
        "kratsios2024/k2-tradeoff",
        "fitted_exponents_le_formula",
        "wrong exponent",
        "number of experts ~ eps^-(n - 2r - 3/4)",
        {"n_in": 2, "eps_max": 0.2, "eps_min": 0.02, "n_eps": 4},
        _set(tol=-0.75),
    ),
    PlantedClaim(
        "kratsios2024/k3-vc-dim",
        "sign_patterns_le_sauer_shelah",
        "wrong count",
        "VC dimension <= 2",
        {"n_in": 1, "L": 2, "J": 1, "W": 2},
        _set(vc_bound=sympy.Integer(2)),
    ),
    PlantedClaim(
        "kratsios2024/k3-vc-dim",
        "reading_b_weights_consistent_with_shattering",
        "tighter constant",
        "Bartlett's bound with constant 1/50",
        {"n_in": 16, "L": 1, "J": 1, "W": 16},
        _times("bound", sympy.Rational(1, 50)),
    ),
    PlantedClaim(
        "kratsios2024/k3-vc-dim",
        "reading_a_width_refuted_by_shattering",
        "wrong count",
        "reading (a) with constant 2 is also refuted at n = W = 16 (128 points < 174)",
        {"n_in": 16, "L": 1, "J": 1, "W": 16},
        _times("bound", 2),
    ),
    PlantedClaim(
        "kratsios2024/k4-superexpressive",
        "sin_unit_shatters_s_points",
        "wrong count",
        "theta = pi sum (1 - y_i) 10^i shatters the points 10^-j (the 1 + is needed: y = 1...1 gives sin 0)",
        {"s_max": 6},
        _set(offset=0),
    ),
    PlantedClaim(
        "kratsios2024/k5-single-mlp",
        "fitted_params_exponent_le_half_n",
        "wrong exponent",
        "one MLP needs only eps^-(n/2 - 1/2) parameters",
        {"n_in": 2, "eps_max": 0.2, "eps_min": 0.01, "n_eps": 6},
        _set(tol=-0.5),
    ),
    # ------------------------------------------------------------------------------------ zhao2024
    PlantedClaim(
        "zhao2024/thm-1",
        "gap_le_bound_on_trained_smoe",
        "tighter constant",
        "Z3 without its delta term, on one fixed (untrained) expert",
        {"k": (1,), "T": (1,), "m": (16,), "seeds": 6, "steps": 0, "n_test": 20000},
        lambda a: {
            "bound_terms": {kk: v for kk, v in a["bound_terms"].items() if kk != "confidence"},
            "expert_rademacher": sympy.Integer(0),
            "natarajan": sympy.Integer(0),
        },
    ),
    PlantedClaim(
        "zhao2024/z2-sparsity-term",
        "reading_a_nondecreasing_in_k",
        "wrong trend",
        "reading (b) sqrt(k)(1 + log(T/k)) is nondecreasing in k",
        {},
        _reading_b,
    ),
    PlantedClaim(
        "zhao2024/z3-textbook-bound",
        "log_binomial_le_k_one_plus_log",
        "tighter constant",
        "ln C(T,k) <= k ln(T/k) (the 1 dropped)",
        {"exhaustive": {"T": 20, "k": 20}},
        _no_one,
    ),
    PlantedClaim(
        "zhao2024/z3-textbook-bound",
        "routing_patterns_le_natarajan_growth",
        "wrong count",
        "Natarajan dimension of a linear router T n / 4",
        {"T": 2, "k": 1, "n": 3, "m": 70},
        _quarter_natarajan,
    ),
    PlantedClaim(
        "zhao2024/lemma-3",
        "bound_ge_sampled_rademacher_of_norm_ball",
        "tighter constant",
        "Z4's bound / 10^5",
        {"m": 64, "n_in": 4, "width": 8, "members": 64, "sigma_draws": 64},
        _times("bound", sympy.Rational(1, 10**5)),
    ),
    PlantedClaim(
        "zhao2024/z5-natarajan",
        "natarajan_lower_le_upper",
        "wrong count",
        "Natarajan lower bound (T + 1)(n + 1) <= T n",
        {},
        _lower_shifted,
    ),
    PlantedClaim(
        "zhao2024/z5-natarajan",
        "natarajan_lower_le_upper",
        "undefined point",
        "exp(log((T - 1)(n - 1))) <= T n: log(0) at T = 1 (sympy rewrites the left side to (T - 1)(n - 1))",
        {},
        _lower_through_exp_log,
    ),
    PlantedClaim(
        "zhao2024/z5-natarajan",
        "relu_router_patterns_certify_natarajan_lower_bound",
        "wrong count",
        "the ReLU router's Natarajan dimension is 1",
        {"T": 3, "k": 1, "n": 2, "m": 6, "draws": 3000},
        _set(natarajan=sympy.Integer(1)),
    ),
    PlantedClaim(
        "zhao2024/z6-optimal-k",
        "best_test_loss_at_interior_k",
        "wrong trend",
        "an edge k (1 or T) beats every interior k by >= 0.05 test ramp loss (the rule reversed)",
        {},
        lambda a: {"criterion": dataclasses.replace(a["criterion"], rule="above", threshold=0.05)},
        base=0,
        expect="NOT-REPRODUCED",
    ),
    # ------------------------------------------------------------------------------------ wang-e2025
    PlantedClaim(
        "wang-e2025/thm-3.1",
        "fitted_exponent_ge_claimed",
        "wrong exponent",
        "2-layer ReLU error ~ m^-3 (the interpolant gives m^-2)",
        {},
        _set(alpha=sympy.Integer(3)),
        base=0,
    ),
    PlantedClaim(
        "wang-e2025/thm-3.1",
        "fitted_exponent_ge_k_over_d_limited_smoothness",
        "wrong exponent",
        "error ~ m^-2 on x^(3/2) (K/D = 3/2; no built-in slack)",
        {},
        _set(alpha=sympy.Integer(2)),
        base=0,
    ),
    PlantedClaim(
        "wang-e2025/cor-4.9",
        "fitted_exponent_eq_construction",
        "wrong exponent",
        "our interpolant experts converge like m^-3 (two-sided)",
        {},
        _set(alpha=sympy.Integer(3)),
        base=0,
    ),
    PlantedClaim(
        "wang-e2025/thm-4.8",
        "expert_width_le_m",
        "wrong count",
        "the network is in H_{3,m} at m = 16 (its tau layer is E^2 + 2D = 20 wide)",
        {"D": 2, "m": 16},
    ),
    PlantedClaim(
        "wang-e2025/thm-4.8",
        "sup_error_le_two_term_bound",
        "tighter constant",
        "the two-term bound / 8",
        {"D": 2, "m": 16},
        _times("bound", sympy.Rational(1, 8)),
    ),
    PlantedClaim(
        "wang-e2025/cor-4.9",
        "sup_error_le_interpolation_bound",
        "tighter constant",
        "the interpolation bound / 16",
        {"D": 16, "m": 16, "pass_through": "span"},
        _times("bound", sympy.Rational(1, 16)),
    ),
    PlantedClaim(
        "wang-e2025/cor-4.9",
        "routing_lands_in_chart_of_tau_close",
        "mis-routing",
        "tau_0 shifted by 0.6: routing leaves the chart",
        {"D": 2, "m": 8, "tau_bias": {0: 0.6}},
    ),
    PlantedClaim(
        "wang-e2025/cor-4.9",
        "params_grow_only_in_input_layer",
        "wrong count",
        "only the input layer grows with D when layer 1 passes all of x on (layer 2 then reads D coordinates)",
        {"m": 16, "values": (16, 32, 64), "pass_through": "x"},
    ),
    PlantedClaim(
        "wang-e2025/cor-4.9",
        "experts_2e_in_two_layers",
        "wrong count",
        "2E + 1 experts",
        {"D": 16, "m": 8},
        lambda a: {"total": sympy.sympify(a["total"]) + 1},
    ),
    PlantedClaim(
        "wang-e2025/thm-5.2",
        "expert_paths_eq_e_pow_l",
        "wrong count",
        "E^L + 1 expert paths",
        {"depth": 2, "m": 4},
        _plus("n_paths", 1),
    ),
    PlantedClaim(
        "wang-e2025/thm-5.2",
        "sup_error_le_bound",
        "tighter constant",
        "the error bound / 4",
        {"depth": 1, "m": 8},
        _times("bound", sympy.Rational(1, 4)),
    ),
    PlantedClaim(
        "wang-e2025/thm-5.3",
        "expert_paths_eq_e_pow_l",
        "mis-routing",
        "gate scores s_i = (i/2) z - i(i-1)/2 (boundaries moved to z = 2(i-1))",
        {"n_experts": 3, "depth": 2, "m": 4, "gate_scale": 0.5},
    ),
    PlantedClaim(
        "wang-e2025/thm-5.3", "score_gap_is_z_minus_i_plus_1", "wrong count", "score gap z - i", {}, _gap_z_minus_i
    ),
    PlantedClaim(
        "wang-e2025/thm-5.3",
        "score_gap_is_z_minus_i_plus_1",
        "undefined point",
        "score gap times (z - i + 1)/(z - i + 1): 0/0 at z = i - 1 (sympy rewrites the factor to 1)",
        {},
        _gap_times_one_as_written,
    ),
    PlantedClaim(
        "wang-e2025/thm-5.3",
        "sup_error_le_bound",
        "tighter constant",
        "the error bound / 4",
        {"n_experts": 2, "depth": 2, "m": 4},
        _times("bound", sympy.Rational(1, 4)),
    ),
)


def planted(*, quick_only: bool = False, theorem: str | None = None) -> tuple[PlantedClaim, ...]:
    """The planted twins (the quick ones with ``quick_only``; those of one theorem with ``theorem``)."""
    return tuple(p for p in PLANTED if (p.quick or not quick_only) and (theorem is None or p.theorem == theorem))
