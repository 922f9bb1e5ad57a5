"""`avrolake quarantine list|retry`: the files quarantined now, and releasing them for a retry.

Both read the table's source ledger (docs/ledger.md). `retry` does not read anything itself:
it marks the files so that the next `avrolake ingest` (or the next scheduled DAG run) reads
them again, with the registry's reader schema of that moment.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from avrolake.errors import QuarantineKind
from avrolake.storage import S3Options

KINDS = [k.value for k in QuarantineKind]


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "quarantine",
        help="list the quarantined files of a table, or release them for a retry",
        description="The files a table's runs quarantined (from its source ledger).",
    )
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, helptext in (
        ("list", "the files quarantined now, with kind and reason"),
        ("retry", "release quarantined files: the next ingest run reads them again"),
    ):
        action = actions.add_parser(name, help=helptext, description=helptext)
        action.add_argument("--table", required=True, help="the landed Delta table")
        action.add_argument(
            "--kind",
            choices=KINDS,
            help="only files quarantined as this kind (default: every kind)",
        )
        action.add_argument(
            "--path",
            help="only files whose whole path matches this glob pattern (default: every path)",
        )
        action.add_argument("--json", action="store_true", help="print JSON")
        action.set_defaults(run=run_list if name == "list" else run_retry)


def _ledger(args: argparse.Namespace) -> Any:
    from avrolake.lake import Ledger, TableRef

    ref = TableRef.at(args.table, S3Options.from_env(os.environ))
    table = ref.require()
    ledger = Ledger(ref)
    ledger.sync(table)
    return ledger, table


def _rows(entries: list[Any]) -> list[dict[str, Any]]:
    return [
        {"path": e.path, "error_kind": e.error_kind, "message": e.message, "run_id": e.run_id}
        for e in entries
    ]


def run_list(args: argparse.Namespace) -> int:
    ledger, _ = _ledger(args)
    entries = ledger.quarantined(args.kind, args.path)
    if args.json:
        print(json.dumps(_rows(entries)))
        return 0
    print(f"{len(entries)} quarantined file(s)")
    for e in entries:
        print(f"  {e.error_kind}: {e.path}\n      {e.message}")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    ledger, table = _ledger(args)
    entries = ledger.quarantined(args.kind, args.path)
    ledger.release(entries, table.version())
    if args.json:
        print(json.dumps({"released": _rows(entries)}))
        return 0
    print(
        f"{len(entries)} file(s) released; the next `avrolake ingest` run (or scheduled DAG "
        "run) reads them again"
    )
    for e in entries:
        print(f"  {e.error_kind}: {e.path}")
    return 0
