"""The ledger's current state, read as Arrow (`Ledger.state`): the newest row per path, and
the questions planning asks of it without building an entry per landed source."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pyarrow as pa
import pytest

from avrolake.lake.ledger import (
    ENTRY_COLUMNS,
    LEDGER_SCHEMA,
    LedgerEntry,
    LedgerState,
    SourceStatus,
    newest_per_path,
)

pytestmark = pytest.mark.unit
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def row(path: str, seq: int, status: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {f.name: None for f in LEDGER_SCHEMA}
    base.update(path=path, seq=seq, status=status, recorded_at=T0, data_files=[])
    return {**base, **values}


def test_newest_row_per_path_by_seq_then_recorded_at() -> None:
    rows = pa.Table.from_pylist(
        [
            row("b", 0, "landed"),
            row("a", 1, "quarantined"),
            row("a", 0, "landed"),
            row("b", 1, "released"),
            row("c", 0, "landed"),
            row("b", 1, "landed", recorded_at=T0 + dt.timedelta(seconds=1)),
        ],
        schema=LEDGER_SCHEMA,
    )
    out = newest_per_path(rows)
    assert out.column_names == list(ENTRY_COLUMNS)
    assert [(r["path"], r["status"]) for r in out.to_pylist()] == [
        ("a", "quarantined"),
        ("b", "landed"),
        ("c", "landed"),
    ]


def test_newest_row_per_path_matches_a_window_by_hand() -> None:
    rng = random.Random(5)
    raw = [
        row(
            f"p{rng.randrange(40)}",
            rng.randrange(6),
            rng.choice(["landed", "quarantined"]),
            recorded_at=T0 + dt.timedelta(seconds=rng.randrange(10**6)),  # ties: improbable
            size=i,
        )
        for i in range(300)
    ]
    best: dict[str, dict[str, Any]] = {}
    for r in raw:
        old = best.get(r["path"])
        if old is None or (r["seq"], r["recorded_at"]) > (old["seq"], old["recorded_at"]):
            best[r["path"]] = r
    out = newest_per_path(pa.Table.from_pylist(raw, schema=LEDGER_SCHEMA)).to_pylist()
    assert len({(r["path"], r["seq"], r["recorded_at"]) for r in raw}) == len(raw)
    assert {r["path"]: (r["status"], r["size"]) for r in out} == {
        p: (r["status"], r["size"]) for p, r in best.items()
    }
    assert len(out) == len(best)


def state_of(*rows: dict[str, Any]) -> LedgerState:
    return LedgerState(newest_per_path(pa.Table.from_pylist(list(rows), schema=LEDGER_SCHEMA)))


def test_settled_is_landed_or_duplicate_and_unchanged() -> None:
    state = state_of(
        row("landed", 0, "landed", size=10, mtime_ms=5),
        row("dup", 0, "duplicate", size=10, mtime_ms=5, copy_of="landed"),
        row("old", 0, "landed"),  # landed before the ledger: no size, counts as unchanged
        row("bad", 0, "quarantined", size=10, mtime_ms=5, error_kind="not_avro"),
        row("again", 0, "released", size=10, mtime_ms=5),
        row("no-mtime", 0, "landed", size=10),
    )
    assert state.settled("landed", 10, 5)
    assert state.settled("dup", 10, 5)
    assert state.settled("old", 99, 1)
    assert state.settled("no-mtime", 10, 7)
    assert state.settled("landed", 10, None)
    assert not state.settled("landed", 11, 5)  # size changed
    assert not state.settled("landed", 10, 6)  # modified
    assert not state.settled("bad", 10, 5)  # quarantined: plan_work decides
    assert not state.settled("again", 10, 5)
    assert not state.settled("new", 10, 5)
    # settled agrees with LedgerEntry.changed wherever both apply
    for path in ("landed", "dup", "old", "no-mtime"):
        for size, mtime in ((10, 5), (11, 5), (10, 6), (10, None)):
            assert state.settled(path, size, mtime) is not state[path].changed(size, mtime)


def test_entries_are_built_on_demand_and_in_full() -> None:
    state = state_of(
        row("a", 0, "landed", size=1, sync_marker="m", digest="d", data_files=["f1", "f2"]),
        row("b", 0, "landed", size=2, sync_marker="m", digest="e", data_files=["f2"]),
        row("c", 0, "quarantined", size=3, error_kind="not_avro", message="why"),
    )
    assert len(state) == 3
    assert "a" in state
    assert "z" not in state
    assert state.get("z") is None
    assert state["c"] == LedgerEntry(
        "c", SourceStatus.QUARANTINED, size=3, error_kind="not_avro", message="why"
    )
    assert sorted(dict(state.items())) == ["a", "b", "c"]
    assert state.landed_keys() == {("m", 1, "d"): "a", ("m", 2, "e"): "b"}
    assert state.holders() == {"f1": 1, "f2": 2}
    empty = LedgerState(None)
    assert (len(empty), empty.get("a"), empty.landed_keys(), empty.holders()) == (0, None, {}, {})
    assert not empty.settled("a", 1, 1)
