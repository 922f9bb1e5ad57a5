"""`avrolake report`: one self-contained HTML page of a table's schemas, runs and lineage.

The data comes from the registry, the table's Delta log and the source ledger, never from
data rows (docs/report.md).
"""

from __future__ import annotations

from avrolake.lake import TableRef
from avrolake.registry import Registry
from avrolake.report.data import ReportData, build_report
from avrolake.report.html import page_for_error, render_html
from avrolake.report.index import (
    DeployedTable,
    IndexData,
    IndexRow,
    build_index,
    deployed_tables,
    render_index,
)
from avrolake.storage import resolve

TABLE_REPORT = "_avrolake/report.html"  # beside _delta_log; Delta ignores `_` folders


def write_table_report(ref: TableRef, registry: Registry | None, subject: str | None) -> str:
    """Write the table's report into its own folder; returns where it is."""
    page = render_html(build_report(ref, registry, subject))
    location = resolve(ref.uri, ref.s3)
    return location.uri_of(location.write_bytes(TABLE_REPORT, page.encode("utf-8")))


__all__ = [
    "TABLE_REPORT",
    "DeployedTable",
    "IndexData",
    "IndexRow",
    "ReportData",
    "build_index",
    "build_report",
    "deployed_tables",
    "page_for_error",
    "render_html",
    "render_index",
    "write_table_report",
]
