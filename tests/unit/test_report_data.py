"""The data behind `avrolake report`, on a fixture table with exact, hand-counted numbers.

The table is landed in-process (SerialRunner, no Spark) from generated files whose layout is
fixed by the generator: good file i is written with version (i mod 3) + 1 into hour (i mod 2);
the two corrupt ones follow (docs/report.md, src/avrolake/generate/logs.py). Two runs, one per
hour, then one maintenance (compaction + vacuum).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from avrolake.cli import main
from avrolake.config import Backfill, IngestConfig
from avrolake.errors import EXIT_USAGE
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.lake import TableRef
from avrolake.lake.maintenance import maintain
from avrolake.registry import Registry
from avrolake.report import TABLE_REPORT, build_report, render_html, write_table_report
from avrolake.report.data import ReportData, size_buckets
from avrolake.storage import S3Options, resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs

pytestmark = pytest.mark.unit

HOUR0 = dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)
RECORDS = 50


@dataclass(frozen=True)
class Landed:
    table: TableRef
    raw: Path


def land_two_hours(tmp: Path, registry: Path = SHIPPED_REGISTRY) -> Landed:
    """6 good files (v1 h0, v2 h1, v3 h0, v1 h1, v2 h0, v3 h1) + 2 corrupt (v1 h0 truncated,
    v2 h1 garbage), one run per hour, then optimize + vacuum."""
    raw = tmp / "raw"
    generate_logs(
        resolve(str(raw)),
        registry,
        files=6,
        corrupt=2,
        records=RECORDS,
        hours=2,
        seed=11,
        start=HOUR0,
    )
    table = tmp / "lake" / "logs"
    for hour in (0, 1):
        since = HOUR0 + dt.timedelta(hours=hour)
        config = IngestConfig(
            source=str(raw),
            table=str(table),
            run_id=f"run-h{hour}",
            started_at=since + dt.timedelta(hours=1),
            settle_seconds=0,
            registry=registry,
            backfill=Backfill(since=since, until=since + dt.timedelta(hours=1)),
        )
        run_ingest(config, SerialRunner())
    ref = TableRef.find(str(table), S3Options())
    maintain(ref, retention_hours=168)  # compacts; deletes nothing yet, so commits no vacuum
    # An operator's vacuum with a zero retention deletes the two compacted files.
    ref.require().vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    return Landed(ref, raw)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Landed:
    return land_two_hours(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(landed: Landed) -> ReportData:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    return build_report(landed.table, Registry(SHIPPED_REGISTRY), None, now=now)


def test_subject_versions_and_changes(report: ReportData) -> None:
    assert (report.subject, report.level, report.reader_version) == (
        "log_event",
        "BACKWARD_TRANSITIVE",
        3,
    )
    registry = Registry(SHIPPED_REGISTRY)
    assert [(v.version, v.fingerprint, v.fields) for v in report.versions] == [
        (n, registry.version("log_event", n).fingerprint, fields)
        for n, fields in ((1, 4), (2, 6), (3, 8))
    ]
    assert report.versions[0].changes == []
    assert [(c["kind"], c["field"]) for c in report.versions[1].changes] == [
        ("added", "trace_id"),
        ("added", "latency_ms"),
    ]
    assert [(c["kind"], c["field"]) for c in report.versions[2].changes] == [
        ("symbols_added", "level"),
        ("default_changed", "level"),
        ("renamed", "service_name"),
        ("type_changed", "latency_ms"),
        ("added", "host"),
        ("added", "tags"),
    ]


def test_matrix_is_n_by_n_with_the_failing_rules(report: ReportData) -> None:
    assert len(report.matrix) == 9
    verdicts = {(c.reader, c.writer): c.compatible for c in report.matrix}
    assert [pair for pair, ok in sorted(verdicts.items()) if not ok] == [(1, 3), (2, 3)]
    cells = {(c.reader, c.writer): c for c in report.matrix}
    # v3 adds the enum symbol FATAL (v1/v2's enum has no default) and renames `service`
    # (v1/v2 have no alias for it); v2's nullable int latency cannot hold v3's long.
    missing = [
        ("MISSING_ENUM_SYMBOLS", "/fields/1/type/symbols"),
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/2"),
    ]
    assert [(f["kind"], f["path"]) for f in cells[(1, 3)].failures] == missing
    assert [(f["kind"], f["path"]) for f in cells[(2, 3)].failures] == [
        *missing,
        ("MISSING_UNION_BRANCH", "/fields/5/type"),
    ]


def test_runs_rows_per_writer_version_and_quarantine(report: ReportData) -> None:
    assert [(r.table_version, r.run_id) for r in report.runs] == [(1, "run-h0"), (2, "run-h1")]
    first, second = report.runs
    # Hour 0 holds good files 0 (v1), 2 (v3), 4 (v2); hour 1 files 1 (v2), 3 (v1), 5 (v3).
    assert first.rows_by_writer_version == {"1": RECORDS, "2": RECORDS, "3": RECORDS}
    assert second.rows_by_writer_version == {"1": RECORDS, "2": RECORDS, "3": RECORDS}
    assert [(Path(s.path).name, s.writer_version, s.records) for s in first.sources] == [
        ("log_event-v1-00000.avro", "1", RECORDS),
        ("log_event-v2-00004.avro", "2", RECORDS),
        ("log_event-v3-00002.avro", "3", RECORDS),
    ]
    assert [(Path(q.path).name, q.error_kind) for q in first.quarantined] == [
        ("log_event-v1-00006-corrupt-truncated_block.avro", "truncated"),
    ]
    assert [(Path(q.path).name, q.error_kind) for q in second.quarantined] == [
        ("log_event-v2-00007-corrupt-garbage_bytes.avro", "not_avro"),
    ]
    assert all(q.message for q in first.quarantined + second.quarantined)
    assert (first.duplicates, second.duplicates, report.runs_not_shown) == (0, 0, 0)


def test_health_from_the_log_and_the_ledger(report: ReportData) -> None:
    h = report.health
    # versions: 0 create, 1 and 2 the runs, 3 OPTIMIZE, 4 VACUUM START, 5 VACUUM END
    assert (h.table_version, h.rows) == (5, 6 * RECORDS)
    assert h.last_optimize is not None
    assert h.last_vacuum is not None
    assert (h.last_optimize.operation, h.last_optimize.table_version) == ("OPTIMIZE", 3)
    assert (h.last_vacuum.operation, h.last_vacuum.table_version) == ("VACUUM", 5)
    assert h.last_vacuum.detail == "2 file(s) deleted"
    # The two runs wrote one file each into the one date partition; compaction made one.
    assert h.last_optimize.detail == "2 file(s) compacted into 1"
    assert h.files == 1
    assert h.smallest_file == h.median_file == h.largest_file == h.bytes
    assert h.size_buckets == [
        ("< 1 MiB", 1),
        ("1-16 MiB", 0),
        ("16-64 MiB", 0),
        ("64-256 MiB", 0),
        (">= 256 MiB", 0),
    ]
    assert h.sources_by_state == {"landed": 6, "quarantined": 2}
    assert sorted(q.error_kind for q in h.quarantined_now) == ["not_avro", "truncated"]


def test_size_buckets_edges() -> None:
    mib = 2**20
    counts = size_buckets([0, mib - 1, mib, 16 * mib - 1, 16 * mib, 256 * mib, 10**12])
    assert counts == [
        ("< 1 MiB", 2),
        ("1-16 MiB", 2),
        ("16-64 MiB", 1),
        ("64-256 MiB", 0),
        (">= 256 MiB", 2),
    ]


def test_page_holds_the_matrix_chart_and_lineage(report: ReportData) -> None:
    page = render_html(report)
    assert page.count('<td class="cell ') == 9
    assert page.count('data-compatible="false"') == 2
    # one bar segment per (run, writer version), one quarantine mark per run
    assert page.count('<rect class="mark"') == 6
    assert page.count('<circle class="mark-quarantine"') == 2
    assert page.count('<details class="run"') == 2
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page


def test_hostile_text_is_escaped(report: ReportData) -> None:
    evil = '"><script>alert(1)</script>'
    first = report.runs[0]
    hostile = dataclasses.replace(
        first,
        run_id=evil,
        quarantined=[dataclasses.replace(q, message=evil, path=evil) for q in first.quarantined],
    )
    page = render_html(dataclasses.replace(report, runs=[hostile, *report.runs[1:]]))
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") == 3  # run id, path, message


def test_without_a_registry_the_schema_sections_are_empty(landed: Landed) -> None:
    data = build_report(landed.table, None)
    assert (data.subject, data.versions, data.matrix) == ("log_event", [], [])
    assert data.notes
    assert "no schema registry" in data.notes[0]
    assert [r.table_version for r in data.runs] == [1, 2]


def test_the_table_report_is_written_beside_the_delta_log(landed: Landed) -> None:
    where = write_table_report(landed.table, Registry(SHIPPED_REGISTRY), None)
    assert where == f"{landed.table.uri}/{TABLE_REPORT}"
    assert Path(where).read_text(encoding="utf-8").count('<td class="cell ') == 9
    assert (Path(landed.table.uri) / "_delta_log").is_dir()


def test_cli_writes_the_page_and_prints_where(
    landed: Landed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pages" / "report.html"
    argv = ["report", "--table", landed.table.uri, "--registry", str(SHIPPED_REGISTRY)]
    assert main([*argv, "--out", str(out)]) == 0
    assert capsys.readouterr().out == (
        f"report of {landed.table.uri} (subject log_event, 3 version(s), 2 run(s), "
        f"table version 5) written to {out.resolve()}\n"
    )
    assert out.read_text(encoding="utf-8").count('<td class="cell ') == 9


@pytest.mark.parametrize("where", ["a directory", "under a file"])
def test_cli_says_when_out_cannot_be_written(
    landed: Landed, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    out, expected = {
        "a directory": (tmp_path, f"--out {tmp_path} is a directory; give a file name such as"),
        "under a file": (
            blocker / "report.html",
            f"could not write the report to {blocker / 'report.html'}: {blocker} is a file, "
            "not a directory",
        ),
    }[where]
    assert main(["report", "--table", landed.table.uri, "--out", str(out)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"avrolake: error: {expected}"), err
    if where == "under a file":
        assert err.rstrip().endswith("choose a writable --out file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]  # nothing left behind
