"""Rescued data becomes columns: once the writer version that wrote rescued fields is
registered, `migrate` fills the reader's columns from `_rescued_data` without re-reading the
sources (docs/table.md#rescued-data).

Each rescued field's JSON (`rescue.to_json`; at any depth through records) is turned back
into the writer's bytes for that field (`rescue.rescue_doc`: unions by the branch written),
and those bytes are read by fastavro with the schemas a fresh read uses
(decode/fastavro_docs.py) into the landed Arrow type of the reader field: the value a fresh
read of the file gives.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fastavro
import pyarrow as pa

from avrolake.compatibility.rules import writer_field_for
from avrolake.decode.arrow_types import arrow_schema, uuid_fixer
from avrolake.decode.fastavro_docs import _Emitter, fastavro_schemas
from avrolake.decode.rescue import from_json, rescue_doc
from avrolake.schema import Field, Record


@dataclass(frozen=True)
class Filled:
    """The reader columns, by path ("host", "region"), that rescued values fill (NULL where a
    row rescued nothing for it: `rescued` says which rows did)."""

    columns: dict[tuple[str, ...], pa.Array]
    rescued: dict[tuple[str, ...], pa.Array]  # boolean: the row's value is a rescued one


def fill(writer: Record, reader: Record, rescued: Sequence[str | None]) -> Filled:
    """The reader fields that `writer`'s rescued fields fill, at any depth through records.
    A rescued field the reader lacks fills nothing (a fresh read drops it)."""
    docs = [json.loads(text) if text is not None else {} for text in rescued]
    columns: dict[tuple[str, ...], pa.Array] = {}
    flags: dict[tuple[str, ...], pa.Array] = {}
    for key in sorted({k for d in docs for k in d}):
        found = reader_path(writer, reader, key)
        if found is None:
            continue
        path, w, r = found
        has = [key in d for d in docs]
        values = [d.get(key) for d in docs]
        columns[path] = _read(Field(w.name, w.type, w.aliases), r, reader.fullname, values, has)
        flags[path] = pa.array(has, pa.bool_())
    return Filled(columns, flags)


def reader_path(
    writer: Record, reader: Record, key: str
) -> tuple[tuple[str, ...], Field, Field] | None:
    """The reader field a rescued key ("host.region") resolves to: its path of reader names,
    the writer field and the reader field; None where the reader lacks it."""
    w_record, r_record = writer, reader
    path: list[str] = []
    names = key.split(".")
    for depth, name in enumerate(names):
        w = next((f for f in w_record.fields if f.name == name), None)
        r = next((f for f in r_record.fields if writer_field_for(w_record, f) is w), None)
        if w is None or r is None:
            return None
        path.append(r.name)
        if depth == len(names) - 1:
            return tuple(path), w, r
        if not isinstance(w.type, Record) or not isinstance(r.type, Record):
            return None
        w_record, r_record = w.type, r.type
    return None


def _read(w: Field, r: Field, name: str, values: list[Any], has: list[bool]) -> pa.Array:
    """Rescued values of writer field `w`, read into reader field `r` as a fresh read does
    (NULL where a row has none)."""
    writer = Record(name, fields=[w])
    reader = Record(name, fields=[Field(r.name, r.type, r.aliases)])
    writer_doc = _Emitter({}, frozenset(), {}, defaults=False).emit(writer)
    encoding = fastavro.parse_schema(rescue_doc(writer_doc))
    docs = fastavro_schemas(writer, reader)
    read_writer = fastavro.parse_schema(docs.writer if docs.writer is not None else writer_doc)
    read_reader = fastavro.parse_schema(docs.reader, _ignore_default_error=True)
    records: list[Any] = []
    for value, present in zip(values, has, strict=True):
        if not present:
            records.append({r.name: None})
            continue
        buffer = io.BytesIO()
        raw = {w.name: from_json(w.type, value, wrapped=True)}
        fastavro.schemaless_writer(buffer, encoding, raw)
        buffer.seek(0)
        records.append(fastavro.schemaless_reader(buffer, read_writer, read_reader))
    fixer = uuid_fixer(reader)  # fastavro makes uuid.UUID objects of uuid strings
    if fixer is not None:
        records = [fixer(record) for record in records]
    raw_schema = arrow_schema(reader, final=False)
    table = pa.Table.from_pylist(records, schema=raw_schema)
    return table.cast(arrow_schema(reader, final=True)).column(r.name).combine_chunks()
