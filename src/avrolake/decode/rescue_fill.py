"""Rescued data becomes columns: once the writer version that wrote rescued fields is
registered, `migrate` fills the reader's columns from `_rescued_data` without re-reading the
sources (docs/table.md#rescued-data).

Each rescued top-level field's JSON (`rescue.to_json`) is turned back into the writer's
bytes for that field (`rescue.rescue_doc`: unions by the branch written), and those bytes
are read by fastavro with the schemas a fresh read uses (decode/fastavro_docs.py) into the
landed Arrow type of the reader field: the value a fresh read of the file gives.
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
from avrolake.decode.arrow_types import arrow_schema
from avrolake.decode.fastavro_docs import _Emitter, fastavro_schemas
from avrolake.decode.rescue import from_json, rescue_doc
from avrolake.schema import Field, Record


@dataclass(frozen=True)
class Filled:
    """The reader columns made from rescued values (NULL where a row rescued nothing for
    it: `rescued` says which rows did) and what is left of each row's `_rescued_data`."""

    columns: dict[str, pa.Array]
    rescued: dict[str, pa.Array]  # boolean: the row's value came from its rescued data
    remaining: pa.Array


def fill(writer: Record, reader: Record, rescued: Sequence[str | None]) -> Filled:
    """The reader columns that `writer`'s top-level rescued fields fill. Keys of nested
    fields ("host.region") are not filled: they stay in `_rescued_data`."""
    docs = [json.loads(text) if text is not None else {} for text in rescued]
    keys = {k for d in docs for k in d}
    columns: dict[str, pa.Array] = {}
    flags: dict[str, pa.Array] = {}
    used: set[str] = set()
    for r in reader.fields:
        w = writer_field_for(writer, r)
        if w is None or w.name not in keys:
            continue
        has = [w.name in d for d in docs]
        values = [d.get(w.name) for d in docs]
        columns[r.name] = _read(Field(w.name, w.type, w.aliases), r, reader.fullname, values, has)
        flags[r.name] = pa.array(has, pa.bool_())
        used.add(w.name)
    left = [{k: v for k, v in d.items() if k not in used} for d in docs]
    remaining = [json.dumps(d, separators=(",", ":")) if d else None for d in left]
    return Filled(columns, flags, pa.array(remaining, pa.string()))


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
    raw_schema = arrow_schema(reader, final=False)
    table = pa.Table.from_pylist(records, schema=raw_schema)
    return table.cast(arrow_schema(reader, final=True)).column(r.name).combine_chunks()
