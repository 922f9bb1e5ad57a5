"""What every command's `--help` ends with: its exit codes and one example (docs/cli.md).

The exit codes are the ones `errors.py` defines; exit 1 means something different per
command, so each command names it. `apply` walks the whole parser tree once it is built, so
a command added anywhere gets its epilog from this one table, and a command missing from it
fails `tests/unit/test_cli_help.py`.
"""

from __future__ import annotations

import argparse
import textwrap
from importlib import metadata

from avrolake.errors import EXIT_OK, EXIT_USAGE, EXIT_VIOLATION

USAGE_ERROR = "a usage or configuration error (bad flags, registry, table or storage)"
UNEXPECTED = "an unexpected error (avrolake: error: <its type>: …)"

# command path -> (what exit 1 means for it besides an unexpected error, or None; one example)
EPILOGS: dict[str, tuple[str | None, str]] = {
    "": (
        "a data or gate violation: fix the input, not the command (each command's --help says "
        "which)",
        "avrolake ingest --source .demo/raw --table .demo/lake/logs",
    ),
    "compat": (
        "the reader cannot read the writer's data",
        "avrolake compat --reader v3.avsc --writer v1.avsc --json",
    ),
    "schemas": (
        "schemas check found a version that breaks its level",
        "avrolake schemas check --registry schemas",
    ),
    "schemas check": (
        "a version breaks its subject's compatibility level",
        "avrolake schemas check --registry schemas --json",
    ),
    "schemas list": (None, "avrolake schemas list --registry schemas"),
    "schemas show": (None, "avrolake schemas show my_subject --version 2 --canonical"),
    "schemas diff": (None, "avrolake schemas diff my_subject 1 3"),
    "generate": (None, "avrolake generate --out .demo/raw --files 50 --records 100000"),
    "ingest": (
        "the schema gate failed, the reader schema cannot be landed, the table needs "
        "`avrolake migrate` or has a feature avrolake cannot write, other runs kept winning "
        "the commit",
        "avrolake ingest --source s3://raw/logs --table s3://lake/logs --json",
    ),
    "status": (None, "avrolake status --table s3://lake/logs --json"),
    "migrate": (
        "the table cannot be made equal to a fresh read (nothing was written)",
        "avrolake migrate --table s3://lake/logs",
    ),
    "quarantine": (None, "avrolake quarantine list --table s3://lake/logs"),
    "quarantine list": (None, "avrolake quarantine list --table s3://lake/logs --kind truncated"),
    "quarantine retry": (
        None,
        "avrolake quarantine retry --table s3://lake/logs --path '*/dt=2026-01-01/*'",
    ),
    "maintain": (None, "avrolake maintain --table s3://lake/logs --repair --json"),
    "report": (None, "avrolake report --table .demo/lake/logs --out report.html"),
}


def version_line() -> str:
    """`avrolake X (pyspark Y, deltalake Z)`: the installed versions, from package metadata."""

    def of(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return f"avrolake {of('avrolake')} (pyspark {of('pyspark')}, deltalake {of('deltalake')})"


def epilog(path: str) -> str:
    exit_1, example = EPILOGS[path]
    violation = f"{exit_1}, or {UNEXPECTED}" if exit_1 else UNEXPECTED
    meanings = {EXIT_OK: "ok", EXIT_VIOLATION: violation, EXIT_USAGE: USAGE_ERROR}
    codes = [
        textwrap.fill(text, 78, initial_indent=f"  {code}  ", subsequent_indent=" " * 5)
        for code, text in meanings.items()
    ]
    return "\n".join(["exit codes:", *codes, "", "example:", f"  {example}"])


class Formatter(argparse.HelpFormatter):
    """Wraps each line of a description on its own and keeps indented lines as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            kept = not line or line.startswith("  ")
            lines.append(indent + line if kept else super()._fill_text(line, width, indent))
        return "\n".join(lines)


def subcommands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    """{"schemas check": its parser, …}: every (sub)command below `parser`, by its path."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                found[path] = sub
                found.update(subcommands(sub, path))
    return found


def apply(parser: argparse.ArgumentParser) -> None:
    """Give the root and every subcommand the line-keeping formatter and its epilog."""
    parser.formatter_class = Formatter
    parser.epilog = epilog("")
    for path, sub in subcommands(parser).items():
        sub.formatter_class = Formatter
        if path in EPILOGS:
            sub.epilog = epilog(path)
