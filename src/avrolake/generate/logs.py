"""Write realistic, mixed-version Avro log files (and broken ones) for demos, tests, benchmarks."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import fastavro

from avrolake.generate.corrupt import CorruptionKind, corrupt
from avrolake.generate.datum import random_datum
from avrolake.generate.names import FileNames
from avrolake.registry import SchemaVersion
from avrolake.registry.source_layout import PRESET_NAMES
from avrolake.storage import Location

log = logging.getLogger(__name__)

Codec = Literal["null", "deflate", "snappy", "zstandard"]
CODECS: tuple[str, ...] = get_args(Codec)
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GenerateSpec:
    files: int = 6
    records: int = 1000
    seed: int = 42
    codec: Codec = "deflate"
    corrupt: int = 0
    start: datetime = DEFAULT_START
    hours: int = 3
    sync_interval: int = 64 * 1024
    layout: str = "hive"  # a source layout preset: how files are named (generate/names.py)
    topic: str | None = None  # Kafka Connect names: <topic>+<partition>+<offset> (subject)
    in_progress: bool = False  # also leave one hidden in-progress file, as Flink does

    def __post_init__(self) -> None:
        if self.files < 0 or self.records < 1 or self.corrupt < 0 or self.hours < 1:
            raise ValueError("files and corrupt must be >= 0, records and hours >= 1")
        if self.layout not in PRESET_NAMES:
            raise ValueError(f"unknown layout {self.layout!r}; use one of {PRESET_NAMES}")
        if self.codec not in CODECS:
            raise ValueError(f"unknown codec {self.codec!r}; use one of {', '.join(CODECS)}")


@dataclass(frozen=True)
class GeneratedFile:
    path: str
    version: int
    records: int
    corruption: CorruptionKind | None = None


@dataclass
class GenerateReport:
    files: list[GeneratedFile] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)  # hidden until renamed: not counted

    def records_by_version(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.files:
            if f.corruption is None:
                counts[str(f.version)] = counts.get(str(f.version), 0) + f.records
        return dict(sorted(counts.items(), key=lambda kv: int(kv[0])))

    def as_dict(self) -> dict[str, object]:
        return {
            "files_written": len(self.files),
            "corrupt_files": [f.path for f in self.files if f.corruption],
            "records_by_writer_version": self.records_by_version(),
            "in_progress_files": list(self.in_progress),
        }


def generate(
    versions: list[SchemaVersion],
    target: Location,
    spec: GenerateSpec,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateReport:
    """Write spec.files good files cycling through `versions`, then spec.corrupt broken ones.

    Files are laid out by event hour and named as the producer of `spec.layout` names them
    (generate/names.py): `dt=YYYY-MM-DD/hour=HH/…` by default, as log shippers do.
    """
    if not versions:
        raise ValueError("no schema versions to write with")
    rng = random.Random(spec.seed)
    report = GenerateReport()
    names = FileNames(spec.layout, spec.topic or versions[0].subject, spec.seed, spec.records)
    target.ensure_dir()
    total = spec.files + spec.corrupt
    for index in range(total):
        version = versions[index % len(versions)]
        hour = spec.start + timedelta(hours=index % spec.hours)
        data = encode_file(version, spec, rng, hour)
        kind = None
        if index >= spec.files:
            kind = list(CorruptionKind)[(index - spec.files) % len(CorruptionKind)]
            data = corrupt(data, kind, rng)
        path = target.write_bytes(names.name(_stem(version, index, kind), index, hour), data)
        report.files.append(GeneratedFile(target.uri_of(path), version.version, spec.records, kind))
        if progress:
            progress(index + 1, total)
    if spec.in_progress:
        version = versions[total % len(versions)]
        hour = spec.start + timedelta(hours=total % spec.hours)
        data = encode_file(version, spec, rng, hour)
        path = target.write_bytes(names.in_progress(_stem(version, total, None), total, hour), data)
        report.in_progress.append(target.uri_of(path))
    log.info("wrote %d files (%d corrupt) to %s", total, spec.corrupt, target.uri)
    return report


def encode_file(
    version: SchemaVersion, spec: GenerateSpec, rng: random.Random, hour: datetime
) -> bytes:
    """One Avro object container file of spec.records events within `hour`."""
    base_ms = int(hour.timestamp() * 1000)
    offsets = sorted(rng.randrange(3_600_000) for _ in range(spec.records))
    records = [random_datum(version.schema, rng, base_ms + off) for off in offsets]
    buffer = io.BytesIO()
    fastavro.writer(
        buffer,
        fastavro.parse_schema(version.doc),
        records,
        codec=spec.codec,
        sync_interval=spec.sync_interval,
        sync_marker=rng.randbytes(16),  # seeded, so a seed reproduces files byte for byte
    )
    return buffer.getvalue()


def _stem(version: SchemaVersion, index: int, kind: CorruptionKind | None) -> str:
    stem = f"{version.subject}-v{version.version}-{index:05d}"
    return stem if kind is None else f"{stem}-corrupt-{kind.value}"
