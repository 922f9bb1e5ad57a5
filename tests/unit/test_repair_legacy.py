"""Repairing a legacy table (issue 18; docs/ledger.md#repairing-a-legacy-table).

Before issue 18 a landed file rewritten into something bad was quarantined (or found a
duplicate) by a commit that left its old rows in the table. The table here is built that way
for real: the files land, they are rewritten on disk, and a commit made as that avrolake made
it (a run record deciding them, no removes) gives the ledger its `quarantined` and
`duplicate` rows. `reconcile` is red and names the repair; `avrolake maintain --repair`
removes exactly those rows in one commit whose run record says what each file is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from avrolake.cli import main
from avrolake.errors import ReconciliationError
from avrolake.lake import Ledger
from avrolake.lake.commit import commit_run
from avrolake.lake.record import DuplicateFile, QuarantinedFile, RunRecord
from avrolake.orchestration.reconcile import reconcile_interval
from tests.unit.lifecycle_lake import Lake, avro_bytes, hour

pytestmark = pytest.mark.unit


def legacy_table(lake: Lake) -> tuple[str, str, str]:
    """other.avro (30 rows) stays landed; x.avro (50) is rewritten truncated and y.avro (20)
    into a copy of other.avro, and the old avrolake's commit decides them keeping their rows."""
    other = lake.write(0, "other.avro", 30)
    x = lake.write(0, "x.avro", 50, first=100)
    y = lake.write(0, "y.avro", 20, first=200)
    lake.run(0)
    good = avro_bytes(50, hour(0), first=300)
    lake.put(0, "x.avro", good[:-20])
    lake.put(0, "y.avro", Path(other).read_bytes())
    ledger = Ledger(lake.ref())
    original = ledger.current([other])[other]
    size_x, size_y = Path(x).stat().st_size, Path(y).stat().st_size
    mtime = {p: Path(p).stat().st_mtime_ns // 10**6 for p in (x, y)}
    record = RunRecord(
        "legacy",
        quarantine_table=lake.ref().quarantine_uri,
        quarantined=(QuarantinedFile(x, "truncated", "the file ends inside a block", size_x,
                                     mtime[x]),),
        duplicates=(DuplicateFile(y, other, size_y, mtime[y], original.sync_marker,
                                  original.digest),),
    )  # fmt: skip
    table = DeltaTable(lake.table)
    schema = pa.schema(table.schema().to_arrow())
    partitions = table.metadata().partition_columns
    assert commit_run(table, table.version(), record, {}, {}, schema, partitions).version == 2
    ledger.sync(DeltaTable(lake.table))  # the ledger's rows written from that commit
    return other, x, y


def test_maintain_repair_removes_exactly_the_rows_of_quarantined_and_duplicate_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = Lake(tmp_path)
    other, x, y = legacy_table(lake)
    assert lake.rows() == {other: 30, x: 50, y: 20}
    with pytest.raises(ReconciliationError, match=r"2 quarantined or duplicate .* 70 row\(s\)"):
        reconcile_interval(str(lake.root / "raw"), lake.ref(), hour(0), hour(1), 5)

    args = ["maintain", "--table", lake.table, "--repair", "--run-id", "repair-1", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["repair"] == {
        "run_id": "repair-1",
        "table_version": 3,
        "rows_removed": 70,
        "removed": {x: 50, y: 20},
    }
    assert lake.rows() == {other: 30}
    commit = next(c for c in DeltaTable(lake.table).history() if c.get("version") == 3)
    run = RunRecord.from_commit(commit)
    assert run is not None
    assert (run.run_id, run.subject, run.landed) == ("repair-1", "pings", ())
    assert [(q.path, q.error_kind, q.replaced) for q in run.quarantined] == [(x, "truncated", True)]
    assert [(d.path, d.copy_of, d.replaced) for d in run.duplicates] == [(y, other, True)]
    now = Ledger(lake.ref()).current([x, y])
    assert {p: (e.status.value, e.run_id, e.table_version) for p, e in now.items()} == {
        x: ("quarantined", "repair-1", 3),
        y: ("duplicate", "repair-1", 3),
    }
    report = reconcile_interval(str(lake.root / "raw"), lake.ref(), hour(0), hour(1), 5)
    assert (report.files_landed, report.files_quarantined, report.files_duplicate) == (1, 1, 1)
    assert lake.run(0)["files_ingested"] == 0


def test_maintain_repair_of_a_sound_table_commits_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = Lake(tmp_path)
    lake.write(0, "a.avro", 10)
    lake.run(0)
    version = DeltaTable(lake.table).version()
    assert main(["maintain", "--table", lake.table, "--repair", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["repair"]["table_version"], result["repair"]["removed"]) == (None, {})
    later = [c for c in DeltaTable(lake.table).history() if c["version"] > version]
    assert [RunRecord.from_commit(c) for c in later] == [None] * len(later)  # maintenance only
