"""When the driver's Spark session starts: as soon as the plan has work, before the table is
created (the driver JVM starts while planning ends), and never for a run with nothing new."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import avrolake.cli.ingest as cli_ingest
from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.spark import session
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit

REGISTRY = SHIPPED_REGISTRY  # the shipped log_event subject alone


class PreparedRunner(SerialRunner):
    """A serial runner that notes, when asked to prepare, whether the table existed yet."""

    def __init__(self, table: Path) -> None:
        self.table = table
        self.table_existed_when_prepared: list[bool] = []

    def prepare(self, work_bytes: int) -> None:
        self.table_existed_when_prepared.append((self.table / "_delta_log").exists())


def landed_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    raw, table = tmp_path / "raw", tmp_path / "lake" / "logs"
    args = ["generate", "--registry", str(REGISTRY), "--out", str(raw), "--files", "2"]
    assert main([*args, "--records", "10", "--hours", "1"]) == 0
    capsys.readouterr()
    return raw, table


def config(raw: Path, table: Path, run_id: str) -> IngestConfig:
    started = dt.datetime.now(dt.UTC)
    return IngestConfig(str(raw), str(table), run_id, started, REGISTRY, settle_seconds=0)


def test_a_run_with_work_prepares_its_runner_before_the_table_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, table = landed_source(tmp_path, capsys)
    runner = PreparedRunner(table)
    summary = run_ingest(config(raw, table, "run-1"), runner)
    assert (summary.files_ingested, summary.records_written) == (2, 20)
    assert runner.table_existed_when_prepared == [False]


def test_a_run_with_nothing_new_never_builds_a_spark_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, table = landed_source(tmp_path, capsys)
    assert run_ingest(config(raw, table, "run-1"), SerialRunner()).files_ingested == 2
    built: list[Any] = []

    def no_jvm(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        raise AssertionError("a run with nothing new started the driver JVM")

    monkeypatch.setattr(session, "build_session", no_jvm)
    monkeypatch.setattr(session, "build_context", no_jvm)
    monkeypatch.setattr(cli_ingest, "MIN_TASK_BYTES", 0)  # any work would start Spark
    args = ["ingest", "--source", str(raw), "--table", str(table), "--registry", str(REGISTRY)]
    assert main([*args, "--settle-seconds", "0", "--run-id", "run-2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["files_skipped"], summary["files_ingested"]) == (2, 0)
    assert built == []


def test_a_run_with_one_small_tasks_worth_reads_in_this_process_without_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, table = landed_source(tmp_path, capsys)
    built: list[Any] = []

    def no_jvm(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        raise AssertionError("a run of 2 small files started the driver JVM")

    monkeypatch.setattr(session, "build_context", no_jvm)
    monkeypatch.setattr(session, "active_session", lambda: None)  # as in a fresh process
    args = ["ingest", "--source", str(raw), "--table", str(table), "--registry", str(REGISTRY)]
    assert main([*args, "--settle-seconds", "0", "--master", "local[2]"]) == 0
    out, err = capsys.readouterr()
    assert "one task's worth: reading it in this process, no Spark" in err
    assert "ingest: 2/2 files, 20/20 records" in err  # the last progress line, as with Spark
    assert "2 file(s) seen, 2 ingested" in out
    assert built == []


def test_a_run_past_one_tasks_worth_starts_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, table = landed_source(tmp_path, capsys)
    built: list[Any] = []

    def fake_jvm(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        raise RuntimeError("no JVM in the unit tier")

    monkeypatch.setattr(session, "build_context", fake_jvm)
    monkeypatch.setattr(session, "active_session", lambda: None)  # as in a fresh process
    monkeypatch.setattr(cli_ingest, "MIN_TASK_BYTES", 100)  # the 2 files hold more than this
    args = ["ingest", "--source", str(raw), "--table", str(table), "--registry", str(REGISTRY)]
    assert main([*args, "--settle-seconds", "0", "--master", "local[2]"]) == 1
    assert built == ["local[2]"]
    assert "no JVM in the unit tier" in capsys.readouterr().err
