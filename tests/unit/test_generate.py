"""The generator's files, read back: versions, counts, codecs, corruption, determinism."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import fastavro
import pytest

from avrolake.cli import main
from avrolake.generate import CODECS, GenerateSpec, generate
from avrolake.generate.datum import random_datum
from avrolake.registry import Registry, schema_fingerprint
from avrolake.schema import parse_schema
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit
REGISTRY = Registry(SHIPPED_REGISTRY)
T_MS = 1_772_359_200_123  # 2026-03-01T10:00:00.123Z in epoch milliseconds


def read_file(path: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    with path.open("rb") as stream:
        reader = fastavro.reader(stream)
        return reader.writer_schema, list(reader)


def test_files_cycle_through_versions_with_their_writer_schemas(tmp_path: Path) -> None:
    spec = GenerateSpec(files=6, records=25, seed=1)
    report = generate(REGISTRY.versions("log_event"), resolve(str(tmp_path)), spec)
    assert [f.version for f in report.files] == [1, 2, 3, 1, 2, 3]
    for generated in report.files:
        schema, records = read_file(Path(generated.path))
        version = REGISTRY.version_of_fingerprint("log_event", schema_fingerprint(schema))
        assert version == generated.version
        assert len(records) == 25
    assert report.records_by_version() == {"1": 50, "2": 50, "3": 50}


def test_records_carry_each_versions_fields(tmp_path: Path) -> None:
    spec = GenerateSpec(files=3, records=200, seed=3)
    report = generate(REGISTRY.versions("log_event"), resolve(str(tmp_path)), spec)
    fields = [set(read_file(Path(f.path))[1][0]) for f in report.files]
    assert fields[0] == {"timestamp", "level", "service", "message"}
    assert fields[1] == fields[0] | {"trace_id", "latency_ms"}
    assert fields[2] == {
        "timestamp",
        "level",
        "service_name",
        "message",
        "trace_id",
        "latency_ms",
        "host",
        "tags",
    }
    v3_records = read_file(Path(report.files[2].path))[1]
    assert Counter(r["host"] is None for r in v3_records)[False] > 100
    assert {r["level"] for r in v3_records} <= {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


def test_files_are_laid_out_by_event_hour(tmp_path: Path) -> None:
    spec = GenerateSpec(files=4, records=50, hours=2, start=datetime(2026, 3, 1, 22, tzinfo=UTC))
    report = generate(REGISTRY.versions("log_event")[:1], resolve(str(tmp_path)), spec)
    rel = [str(Path(f.path).relative_to(tmp_path)) for f in report.files]
    assert rel == [
        "dt=2026-03-01/hour=22/log_event-v1-00000.avro",
        "dt=2026-03-01/hour=23/log_event-v1-00001.avro",
        "dt=2026-03-01/hour=22/log_event-v1-00002.avro",
        "dt=2026-03-01/hour=23/log_event-v1-00003.avro",
    ]
    _, records = read_file(Path(report.files[1].path))
    hours = {r["timestamp"].hour for r in records}  # type: ignore[attr-defined]
    assert hours == {23}


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips(tmp_path: Path, codec: str) -> None:
    spec = GenerateSpec(files=1, records=300, codec=codec)  # type: ignore[arg-type]
    report = generate(REGISTRY.versions("log_event")[2:], resolve(str(tmp_path)), spec)
    with Path(report.files[0].path).open("rb") as stream:
        reader = fastavro.reader(stream)
        assert reader.codec == codec
        assert sum(1 for _ in reader) == 300


@pytest.mark.parametrize(
    ("index", "kind", "error"),
    [
        pytest.param(0, "truncated_block", EOFError, id="truncated_block_fails_to_read"),
        pytest.param(1, "garbage_bytes", ValueError, id="garbage_bytes_fail_to_read"),
        pytest.param(2, "bad_sync_marker", ValueError, id="bad_sync_marker_fails_to_read"),
    ],
)
def test_corrupt_files_are_unreadable(
    tmp_path: Path, index: int, kind: str, error: type[Exception]
) -> None:
    spec = GenerateSpec(files=2, records=100, corrupt=3, sync_interval=1024)
    report = generate(REGISTRY.versions("log_event"), resolve(str(tmp_path)), spec)
    broken = [f for f in report.files if f.corruption is not None]
    assert [f.corruption.value for f in broken if f.corruption] == [
        "truncated_block",
        "garbage_bytes",
        "bad_sync_marker",
    ]
    assert broken[index].path.endswith(f"-corrupt-{kind}.avro")
    with pytest.raises(error), Path(broken[index].path).open("rb") as stream:
        list(fastavro.reader(stream))
    for good in report.files[:2]:
        assert len(read_file(Path(good.path))[1]) == 100


def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    spec = GenerateSpec(files=3, records=40, seed=9)
    a = generate(REGISTRY.versions("log_event"), resolve(str(tmp_path / "a")), spec)
    b = generate(REGISTRY.versions("log_event"), resolve(str(tmp_path / "b")), spec)
    for fa, fb in zip(a.files, b.files, strict=True):
        assert Path(fa.path).read_bytes() == Path(fb.path).read_bytes()


def test_cli_generate_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["generate", "--out", str(tmp_path), "--registry", str(SHIPPED_REGISTRY)]
    args += ["--versions", "1,3", "--files", "4", "--records", "10", "--corrupt", "2", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["files_written"] == 6
    assert report["records_by_writer_version"] == {"1": 20, "3": 20}
    assert len(report["corrupt_files"]) == 2
    assert len(list(tmp_path.rglob("*.avro"))) == 6


def test_cli_generate_rejects_unknown_version(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "generate",
        "--out",
        "/tmp/unused",
        "--registry",
        str(SHIPPED_REGISTRY),
        "--versions",
        "7",
    ]
    assert main(args) == 2
    assert "--versions names [7], but the registry has [1, 2, 3]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("logical", "value"),
    [
        pytest.param("timestamp-millis", T_MS, id="timestamp_millis_is_ts"),
        pytest.param("timestamp-micros", T_MS * 1_000, id="timestamp_micros_is_ts_times_1000"),
        pytest.param("timestamp-nanos", T_MS * 1_000_000, id="timestamp_nanos_is_ts_times_1e6"),
        pytest.param("local-timestamp-millis", T_MS, id="local_timestamp_millis_is_ts"),
        pytest.param("local-timestamp-micros", T_MS * 1_000, id="local_timestamp_micros"),
        pytest.param("local-timestamp-nanos", T_MS * 1_000_000, id="local_timestamp_nanos"),
    ],
)
def test_timestamp_datum_is_the_event_time_in_its_own_unit(logical: str, value: int) -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "Event",
            "fields": [{"name": "seen_at", "type": {"type": "long", "logicalType": logical}}],
        }
    )
    assert random_datum(schema, random.Random(0), T_MS) == {"seen_at": value}


@pytest.mark.parametrize(
    "decimal_type",
    [
        pytest.param({"type": "bytes", "precision": 12, "scale": 2}, id="bytes_12_2"),
        pytest.param({"type": "bytes", "precision": 4, "scale": 4}, id="bytes_4_4"),
        pytest.param(
            {"type": "fixed", "name": "Money", "size": 6, "precision": 14, "scale": 3},
            id="fixed_6_bytes_14_3",
        ),
    ],
)
def test_decimal_datum_fits_its_precision_and_scale(decimal_type: dict[str, object]) -> None:
    field = {"name": "amount", "type": {**decimal_type, "logicalType": "decimal"}}
    schema = parse_schema({"type": "record", "name": "Order", "fields": [field]})
    rng = random.Random(5)
    for _ in range(200):
        value = random_datum(schema, rng, T_MS)["amount"]
        _sign, digits, exponent = value.as_tuple()
        assert len(digits) <= decimal_type["precision"]
        assert exponent == -decimal_type["scale"]
