"""``verify --jobs N``: rows in worker processes give the same rows, verdicts, seeds and report as a serial run."""

import dataclasses

import pytest

from checkers.run import RunConfig, available_cores, run_checks, select
from proofs import InvalidInput

# a mix: certified sup errors, exact-rational attainment, size counts, sampled (seeded) rows
_PICK = (
    "yarotsky-square::sup_error_within_one_percent[m=2]",
    "yarotsky-square::error_attained_at_first_midpoint[m=3]",
    "pl-interpolation::sup_error_le_h2_max_fpp_over_8[f=sin(3*x0), n=4",
    "yarotsky-square::width_eq_three[m=4]",
    "k3-vc-dim::sign_patterns_le_sauer_shelah[n_in=1, L=2, J=1, W=2]",
)


def _untimed(d):
    """A report record without its wall-clock fields (``seconds``, at any depth)."""
    if isinstance(d, dict):
        return {k: _untimed(v) for k, v in d.items() if k != "seconds"}
    return [_untimed(v) for v in d] if isinstance(d, list) else d


def _records(results):
    return [_untimed(r.to_dict()) for r in results]


def test_parallel_rows_equal_serial_rows(tmp_path):
    config = RunConfig(profile="quick", out_dir=tmp_path, seed=3)
    items = [it for it in select(config) if any(p in it.node_id for p in _PICK)]
    assert len(items) == len(_PICK)
    serial = run_checks(config, items=items)
    seen = []
    parallel = run_checks(dataclasses.replace(config, jobs=2), items=items, on_result=lambda i, n, r: seen.append(i))
    assert sorted(seen) == list(range(len(items)))
    assert _records(parallel) == _records(serial)
    assert {r.verdict.value for r in serial} >= {"CERTIFIED"}


def test_jobs_validated():
    assert available_cores() >= 1
    with pytest.raises(InvalidInput, match="--jobs"):
        RunConfig(jobs=0).validated()
