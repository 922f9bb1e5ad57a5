"""`avrolake compat --reader R.avsc --writer W.avsc [--json]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from avrolake.compatibility import check_compatibility
from avrolake.schema import load_schema


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "compat",
        help="can a reader schema read a writer schema's data? (exit 0 yes, 1 no)",
        description="Check reader/writer compatibility by the Avro specification's rules.",
    )
    cmd.add_argument("--reader", required=True, type=Path, help="reader schema (.avsc)")
    cmd.add_argument("--writer", required=True, type=Path, help="writer schema (.avsc)")
    cmd.add_argument("--json", action="store_true", help="print a JSON verdict")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    findings = check_compatibility(load_schema(args.writer), load_schema(args.reader))
    if args.json:
        print(
            json.dumps(
                {
                    "compatible": not findings,
                    "incompatibilities": [f.as_dict() for f in findings],
                }
            )
        )
    elif not findings:
        print(f"compatible: {args.reader} can read data written with {args.writer}")
    else:
        print(f"incompatible: {args.reader} cannot read data written with {args.writer}")
        for f in findings:
            print(f"  {f.kind.value} at {f.path or '/'}: {f.message}")
    return 0 if not findings else 1
