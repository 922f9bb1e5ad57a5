"""Small files decoded together (ingest/together.py) land exactly what each file read alone
lands: the same rows, the same quarantines with the same reasons, every source's rows in
the data files its ledger row names and in no other.

Each test lands the same files twice in-process (SerialRunner, real Delta tables read back
with delta-rs): once as the job runs, once with every file read alone (`small` patched to
say no file is small: the one-file path, the reference).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pyarrow.parquet as pq
import pytest

import avrolake.ingest.together as together_module
import avrolake.ingest.worker as worker_module
from avrolake.config import IngestConfig
from avrolake.decode import decode_together
from avrolake.generate import GenerateSpec, generate
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.registry import Registry
from avrolake.storage import resolve
from tests.fixtures.lake import SHIPPED_REGISTRY, registry_with, sql

pytestmark = pytest.mark.unit

STARTED = dt.datetime(2026, 1, 2, 6, 0, tzinfo=dt.UTC)
V1 = (SHIPPED_REGISTRY / "log_event" / "v1.avsc").read_text()


def land(
    root: Path,
    raw: Path,
    alone: bool,
    monkeypatch: pytest.MonkeyPatch,
    chunks: list[int] | None = None,
) -> dict[str, Any]:
    """Land `raw`; `chunks` gets the number of files of each chunk decoded together."""

    def counted(files: Any) -> Any:
        if chunks is not None:
            chunks.append(len(files))
        return decode_together(files)

    with monkeypatch.context() as patch:
        patch.setattr(together_module, "decode_together", counted)
        if alone:
            patch.setattr(worker_module, "small", lambda source: False)
        summary = run_ingest(
            IngestConfig(
                source=str(raw),
                table=str(root / "t"),
                run_id="run-1",
                started_at=STARTED,
                settle_seconds=0,
                registry=root.parent / "registry",
                subject="log_event",
            ),
            SerialRunner(),
        )
    return summary.as_dict()


def table_rows(root: Path) -> list[dict[str, Any]]:
    rows = sql(str(root / "t"), "SELECT * FROM t")
    for row in rows:
        del row["_ingested_at"]
    return sorted(rows, key=lambda r: (r["_source_file"], repr(sorted(r.items()))))


def ledger_files(root: Path) -> dict[str, list[str]]:
    rows = sql(str(root / "t_ledger"), "SELECT path, data_files FROM t WHERE status = 'landed'")
    return {r["path"]: sorted(r["data_files"]) for r in rows}


def sources_in(root: Path, data_file: str) -> set[str]:
    column = pq.read_table(root / "t" / data_file, columns=["_source_file"]).column(0)
    return set(column.to_pylist())


def write(raw: Path, relative: str, records: list[dict[str, Any]]) -> None:
    target = raw / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(json.loads(V1)), records)
    target.write_bytes(buffer.getvalue())


YEAR_10000 = 253_402_300_800_000  # 10000-01-01T00:00Z in ms


def millis(year: int) -> int:
    return int((dt.datetime(year, 1, 1, tzinfo=dt.UTC)).timestamp() * 1000)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    registry_with(tmp_path, [1, 2, 3])
    source = tmp_path / "raw"
    versions = Registry(tmp_path / "registry").versions("log_event")
    # 40 files of 7 records over two days' hours (v1, v2, v3 in turn), 2 corrupt ones
    spec = GenerateSpec(files=40, records=7, seed=5, hours=30, corrupt=2)
    generate(versions, resolve(str(source)), spec)
    return source


def test_small_files_land_as_each_alone_and_name_exactly_their_data_files(
    tmp_path: Path, raw: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks: list[int] = []
    together = land(tmp_path / "together", raw, False, monkeypatch, chunks)
    assert sorted(chunks) == [13, 13, 14]  # one chunk per writer version, 40 files
    alone_chunks: list[int] = []
    alone = land(tmp_path / "alone", raw, True, monkeypatch, alone_chunks)
    assert alone_chunks == []
    assert together["files_ingested"] == alone["files_ingested"] == 40
    assert together["records_written"] == alone["records_written"] == 280
    assert together["records_by_decode_path"] == alone["records_by_decode_path"] == {"native": 280}
    assert together["quarantined"] == alone["quarantined"]
    assert sorted(q["error_kind"] for q in together["quarantined"]) == ["not_avro", "truncated"]
    assert table_rows(tmp_path / "together") == table_rows(tmp_path / "alone")
    files = ledger_files(tmp_path / "together")
    assert len(files) == 40
    by_file: dict[str, set[str]] = {}
    for source, data_files in files.items():
        assert data_files, source
        for data_file in data_files:
            by_file.setdefault(data_file, set()).add(source)
    # every data file holds rows of exactly the sources whose ledger rows name it
    for data_file, sources in by_file.items():
        assert sources_in(tmp_path / "together", data_file) == sources
    # decoded together: fewer data files than sources (one per partition date)
    assert len(by_file) == 2


@pytest.mark.parametrize(
    ("hostile", "kind"),
    [
        ({"timestamp": YEAR_10000}, "corrupt_data"),  # no partition date, no Delta timestamp
        ({"service": "ok", "level": "INFO"}, None),  # a good file: nothing special
    ],
)
def test_a_hostile_small_file_among_good_ones_is_quarantined_for_its_own_reason(
    tmp_path: Path,
    raw: Path,
    monkeypatch: pytest.MonkeyPatch,
    hostile: dict[str, Any],
    kind: str | None,
) -> None:
    good = {"timestamp": millis(2026), "level": "WARN", "service": "api", "message": "m"}
    write(raw, "dt=2026-01-01/hour=00/hostile.avro", [good, {**good, **hostile}, good])
    chunks: list[int] = []
    together = land(tmp_path / "together", raw, False, monkeypatch, chunks)
    assert sorted(chunks) == [13, 13, 15]  # the v1 chunk holds the new file
    alone = land(tmp_path / "alone", raw, True, monkeypatch)
    assert together["quarantined"] == alone["quarantined"]
    kinds = sorted(q["error_kind"] for q in together["quarantined"])
    assert kinds == sorted(["not_avro", "truncated", *([kind] if kind else [])])
    assert together["files_ingested"] == alone["files_ingested"] == (40 if kind else 41)
    assert table_rows(tmp_path / "together") == table_rows(tmp_path / "alone")
    assert quarantine(tmp_path / "together") == quarantine(tmp_path / "alone")


def quarantine(root: Path) -> dict[str, tuple[str, str]]:
    rows = sql(str(root / "t_quarantine"), "SELECT * FROM t")
    return {r["path"]: (r["error_kind"], r["message"]) for r in rows}


def test_waiting_blocks_are_bounded_over_writer_schemas(
    tmp_path: Path, raw: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past WAITING_BYTES over every writer schema, the largest chunk is decoded at once."""
    monkeypatch.setattr(together_module, "WAITING_BYTES", 1)
    chunks: list[int] = []
    together = land(tmp_path / "together", raw, False, monkeypatch, chunks)
    assert chunks == [1] * 40  # every file decoded as soon as it waits
    alone = land(tmp_path / "alone", raw, True, monkeypatch)
    assert together["records_written"] == alone["records_written"] == 280
    assert table_rows(tmp_path / "together") == table_rows(tmp_path / "alone")
