"""The index page: every deployed subject's table with its health and last run, linking to
each table's report page (docs/report.md#the-index-page).

One row per deployment, read like the report's health section (the Delta log and the
ledger, never data rows). A table that is not there yet, or cannot be read, is a row that
says so: one subject's problem never hides the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path
from typing import Any, Literal

from avrolake.errors import AvrolakeError
from avrolake.lake import TableRef
from avrolake.registry.deployment import deployed_subjects, stored_deployment
from avrolake.report.data import RunInfo, run_of, table_health
from avrolake.report.html import CSS
from avrolake.storage import S3Options

# ok: the table is there and nothing is in quarantine; quarantined: files are in quarantine
# now; missing: no table yet (no run landed anything); unreadable: the table or the
# deployment could not be read (the row's detail says why).
HealthState = Literal["ok", "quarantined", "missing", "unreadable"]


@dataclass(frozen=True)
class IndexRow:
    subject: str
    table: str
    schedule: str | None
    state: HealthState
    detail: str
    table_version: int | None = None
    rows: int | None = None
    quarantined_now: int = 0
    last_run: RunInfo | None = None
    page: str | None = None  # the href of the table's page; None: no page


@dataclass(frozen=True)
class IndexData:
    registry: str
    generated_at: str
    rows: list[IndexRow]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_row(subject: str, schedule: str | None, ref: TableRef, page: str) -> IndexRow:
    """The subject's row: its table's health and last run (`page` links its report)."""
    try:
        table = ref.load()
        if table is None:
            return IndexRow(subject, ref.uri, schedule, "missing", "no table yet: no run landed")
        history = sorted(table.history(), key=lambda c: int(c["version"]))
        health = table_health(ref, table, history)
    except (AvrolakeError, OSError, ValueError) as exc:
        return IndexRow(subject, ref.uri, schedule, "unreadable", str(exc))
    runs = [run for c in history if (run := run_of(c)) is not None]
    quarantined = len(health.quarantined_now)
    return IndexRow(
        subject,
        ref.uri,
        schedule,
        state="quarantined" if quarantined else "ok",
        detail=f"{quarantined} file(s) in quarantine" if quarantined else "",
        table_version=health.table_version,
        rows=health.rows,
        quarantined_now=quarantined,
        last_run=runs[-1] if runs else None,
        page=page,
    )


@dataclass(frozen=True)
class DeployedTable:
    """A deployed subject and its table, or why its deployment does not resolve."""

    subject: str
    schedule: str | None
    ref: TableRef | None
    problem: str = ""


def deployed_tables(registry: Path, lake_root: str | None, s3: S3Options) -> list[DeployedTable]:
    """Every deployed subject of the registry with its table handle (tables under
    `lake_root` when relative; the source prefix is not needed here)."""
    found = []
    for subject in deployed_subjects(registry):
        schedule = None
        try:
            stored = stored_deployment(registry, subject)
            schedule = stored.schedule
            table, quarantine = stored.tables(lake_root)
            ref = TableRef.find(table, s3, quarantine=quarantine)
        except (AvrolakeError, OSError, ValueError) as exc:
            found.append(DeployedTable(subject, schedule, None, str(exc)))
            continue
        found.append(DeployedTable(subject, schedule, ref))
    return found


def build_index(
    registry: Path,
    tables: list[DeployedTable],
    page_of: Callable[[str], str],
    now: dt.datetime | None = None,
) -> IndexData:
    """The index of `tables`; `page_of(subject)` is the href of a subject's page."""
    rows = [
        index_row(t.subject, t.schedule, t.ref, page_of(t.subject))
        if t.ref is not None
        else IndexRow(t.subject, "", t.schedule, "unreadable", t.problem)
        for t in tables
    ]
    generated = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    return IndexData(str(registry), generated, rows)


def render_index(data: IndexData) -> str:
    """One self-contained page (`#subjects-table tr.subject`, docs/report.md)."""
    counts: dict[str, int] = {}
    for row in data.rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>avrolake: {len(data.rows)} table(s)</title><style>{CSS}{_INDEX_CSS}</style>"
        "</head><body><header><h1>avrolake: every deployed subject</h1>"
        f"<p>registry <code>{escape(data.registry)}</code> · {len(data.rows)} subject(s): "
        f"{escape(summary)} · generated {escape(data.generated_at)}</p></header><main>"
        '<section><table id="subjects-table"><tr><th>subject</th><th>table</th><th>health</th>'
        "<th>table version</th><th>rows</th><th>quarantined now</th><th>last run</th>"
        "<th>schedule</th></tr>"
        + "".join(_row(r) for r in data.rows)
        + "</table></section></main></body></html>\n"
    )


_INDEX_CSS = ".missing{background:#fff8c5}.unreadable,.quarantined{background:#ffebe9}"


def _row(r: IndexRow) -> str:
    subject = f'<a href="{escape(r.page)}">{escape(r.subject)}</a>' if r.page else escape(r.subject)
    run = r.last_run
    last = (
        f"{escape(run.committed_at)} · <code>{escape(run.run_id)}</code> · "
        f"{run.records:,} rows, {len(run.sources)} file(s), {len(run.quarantined)} quarantined"
        if run is not None
        else "none"
    )
    note = f'<br><span class="note">{escape(r.detail)}</span>' if r.detail else ""
    return (
        f'<tr class="subject {escape(r.state)}" data-subject="{escape(r.subject)}" '
        f'data-state="{escape(r.state)}" data-rows="{r.rows if r.rows is not None else ""}">'
        f"<td>{subject}</td><td><code>{escape(r.table)}</code></td><td>{escape(r.state)}{note}</td>"
        f'<td class="num">{"" if r.table_version is None else r.table_version}</td>'
        f'<td class="num">{"" if r.rows is None else f"{r.rows:,}"}</td>'
        f'<td class="num">{r.quarantined_now}</td><td>{last}</td>'
        f"<td><code>{escape(r.schedule or 'not scheduled')}</code></td></tr>"
    )
