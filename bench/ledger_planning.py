"""Benchmark: an hourly run's planning against a ledger of 1,000,000 landed sources, and the
same run against an empty ledger (issue 18: goal within 2x).

    .venv/bin/python bench/ledger_planning.py                  # 1,000 hours x 1,000 sources
    .venv/bin/python bench/ledger_planning.py --hours 100      # a quick look

The ledger is built directly with deltalake (no Avro, no main-table data), as it stands just
before the daily maintenance: `--hours` hours of `--per-hour` landed sources, compacted by
`maintain` (Z-order by path, as the maintenance DAG does), then one append per hourly run
since (24, with their run notes). The empty ledger is the same table with no rows. The
source holds the run's interval and its 24-hour lookback: 40 files per hour (their bytes
are never read: the bench's runner decodes nothing). Measured: `planning_seconds` of the
run's summary (listing, the ledger read, the plan), best of `--repeat`, the two ledgers'
runs interleaved. Results go to bench/results/ledger_planning.{json,md}. Not part of the
test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, write_deltalake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from avrolake.config import Backfill, IngestConfig  # noqa: E402
from avrolake.ingest import SerialRunner, run_ingest  # noqa: E402
from avrolake.lake import TableRef  # noqa: E402
from avrolake.lake.ledger import LEDGER_SCHEMA  # noqa: E402
from avrolake.lake.maintenance import maintain  # noqa: E402
from avrolake.lake.table import RUN_NOTE_KEY  # noqa: E402
from avrolake.storage import S3Options  # noqa: E402

SCHEMA = {
    "type": "record",
    "name": "Ping",
    "fields": [{"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}],
}
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)  # the run's interval: [11:00, 12:00)
LISTED_PER_HOUR = 40
LOOKBACK_HOURS = 24
NOTE = {RUN_NOTE_KEY: json.dumps({"table_version": 0, "quarantine_table": None})}


class NoDecode(SerialRunner):
    """Plans and stops: the bench measures planning only."""

    def run(self, groups: Any, ctx: Any) -> list[Any]:
        return []


def folder(raw: Path, at: dt.datetime) -> Path:
    return raw / f"dt={at:%Y-%m-%d}" / f"hour={at:%H}"


def make_source(raw: Path) -> None:
    for h in range(LOOKBACK_HOURS + 1):
        where = folder(raw, NOW - dt.timedelta(hours=h + 1))
        where.mkdir(parents=True, exist_ok=True)
        for i in range(LISTED_PER_HOUR):
            (where / f"part-{i:05d}.avro").write_bytes(b"Obj\x01")


def rows_of(raw: Path, hours: range, count: int, seq: int) -> pa.Table:
    """Landed ledger rows for `count` files in each of the hours `hours` ago."""
    paths = [
        str(folder(raw, NOW - dt.timedelta(hours=h)).resolve() / f"part-{i:05d}.avro")
        for h in hours
        for i in range(count)
    ]
    n = len(paths)
    data = {name: pa.nulls(n, LEDGER_SCHEMA.field(name).type) for name in LEDGER_SCHEMA.names}
    data["path"] = pa.array(paths)
    data["status"] = pa.array(["landed"] * n)
    data["size"] = pa.array([4] * n, pa.int64())
    data["records"] = pa.array([100] * n, pa.int64())
    data["table_version"] = pa.array([0] * n, pa.int64())
    data["seq"] = pa.array([seq] * n, pa.int64())
    data["data_files"] = pa.array([[f"part-{seq}.parquet"]] * n, pa.list_(pa.string()))
    return pa.table(data, schema=LEDGER_SCHEMA)


def append(uri: str, rows: pa.Table) -> None:
    note = CommitProperties(custom_metadata=NOTE)
    write_deltalake(uri, rows, mode="append", commit_properties=note)


def make_ledger(uri: str, raw: Path, hours: int, per_hour: int) -> int:
    """The ledger as it stands just before the daily maintenance: `hours` hours of `per_hour`
    landed sources before the lookback, compacted by the maintenance DAG (Z-order by path;
    written here in appends of 50 hours, which compaction merges all the same), then one
    append per hourly run since: the lookback's hours, holding the listed files."""
    if not hours:  # an empty ledger: the table and its run note, no rows
        append(uri, LEDGER_SCHEMA.empty_table())
        return 0
    old = range(hours + LOOKBACK_HOURS + 1, LOOKBACK_HOURS + 1, -1)
    for start in range(0, len(old), 50):
        append(uri, rows_of(raw, old[start : start + 50], per_hour, start))
    maintain(TableRef.at(uri.removesuffix("_ledger"), S3Options()).ledger(), sort_by=("path",))
    for h in range(LOOKBACK_HOURS + 1, 1, -1):  # hour 1 is the run's own: new files
        append(uri, rows_of(raw, range(h, h - 1, -1), LISTED_PER_HOUR, hours + h))
    return len(old) * per_hour + LOOKBACK_HOURS * LISTED_PER_HOUR


def config(work: Path, ledger_rows: str) -> IngestConfig:
    return IngestConfig(
        source=str(work / "raw"),
        table=str(work / ledger_rows / "table"),
        run_id="bench",
        started_at=NOW + dt.timedelta(minutes=5),
        registry=work / "registry",
        settle_seconds=0,
        backfill=Backfill(NOW - dt.timedelta(hours=1), NOW),
    )


def planning(work: Path, repeat: int) -> tuple[float, float]:
    """Best planning_seconds against the empty and the full ledger, runs interleaved after
    one warm-up run each (the machine's load falls on both alike)."""
    times: dict[str, list[float]] = {"empty": [], "full": []}
    for n in range(repeat + 1):
        for name in times:
            seconds = run_ingest(config(work, name), NoDecode()).planning_seconds
            if n:
                times[name].append(seconds)
    return min(times["empty"]), min(times["full"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=1000)
    parser.add_argument("--per-hour", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build in (and keep) this folder")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="avrolake-ledger-bench-"))
    try:
        (work / "registry" / "pings").mkdir(parents=True)
        (work / "registry" / "pings" / "v1.avsc").write_text(json.dumps(SCHEMA))
        make_source(work / "raw")
        for name in ("empty", "full"):
            run_ingest(config(work, name), NoDecode())  # creates the main table (version 0)
            shutil.rmtree(work / name / "table_ledger", ignore_errors=True)
        make_ledger(str(work / "empty" / "table_ledger"), work / "raw", 0, 0)
        rows = make_ledger(
            str(work / "full" / "table_ledger"), work / "raw", args.hours, args.per_hour
        )
        empty, full = planning(work, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "ledger_rows": rows,
        "listed_files": (LOOKBACK_HOURS + 1) * LISTED_PER_HOUR,
        "planning_seconds_empty_ledger": empty,
        "planning_seconds_full_ledger": full,
        "ratio": round(full / empty, 2) if empty else None,
        "goal": "ratio <= 2",
    }
    out = ROOT / "bench" / "results"
    (out / "ledger_planning.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "ledger_planning.md").write_text(
        "# Hourly planning against a 1M-source ledger\n\n"
        f"`bench/ledger_planning.py --hours {args.hours} --per-hour {args.per_hour}`: "
        f"{rows:,} landed sources in the ledger ({args.hours} hours compacted by the maintenance, "
        "Z-order by path, then 24 hourly appends); "
        f"the run lists its hour and a 24-hour lookback ({result['listed_files']} files).\n\n"
        f"| ledger | planning_seconds (best of {args.repeat}, interleaved) |\n|---|---|\n"
        f"| empty | {empty} |\n| {rows:,} rows | {full} |\n\n"
        f"Ratio: **{result['ratio']}** (goal: at most 2).\n"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
