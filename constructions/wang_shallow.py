"""Shallow MoEs on manifolds (Wang & E, Thm 4.8 and Cor 4.9): the circle and the 2-sphere in R^D.

The construction [paper outline; every detail below is ours]:

* Atlas: the 2n coordinate charts of the unit sphere S^(n-1) in span(e_1..e_n) inside R^D (n = 2: the
  circle, E = 4; n = 3: the 2-sphere, E = 6). Chart i has the centre direction e_i = sign_i e_(c_i),
  U_i = {x : <e_i, x> > 0} (an open half-sphere) and the *linear* chart phi_i(x) = the other n - 1
  coordinates (for the circle, t = <a_i, x> with a_i the tangent at e_i: t = sin(theta - c_i)).
* Partition of unity: rho_i(x) = relu(<e_i, x>)^2. On the sphere sum_i rho_i = |x|^2 = 1 exactly, and
  supp rho_i = closure of U_i.
* Layer 1 (a dense layer: E identical experts, zero gate): one hidden layer computing x (through
  relu(x) - relu(-x), the paper's (x+, x-) pair merged by the affine output) and tau_i = q(<e_i, x>),
  q the piecewise-linear interpolant of relu(s)^2 on n_tau = E uniform pieces of [0, 1]. Then
  sup|tau_i - rho_i| = delta = 1/(4 n_tau^2) = 1/(4 E^2) < 1/(2E): our width constant is c = 1 in
  m_1 = c E^2 (+ 2D pass-through units).
* Layer 2: the gate reads tau (W_R = [0 | I_E], no bias), top-1 picks i*. If sup|tau - rho| <= delta
  < 1/(2E) then rho_(i*) >= 1/E - 2 delta > 0, so x is in U_(i*) and moreover <e_(i*), x>^2 >= sigma^2 =
  1/E - 2 delta: expert i* only ever sees its chart image {|y| <= T}, T = sqrt(1 - sigma^2).
* Expert i computes G_i(phi_i(x)): for the circle the piecewise-linear interpolant of
  g_i = f o phi_i^-1 on m uniform pieces of [-T, T] (Cor 4.9, width m). Thm 4.8 (nonlinear chart):
  the chart is the angle u = arcsin(t), approximated by a ReLU block (m pieces), followed by the
  interpolant of f(c_i + u) on [-arcsin T, arcsin T]: 3-layer experts, error <= E(G) + E(phi) Lip(g).
  For the sphere (d = 2, 2-layer experts) G_i is a sum of ridge functions relu(<w, y> - b) fitted by
  least squares on a fixed grid of the disc |y| <= T (deterministic; the error is then certified).

Every builder returns a :class:`~constructions.Built` over the sphere's angles (the certifier bounds the
error through the parameterisation) whose ``meta`` names the routing data used by the wang checks.
"""

from __future__ import annotations

import math

import numpy as np
import sympy

from constructions.ir import Built
from constructions.wang_moe import (
    ThreeLayerExpert,
    TwoLayerExpert,
    cpwl_knots,
    stack_experts,
    stacked_moe_net,
)
from proofs import InvalidInput

__all__ = [
    "circle_moe",
    "circle_moe_nonlinear_chart",
    "sphere_moe",
    "EXP1_F",
    "SPHERE_F",
    "coordinate_charts",
    "tau_constants",
    "partition_expert",
    "X1",
    "X2",
    "X3",
    "THETA",
    "PHI",
]

X1, X2, X3 = sympy.symbols("x1 x2 x3", real=True)
THETA = sympy.Symbol("theta", real=True)
PHI = sympy.Symbol("phi", real=True)
#: Experiment I's target [paper]: f(x) = sin(5 x1) + cos(3 x2) on the circle x1^2 + x2^2 = 1
EXP1_F = sympy.sin(5 * X1) + sympy.cos(3 * X2)
#: our target on the 2-sphere
SPHERE_F = sympy.sin(2 * X1) + sympy.cos(2 * X2) + sympy.sin(X3)


def coordinate_charts(n: int) -> list[tuple[int, float]]:
    """The 2n coordinate charts of S^(n-1): chart i centred at sign_i e_(coord_i), i < n positive."""
    return [(i % n, 1.0 if i < n else -1.0) for i in range(2 * n)]


def tau_constants(E: int, n_tau: int | None = None) -> dict:
    """delta = 1/(4 n_tau^2) (n_tau = E by default), sigma^2 = 1/E - 2 delta, T = sqrt(1 - sigma^2)."""
    n_tau = E if n_tau is None else int(n_tau)
    if n_tau < 1:
        raise InvalidInput(f"n_tau={n_tau!r} must be a positive integer")
    delta = sympy.Rational(1, 4 * n_tau**2)
    sigma2 = sympy.Rational(1, E) - 2 * delta
    if sigma2 <= 0:
        raise InvalidInput(f"n_tau={n_tau} gives delta={delta} >= 1/(2E): routing would not be guaranteed")
    return {"n_tau": n_tau, "delta": delta, "sigma2": sigma2, "T": float(sympy.sqrt(1 - sigma2))}


def partition_expert(n_in: int, items, n_tau: int, *, tau_bias=None) -> tuple[TwoLayerExpert, list[str]]:
    """Layer-1 expert: outputs per item ('signed', j) x_j, ('nonneg', j) x_j >= 0, ('tau', j, sign)
    q(sign x_j) with q the interpolant of relu(s)^2 on n_tau pieces of [0, 1], ('const',) 1.

    ``tau_bias`` (planted variants only): {output index: shift} added to those tau outputs.
    """
    ex = TwoLayerExpert(n_in)
    knots = cpwl_knots(0.0, 1.0, n_tau)
    kinds = []
    for o, it in enumerate(items):
        if it[0] == "signed":
            form = ex.pass_signed(it[1])
        elif it[0] == "nonneg":
            form = ex.pass_nonneg(it[1])
        elif it[0] == "tau":
            # tau = q(s), s = sign x_j; q(s) = 0 for s <= 0 exactly (no unit below the first knot)
            form = ex.cpwl(ex.coord(it[1], it[2]), 0.0, knots, knots**2)
            if tau_bias and o in tau_bias:
                form = (form[0], form[1] + float(tau_bias[o]))
        elif it[0] == "const":
            form = ({}, 1.0)
        else:
            raise InvalidInput(f"unknown layer-1 output {it!r}")
        ex.output(form)
        kinds.append(it[0])
    return ex, kinds


def _lift(two: TwoLayerExpert, kinds: list[str]) -> ThreeLayerExpert:
    """The same outputs through one more ReLU layer (a 3-layer expert, for H^(2,E)_(3,m))."""
    three = ThreeLayerExpert(two)
    for form, kind in zip(two.outs, kinds):
        if kind == "signed":
            three.output(three.pass_signed(form))
        elif kind == "const":
            three.output(({}, 1.0))
        else:  # tau and nonneg outputs are >= 0 (tau_bias >= 0 keeps them so)
            three.output(three.pass_nonneg(form))
    return three


def _layer1(D: int, n: int, n_tau: int, tau_bias, three: bool, n_pass: int):
    charts = coordinate_charts(n)
    items = [("signed", j) for j in range(n_pass)] + [("tau", c, s) for c, s in charts]
    bias = {n_pass + i: b for i, b in (tau_bias or {}).items()}
    two, kinds = partition_expert(D, items, n_tau, tau_bias=bias)
    ex = _lift(two, kinds) if three else two
    # a dense layer: E identical experts, so the gate is immaterial; we take the chart centres
    # (scores <e_i, x>) rather than a zero gate so that its route is certified off chart boundaries
    gate = np.zeros((len(charts), D))
    for i, (c, sgn) in enumerate(charts):
        gate[i, c] = sgn
    return gate, stack_experts([ex] * len(charts))


def _gate_on_tau(D: int, E: int) -> np.ndarray:
    return np.concatenate([np.zeros((E, D)), np.eye(E)], axis=1)  # scores = tau, no bias


def _check(D: int, m: int, n: int, pass_through: str) -> int:
    """Validate; return the number of coordinates layer 1 passes on (D for 'x', n for 'span')."""
    if pass_through not in ("x", "span"):
        raise InvalidInput(f"pass_through={pass_through!r} must be 'x' (the paper's) or 'span' (ours)")
    if not (isinstance(D, (int, np.integer)) and D >= n):
        raise InvalidInput(f"D={D!r} must be an integer >= {n} (the sphere lives in the first {n} coordinates)")
    if not (isinstance(m, (int, np.integer)) and m >= 1):
        raise InvalidInput(f"m={m!r} must be a positive integer (expert width)")
    return int(D) if pass_through == "x" else n


def _circle_meta(D, P, m, E, consts, tau_bias, extra) -> dict:
    charts = coordinate_charts(2)
    s = [sgn * (sympy.cos(THETA) if c == 0 else sympy.sin(THETA)) for c, sgn in charts]
    return {
        "E": E,
        "D": D,
        "m": m,
        "d": 1,
        "pass_through": "x" if P == D else "span",
        "n_tau": consts["n_tau"],
        "delta": consts["delta"],
        "sigma2": consts["sigma2"],
        "T": consts["T"],
        "planted": bool(tau_bias),
        "routing": (
            {
                "tau_node": "moe1",
                "tau_slice": (P, P + E),
                "gate_node": "moe2",
                "rho": tuple(sympy.Max(0, e) ** 2 for e in s),
                "domain": tuple(s),
            },
        ),
        **extra,
    }


def _circle_target(f, D):
    chart = (sympy.cos(THETA), sympy.sin(THETA)) + (sympy.Integer(0),) * (D - 2)
    tgt = sympy.sympify(f).subs({X1: chart[0], X2: chart[1]})
    fn = sympy.lambdify((X1, X2), f, "numpy")
    return chart, tgt, fn


def random_rotation(D: int, seed: int) -> np.ndarray:
    """A random orthogonal D x D matrix (QR of a Gaussian matrix, signs fixed), reproducible from ``seed``."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, D)))
    return q * np.sign(np.diag(r))[None, :]


def _rotate_input_layer(w1: np.ndarray, ex1, Q: np.ndarray):
    """Layer 1 reading x = Q x0 as it read x0: every input weight row w becomes w Q^T (only the input layer changes)."""
    ws = (ex1.weights[0] @ Q.T,) + tuple(ex1.weights[1:])
    return w1 @ Q.T, type(ex1)(ws, ex1.biases, slope=ex1.slope)


def circle_moe(
    D: int = 2,
    m: int = 16,
    *,
    f=EXP1_F,
    n_tau: int | None = None,
    tau_bias=None,
    pass_through: str = "x",
    rotation_seed: int | None = None,
) -> Built:
    """Cor 4.9 on the unit circle in R^D: Psi in H^(2,4)_(2,.) with linear charts t = sin(theta - c_i).

    Arguments:
        D: ambient dimension (the circle spans e_1, e_2). m: pieces (= width) of each layer-2 expert.
        f: target, a sympy expression in x1, x2. n_tau: pieces of q (default E = 4).
        tau_bias: planted only, {chart: shift} added to tau (a worse tau that mis-routes).
        rotation_seed: embed the circle by a random rotation Q (``random_rotation(D, seed)``): x = Q (cos, sin, 0..);
            only the input layer changes (its weights become W Q^T); needs pass_through 'span'.
    Returns:
        Built over theta in [0, 2 pi], x = (cos theta, sin theta, 0, ...) (times Q): net (N, D) -> (N, 1).
    """
    P = _check(D, m, 2, pass_through)
    if rotation_seed is not None and P != 2:
        raise InvalidInput("rotation_seed needs pass_through='span' (layer 2 reads the circle's plane coordinates)")
    E = 4
    consts = tau_constants(E, n_tau)
    T = consts["T"]
    chart, tgt, fn = _circle_target(f, D)
    experts = []
    for i in range(E):
        ci = i * math.pi / 2  # charts +e1, +e2, -e1, -e2 are centred at angles 0, pi/2, pi, 3 pi/2
        a = np.zeros(P + E)
        a[:2] = (-math.sin(ci), math.cos(ci))  # t = <a_i, x> = sin(theta - c_i)
        ex = TwoLayerExpert(P + E)
        knots = cpwl_knots(-T, T, m)
        u = ci + np.arcsin(knots)  # phi_i^-1(t) on the circle
        ex.output(ex.cpwl(a, 0.0, knots, fn(np.cos(u), np.sin(u))))
        experts.append(ex)
    w1, ex1 = _layer1(D, 2, consts["n_tau"], tau_bias, three=False, n_pass=P)
    if rotation_seed is not None:
        Q = random_rotation(int(D), int(rotation_seed))
        w1, ex1 = _rotate_input_layer(w1, ex1, Q)
        chart = tuple(
            sympy.Float(Q[i, 0]) * sympy.cos(THETA) + sympy.Float(Q[i, 1]) * sympy.sin(THETA) for i in range(int(D))
        )
    net = stacked_moe_net(
        D,
        [(w1, ex1, 1), (_gate_on_tau(P, E), stack_experts(experts), 1)],
        name=f"wang-cor4.9-circle-D{D}-m{m}"
        + ("-planted" if tau_bias else "")
        + (f"-rot{rotation_seed}" if rotation_seed is not None else ""),
    )
    meta = _circle_meta(D, P, m, E, consts, tau_bias, {"chart_kind": "linear", "rotation_seed": rotation_seed})
    return Built(
        net=net,
        target=(tgt,),
        variables=(THETA,),
        domain_lo=(0.0,),
        domain_hi=(2 * math.pi,),
        chart=chart,
        meta=meta,
        description=f"Cor 4.9: circle in R^{D}, 4 linear charts, experts = PL interpolants on {m} pieces",
    )


def circle_moe_nonlinear_chart(
    D: int = 2, m: int = 16, *, f=EXP1_F, n_tau: int | None = None, pass_through: str = "x"
) -> Built:
    """Thm 4.8 on the circle: chart u = arcsin(<a_i, x>) approximated by a ReLU block; H^(2,4)_(3,.).

    Expert i: first hidden layer = interpolant Phi_i of arcsin on m pieces of [-T, T]; second hidden
    layer = interpolant G_i of F_i(u) = f(c_i + u) on m pieces of [-U, U], U = arcsin T. Returns a Built
    as :func:`circle_moe`.
    """
    P = _check(D, m, 2, pass_through)
    E = 4
    consts = tau_constants(E, n_tau)
    T = consts["T"]
    U = math.asin(T)
    chart, tgt, fn = _circle_target(f, D)
    experts = []
    for i in range(E):
        ci = i * math.pi / 2
        a = np.zeros(P + E)
        a[:2] = (-math.sin(ci), math.cos(ci))
        first = TwoLayerExpert(P + E)
        kt = cpwl_knots(-T, T, m)
        phi_form = first.cpwl(a, 0.0, kt, np.arcsin(kt))  # Phi_i(x) ~ theta - c_i
        three = ThreeLayerExpert(first)
        ku = cpwl_knots(-U, U, m)
        three.output(three.cpwl(phi_form, ku, fn(np.cos(ci + ku), np.sin(ci + ku))))
        experts.append(three)
    w1, ex1 = _layer1(D, 2, consts["n_tau"], None, three=True, n_pass=P)
    net = stacked_moe_net(
        D, [(w1, ex1, 1), (_gate_on_tau(P, E), stack_experts(experts), 1)], name=f"wang-thm4.8-circle-D{D}-m{m}"
    )
    meta = _circle_meta(D, P, m, E, consts, None, {"chart_kind": "nonlinear (arcsin) approximated by ReLU", "U": U})
    return Built(
        net=net,
        target=(tgt,),
        variables=(THETA,),
        domain_lo=(0.0,),
        domain_hi=(2 * math.pi,),
        chart=chart,
        meta=meta,
        description=f"Thm 4.8: circle in R^{D}, angle charts through a ReLU block, {m} pieces each",
    )


def _ridge_fit(g, R: float, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Least-squares sum of ridge units relu(<w_k, y> - b_k) + c0 for g on the disc |y| <= R.

    Directions w = (cos(pi j/J), sin(pi j/J)), j < J = max(2, round(sqrt(m/3))); per direction m // J
    knots b uniform in [-R, R) (the first makes the unit affine on the disc). Fixed 2-D grid, so the
    fit is deterministic. Returns (W (m', 2), b (m',), coef (m',), c0).
    """
    J = max(2, int(round(math.sqrt(m / 3))))
    per = max(1, m // J)
    ang = np.pi * np.arange(J) / J
    dirs = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    knots = -R + 2 * R * np.arange(per) / per
    W = np.repeat(dirs, per, axis=0)
    b = np.tile(knots, J)
    n_grid = max(60, 6 * per)
    ax = np.linspace(-R, R, n_grid)
    Y = np.stack(np.meshgrid(ax, ax, indexing="ij"), axis=-1).reshape(-1, 2)
    Y = Y[(Y**2).sum(axis=1) <= R * R * (1 + 1e-12)]
    feats = np.maximum(Y @ W.T - b, 0.0)
    A = np.concatenate([feats, np.ones((Y.shape[0], 1))], axis=1)
    sol = np.linalg.lstsq(A, g(Y), rcond=None)[0]
    return W, b, sol[:-1], float(sol[-1])


def sphere_moe(
    D: int = 3, m: int = 48, *, f=SPHERE_F, n_tau: int | None = None, tau_bias=None, pass_through: str = "x"
) -> Built:
    """Cor 4.9 on the 2-sphere in R^D: 6 linear charts (projections), experts = ridge sums of width m.

    Returns a Built over (theta, phi) in [0, pi] x [0, 2 pi], x = (sin t cos p, sin t sin p, cos t, 0...).
    """
    P = _check(D, m, 3, pass_through)
    E = 6
    consts = tau_constants(E, n_tau)
    T = consts["T"]
    fn = sympy.lambdify((X1, X2, X3), f, "numpy")
    experts = []
    for c, sgn in coordinate_charts(3):
        others = [j for j in range(3) if j != c]

        def g(Y, c=c, sgn=sgn, others=others):
            X = np.zeros((Y.shape[0], 3))
            X[:, others] = Y
            X[:, c] = sgn * np.sqrt(np.clip(1 - (Y**2).sum(axis=1), 0, None))
            return fn(X[:, 0], X[:, 1], X[:, 2])

        Wd, bd, coef, c0 = _ridge_fit(g, T, m)
        ex = TwoLayerExpert(P + E)
        form = {}
        for w, bk, ck in zip(Wd, bd, coef):
            row = np.zeros(P + E)
            row[others] = w  # <w, phi_i(x)>, phi_i = the two other coordinates
            form[ex.unit(row, -bk)] = ck
        ex.output((form, c0))
        experts.append(ex)
    w1, ex1 = _layer1(D, 3, consts["n_tau"], tau_bias, three=False, n_pass=P)
    net = stacked_moe_net(
        D,
        [(w1, ex1, 1), (_gate_on_tau(P, E), stack_experts(experts), 1)],
        name=f"wang-cor4.9-sphere-D{D}-m{m}" + ("-planted" if tau_bias else ""),
    )
    chart = (sympy.sin(THETA) * sympy.cos(PHI), sympy.sin(THETA) * sympy.sin(PHI), sympy.cos(THETA)) + (
        sympy.Integer(0),
    ) * (D - 3)
    tgt = sympy.sympify(f).subs({X1: chart[0], X2: chart[1], X3: chart[2]})
    s = [sgn * chart[c] for c, sgn in coordinate_charts(3)]
    meta = {
        "E": E,
        "D": D,
        "m": m,
        "d": 2,
        "pass_through": pass_through,
        "n_tau": consts["n_tau"],
        "delta": consts["delta"],
        "sigma2": consts["sigma2"],
        "T": T,
        "planted": bool(tau_bias),
        "chart_kind": "linear",
        "routing": (
            {
                "tau_node": "moe1",
                "tau_slice": (P, P + E),
                "gate_node": "moe2",
                "rho": tuple(sympy.Max(0, e) ** 2 for e in s),
                "domain": tuple(s),
            },
        ),
    }
    return Built(
        net=net,
        target=(tgt,),
        variables=(THETA, PHI),
        domain_lo=(0.0, 0.0),
        domain_hi=(math.pi, 2 * math.pi),
        chart=chart,
        meta=meta,
        description=f"Cor 4.9: 2-sphere in R^{D}, 6 projection charts, ridge experts of width {m}",
    )
