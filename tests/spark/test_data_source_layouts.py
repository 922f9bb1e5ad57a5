"""`spark.read.format("avrolake")` lists the source with the subject's layout, as `avrolake
ingest` does: table.json's "source" by default, the `layout`/`files` options over it, and the
CLI's LayoutMismatchError when the layout matches no file (docs/configuration.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.spark.source import register
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import rows_by_version, sql, write_avro

pytestmark = pytest.mark.spark

RECORDS = 7
COLUMNS = ("_source_file", "_writer_schema_version", "service_name", "message", "latency_ms")
# Kafka Connect's S3 sink with store.kafka.keys=true writes each value file's keys beside it
KEY_SCHEMA = {"type": "record", "name": "ClickKey", "fields": [{"name": "id", "type": "string"}]}


def deploy(registry: Path, source: dict[str, str]) -> Path:
    """The registry copy with the subject's table.json "source" set."""
    settings = registry / "log_event" / "table.json"
    stored = json.loads(settings.read_text())
    settings.write_text(json.dumps({**stored, "source": {"prefix": "raw", **source}}))
    return registry


def generate(raw: Path, layout: str, *extra: str) -> None:
    args = ["generate", "--out", str(raw), "--registry", str(SHIPPED_REGISTRY), "--layout", layout]
    assert main([*args, "--records", str(RECORDS), "--hours", "2", *extra]) == 0


def read(spark: Any, raw: Path, registry: Path, **options: str) -> Any:
    register(spark)
    reader = spark.read.format("avrolake").option("path", str(raw))
    for key, value in {"registry": str(registry), **options}.items():
        reader = reader.option(key, value)
    return reader.load()


def frame_rows(frame: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in frame.select(*COLUMNS).collect())


def table_rows(table: Path) -> list[tuple[Any, ...]]:
    query = "SELECT " + ", ".join(f'"{c}"' for c in COLUMNS) + " FROM t"
    return sorted(tuple(r[c] for c in COLUMNS) for r in sql(str(table), query))


def files_under(raw: Path, pattern: str) -> list[str]:
    return sorted(str(p.resolve()) for p in raw.glob(pattern) if p.is_file())


def add_key_files(raw: Path) -> list[str]:
    """A `.keys.avro` file beside every value file: Avro, but not the subject's values."""
    source = resolve(str(raw))
    values = [Path(f) for f in files_under(raw, "**/clicks+*[0-9].avro")]
    keys = [str(v.relative_to(raw.resolve())).replace(".avro", ".keys.avro") for v in values]
    return [write_avro(source, k, KEY_SCHEMA, [{"id": "k"}] * RECORDS) for k in keys]


def kafka_connect_time(raw: Path) -> tuple[dict[str, str], list[str], list[str]]:
    generate(raw, "kafka-connect-time", "--topic", "clicks", "--files", "4")
    keys = add_key_files(raw)
    return {"layout": "kafka-connect-time", "files": "*[0-9].avro"}, keys, []


def flink(raw: Path) -> tuple[dict[str, str], list[str], list[str]]:
    generate(raw, "flink", "--files", "4", "--in-progress")
    hidden = [str(p) for p in raw.glob("*/.part-*.inprogress.*")]
    return {"layout": "flink"}, [], hidden


@pytest.mark.parametrize(
    "producer",
    [
        pytest.param(kafka_connect_time, id="kafka-connect-time-leaves-out-the-key-files"),
        pytest.param(flink, id="flink-leaves-out-the-in-progress-file"),
    ],
)
def test_the_subjects_layout_reads_exactly_what_ingest_lands(
    spark: Any, tmp_path: Path, registry_copy: Path, producer: Any
) -> None:
    raw = tmp_path / "raw"
    source, outside, hidden = producer(raw)
    registry = deploy(registry_copy, source)
    frame = read(spark, raw, registry)  # no layout option: the subject's table.json
    args = ["ingest", "--source", str(raw), "--table", str(tmp_path / "lake")]
    assert main([*args, "--registry", str(registry)]) == 0  # no --layout either

    counts = {r[0]: r[1] for r in frame.groupBy("_writer_schema_version").count().collect()}
    assert counts == rows_by_version(str(tmp_path / "lake"))
    assert sum(counts.values()) == 4 * RECORDS
    assert frame_rows(frame) == table_rows(tmp_path / "lake")
    read_files = {r[0] for r in frame.select("_source_file").distinct().collect()}
    assert len(read_files) == 4
    assert len([*outside, *hidden]) in (1, 4)  # there was something to leave out...
    assert read_files.isdisjoint({*outside, *hidden})  # ...and it was


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"layout": "flink"}, id="a-preset"),
        pytest.param(
            {"layout": "{year}-{month}-{day}--{hour}", "files": "part-*"},
            id="a-custom-pattern-and-file-filter",
        ),
    ],
)
def test_the_layout_options_override_the_subjects_layout(
    spark: Any, tmp_path: Path, options: dict[str, str]
) -> None:
    raw = tmp_path / "raw"
    generate(raw, "flink", "--files", "3")  # the shipped subject's table.json says hive
    frame = read(spark, raw, SHIPPED_REGISTRY, **options)
    read_files = sorted(r[0] for r in frame.select("_source_file").distinct().collect())
    assert read_files == files_under(raw, "2026-01-01--*/part-*")
    assert frame.count() == 3 * RECORDS


def test_a_layout_matching_no_file_raises_the_clis_mismatch_error_when_planned(
    spark: Any, tmp_path: Path, registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    generate(raw, "flink", "--files", "2")
    registry = deploy(registry_copy, {"layout": "kafka-connect-time"})
    args = ["ingest", "--source", str(raw), "--table", str(tmp_path / "lake")]
    capsys.readouterr()
    assert main([*args, "--registry", str(registry)]) == 2
    cli = capsys.readouterr().err.strip().splitlines()[-1].removeprefix("avrolake: error: ")
    assert "matches the layout 'kafka-connect-time' (year=YYYY/month=MM/day=dd/hour=HH/" in cli

    frame = read(spark, raw, registry)
    with pytest.raises(Exception, match="PYTHON_DATA_SOURCE_ERROR") as raised:
        frame.count()  # planning the read lists the source: no task runs
    assert f"avrolake.errors.LayoutMismatchError: {cli}" in str(raised.value)
    assert "Task" not in str(raised.value)
