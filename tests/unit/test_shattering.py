"""The constructive shattering behind K3's reading (a) finding: every labelling realised, exactly."""

import itertools
from fractions import Fraction

import pytest

from checkers.checks.shattering import (
    classify,
    inverse_exact,
    ramp_bound,
    realise_labelling,
    shattered_by_construction,
    shattering_points,
)


@pytest.mark.parametrize("n, W", [(1, 4), (2, 4), (3, 4), (2, 6)])
def test_every_labelling_of_small_sets_is_realised_exactly(n, W):
    points, invs = shattering_points(n, W, seed=3)
    assert len(points) == (W // 2) * n
    M = Fraction(int(2 * (ramp_bound(points, invs) + 1)) + 2)
    for y in itertools.product((0, 1), repeat=len(points)):
        assert classify(points, realise_labelling(points, invs, list(y), M)) == list(y)


def test_n_equal_w_16_shatters_128_points_with_289_weights():
    r = shattered_by_construction(16, 16, seed=0, replays=1)
    assert r["replays_ok"] and r["N"] == 128 and r["n_weights"] == 17 * 16 + 16 + 1


def _classify_reference(points, units):
    """sign(F - 1/2) summed term by term in Fractions (the definition the integer-scaled classify follows)."""
    out = []
    for x in points.tolist():
        F = Fraction(0)
        for w, b, s in units:
            psi = sum(Fraction(wi) * xi for wi, xi in zip(w, x)) + b
            F += s * (max(psi + 1, 0) - max(psi, 0))
        out.append(1 if F - Fraction(1, 2) > 0 else 0)
    return out


def test_classify_equals_the_fraction_definition_on_unsaturated_units():
    """Random rational weights put psi inside (-1, 0) too, where the ramp is neither 0 nor 1."""
    import numpy as np

    rng = np.random.default_rng(1)
    points = rng.integers(-3, 4, size=(200, 3))
    for _ in range(20):
        units = [
            (
                [Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 7))) for _ in range(3)],
                Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 7))),
                int(rng.choice([-1, 1])),
            )
            for _ in range(4)
        ]
        assert classify(points, units) == _classify_reference(points, units)


def test_inverse_exact_is_the_inverse():
    A = [[2, -1, 0, 3], [1, 1, 1, 1], [0, 3, -2, 1], [1, 0, 0, 2]]
    inv = inverse_exact(A)
    assert inv is not None
    assert all(sum(A[i][k] * inv[k][j] for k in range(4)) == int(i == j) for i in range(4) for j in range(4))
    assert inverse_exact([[1, 2, 3], [2, 4, 6], [0, 1, 1]]) is None
