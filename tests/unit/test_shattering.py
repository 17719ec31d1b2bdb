"""The constructive shattering behind K3's reading (a) finding: every labelling realised, exactly."""

import itertools
from fractions import Fraction

import pytest

from checkers.checks.shattering import (
    classify,
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
