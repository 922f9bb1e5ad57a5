"""After a run: is every source file of the interval accounted for in the lake?

Independent of the run summary: lists the interval's files again and looks each one up in
the table (`_source_file`) and in the quarantine table.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from avrolake.delta import quarantine_uri, read_quarantine
from avrolake.delta.columns import SOURCE_FILE, WRITER_VERSION
from avrolake.delta.table import query
from avrolake.errors import AvrolakeError
from avrolake.ingest.discover import SourceFilter, discover
from avrolake.storage import S3Options, resolve

log = logging.getLogger(__name__)


class ReconciliationError(AvrolakeError):
    """Files of the interval are missing from the lake, or too many were quarantined."""


@dataclass
class Reconciliation:
    interval: str
    files_seen: int = 0
    files_landed: int = 0
    files_quarantined: int = 0
    unaccounted: list[str] = field(default_factory=list)
    rows_by_writer_version: dict[str, int] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reconcile_interval(
    source: str,
    table: str,
    since: dt.datetime,
    until: dt.datetime,
    s3: S3Options,
    max_quarantined: int,
) -> Reconciliation:
    """Raise ReconciliationError unless every file of [since, until) landed or was quarantined
    and at most max_quarantined were quarantined; below that, quarantines are logged as warnings.
    """
    files = discover(resolve(source, s3), SourceFilter(since=since, until=until))
    location = resolve(table, s3)
    options = s3.delta_storage_options() if location.is_s3 else {}
    uris = {f.uri for f in files}
    report = Reconciliation(f"[{since.isoformat()}, {until.isoformat()})", files_seen=len(files))
    landed_rows = _landed(location.delta_uri(), options, uris)
    all_quarantined = read_quarantine(quarantine_uri(location.delta_uri()), options)
    quarantined = [q for q in all_quarantined if q["path"] in uris]
    q_paths = {q["path"] for q in quarantined}
    landed = {r["s"] for r in landed_rows}
    report.files_landed = len(landed)
    report.files_quarantined = len(q_paths)
    report.unaccounted = sorted(uris - landed - q_paths)
    for row in landed_rows:
        key = "unregistered" if row["v"] is None else str(row["v"])
        report.rows_by_writer_version[key] = report.rows_by_writer_version.get(key, 0) + row["n"]
    report.quarantined = [{"path": q["path"], "error_kind": q["error_kind"]} for q in quarantined]
    _judge(report, max_quarantined)
    return report


def _landed(uri: str, options: dict[str, str], uris: set[str]) -> list[dict[str, Any]]:
    try:
        table = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        return []
    rows = query(
        table, f'SELECT "{SOURCE_FILE}" s, "{WRITER_VERSION}" v, COUNT(*) n FROM t GROUP BY 1, 2'
    )
    return [r for r in rows if r["s"] in uris]


def _judge(report: Reconciliation, max_quarantined: int) -> None:
    if report.unaccounted:
        raise ReconciliationError(
            f"{len(report.unaccounted)} of {report.files_seen} file(s) of {report.interval} are "
            "neither in the table nor in quarantine (was the ingest task skipped, or did files "
            "arrive after it ran? re-run the interval): " + ", ".join(report.unaccounted[:10])
        )
    if report.files_quarantined > max_quarantined:
        raise ReconciliationError(
            f"{report.files_quarantined} file(s) of {report.interval} were quarantined, more "
            f"than the threshold {max_quarantined}; see the quarantine table for reasons: "
            + ", ".join(f"{q['path']} ({q['error_kind']})" for q in report.quarantined[:10])
        )
    for q in report.quarantined:
        log.warning("quarantined (%s): %s", q["error_kind"], q["path"])
