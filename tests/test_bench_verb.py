"""The studio bench's whole-process figures: medians, and each round's own ratio."""

from __future__ import annotations

import pytest

from likeness.bench import verb


def _runs(*cpu: float, rc: int = 0) -> list[dict]:
    return [{"wall_s": c / 2, "cpu_s": c, "rc": rc} for c in cpu]


def test_each_round_is_divided_by_its_own_floor():
    cold, floor = _runs(3.0, 4.0, 2.0), _runs(1.0, 2.0, 0.5)
    assert verb._rounds(cold, floor) == [2.0, 3.0, 4.0]
    with pytest.raises(ValueError):  # a round without its floor is a bench error, not a figure
        verb._rounds(cold, floor[:2])


def test_median_keeps_every_run_and_the_worst_exit_code():
    m = verb._median(_runs(3.0, 1.0, 2.0) + _runs(9.0, rc=2))
    assert m["cpu_s"] == 2.5 and m["cpu_s_all"] == [3.0, 1.0, 2.0, 9.0] and m["rc"] == 2
    assert verb.COLD_RUNS >= 5
