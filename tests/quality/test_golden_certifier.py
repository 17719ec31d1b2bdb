"""Golden cases of the certifier: Yarotsky's x^2 net and the maximum of a seeded random ReLU net."""

import pytest
import sympy
import torch

from checkers.certify import certified_net_max, certified_sup_error
from checkers.checks import CheckContext, get_check
from constructions import Built, NetBuilder, compile_net, random_relu_net
from constructions.yarotsky import sawtooth_square
from proofs import Claim, Status

X0 = sympy.Symbol("x0", real=True)


def _inline_yarotsky(m: int) -> Built:
    """f_m(x) = x - sum_s g_s(x) / 4^s with the hat g(x) = 2 relu(x) - 4 relu(x - 1/2) + 2 relu(x - 1)."""
    b = NetBuilder(1)
    g = b.input
    terms = []
    for _ in range(m):
        h = b.relu(b.affine(g, [[1.0], [1.0], [1.0]], [0.0, -0.5, -1.0]))
        g = b.affine(h, [[2.0, -4.0, 2.0]], [0.0])
        terms.append(g)
    out = b.affine(b.concat([b.input, *terms]), [[1.0] + [-(4.0**-s) for s in range(1, m + 1)]], [0.0])
    return Built(net=b.build(out), target=(X0**2,), variables=(X0,), domain_lo=(0.0,), domain_hi=(1.0,))


@pytest.mark.parametrize("m", range(1, 9))
def test_yarotsky_error_certified_within_one_percent(m):
    exact = 2.0 ** (-2 * m - 2)
    cert = certified_sup_error(sawtooth_square(m), tol=0.01, max_boxes=1 << 14, time_budget=30)
    assert cert.status is Status.PROVED
    assert cert.lower <= exact * (1 + 1e-9) and exact <= cert.upper <= exact * 1.01


@pytest.mark.parametrize("m", [2, 4])
def test_inline_yarotsky_agrees(m):
    exact = 2.0 ** (-2 * m - 2)
    cert = certified_sup_error(_inline_yarotsky(m), tol=0.01, max_boxes=1 << 14, time_budget=30)
    assert cert.status is Status.PROVED and exact <= cert.upper <= exact * 1.01


def test_yarotsky_claim_certified_through_the_check():
    m = sympy.Symbol("m", positive=True, integer=True)
    claim = Claim(
        name="sup_error_le",
        check="certified_sup_error",
        statement="s",
        args={
            "construction": "constructions.yarotsky:sawtooth_square",
            "bound": sympy.Rational(101, 100) * 2 ** (-2 * m - 2),
            "time_budget": 20,
        },
    )
    out = get_check("certified_sup_error")(claim, {"m": 5}, CheckContext(timeout=60))
    assert out.verdict.value == "CERTIFIED" and out.measured <= out.bound
    assert "CROWN over" in out.method and out.evidence.box is not None


def test_random_net_maximum_within_1e3_of_a_million_point_grid():
    net = random_relu_net((2, 32, 32, 1), seed=0)
    model = compile_net(net)
    side = torch.linspace(0.0, 1.0, 1001, dtype=torch.float64)
    grid = torch.cartesian_prod(side, side)  # 1,002,001 points
    with torch.no_grad():
        grid_max = max(float(model(grid[i : i + (1 << 16)]).max()) for i in range(0, grid.shape[0], 1 << 16))
    r = certified_net_max(net, [0.0, 0.0], [1.0, 1.0], tol_abs=1e-4, time_budget=30)
    assert r.status is Status.PROVED
    assert r.upper >= grid_max - 1e-12  # a certified upper bound is above every sample
    assert abs(r.upper - grid_max) <= 1e-3
