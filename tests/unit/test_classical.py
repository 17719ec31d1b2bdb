"""The classical module: instance data is right, constructions are what the statements say."""

import numpy as np
import pytest
import sympy

from constructions import count_sizes, evaluate_numpy
from constructions.interpolation import pl_interpolant
from constructions.yarotsky import sawtooth_square
from proofs import InvalidInput, lookup

x0 = sympy.Symbol("x0", real=True)


def test_max_second_derivative_data_matches_sympy():
    claim = lookup("classical/pl-interpolation").claim("sup_error_le_h2_max_fpp_over_8")
    for inst in claim.full:
        d2 = sympy.diff(inst["f"], x0, 2)
        unit = sympy.Interval(0, 1)
        exact = sympy.Max(sympy.maximum(d2, x0, unit), -sympy.minimum(d2, x0, unit))
        assert sympy.simplify(exact - inst["M"]) == 0


@pytest.mark.parametrize("m", range(1, 9))
def test_sawtooth_is_the_interpolant_of_x2(m):
    x = np.linspace(0, 1, 2**m + 1)[:, None]  # the nodes: f_m interpolates x^2 there
    assert np.allclose(evaluate_numpy(sawtooth_square(m).net, x)[:, 0], x[:, 0] ** 2, atol=1e-15)
    s = count_sizes(sawtooth_square(m).net)
    assert (s.depth, s.width, s.n_params) == (m + 1, 3, 12 * m - 2)


def test_interpolant_hits_the_nodes():
    f = sympy.sin(3 * x0)
    built = pl_interpolant(f, 8)
    nodes = np.arange(9)[:, None] / 8
    assert np.allclose(evaluate_numpy(built.net, nodes)[:, 0], np.sin(3 * nodes[:, 0]), atol=1e-14)


def test_bad_construction_parameters():
    with pytest.raises(InvalidInput, match="m=0"):
        sawtooth_square(0)
    with pytest.raises(InvalidInput, match="x0 only"):
        pl_interpolant(sympy.Symbol("y") * x0, 4)
