"""What a landed table holds, read through delta-rs's own SQL engine.

The one home of: landed source files, rows by writer version, the per-source row counts
reconciliation reports, and the unregistered writers whose fields were rescued.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.config import RESCUED_DATA
from avrolake.lake.columns import (
    INGESTED_AT,
    SOURCE_FILE,
    WRITER_FINGERPRINT,
    WRITER_VERSION,
    version_key,
)
from avrolake.lake.table import TableRef, query


def count_by_version(pairs: Iterable[tuple[int | None, int]]) -> dict[str, int]:
    """{"1": n, "2": n, "unregistered": n} from (writer version, count) pairs."""
    counts: Counter[str] = Counter()
    for version, n in pairs:
        counts[version_key(version)] += int(n)
    return dict(sorted(counts.items()))


def landed_sources(table: DeltaTable, candidates: Sequence[str] | None = None) -> set[str]:
    """Source files whose rows the table already holds (read from `_source_file`).

    With `candidates`, only those of them (none when it is empty); without, every one.
    """
    if candidates is not None and not candidates:
        return set()
    if SOURCE_FILE not in pa.schema(table.schema().to_arrow()).names:
        return set()
    rows = query(table, f'SELECT DISTINCT "{SOURCE_FILE}" AS s FROM t')
    landed = {str(r["s"]) for r in rows if r["s"] is not None}
    return landed if candidates is None else landed & set(candidates)


def rows_by_writer_version(table: DeltaTable) -> dict[str, int]:
    rows = query(table, f'SELECT "{WRITER_VERSION}" AS v, COUNT(*) AS n FROM t GROUP BY 1')
    return count_by_version((r["v"], r["n"]) for r in rows)


def source_rows(ref: TableRef, sources: set[str]) -> dict[str, list[tuple[int | None, int]]]:
    """For each of `sources` the table holds: (writer version, rows) pairs."""
    table = ref.load()
    if table is None or not sources:
        return {}
    rows = query(
        table, f'SELECT "{SOURCE_FILE}" s, "{WRITER_VERSION}" v, COUNT(*) n FROM t GROUP BY 1, 2'
    )
    found: dict[str, list[tuple[int | None, int]]] = {}
    for r in rows:
        if r["s"] in sources:
            found.setdefault(r["s"], []).append((r["v"], r["n"]))
    return found


def unregistered_writers(table: DeltaTable) -> list[dict[str, Any]]:
    """Each writer schema the registry lacked when its rows landed (writer version NULL):
    its fingerprint, first seen (the earliest `_ingested_at`), files, rows, and the fields
    its rows keep in `_rescued_data` (every row of a file rescues the same fields)."""
    rescued = (  # tables landed before the column existed rescued nothing
        f'MIN("{RESCUED_DATA}")'
        if RESCUED_DATA in pa.schema(table.schema().to_arrow()).names
        else "CAST(NULL AS VARCHAR)"
    )
    rows = query(
        table,
        f'SELECT "{WRITER_FINGERPRINT}" fp, "{SOURCE_FILE}" s, MIN("{INGESTED_AT}") at, '
        f'COUNT(*) n, {rescued} r FROM t WHERE "{WRITER_VERSION}" IS NULL GROUP BY 1, 2',
    )
    found: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["fp"] or "", r["s"] or "")):
        w = found.setdefault(
            r["fp"], {"fingerprint": r["fp"], "first_seen": r["at"], "files": 0, "rows": 0}
        )
        w["first_seen"] = min(w["first_seen"], r["at"])
        w["files"] += 1
        w["rows"] += int(r["n"])
        w.setdefault("extra_fields", set()).update(json.loads(r["r"]) if r["r"] else {})
    return [
        {**w, "first_seen": w["first_seen"].isoformat(), "extra_fields": sorted(w["extra_fields"])}
        for w in sorted(found.values(), key=lambda w: (w["first_seen"], w["fingerprint"]))
    ]
