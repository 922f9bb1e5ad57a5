"""Render ReportData as ONE self-contained HTML page: inline CSS, charts drawn here as SVG.

No scripts, fonts or images are loaded from anywhere: the page renders offline, from a
file, an object store or Airflow's UI alike. Hover notes are `title` attributes. The element
ids and classes the browser tests read are listed in docs/report.md.
"""

from __future__ import annotations

from html import escape
from typing import Any

from avrolake.report.data import Health, Maintenance, MatrixCell, ReportData, RunInfo

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac")
QUARANTINE_COLOR = "#e15759"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#d0d7de}
main{padding:8px 24px 32px;max-width:1200px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:16px 0;
overflow-x:auto}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#dafbe1}
.fail{background:#ffebe9}
.note{color:#57606a}
.kpi{display:inline-block;margin:0 24px 8px 0}
.kpi b{display:block;font-size:20px}
ul.changes{margin:0;padding-left:18px}
details{margin:4px 0}
summary{cursor:pointer}
.legend span{display:inline-block;margin-right:14px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""


def render_html(data: ReportData) -> str:
    title = f"avrolake report: {data.subject or 'table'} at {data.table}"
    body = [
        _header(data),
        "<main>",
        *(f'<p class="note">{escape(n)}</p>' for n in data.notes),
        _versions(data),
        _matrix(data),
        _runs_chart(data.runs, data.runs_not_shown),
        _lineage(data.runs),
        _health(data.health),
        "</main>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def _header(data: ReportData) -> str:
    reader = f"v{data.reader_version}" if data.reader_version is not None else "n/a"
    return (
        "<header><h1>avrolake: "
        f"{escape(data.subject or 'unknown subject')}</h1>"
        f"<p>table <code>{escape(data.table)}</code> · reader schema {reader} · "
        f"compatibility {escape(data.level or 'n/a')} · generated {escape(data.generated_at)}"
        "</p></header>"
    )


def _versions(data: ReportData) -> str:
    rows = []
    for v in data.versions:
        changes = (
            '<ul class="changes">'
            + "".join(
                f"<li><b>{escape(c['kind'])}</b> <code>{escape(c['field'])}</code>: "
                f"{escape(c['detail'])}</li>"
                for c in v.changes
            )
            + "</ul>"
            if v.changes
            else ('<span class="note">first version</span>' if v.version == 1 else "none")
        )
        rows.append(
            f'<tr data-version="{v.version}"><td>v{v.version}</td>'
            f"<td><code>{escape(v.fingerprint)}</code></td>"
            f'<td class="num">{v.fields}</td><td>{changes}</td></tr>'
        )
    level = escape(data.level or "n/a")
    return (
        '<section id="versions"><h2>Subject and versions</h2>'
        f"<p>Subject <b>{escape(data.subject or 'n/a')}</b>, compatibility level "
        f"<b>{level}</b>, {len(data.versions)} version(s); the latest is the reader.</p>"
        '<table id="versions-table"><tr><th>version</th><th>fingerprint (CRC-64-AVRO)</th>'
        "<th>fields</th><th>changes from the version before</th></tr>"
        + "".join(rows)
        + "</table></section>"
    )


def _cell_note(cell: MatrixCell) -> str:
    return "; ".join(f"{f['kind']} at {f['path'] or '/'}: {f['message']}" for f in cell.failures)


def _matrix(data: ReportData) -> str:
    numbers = [v.version for v in data.versions]
    cells = {(c.reader, c.writer): c for c in data.matrix}
    head = "".join(f'<th scope="col">writer v{n}</th>' for n in numbers)
    rows = []
    for r in numbers:
        tds = []
        for w in numbers:
            cell = cells[(r, w)]
            if cell.compatible:
                tds.append(
                    f'<td class="cell ok" data-reader="{r}" data-writer="{w}" '
                    f'data-compatible="true" title="v{r} reads data written with v{w}">'
                    "✓ reads</td>"
                )
            else:
                kinds = ", ".join(sorted({f["kind"] for f in cell.failures}))
                tds.append(
                    f'<td class="cell fail" data-reader="{r}" data-writer="{w}" '
                    f'data-compatible="false" title="{escape(_cell_note(cell))}">'
                    f"✗ <small>{escape(kinds)}</small></td>"
                )
        rows.append(f'<tr><th scope="row">reader v{r}</th>{"".join(tds)}</tr>')
    failing = [c for c in data.matrix if not c.compatible]
    notes = "".join(
        f"<li>reader v{c.reader} cannot read writer v{c.writer}: {escape(_cell_note(c))}</li>"
        for c in failing
    )
    return (
        '<section id="compatibility"><h2>Who can read whom</h2>'
        "<p>Row: the reader version. Column: the version the data was written with. A cell "
        "says whether the reader resolves the writer's data by the Avro specification's "
        "rules; hover a failing cell for the rule.</p>"
        f'<table id="compat-matrix"><tr><th></th>{head}</tr>{"".join(rows)}</table>'
        + (f'<ul id="compat-failures">{notes}</ul>' if failing else "")
        + "</section>"
    )


def _color(key: str, keys: list[str]) -> str:
    return PALETTE[keys.index(key) % len(PALETTE)] if key.isdigit() else "#6e7781"


def _runs_chart(runs: list[RunInfo], not_shown: int) -> str:
    keys = sorted({k for r in runs for k in r.rows_by_writer_version}, key=_key_order)
    if not runs:
        return (
            '<section id="runs"><h2>Runs over time</h2><p class="note">no avrolake runs in the '
            "table's log</p></section>"
        )
    width, height, left, bottom, top = 960, 300, 64, 56, 16
    slot = (width - left - 48) / len(runs)
    bar = max(2.0, min(40.0, slot * 0.6))
    most_rows = max((r.records for r in runs), default=0) or 1
    most_quarantined = max((len(r.quarantined) for r in runs), default=0) or 1
    plot = height - bottom - top
    marks: list[str] = []
    for i, run in enumerate(runs):
        x = left + slot * i + (slot - bar) / 2
        y = float(height - bottom)
        for key, n in run.rows_by_writer_version.items():
            h = plot * n / most_rows
            y -= h
            marks.append(
                f'<rect class="mark" data-table-version="{run.table_version}" '
                f'data-writer-version="{escape(key)}" data-rows="{n}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{_color(key, keys)}">'
                f"<title>table v{run.table_version}, writer {_writer(key)}: {n:,} rows</title>"
                "</rect>"
            )
        q = len(run.quarantined)
        qy = height - bottom - plot * q / most_quarantined
        marks.append(
            f'<circle class="mark-quarantine" data-table-version="{run.table_version}" '
            f'data-files="{q}" cx="{x + bar / 2:.1f}" cy="{qy:.1f}" r="4" '
            f'fill="{QUARANTINE_COLOR}"><title>table v{run.table_version}: {q} file(s) '
            "quarantined</title></circle>"
        )
        label_x = x + bar / 2
        marks.append(
            f'<text x="{label_x:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
            f'font-size="10">v{run.table_version}</text>'
            f'<text x="{label_x:.1f}" y="{height - bottom + 26}" text-anchor="middle" '
            f'font-size="9" fill="#57606a">{escape(run.committed_at[5:16].replace("T", " "))}'
            "</text>"
        )
    axis = (
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 40}" y2="{height - bottom}" '
        'stroke="#57606a"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#57606a"/>'
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" font-size="10">{most_rows:,}</text>'
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="10">0</text>'
        f'<text x="{width - 36}" y="{top + 8}" font-size="10" fill="{QUARANTINE_COLOR}">'
        f"{most_quarantined}</text>"
        f'<text x="{left}" y="{height - 8}" font-size="10" fill="#57606a">table version and '
        "commit time (UTC) of each run</text>"
    )
    legend = "".join(
        f'<span><i class="swatch" style="background:{_color(k, keys)}"></i>rows written with '
        f"{_writer(k)}</span>"
        for k in keys
    ) + (
        f'<span><i class="swatch" style="background:{QUARANTINE_COLOR};border-radius:5px">'
        "</i>files quarantined (right scale)</span>"
    )
    older = f'<p class="note">{not_shown} older run(s) not drawn.</p>' if not_shown else ""
    return (
        '<section id="runs"><h2>Runs over time</h2>'
        f'<svg id="runs-chart" role="img" aria-label="rows landed per writer version per run" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">'
        f"{axis}{''.join(marks)}</svg>"
        f'<div class="legend">{legend}</div>{older}</section>'
    )


def _writer(key: str) -> str:
    return f"v{key}" if key.isdigit() else escape(key)


def _key_order(key: str) -> tuple[int, int]:
    return (0, int(key)) if key.isdigit() else (1, 0)


def _lineage(runs: list[RunInfo]) -> str:
    items = []
    for n, run in enumerate(reversed(runs)):
        sources = "".join(
            f"<tr><td><code>{escape(s.path)}</code></td><td>{_writer(s.writer_version)}</td>"
            f'<td class="num">{s.records:,}</td><td>{"yes" if s.replaced else ""}</td></tr>'
            for s in run.sources
        )
        quarantined = "".join(
            f"<tr><td><code>{escape(q.path)}</code></td><td>{escape(q.error_kind)}</td>"
            f"<td>{escape(q.message[:300])}</td></tr>"
            for q in run.quarantined
        )
        items.append(
            f'<details class="run" data-table-version="{run.table_version}"'
            f"{' open' if n == 0 else ''}><summary>table <b>v{run.table_version}</b> · "
            f"{escape(run.committed_at)} · run <code>{escape(run.run_id)}</code> · "
            f"{len(run.sources)} file(s), {run.records:,} record(s), "
            f"{len(run.quarantined)} quarantined, {run.duplicates} duplicate(s), "
            f"{run.late} late</summary>"
            + (
                "<table><tr><th>source file</th><th>writer</th><th>records</th>"
                f"<th>replaced</th></tr>{sources}</table>"
                if run.sources
                else ""
            )
            + (
                "<table><tr><th>quarantined file</th><th>kind</th><th>reason</th></tr>"
                f"{quarantined}</table>"
                if run.quarantined
                else ""
            )
            + "</details>"
        )
    return (
        '<section id="lineage"><h2>Lineage: runs, source files, quarantine</h2>'
        "<p>From each run's commit (its audit record), newest first: the Delta version it "
        "made, the source files it landed with their writer version and records, and the "
        "files it quarantined.</p>"
        + ("".join(items) or '<p class="note">no runs</p>')
        + "</section>"
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _maintenance(m: Maintenance | None, what: str) -> str:
    if m is None:
        return f"<li>last {what}: none in the table's log</li>"
    return f"<li>last {what}: table v{m.table_version} at {escape(m.at)} ({escape(m.detail)})</li>"


def _health(h: Health) -> str:
    kpis = [
        ("table version", f"{h.table_version}"),
        ("rows", f"{h.rows:,}"),
        ("data files", f"{h.files:,}"),
        ("size", _size(h.bytes)),
        ("files quarantined now", f"{len(h.quarantined_now)}"),
    ]
    most = max((n for _, n in h.size_buckets), default=0) or 1
    bars = "".join(
        f'<g><text x="0" y="{i * 22 + 14}" font-size="11">{escape(label)}</text>'
        f'<rect class="size-mark" data-files="{n}" x="90" y="{i * 22 + 3}" '
        f'width="{max(1.0, 300 * n / most) if n else 0:.1f}" height="14" fill="#4e79a7"/>'
        f'<text x="{96 + (300 * n / most if n else 0):.1f}" y="{i * 22 + 14}" font-size="11">'
        f"{n}</text></g>"
        for i, (label, n) in enumerate(h.size_buckets)
    )
    quarantined = "".join(
        f"<tr><td><code>{escape(q.path)}</code></td><td>{escape(q.error_kind)}</td>"
        f"<td>{escape(q.message[:300])}</td></tr>"
        for q in h.quarantined_now
    )
    states = ", ".join(f"{escape(k)} {v}" for k, v in h.sources_by_state.items()) or "none"
    return (
        '<section id="health"><h2>Table health</h2>'
        + "".join(f'<span class="kpi"><b>{v}</b>{escape(k)}</span>' for k, v in kpis)
        + f"<p>Data file sizes: smallest {_size(h.smallest_file)}, median "
        f"{_size(h.median_file)}, largest {_size(h.largest_file)}.</p>"
        f'<svg id="size-chart" viewBox="0 0 440 {len(h.size_buckets) * 22 + 4}" width="440">'
        f"{bars}</svg><ul>"
        + _maintenance(h.last_optimize, "optimize (compaction)")
        + _maintenance(h.last_vacuum, "vacuum")
        + f"</ul><p>Source files by state (ledger): {states}.</p>"
        + (
            '<table id="quarantine-now"><tr><th>quarantined now</th><th>kind</th>'
            f"<th>reason</th></tr>{quarantined}</table>"
            if quarantined
            else ""
        )
        + _unregistered(h.unregistered_writers)
        + "</section>"
    )


def _unregistered(writers: list[dict[str, Any]]) -> str:
    """The writer schemas the registry lacked, with the fields their rows rescued."""
    if not writers:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(w['fingerprint'])}</code></td><td>{escape(w['first_seen'])}"
        f"</td><td>{w['files']}</td><td>{w['rows']}</td>"
        f"<td>{escape(', '.join(w['extra_fields'])) or 'none'}</td></tr>"
        for w in writers
    )
    return (
        '<table id="unregistered-writers"><tr><th>unregistered writer schema</th>'
        "<th>first seen</th><th>files</th><th>rows</th><th>extra fields (in _rescued_data)"
        f"</th></tr>{rows}</table>"
    )


def page_for_error(message: str) -> str:
    """A page saying why the report could not be built (for the Airflow view)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>avrolake report'
        f"</title><style>{CSS}</style></head><body><header><h1>avrolake report</h1></header>"
        f'<main><section><p id="report-error">{escape(message)}</p></section></main>'
        "</body></html>\n"
    )
