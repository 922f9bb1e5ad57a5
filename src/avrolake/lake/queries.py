"""What a landed table holds, read through delta-rs's own SQL engine.

The one home of: landed source files, rows by writer version, and the per-source row counts
reconciliation reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.lake.columns import SOURCE_FILE, WRITER_VERSION, version_key
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
