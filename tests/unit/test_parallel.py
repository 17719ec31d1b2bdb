"""``verify --jobs N``: rows in worker processes give the same rows, verdicts, seeds and report as a serial run."""

import dataclasses

import pytest

from checkers.run import (
    RunConfig,
    available_cores,
    expected_seconds,
    plan_tasks,
    run_checks,
    run_parallel,
    select,
    share_group,
)
from proofs import InvalidInput

# a mix: certified sup errors, exact-rational attainment, size counts, sampled (seeded) rows
_PICK = (
    "yarotsky-square::sup_error_within_one_percent[m=2]",
    "yarotsky-square::error_attained_at_first_midpoint[m=3]",
    "pl-interpolation::sup_error_le_h2_max_fpp_over_8[f=sin(3*x0), n=4",
    "yarotsky-square::width_eq_three[m=4]",
    "k3-vc-dim::sign_patterns_le_sauer_shelah[n_in=1, L=2, J=1, W=2]",
    # two rows reading the same certified sup errors: one task, one worker, the points certified once
    "cor-4.9::fitted_exponent_ge_claimed[D=2, sizes=(8, 16, 32, 64)]",
    "cor-4.9::fitted_exponent_eq_construction[D=2, sizes=(8, 16, 32, 64)]",
)
_SHARED = _PICK[-2:]


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
    assert sorted(seen) == list(range(len(items)))  # progress: each row once
    assert _records(parallel) == _records(serial)
    assert {r.verdict.value for r in serial} >= {"CERTIFIED"}
    shared = [i for i, it in enumerate(items) if any(p in it.node_id for p in _SHARED)]
    assert plan_tasks(items, share_group)[0] == shared  # the group is one task, submitted first


_LEMMA = (  # one ratio-induction lemma: proved by the first row, read from the cache by the chain
    "z3-textbook-bound::log_binomial_le_k_one_plus_log[",
    "z3-textbook-bound::steps_combine_to_bound[",
)


@pytest.mark.parametrize("pair", [_SHARED, _LEMMA], ids=["certified points", "induction lemma"])
def test_a_row_reading_the_cache_equals_the_row_alone(tmp_path, pair):
    """The second row after its group mate (shared work from the cache) == the row alone in a fresh worker."""
    config = RunConfig(profile="quick", out_dir=tmp_path, seed=5)
    both = [it for it in select(config) if any(p in it.node_id for p in pair)]
    assert len(both) == 2 and share_group(both[0]) == share_group(both[1]) is not None
    other = [it for it in select(config) if _PICK[3] in it.node_id]
    after_mate = run_checks(config, items=both)[1]
    alone = run_checks(dataclasses.replace(config, jobs=2), items=[both[1], *other])[0]
    assert _records([alone]) == _records([after_mate])
    assert alone.verdict.value == "CERTIFIED"


def test_plan_tasks_groups_and_orders_longest_first():
    items = ["a", "b", "c", "d", "e"]
    grouped = plan_tasks(items, lambda s: "g" if s in "ce" else None)
    assert grouped == [[2, 4], [0], [1], [3]]
    costed = plan_tasks(items, lambda s: "g" if s in "ce" else None, cost=lambda s: {"b": 9.0, "c": 1.0}.get(s))
    assert costed == [[1], [2, 4], [0], [3]]
    assert plan_tasks(items) == [[0], [1], [2], [3], [4]]


def test_jobs_validated():
    assert available_cores() >= 1
    with pytest.raises(InvalidInput, match="--jobs"):
        RunConfig(jobs=0).validated()


def test_expected_seconds_from_an_earlier_report_orders_the_tasks(tmp_path):
    import json

    config = RunConfig(profile="quick", out_dir=tmp_path)
    items = [it for it in select(config) if any(p in it.node_id for p in _PICK)]
    rows = [r.to_dict() for r in run_checks(config, items=items[:2])]
    rows[0]["seconds"], rows[1]["seconds"] = 1.0, 50.0
    path = tmp_path / "last.json"
    path.write_text(json.dumps({"results": rows}))
    cost = expected_seconds(path)
    assert cost is not None and [cost(it) for it in items[:3]] == [1.0, 50.0, None]
    assert plan_tasks(items, share_group, cost)[0] == [1]  # the row that took longest starts first
    for bad in (tmp_path / "missing.json", tmp_path):
        assert expected_seconds(bad) is None
    (tmp_path / "bad.json").write_text("{not json")
    assert expected_seconds(tmp_path / "bad.json") is None and expected_seconds(None) is None


@dataclasses.dataclass(frozen=True)
class _Item:
    node_id: str


def _select(config):
    return [_Item(n) for n in config if n != "parent-only"]


def _run_one(item, config, device):
    if item.node_id == "die":
        import os

        os._exit(3)  # a worker killed mid-task (as by the OOM killer)
    return f"ok {item.node_id}"


def _run_grouped(names, grouped, **kw):
    """run_parallel over rows named ``names`` on 2 workers, the rows in ``grouped`` forming one task."""
    return run_parallel(
        names,
        [_Item(n) for n in names],
        "cpu",
        2,
        select=_select,
        run_one=_run_one,
        died=lambda item, why: f"died {item.node_id}",
        group=lambda item: "g" if item.node_id in grouped else None,
        **kw,
    )


def test_a_dead_worker_makes_its_unfinished_rows_error_and_the_run_goes_on():
    names = ["a", "die", "b", "after-die"]
    seen = []
    out = _run_grouped(names, ("die", "after-die"), on_result=lambda i, n, r: seen.append(i))
    assert sorted(seen) == list(range(len(names)))  # every row reported once
    assert out[1] == "died die" and out[3] == "died after-die"  # the group's row after the death never ran
    assert all(r in (f"ok {n}", f"died {n}") for r, n in zip(out, names))  # the pool broke: pending rows ERROR


def test_grouped_rows_and_rows_only_the_parent_knows_come_back_in_row_order():
    names = ["a", "parent-only", "b", "c", "d"]
    out = _run_grouped(names, ("a", "d"))
    assert out == [f"ok {n}" for n in names]
