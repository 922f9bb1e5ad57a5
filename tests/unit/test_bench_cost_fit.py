"""bench/cost.py's fit: CPU-s over millions of records as a slope and an intercept, per tool,
over every round and per round (the headline in bench/results/cost.md)."""

from __future__ import annotations

import pytest
from bench.cost_report import fit, fits

pytestmark = pytest.mark.unit


def run(tool: str, rnd: int, records: int, cpu: float) -> dict[str, object]:
    return {"round": rnd, "tool": tool, "case": "mixed", "records": records, "cpu_s": cpu}


def test_two_sizes_give_the_slope_per_million_records_and_the_fixed_cost() -> None:
    slope, intercept = fit([(1.2, 9.0), (6.0, 16.2)])
    assert (round(slope, 6), round(intercept, 6)) == (1.5, 7.2)


def test_every_round_is_fitted_on_its_own_and_all_rounds_together() -> None:
    runs = [
        run("avrolake", 1, 1_200_000, 9.0),
        run("avrolake", 1, 6_000_000, 16.2),
        run("avrolake", 2, 1_200_000, 10.0),
        run("avrolake", 2, 6_000_000, 17.2),
        {**run("avrolake", 1, 1_000_000, 99.0), "case": "small"},
    ]
    result = fits(runs)["avrolake"]
    assert {k: tuple(round(x, 6) for x in v) for k, v in result["rounds"].items()} == {
        1: (1.5, 7.2),
        2: (1.5, 8.2),
    }
    assert tuple(round(x, 6) for x in result["all"]) == (1.5, 7.7)


def test_a_tool_measured_at_one_size_only_has_no_fit() -> None:
    assert fits([run("jvm", 1, 1_200_000, 20.0), run("jvm", 2, 1_200_000, 21.0)]) == {}
