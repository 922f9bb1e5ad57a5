"""The sweep's listing is bounded by the new keys (issue 18, point 2; docs/ledger.md#the-sweep).

A `new` sweep lists only the paths after the greatest one the ledger holds; a late file whose
path sorts before that mark (a late file of an old partition) is left for the next `full`
sweep, which lands it: nothing is lost, and `auto` makes every seventh day's sweep full.
The S3 side (ListObjectsV2 StartAfter on a real endpoint) is tests/s3/test_sweep_s3.py.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from avrolake.cli import build_parser
from avrolake.cli.ingest import config_from_args
from avrolake.config import sweep_mode
from avrolake.lake import Ledger
from avrolake.lake.sweep_mark import sweep_mark
from avrolake.storage import resolve
from tests.unit.lifecycle_lake import Lake

pytestmark = pytest.mark.unit
scanned: list[str] = []  # the folders os.scandir opened while a test listens (below)
_listening = [False]


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _listening[0] and event == "os.scandir":
        path = args[0]
        scanned.append(os.fsdecode(path).rstrip("/") if isinstance(path, str | bytes) else "")


sys.addaudithook(_audit)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path)


def landed_history(lake: Lake, hours: int = 6, per_hour: int = 3) -> list[str]:
    written = [
        lake.write(h, f"f{i}.avro", 2, first=100 * h + i)
        for h in range(hours)
        for i in range(per_hour)
    ]
    assert lake.run(None, sweep=True)["files_ingested"] == len(written)
    return written


def test_new_sweep_lists_only_the_paths_after_the_ledgers_mark(lake: Lake) -> None:
    landed = landed_history(lake)
    assert sweep_mark(Ledger(lake.ref()), str(lake.root / "raw")) == max(landed)
    new = [lake.write(7, "g0.avro", 3, first=9000), lake.write(9, "g1.avro", 3, first=9100)]
    summary = lake.run(None, sweep=True, sweep_mode="new")
    assert (summary["files_seen"], summary["files_ingested"]) == (2, 2)
    assert summary["sweep"] == {"mode": "new", "after": max(landed)}
    assert {p: n for p, n in lake.rows().items() if p in new} == dict.fromkeys(new, 3)
    again = lake.run(None, sweep=True, sweep_mode="new")
    assert (again["files_seen"], again["sweep"]["after"]) == (0, max(new))


def test_late_path_below_the_mark_is_not_listed_by_a_new_sweep_and_lands_in_the_full_one(
    lake: Lake,
) -> None:
    landed_history(lake)
    late = lake.write(1, "late.avro", 5, first=7000)  # an old partition: below the mark
    newer = lake.write(8, "h.avro", 1, first=8000)
    incremental = lake.run(None, sweep=True, sweep_mode="new")
    assert (incremental["files_seen"], incremental["files_ingested"]) == (1, 1)
    assert late not in lake.rows()
    full = lake.run(None, sweep=True, sweep_mode="full")
    assert (full["files_ingested"], full["files_late"], full["late"]) == (1, 1, [late])
    assert full["files_skipped"] == 19  # the 18 landed before and `newer`, unchanged
    assert (lake.rows()[late], lake.rows()[newer]) == (5, 1)


def test_local_listing_after_a_mark_does_not_enter_folders_wholly_before_it(lake: Lake) -> None:
    landed = landed_history(lake)  # dt=2026-01-01/hour=00 .. hour=05
    new = lake.write(30, "n.avro", 1)  # dt=2026-01-02/hour=06
    source = replace(resolve(str(lake.root / "raw")), after=max(landed))
    scanned.clear()
    _listening[0] = True
    try:
        listed = source.list_files(".avro")
    finally:
        _listening[0] = False
    folders = sorted(scanned)
    assert [i.path for i in listed] == [new]
    raw = lake.root.resolve() / "raw"
    assert folders == sorted(  # hour=00 .. hour=04 of the first day are never opened
        str(raw / f) for f in ("", "dt=2026-01-01", "dt=2026-01-01/hour=05", "dt=2026-01-02",
                               "dt=2026-01-02/hour=06")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("asked", "day", "every", "mode"),
    [
        pytest.param("auto", dt.date(2026, 1, 4), 7, "full", id="auto-on-a-sunday-is-full"),
        pytest.param("auto", dt.date(2026, 1, 5), 7, "new", id="auto-on-a-monday-is-new"),
        pytest.param("auto", dt.date(2026, 1, 5), 1, "full", id="auto-every-day-is-full"),
        pytest.param("new", dt.date(2026, 1, 4), 7, "new", id="new-is-new-any-day"),
        pytest.param("full", dt.date(2026, 1, 5), 7, "full", id="full-is-full-any-day"),
    ],
)
def test_sweep_mode_auto_is_full_once_every_cadence_days(
    asked: str, day: dt.date, every: int, mode: str
) -> None:
    started = dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC)
    assert sweep_mode(asked, started, every) == mode


@pytest.mark.parametrize(
    ("flags", "sweep", "mode"),
    [
        pytest.param([], False, "full", id="no-sweep"),
        pytest.param(["--sweep"], True, "full", id="bare-sweep-is-full-as-before"),
        pytest.param(["--sweep", "new"], True, "new", id="sweep-new"),
        pytest.param(["--sweep", "auto", "--full-sweep-days", "1"], True, "full", id="auto-daily"),
    ],
)
def test_sweep_flag_sets_the_run_config(flags: list[str], sweep: bool, mode: str) -> None:
    args = build_parser().parse_args(["ingest", "--source", "s", "--table", "t", *flags])
    config = config_from_args(args, {})
    assert (config.sweep, config.sweep_mode) == (sweep, mode)
