"""`avrolake report --table T [--registry R] [--subject S] --out report.html`, and
`avrolake report --index [--registry R] --out DIR`: the index of every deployed subject."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from avrolake.config import REGISTRY_ENV, DeploymentRoots, registry_from_env
from avrolake.errors import ConfigError
from avrolake.storage import S3Options


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "report",
        help="write a self-contained HTML page of a table's schemas, runs and lineage",
        description="One HTML file (no network needed to view it): the subject's versions and "
        "their changes, the version x version compatibility matrix, rows landed per writer "
        "version per run, each run's lineage and quarantine, and the table's health. Read from "
        "the registry, the table's Delta log and its source ledger, never from data rows.",
    )
    cmd.add_argument(
        "--table",
        help="the Delta table (path or s3://bucket/path; default: none, required without --index)",
    )
    cmd.add_argument(
        "--index",
        action="store_true",
        help="write DIR/index.html, every deployed subject's table (a table.json in the "
        "registry) with its health and last run, and DIR/<subject>.html for each table; "
        "tables from table.json under $AVROLAKE_LAKE_ROOT (docs/report.md)",
    )
    cmd.add_argument(
        "--registry",
        type=Path,
        help=f"registry directory (default: ${REGISTRY_ENV} or ./schemas when it exists; "
        "without one the schema sections are left out)",
    )
    cmd.add_argument(
        "--subject",
        help="default: the subject the table's runs landed, else the registry's only one",
    )
    cmd.add_argument("--quarantine-table", help="default: the one the table's runs recorded")
    cmd.add_argument(
        "--out", required=True, type=Path, help="the HTML file to write (--index: a directory)"
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from avrolake.lake import TableRef
    from avrolake.registry import Registry
    from avrolake.report import build_report, render_html

    registry_dir: Path | None = args.registry
    if registry_dir is None:
        default = registry_from_env(os.environ)
        registry_dir = default if default.is_dir() else None
    if args.index:
        return run_index(args, registry_dir)
    if not args.table:
        raise ConfigError("report needs --table T (one table's page) or --index (every table)")
    registry = Registry(registry_dir) if registry_dir is not None else None
    ref = TableRef.find(
        args.table, S3Options.from_env(os.environ), quarantine=args.quarantine_table
    )
    data = build_report(ref, registry, args.subject or None)
    out: Path = args.out
    if out.is_dir():
        example = out / "report.html"
        raise ConfigError(f"--out {out} is a directory; give a file name such as {example}")
    blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ConfigError(
            f"could not write the report to {out}: {blocker} is a file, not a directory; "
            "choose a writable --out file"
        )
    write_page(out, render_html(data))
    print(
        f"report of {data.table} (subject {data.subject or 'n/a'}, {len(data.versions)} "
        f"version(s), {len(data.runs)} run(s), table version {data.health.table_version}) "
        f"written to {out.resolve()}"
    )
    return 0


def run_index(args: argparse.Namespace, registry_dir: Path | None) -> int:
    """DIR/index.html and DIR/<subject>.html for each deployed subject whose table exists."""
    from avrolake.registry import Registry
    from avrolake.report import (
        build_index,
        build_report,
        deployed_tables,
        render_html,
        render_index,
    )

    if registry_dir is None:
        raise ConfigError(
            f"report --index needs a registry: --registry DIR, ${REGISTRY_ENV} or ./schemas"
        )
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; with --index give a directory")
    registry = Registry(registry_dir)
    lake_root = DeploymentRoots.from_env(os.environ).lake
    tables = deployed_tables(registry_dir, lake_root, S3Options.from_env(os.environ))
    data = build_index(registry_dir, tables, lambda subject: f"{subject}.html")
    for row, table in zip(data.rows, tables, strict=True):
        if row.page is not None and table.ref is not None:
            write_page(out / row.page, render_html(build_report(table.ref, registry, row.subject)))
    write_page(out / "index.html", render_index(data))
    states = ", ".join(f"{r.subject} {r.state}" for r in data.rows) or "none deployed"
    index = (out / "index.html").resolve()
    print(f"index of {len(data.rows)} subject(s) ({states}) written to {index}")
    return 0


def write_page(out: Path, page: str) -> None:
    """Written beside the target and renamed over it, so a failed write (a full disk) leaves
    an earlier page as it was; anything else that exists (a device, a pipe) is written to
    as it is, never replaced."""
    partial = None if out.exists() and not out.is_file() else out.with_name(f".{out.name}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if partial is None:
            out.write_text(page, encoding="utf-8")
        else:
            partial.write_text(page, encoding="utf-8")
            os.replace(partial, out)
    except OSError as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise ConfigError(
            f"could not write the report to {out}: {exc.strerror or exc}; "
            "choose a writable --out file"
        ) from exc
