"""`migrate` fills columns from rescued data (docs/table.md#rescued-data).

Rows an unregistered writer landed carry NULL as their writer version and its extra fields in
`_rescued_data`. Once that writer schema is registered (its fingerprint is a version's), the
migration first turns those rows into rows of that version: the reader columns its rescued
top-level fields fill (decode/rescue_fill.py), the version, and `_rescued_data` without the
keys now filled. The version's plan then makes them the rows a fresh read makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from avrolake.config import RESCUED_DATA
from avrolake.decode import arrow_type
from avrolake.decode.rescue_fill import fill
from avrolake.lake.columns import WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.table import query
from avrolake.registry import SchemaVersion
from avrolake.schema import Record


@dataclass(frozen=True)
class RescuedRows:
    """Fills the rows of now-registered writers from their rescued data, batch by batch."""

    writers: Mapping[str, tuple[int, Record]]  # fingerprint -> (version, writer schema)
    reader: Record
    stored: pa.Schema  # the table's columns, with the reader columns the fill adds

    def __call__(self, rows: pa.StructArray) -> pa.StructArray:
        names = [rows.type.field(i).name for i in range(rows.type.num_fields)]
        columns = {
            f.name: rows.field(f.name) if f.name in names else pa.nulls(len(rows), f.type)
            for f in self.stored
        }
        for fingerprint, (version, writer) in self.writers.items():
            chosen = pc.and_(
                pc.is_null(columns[WRITER_VERSION]),
                pc.equal(columns[WRITER_FINGERPRINT], fingerprint),
            )
            where = pc.indices_nonzero(pc.fill_null(chosen, False))
            if not len(where):
                continue
            done = fill(writer, self.reader, pc.take(columns[RESCUED_DATA], where).to_pylist())
            everywhere = pa.array(np.ones(len(where), bool))
            for name, values in done.columns.items():
                columns[name] = _scatter(columns[name], where, values, done.rescued[name])
            columns[RESCUED_DATA] = _scatter(
                columns[RESCUED_DATA], where, done.remaining, everywhere
            )
            versions = pa.repeat(pa.scalar(version, pa.int32()), len(where))
            columns[WRITER_VERSION] = _scatter(columns[WRITER_VERSION], where, versions, everywhere)
        return pa.StructArray.from_arrays(list(columns.values()), fields=list(self.stored))


def _scatter(base: pa.Array, where: pa.Array, values: pa.Array, chosen: pa.Array) -> pa.Array:
    """`base` with `values[i]` at position `where[i]` wherever `chosen[i]`."""
    n = len(base)
    index = np.arange(n)
    picked = np.asarray(chosen.to_numpy(zero_copy_only=False), bool)
    index[where.to_numpy()[picked]] = n + np.nonzero(picked)[0]
    return pc.take(pa.concat_arrays([base, values.cast(base.type)]), pa.array(index))


def rescued_rows(
    table: object, stored: pa.Schema, versions: list[SchemaVersion], reader: Record
) -> RescuedRows | None:
    """What a migration fills from rescued data: the unregistered writers of rows with
    rescued data whose schema a version now is (None: nothing)."""
    if RESCUED_DATA not in stored.names:
        return None
    found = query(
        table,  # type: ignore[arg-type]
        f'SELECT DISTINCT "{WRITER_FINGERPRINT}" AS fp FROM t '
        f'WHERE "{WRITER_VERSION}" IS NULL AND "{RESCUED_DATA}" IS NOT NULL',
    )
    by_fingerprint = {v.fingerprint: v for v in versions}
    writers = {
        r["fp"]: (by_fingerprint[r["fp"]].version, by_fingerprint[r["fp"]].schema)
        for r in found
        if r["fp"] in by_fingerprint and isinstance(by_fingerprint[r["fp"]].schema, Record)
    }
    if not writers:
        return None
    added = [
        pa.field(f.name, arrow_type(f.type)) for f in reader.fields if f.name not in stored.names
    ]
    return RescuedRows(writers, reader, pa.schema([*stored, *added]))  # type: ignore[arg-type]
