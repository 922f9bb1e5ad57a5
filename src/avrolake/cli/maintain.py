"""`avrolake maintain`: the maintenance DAG's table upkeep from the command line, and
`--repair`, which first removes the rows an earlier avrolake left of files the ledger says
are quarantined or duplicates (docs/ledger.md#repairing-a-legacy-table)."""

from __future__ import annotations

import argparse
import json
import os
import uuid
from typing import Any

from avrolake.config import MIN_RETENTION_HOURS
from avrolake.storage import S3Options


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "maintain",
        help="compact, vacuum and checkpoint a table (and repair it with --repair)",
        description="Compact, vacuum and checkpoint the table, its quarantine table and its "
        "ledger (the maintenance DAG's tasks). --repair first removes the rows of files the "
        "ledger says are quarantined or duplicates, left there by an earlier avrolake.",
    )
    cmd.add_argument("--table", required=True, help="the landed Delta table")
    cmd.add_argument("--quarantine-table", help="default: the one the table's runs recorded")
    cmd.add_argument(
        "--repair",
        action="store_true",
        help="first remove the rows of quarantined and duplicate source files (one commit)",
    )
    cmd.add_argument(
        "--retention-hours",
        type=int,
        default=MIN_RETENTION_HOURS,
        help=f"vacuum keeps files this long (default and minimum {MIN_RETENTION_HOURS})",
    )
    cmd.add_argument("--run-id", help="names the repair's commit (default: random)")
    cmd.add_argument("--json", action="store_true", help="print the result as JSON")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from avrolake.lake import TableRef
    from avrolake.lake.maintenance import maintain
    from avrolake.lake.repair import repair_leftover_rows

    ref = TableRef.find(
        args.table, S3Options.from_env(os.environ), quarantine=args.quarantine_table
    )
    ref.require()  # a missing table exits 2
    result: dict[str, Any] = {}
    if args.repair:
        repair = repair_leftover_rows(ref, args.run_id or f"repair-{uuid.uuid4().hex}")
        result["repair"] = repair.as_dict()
    hours = args.retention_hours
    result["table"] = maintain(ref, hours)
    result["quarantine"] = maintain(ref.quarantine(), hours)
    result["ledger"] = maintain(ref.ledger(), hours, sort_by=("path",))
    if args.json:
        print(json.dumps(result))
        return 0
    if args.repair:
        r = result["repair"]
        print(
            f"repair: removed {r['rows_removed']} row(s) of {len(r['removed'])} quarantined or "
            f"duplicate source file(s)"
            + (f" in table version {r['table_version']}" if r["table_version"] is not None else "")
        )
        for path, n in r["removed"].items():
            print(f"  {path}: {n} row(s)")
    for name in ("table", "quarantine", "ledger"):
        print(f"{name}: {result[name]}")
    return 0
