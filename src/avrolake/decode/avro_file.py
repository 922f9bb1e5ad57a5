"""Decode one Avro object container file, resolved to the reader schema, as Arrow tables.

Memory stays bounded: records are turned into Arrow `batch_size` at a time. A file that
cannot be read raises `QuarantineError` with a kind and a reason; storage errors are not
the file's fault and propagate (the task is retried).
"""

from __future__ import annotations

import json
import logging
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, Any

import fastavro
import pyarrow as pa
from fastavro.schema import SchemaParseException, UnknownType

from avrolake.compatibility import check_compatibility
from avrolake.config import DEFAULT_BATCH_SIZE
from avrolake.decode.arrow_types import arrow_schema, fastavro_reader_doc, value_fixer
from avrolake.errors import AvrolakeError, QuarantineError, QuarantineKind, SchemaParseError
from avrolake.registry import Registry, schema_fingerprint
from avrolake.schema import Record, parse_schema

log = logging.getLogger(__name__)
MAGIC = b"Obj\x01"


@dataclass(frozen=True)
class ReaderPlan:
    """Everything a task needs to decode files; built once by the driver, shipped to tasks."""

    subject: str
    reader_doc: Any
    versions_by_fingerprint: dict[str, int]
    batch_size: int = DEFAULT_BATCH_SIZE
    _compat_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def reader(self) -> Record:
        schema = parse_schema(self.reader_doc, source=f"{self.subject} reader schema")
        if not isinstance(schema, Record):
            raise AvrolakeError(f"the reader schema of {self.subject} must be a record")
        return schema

    @cached_property
    def fastavro_reader(self) -> Any:
        return fastavro.parse_schema(fastavro_reader_doc(self.reader_doc))

    @cached_property
    def raw_schema(self) -> pa.Schema:
        return arrow_schema(self.reader, final=False)

    @cached_property
    def data_schema(self) -> pa.Schema:
        return arrow_schema(self.reader, final=True)

    @cached_property
    def fixer(self) -> Any:
        return value_fixer(self.reader)

    @cached_property
    def uuid_fixer(self) -> Any:
        """The fixer for files whose writer schema has `uuid` strings."""
        return value_fixer(self.reader, uuids=True)

    def incompatibility(self, writer_json: str, fingerprint: str) -> str | None:
        """Why the reader cannot read this writer schema (None if it can), cached."""
        if fingerprint not in self._compat_cache:
            try:
                writer = parse_schema(
                    json.loads(writer_json), source="writer schema in file header"
                )
            except (SchemaParseError, ValueError) as exc:
                raise QuarantineError(
                    QuarantineKind.INVALID_WRITER_SCHEMA,
                    str(exc),
                    writer_fingerprint=fingerprint,
                    writer_schema=writer_json,
                ) from exc
            findings = check_compatibility(writer, self.reader)
            self._compat_cache[fingerprint] = (
                "; ".join(f"{f.kind.value} at {f.path or '/'}: {f.message}" for f in findings)
                or None
            )
        return self._compat_cache[fingerprint]


def reader_plan(
    registry: Registry, subject: str, batch_size: int = DEFAULT_BATCH_SIZE
) -> ReaderPlan:
    """The plan for a subject: its latest version reads, every version is known by fingerprint."""
    versions = registry.versions(subject)
    return ReaderPlan(
        subject,
        registry.reader(subject).doc,
        {v.fingerprint: v.version for v in versions},
        batch_size=batch_size,
    )


def _header_error(exc: Exception) -> QuarantineError:
    """Why fastavro could not open a file whose magic is right."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, EOFError) or isinstance(exc.__context__, EOFError):
        return QuarantineError(QuarantineKind.TRUNCATED, f"the header is cut short ({text})")
    if isinstance(exc, SchemaParseException | UnknownType | json.JSONDecodeError):
        return QuarantineError(
            QuarantineKind.INVALID_WRITER_SCHEMA,
            f"the writer schema in the header is not a valid Avro schema ({text})",
        )
    return QuarantineError(QuarantineKind.NOT_AVRO, f"unreadable Avro header ({text})")


class AvroFile:
    """One opened file: its writer schema, its version, and its data as Arrow tables."""

    def __init__(self, stream: IO[bytes], plan: ReaderPlan) -> None:
        self.plan = plan
        magic = stream.read(4)
        if magic != MAGIC:
            raise QuarantineError(
                QuarantineKind.NOT_AVRO,
                f"file starts with {magic!r}, not the Avro magic {MAGIC!r}: not an Avro "
                "object container file",
            )
        stream.seek(0)
        try:
            self._reader = fastavro.reader(stream, reader_schema=plan.fastavro_reader)
        except OSError:
            raise  # storage, not the file: let the task retry
        except Exception as exc:
            raise _header_error(exc) from exc
        meta = self._reader.metadata
        self.writer_schema_json: str = meta.get("avro.schema", "")
        self.codec: str = meta.get("avro.codec", "null")
        try:
            self.writer_fingerprint = schema_fingerprint(json.loads(self.writer_schema_json))
        except (ValueError, TypeError, SchemaParseException) as exc:
            raise QuarantineError(
                QuarantineKind.INVALID_WRITER_SCHEMA,
                f"the writer schema in the header is not a valid Avro schema ({exc})",
                writer_schema=self.writer_schema_json,
            ) from exc
        self.writer_version = plan.versions_by_fingerprint.get(self.writer_fingerprint)
        self._uuids = '"uuid"' in self.writer_schema_json  # fastavro makes uuid.UUID objects
        reason = plan.incompatibility(self.writer_schema_json, self.writer_fingerprint)
        if reason:
            raise QuarantineError(
                QuarantineKind.INCOMPATIBLE_SCHEMA,
                f"the reader schema cannot read this file's writer schema: {reason}",
                writer_fingerprint=self.writer_fingerprint,
                writer_schema=self.writer_schema_json,
            )

    def tables(self) -> Iterator[pa.Table]:
        """The file's records, resolved, `batch_size` at a time, in the landed Arrow types."""
        batch: list[Any] = []
        records = iter(self._reader)
        while True:
            try:
                record = next(records, None)
            except Exception as exc:
                raise self._classify(exc) from exc
            if record is None:
                break
            batch.append(record)
            if len(batch) >= self.plan.batch_size:
                yield self._to_arrow(batch)
                batch = []
        if batch:
            yield self._to_arrow(batch)

    def _to_arrow(self, records: list[Any]) -> pa.Table:
        fixer = self.plan.uuid_fixer if self._uuids else self.plan.fixer
        if fixer is not None:
            records = [fixer(r) for r in records]
        table = pa.Table.from_pylist(records, schema=self.plan.raw_schema)
        return table.cast(self.plan.data_schema)

    def _classify(self, exc: Exception) -> QuarantineError:
        if isinstance(exc, OSError):
            raise exc  # storage, not the file: let the task retry
        text = str(exc)
        kind = QuarantineKind.CORRUPT_DATA
        if isinstance(exc, EOFError | struct.error) or ("Expected" in text and "bytes" in text):
            kind = QuarantineKind.TRUNCATED
        elif "sync marker" in text:
            kind = QuarantineKind.BAD_SYNC_MARKER
        elif isinstance(exc, zlib.error) or "decompress" in text.lower() or "codec" in text.lower():
            kind = QuarantineKind.CODEC_ERROR
        return QuarantineError(
            kind,
            f"{type(exc).__name__}: {text}",
            writer_fingerprint=self.writer_fingerprint,
            writer_schema=self.writer_schema_json,
        )
