"""Every command's --help is complete: a description, every flag explained with its default,
and an epilog with the exit codes and one example (docs/cli.md). The tree is walked, so a
command or flag added later is held to the same rule."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib import metadata

import pytest

from avrolake.cli import build_parser, main
from avrolake.cli.epilogs import subcommands

pytestmark = pytest.mark.unit
PARSER = build_parser()
COMMANDS = {"avrolake": PARSER} | {f"avrolake {p}": c for p, c in subcommands(PARSER).items()}
SKIPPED = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
FLAGS = [
    (path, action)
    for path, cmd in COMMANDS.items()
    for action in cmd._actions
    if not isinstance(action, SKIPPED)
]


def _flag_id(item: tuple[str, argparse.Action]) -> str:
    path, action = item
    return f"{path} {'/'.join(action.option_strings) or action.dest}"


@pytest.mark.parametrize("path", list(COMMANDS), ids=list(COMMANDS))
def test_every_command_has_a_description(path: str) -> None:
    assert (COMMANDS[path].description or "").strip(), f"`{path}` has no description"


@pytest.mark.parametrize("path", list(COMMANDS), ids=list(COMMANDS))
def test_every_command_help_ends_with_exit_codes_and_an_example(path: str) -> None:
    text = COMMANDS[path].format_help()
    epilog = text[text.index("exit codes:") :] if "exit codes:" in text else ""
    assert re.search(r"^  0  ok$", epilog, re.M), f"`{path} --help` lists no exit codes"
    assert re.search(r"^  2  a usage or configuration error", epilog, re.M)
    assert re.search(r"^example:\n  avrolake \S", epilog, re.M), f"`{path}` has no example"


@pytest.mark.parametrize("item", FLAGS, ids=[_flag_id(f) for f in FLAGS])
def test_every_flag_has_help_and_names_its_default(item: tuple[str, argparse.Action]) -> None:
    action = item[1]
    text = action.help or ""
    assert text.strip(), f"{_flag_id(item)} has no help"
    assert text != argparse.SUPPRESS, f"{_flag_id(item)} hides its help"
    takes_value = action.nargs != 0 and action.option_strings and not action.required
    if takes_value:
        assert "default" in text, f"{_flag_id(item)}: the help does not name its default"


def test_every_example_runs_a_command_that_exists() -> None:
    for path, cmd in COMMANDS.items():
        example = cmd.epilog.rsplit("example:\n  ", 1)[1]  # type: ignore[union-attr]
        words = example.split()
        known = " ".join(words[1 : 1 + len(path.split()) - 1])
        assert f"avrolake {known}".strip() == path or path == "avrolake", example


def test_version_prints_the_installed_versions_on_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        f"avrolake {metadata.version('avrolake')} (pyspark {metadata.version('pyspark')}, "
        f"deltalake {metadata.version('deltalake')})\n"
    )


def test_version_works_as_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "avrolake", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith(f"avrolake {metadata.version('avrolake')} (pyspark ")
