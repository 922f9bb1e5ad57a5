"""`ingest --layout/--files` reach the job, and files outside the layout are in the summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.cli import build_parser
from avrolake.cli.ingest import config_from_args, print_summary
from avrolake.config import Backfill, IngestConfig
from avrolake.generate import GenerateSpec, generate
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.registry import Registry
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit

SINCE = dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("flags", "layout", "files"),
    [
        pytest.param([], None, None, id="none_given_leaves_it_to_table_json"),
        pytest.param(["--layout", "flink"], "flink", None, id="a_preset"),
        pytest.param(
            ["--layout", "{year}/{month}/{day}", "--files", ".bin"],
            "{year}/{month}/{day}",
            ".bin",
            id="a_pattern_and_a_filter",
        ),
    ],
)
def test_ingest_takes_the_layout_and_file_filter(
    flags: list[str], layout: str | None, files: str | None
) -> None:
    args = build_parser().parse_args(["ingest", "--source", "raw", "--table", "t", *flags])
    config = config_from_args(args, {})
    assert (config.layout, config.files) == (layout, files)


def test_a_run_counts_and_shows_the_files_outside_its_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = Registry(SHIPPED_REGISTRY).versions("log_event")
    generate(versions, resolve(str(tmp_path / "raw")), GenerateSpec(files=2, records=3, hours=1))
    (tmp_path / "raw" / "loose.avro").write_bytes(b"no time in its path")
    (tmp_path / "raw" / "README.txt").write_bytes(b"not a source file")
    (tmp_path / "raw" / "_SUCCESS").write_bytes(b"")  # hidden: not counted
    config = IngestConfig(
        str(tmp_path / "raw"),
        str(tmp_path / "lake"),
        "run-1",
        SINCE + dt.timedelta(hours=1),
        registry=SHIPPED_REGISTRY,
        backfill=Backfill(SINCE, SINCE + dt.timedelta(hours=1)),
        settle_seconds=0,
    )
    summary = run_ingest(config, SerialRunner()).as_dict()
    outside = [str((tmp_path / "raw" / n).resolve()) for n in ("README.txt", "loose.avro")]
    assert (summary["files_seen"], summary["files_ingested"]) == (2, 2)
    assert (summary["files_outside_layout"], summary["outside_layout"]) == (2, outside)

    print_summary(summary, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:4] == [
        "2 file(s) under the source do not match its layout and were not read (see --layout "
        "/ --files)",
        f"  outside the layout: {outside[0]}",
        f"  outside the layout: {outside[1]}",
    ]


def test_a_run_that_defers_files_says_why_and_what_happens_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = Registry(SHIPPED_REGISTRY).versions("log_event")
    generate(versions, resolve(str(tmp_path / "raw")), GenerateSpec(files=2, records=3, hours=1))
    config = IngestConfig(
        str(tmp_path / "raw"),
        str(tmp_path / "lake"),
        "run-1",
        dt.datetime.now(dt.UTC),  # the files were written just now: within the settle time
        registry=SHIPPED_REGISTRY,
        backfill=Backfill(SINCE, SINCE + dt.timedelta(hours=1)),
        settle_seconds=3600,
    )
    summary = run_ingest(config, SerialRunner()).as_dict()
    assert (summary["files_ingested"], len(summary["deferred"])) == (0, 2)

    print_summary(summary, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == [
        *[f"  deferred (still being written?): {path}" for path in summary["deferred"]],
        "  (deferred: changed within the last --settle-seconds, default 60; a later run reads "
        "them once they stop changing)",
    ]
