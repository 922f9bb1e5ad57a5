"""The `avrolake` command line. The only layer that prints or reads the environment.

Exit codes (docs/cli.md): 0 ok, 1 a data or gate violation, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from avrolake.cli import compat, epilogs, generate, ingest, maintain, quarantine, report, schemas
from avrolake.errors import EXIT_USAGE, EXIT_VIOLATION, AvrolakeError
from avrolake.storage import S3Options
from avrolake.storage_errors import explain, strip_ansi


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avrolake",
        description="Land mixed-version Avro logs in Delta Lake, resolved by Avro's rules.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=epilogs.version_line(),
        help="print the versions of avrolake, pyspark and deltalake, and exit",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug detail (default: INFO and up)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an error, print the original error and its traceback too (anywhere on the "
        "command line)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compat.register(commands)
    schemas.register(commands)
    generate.register(commands)
    ingest.register(commands)
    quarantine.register(commands)
    maintain.register(commands)
    report.register(commands)
    epilogs.apply(parser)  # every command's --help ends with its exit codes and an example
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments  # anywhere on the line, before or after the command
    args = build_parser().parse_args([a for a in arguments if a != "--debug"])
    handler = logging.StreamHandler(sys.stderr)  # stdout is for results (--json: last line)
    handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler], force=True
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        return int(args.run(args))
    except AvrolakeError as exc:
        return _failed(exc, exc.exit_code, debug)
    except Exception as exc:
        known = explain(exc, endpoint=S3Options.from_env(os.environ).endpoint_url)
        if known is not None:
            return _failed(known, known.exit_code, debug, exc)
        code = EXIT_USAGE if isinstance(exc, ValueError | OSError) else EXIT_VIOLATION
        return _failed(exc, code, debug)


def _failed(
    exc: BaseException, code: int, debug: bool, original: BaseException | None = None
) -> int:
    """Print the error as one plain sentence (no ANSI codes); with --debug, the original
    error and its traceback first."""
    if debug:
        shown = original or exc
        text = "".join(traceback.format_exception(shown))
        print(strip_ansi(text), file=sys.stderr, end="")
    if isinstance(exc, AvrolakeError):
        message = strip_ansi(str(exc))
    else:
        first = strip_ansi(str(exc)).strip().splitlines() or [""]
        message = f"{type(exc).__name__}: {first[0]}"
    hint = "" if debug else " (run again with --debug for the original error)"
    print(f"avrolake: error: {message}{hint if code and _explained(exc, original) else ''}",
          file=sys.stderr)  # fmt: skip
    return code


def _explained(exc: BaseException, original: BaseException | None) -> bool:
    """Whether there is more to see with --debug than the message printed."""
    return original is not None or not isinstance(exc, AvrolakeError) or exc.__cause__ is not None


class _PlainFormatter(logging.Formatter):
    """Log lines without the ANSI colour codes delta-rs puts in its errors."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_ansi(super().format(record))
