"""What a landed table holds: version, rows by writer version, last runs, quarantined files."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from avrolake.delta import quarantine_uri, read_quarantine
from avrolake.delta.columns import WRITER_VERSION
from avrolake.delta.table import query
from avrolake.errors import AvrolakeError


def table_status(uri: str, options: dict[str, str], last_runs: int = 5) -> dict[str, Any]:
    try:
        table = DeltaTable(uri, storage_options=options)
    except TableNotFoundError as exc:
        raise AvrolakeError(f"no Delta table at {uri}; run `avrolake ingest` first") from exc
    counts = query(table, f'SELECT "{WRITER_VERSION}" AS v, COUNT(*) AS n FROM t GROUP BY 1')
    rows: Counter[str] = Counter()
    for row in counts:
        rows["unregistered" if row["v"] is None else str(row["v"])] += int(row["n"])
    runs: list[dict[str, Any]] = []
    for commit in table.history(limit=50):
        if "avrolake" in commit and len(runs) < last_runs:
            meta = json.loads(commit["avrolake"])
            runs.append(
                {
                    "table_version": commit["version"],
                    "run_id": meta.get("run_id"),
                    "files": len(meta.get("source_files", [])),
                    "records": sum(f.get("records", 0) for f in meta.get("source_files", [])),
                    "quarantined": len(meta.get("quarantined_files", [])),
                }
            )
    quarantined = [
        {
            "path": q["path"],
            "error_kind": q["error_kind"],
            "message": q["message"],
            "run_id": q["run_id"],
        }
        for q in read_quarantine(quarantine_uri(uri), options)
    ]
    return {
        "table": uri,
        "table_version": table.version(),
        "rows": sum(rows.values()),
        "rows_by_writer_version": dict(sorted(rows.items())),
        "last_runs": runs,
        "quarantined_files": quarantined,
    }
