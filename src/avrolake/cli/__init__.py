"""The `avrolake` command line. The only layer that prints or reads the environment.

Exit codes (docs/cli.md): 0 ok, 1 a data or gate violation, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from avrolake.cli import compat, generate, ingest, quarantine, report, schemas
from avrolake.errors import EXIT_USAGE, AvrolakeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avrolake",
        description="Land mixed-version Avro logs in Delta Lake, resolved by Avro's rules.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compat.register(commands)
    schemas.register(commands)
    generate.register(commands)
    ingest.register(commands)
    quarantine.register(commands)
    report.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,  # stdout is for results: the --json summary is its last line
        force=True,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        return int(args.run(args))
    except AvrolakeError as exc:
        print(f"avrolake: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ValueError, OSError) as exc:
        print(f"avrolake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
