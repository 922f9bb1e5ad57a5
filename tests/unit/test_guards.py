"""Guards before anything is written (issue 18, point 5), and errors a person can act on
(point 6) where no Spark is needed: the job in-process (SerialRunner) and the CLI in-process.

A run writes three tables (main, quarantine, ledger); each must be a table of its own role,
and a table is created only in a new or empty folder. `schemas check` refuses a registry it
cannot use, and `ingest` runs the registry's compatibility gate first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.errors import ConfigError
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs, sql

pytestmark = pytest.mark.unit
STARTED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def config(tmp: Path, **changes: Any) -> IngestConfig:
    base = IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake" / "logs"),
        run_id="run-1",
        started_at=STARTED,
        settle_seconds=0,
        registry=SHIPPED_REGISTRY,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def landed(tmp_path: Path) -> Path:
    """A source of two good files and one that is not Avro, landed once."""
    generate_logs(resolve(str(tmp_path / "raw")), files=2, records=5, seed=1)
    run_ingest(config(tmp_path), SerialRunner())
    (tmp_path / "raw" / "junk.avro").write_bytes(b"not avro at all")
    return tmp_path


def columns(uri: Path) -> list[str]:
    return list(pa.schema(DeltaTable(str(uri)).schema().to_arrow()).names)


@pytest.mark.parametrize(
    ("quarantine", "says"),
    [
        pytest.param("lake/logs", "is the run's main table", id="the-main-table"),
        pytest.param("lake/logs/", "is the run's main table", id="the-main-table-slash"),
        pytest.param("lake/logs_ledger", "is the run's ledger table", id="the-ledger"),
    ],
)
def test_the_quarantine_table_can_never_be_the_main_table_or_the_ledger(
    landed: Path, quarantine: str, says: str
) -> None:
    before = {name: columns(landed / "lake" / name) for name in ("logs", "logs_ledger")}
    versions = {name: DeltaTable(str(landed / "lake" / name)).version() for name in before}
    with pytest.raises(ConfigError, match=says):
        run_ingest(
            config(landed, run_id="run-2", quarantine_table=str(landed / quarantine)),
            SerialRunner(),
        )
    assert {name: columns(landed / "lake" / name) for name in before} == before
    assert {name: DeltaTable(str(landed / "lake" / name)).version() for name in before} == versions


def test_the_quarantine_table_can_never_be_another_tables_main_table(landed: Path) -> None:
    other = landed / "other"
    run_ingest(config(landed, table=str(other / "logs")), SerialRunner())
    with pytest.raises(ConfigError, match="is avrolake's main table, not a quarantine table"):
        run_ingest(
            config(landed, run_id="run-2", quarantine_table=str(other / "logs")), SerialRunner()
        )
    assert "error_kind" not in columns(other / "logs")


def test_a_non_delta_folder_with_files_is_refused_as_a_table(tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=1, records=5, seed=1)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's own file")
    with pytest.raises(ConfigError, match=r"is a folder holding 1 entry that are not a Delta"):
        run_ingest(config(tmp_path, table=str(mine)), SerialRunner())
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert not (tmp_path / "mine_ledger").exists()
    assert not (tmp_path / "mine_quarantine").exists()


def test_a_delta_table_avrolake_did_not_make_is_refused_as_the_main_table(
    tmp_path: Path,
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=1, records=5, seed=1)
    theirs = tmp_path / "theirs"
    write_deltalake(str(theirs), pa.table({"id": [1, 2]}))
    with pytest.raises(ConfigError, match="is a Delta table avrolake did not make"):
        run_ingest(config(tmp_path, table=str(theirs)), SerialRunner())
    assert columns(theirs) == ["id"]


def test_a_table_path_that_is_a_file_exits_2_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "table.txt").write_text("x")
    code = main(["ingest", "--source", str(tmp_path / "raw"), "--table",
                 str(tmp_path / "table.txt"), "--registry", str(SHIPPED_REGISTRY)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "is not a folder a Delta table can be in" in err
    assert "Path does not exist" not in err
    assert (tmp_path / "table.txt").read_text() == "x"


def test_a_missing_commit_file_in_the_delta_log_says_what_happened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=2, records=5, seed=1)
    run_ingest(config(tmp_path), SerialRunner())
    (tmp_path / "raw" / "more.avro").write_bytes(
        next((tmp_path / "raw").rglob("*.avro")).read_bytes()[:-1]  # a truncated copy
    )
    run_ingest(config(tmp_path, run_id="run-2"), SerialRunner())
    (tmp_path / "lake" / "logs" / "_delta_log" / f"{1:020d}.json").unlink()
    code = main(["status", "--table", str(tmp_path / "lake" / "logs")])
    err = capsys.readouterr().err
    assert code == 2
    assert "is missing a commit file" in err
    assert "Restore the missing _delta_log/<version>.json" in err
    assert "Expected contiguous commit files" not in err
    assert "\x1b[" not in err


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(lambda root: root.mkdir(), "unusable registry {root}: no subjects",
                     id="an-empty-folder"),
        pytest.param(lambda root: None, "unusable registry {root}: it does not exist",
                     id="a-mistyped-path"),
        pytest.param(lambda root: (root.mkdir(), (root / "v1.avsc").write_text('"string"')),
                     "looks like the folder of one subject", id="a-subject-folder"),
    ],
)  # fmt: skip
def test_schemas_check_fails_on_a_registry_it_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, says: str
) -> None:
    root = tmp_path / "schemaz"
    make(root)
    assert main(["schemas", "check", "--registry", str(root)]) == 2
    captured = capsys.readouterr()
    assert says.format(root=root) in captured.err
    assert captured.out == ""


def breaking_registry(tmp: Path) -> Path:
    """log_event v1, then a v2 whose new field has no default: BACKWARD_TRANSITIVE breaks."""
    folder = tmp / "registry" / "log_event"
    folder.mkdir(parents=True)
    v1 = json.loads((SHIPPED_REGISTRY / "log_event" / "v1.avsc").read_text())
    (folder / "v1.avsc").write_text(json.dumps(v1))
    v2 = {**v1, "fields": [*v1["fields"], {"name": "must_have", "type": "string"}]}
    (folder / "v2.avsc").write_text(json.dumps(v2))
    return folder.parent


def test_ingest_runs_the_schema_gate_first_and_exits_1_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=1, records=5, seed=1)
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", str(tmp_path / "lake"),
            "--registry", str(breaking_registry(tmp_path))]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "breaks its compatibility level, so no file was read" in err
    assert "log_event: v2" in err
    assert "--skip-schema-gate" in err
    assert not (tmp_path / "lake").exists()


def test_skip_schema_gate_lets_ingest_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["ingest", "--source", str(tmp_path / "nowhere"), "--table", str(tmp_path / "lake"),
            "--registry", str(breaking_registry(tmp_path)), "--skip-schema-gate"]  # fmt: skip
    assert main(args) == 2  # past the gate: the next check, the missing source, stops it
    assert f"source {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err


def test_an_error_is_one_line_and_debug_adds_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["schemas", "check", "--registry", str(tmp_path / "nope")]
    assert main(args) == 2
    plain = capsys.readouterr().err
    assert main([*args, "--debug"]) == 2
    debug = capsys.readouterr().err
    assert plain.count("\n") == 1
    assert plain.startswith("avrolake: error: unusable registry")
    assert "Traceback (most recent call last)" in debug
    assert debug.endswith(plain)


def test_the_ledger_row_of_a_landed_file_is_untouched_by_a_refused_run(landed: Path) -> None:
    before = sql(str(landed / "lake" / "logs_ledger"), "SELECT path, status FROM t ORDER BY path")
    with pytest.raises(ConfigError):
        run_ingest(
            config(landed, run_id="run-2", quarantine_table=str(landed / "lake" / "logs")),
            SerialRunner(),
        )
    after = sql(str(landed / "lake" / "logs_ledger"), "SELECT path, status FROM t ORDER BY path")
    assert after == before


def test_a_ledger_whose_table_was_deleted_is_refused_so_no_file_is_skipped_silently(
    landed: Path,
) -> None:
    """The ledger would count every file it recorded as done: a run into the deleted
    table's place would create an empty table and land nothing."""
    lake = landed / "lake"
    shutil.rmtree(lake / "logs")
    with pytest.raises(ConfigError, match=r"logs does not exist, but its ledger .*logs_ledger"):
        run_ingest(config(landed, run_id="run-2"), SerialRunner())
    assert not (lake / "logs").exists()

    shutil.rmtree(lake / "logs_ledger")  # as the message says: land every file again
    shutil.rmtree(lake / "logs_quarantine", ignore_errors=True)  # none yet: nothing failed
    again = run_ingest(config(landed, run_id="run-3"), SerialRunner())
    assert (again.files_seen, again.files_ingested, again.files_skipped) == (3, 2, 0)
    assert (again.files_quarantined, again.records_written) == (1, 10)
