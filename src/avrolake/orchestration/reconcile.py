"""After a run: is every source file of the interval accounted for in the lake?

Independent of the run summary: lists the interval's files again and looks each one up in
the table's source ledger (docs/ledger.md), repaired from the table's commits first: landed
(empty files too), quarantined, or a duplicate of a landed file. Row counts by writer version
come from the table's data.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from avrolake.config import DEFAULT_LOOKBACK_HOURS, Backfill
from avrolake.errors import AvrolakeError, ReconciliationError
from avrolake.ingest import list_source
from avrolake.ingest.plan import HIVE
from avrolake.lake import Ledger, SourceStatus, TableRef, count_by_version, source_rows
from avrolake.registry import Registry, SourceLayout
from avrolake.report import write_table_report
from avrolake.storage import resolve

log = logging.getLogger(__name__)


@dataclass
class Reconciliation:
    interval: str
    files_seen: int = 0  # of the interval and its lookback
    lookback_from: str = ""  # the window checked: [lookback_from, interval end); "": all
    files_landed: int = 0
    files_quarantined: int = 0
    files_duplicate: int = 0
    unaccounted: list[str] = field(default_factory=list)
    # quarantined or duplicate files the table still holds rows of (an earlier avrolake left
    # them): {path: rows}; `avrolake maintain --repair` removes them
    leftover_rows: dict[str, int] = field(default_factory=dict)
    rows_by_writer_version: dict[str, int] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reconcile_interval(
    source: str,
    table: TableRef,
    since: dt.datetime,
    until: dt.datetime,
    max_quarantined: int,
    lookback: dt.timedelta = dt.timedelta(hours=DEFAULT_LOOKBACK_HOURS),
    layout: SourceLayout = HIVE,
) -> Reconciliation:
    """Raise ReconciliationError unless every file of [since - lookback, until) landed as it
    is now (a file changed since it landed counts as missing), was quarantined or is a
    duplicate, and at most max_quarantined were quarantined; below that, quarantines are
    logged as warnings. The lookback is the ingest run's: late files it should have landed
    are checked too. The interval's files are the ones the source's `layout` dates in it;
    a layout with no time in the path checks every file under the prefix. A layout that
    matches no file of a non-empty prefix raises LayoutMismatchError, as the ingest does.
    """
    start = since - lookback
    listing = list_source(resolve(source, table.s3), Backfill(since=start, until=until), layout)
    files = listing.files
    uris = {f.uri for f in files}
    report = Reconciliation(
        f"[{since.isoformat()}, {until.isoformat()})",
        files_seen=len(files),
        lookback_from=start.isoformat() if layout.timed else "",
    )
    if listing.outside:  # not the interval's files: never read, so never missing
        log.warning(
            "%d file(s) under %s do not match its %s, such as: %s",
            len(listing.outside),
            source,
            layout.describe(),
            ", ".join(listing.outside[:5]),
        )
    ledger = Ledger(table)
    main = table.load()
    if main is not None:
        ledger.sync(main)
    known = ledger.state(uris)
    # a file changed since it was decided is missing: its new content is in no row
    state = {
        f.uri: known[f.uri]
        for f in files
        if f.uri in known and not known[f.uri].changed(f.size, f.mtime_ms)
    }

    copies = [e for e in state.values() if e.status is SourceStatus.DUPLICATE]
    originals = ledger.entries({e.copy_of for e in copies if e.copy_of}) if copies else {}
    for e in copies:  # a copy whose original no longer holds its content is missing
        o = originals.get(e.copy_of or "")
        if o is None or (o.status, o.sync_marker, o.size, o.digest) != (
            SourceStatus.LANDED,
            e.sync_marker,
            e.size,
            e.digest,
        ):
            del state[e.path]

    def having(status: SourceStatus) -> list[str]:
        return sorted(p for p, e in state.items() if e.status is status)

    landed, quarantined = having(SourceStatus.LANDED), having(SourceStatus.QUARANTINED)
    report.files_landed = len(landed)
    report.files_quarantined = len(quarantined)
    report.files_duplicate = len(having(SourceStatus.DUPLICATE))
    report.unaccounted = sorted(
        uris - set(landed) - set(quarantined) - set(having(SourceStatus.DUPLICATE))
    )
    rowless = set(quarantined) | set(having(SourceStatus.DUPLICATE))
    rows = source_rows(table, set(landed) | rowless)
    report.leftover_rows = {
        p: sum(n for _, n in pairs) for p, pairs in sorted(rows.items()) if p in rowless
    }
    rows = {p: pairs for p, pairs in rows.items() if p not in rowless}
    report.rows_by_writer_version = count_by_version(
        pair for pairs in rows.values() for pair in pairs
    )
    report.quarantined = [{"path": p, "error_kind": state[p].error_kind or ""} for p in quarantined]
    _judge(report, max_quarantined, table.uri)
    return report


def interval_lookback(registry: Path, subject: str | None, hours: str | None) -> dt.timedelta:
    """The lookback the interval's ingest run used: `hours` (the run's setting, e.g.
    $AVROLAKE_LOOKBACK_HOURS), else the subject's table.json, else the default."""
    if hours:
        return dt.timedelta(hours=float(hours))
    reg = Registry(registry)
    stored = reg.table_settings(reg.resolve_subject(subject)).lookback_hours
    return dt.timedelta(hours=DEFAULT_LOOKBACK_HOURS if stored is None else stored)


def interval_layout(
    registry: Path, subject: str | None, layout: str | None = None, files: str | None = None
) -> SourceLayout:
    """The layout the interval's ingest run used: `layout`/`files` (its --layout/--files),
    else the subject's table.json "source", else the `hive` preset."""
    reg = Registry(registry)
    return reg.source_layout(reg.resolve_subject(subject), layout, files)


def _judge(report: Reconciliation, max_quarantined: int, table: str) -> None:
    if report.leftover_rows:
        raise ReconciliationError(
            f"{len(report.leftover_rows)} quarantined or duplicate file(s) of {report.interval} "
            f"and its lookback still have {sum(report.leftover_rows.values())} row(s) in the "
            "table, left by an earlier avrolake; remove them with `avrolake maintain --table "
            f"{table} --repair`: "
            + ", ".join(f"{p} ({n} rows)" for p, n in list(report.leftover_rows.items())[:10])
        )
    if report.unaccounted:
        raise ReconciliationError(
            f"{len(report.unaccounted)} of {report.files_seen} file(s) of {report.interval} "
            + (
                f"and its lookback (from {report.lookback_from}) are "
                if report.lookback_from
                else "(every file under the prefix: its layout has no time in the path) are "
            )
            + "neither in the table nor in quarantine (was the ingest task skipped, or did files "
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


def publish_report(ref: TableRef, registry: Path, subject: str | None) -> str | None:
    """Write the table's report page beside its `_delta_log` (docs/report.md); returns where.

    A page that cannot be written is logged as a warning and None is returned: the report
    never fails the run whose data it describes.
    """
    try:
        where = write_table_report(ref, Registry(registry), subject)
    except (AvrolakeError, OSError, ValueError) as exc:
        log.warning("could not write the report page of %s: %s", ref.uri, exc)
        return None
    log.info("report page of %s written to %s", ref.uri, where)
    return where
