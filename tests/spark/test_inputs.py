"""Inputs a user gets wrong: they fail before anything is created, with a message saying why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.spark.session import with_task_retries
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.spark


def test_missing_source_exits_2_and_creates_no_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "lake" / "logs"
    code = main(
        ["ingest", "--source", str(tmp_path / "nowhere"), "--table", str(table),
         "--registry", str(SHIPPED_REGISTRY)]
    )  # fmt: skip
    assert code == 2
    assert f"source {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()


def test_bad_run_id_exits_2_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "raw").mkdir()
    code = main(
        ["ingest", "--source", str(tmp_path / "raw"), "--table", str(tmp_path / "lake"),
         "--registry", str(SHIPPED_REGISTRY), "--run-id", "x/../../.."]
    )  # fmt: skip
    assert code == 2
    assert "run id 'x/../../..'" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    ("master", "expected"),
    [
        pytest.param("local", "local[1,2]", id="local-gets-one-thread-two-attempts"),
        pytest.param("local[2]", "local[2,2]", id="local-n-gets-two-attempts"),
        pytest.param("local[*]", "local[*,2]", id="local-star-gets-two-attempts"),
        pytest.param("local[2,4]", "local[2,4]", id="explicit-attempts-are-kept"),
        pytest.param("spark://h:7077", "spark://h:7077", id="cluster-masters-are-kept"),
    ],
)
def test_local_masters_retry_failed_tasks(master: str, expected: str) -> None:
    assert with_task_retries(master) == expected


def test_the_session_runs_with_task_retries(spark: Any) -> None:
    assert spark.sparkContext.master == "local[2,2]"
