"""Python workers run the interpreter that has avrolake, from a venv that is not activated.

Spark's default worker interpreter is `python3` from PATH. A user who runs
`.venv/bin/python myjob.py` without activating the venv has a `python3` on PATH without
avrolake; the data source and the job set the workers' interpreter from `sys.executable`
unless the user chose one (PYSPARK_PYTHON / spark.pyspark.python).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from avrolake.config import IngestConfig
from avrolake.errors import ConfigError
from avrolake.ingest import run_ingest
from avrolake.spark.runner import SparkRunner
from avrolake.spark.session import worker_python
from avrolake.storage import resolve
from tests.conftest import ROOT, SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs

pytestmark = pytest.mark.spark

SCRIPT = """
import sys
from pyspark.sql import SparkSession
from avrolake.spark.source import register

spark = (SparkSession.builder.master("local[1]")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.enabled", "false").getOrCreate())
register(spark)
frame = (spark.read.format("avrolake").option("path", sys.argv[1])
         .option("registry", sys.argv[2]).load())
print("rows", frame.count(), "python", spark.sparkContext.pythonExec)
spark.stop()
"""


def not_activated(tmp: Path) -> dict[str, str]:
    """The environment of a shell where the venv is not activated: its bin is not on PATH,
    and a `python3` that lacks avrolake comes first."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to("/usr/bin/python3")
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and p != venv_bin]
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "VIRTUAL_ENV")}
    env.pop("PYSPARK_DRIVER_PYTHON", None)
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    return env


def test_data_source_workers_run_the_venv_python_when_it_is_not_activated(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    generate_logs(resolve(str(raw)), files=3, records=40, seed=5)
    script = tmp_path / "myjob.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(script), str(raw), str(SHIPPED_REGISTRY)],
        cwd=tmp_path,
        env=not_activated(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["rows", "120", "python", str(ROOT / ".venv" / "bin" / "python")]


@pytest.mark.parametrize(
    ("environ", "conf", "chosen"),
    [
        pytest.param({}, None, "/venv/bin/python", id="nothing-set-the-drivers-own-python"),
        pytest.param({"PYSPARK_PYTHON": "/opt/py"}, None, "/opt/py", id="PYSPARK_PYTHON-wins"),
        pytest.param({}, "/opt/conf-py", "/opt/conf-py", id="spark.pyspark.python-wins"),
        pytest.param(
            {"PYSPARK_PYTHON": "/opt/py"}, "/opt/conf-py", "/opt/py", id="env-before-conf"
        ),
    ],
)
def test_worker_python_is_the_users_choice_else_the_drivers_own(
    environ: dict[str, str], conf: str | None, chosen: str
) -> None:
    assert worker_python(environ, conf, "/venv/bin/python") == chosen


def test_workers_without_avrolake_fail_the_run_saying_what_to_do(
    spark: Any, tmp_path: Path
) -> None:
    """Spark's own error is a JVM stack trace ending in `collectAndServe`; the run says which
    Python lacks avrolake, and commits nothing."""
    raw, table = tmp_path / "raw", tmp_path / "lake" / "logs"
    generate_logs(resolve(str(raw)), files=2, records=10, seed=3)
    started = dt.datetime.now(dt.UTC)
    config = IngestConfig(
        str(raw), str(table), "run-1", started, SHIPPED_REGISTRY, settle_seconds=0
    )
    context = spark.sparkContext
    before = context.pythonExec
    context.pythonExec = "/usr/bin/python3"  # a Python without avrolake
    try:
        with pytest.raises(ConfigError) as failed:
            run_ingest(config, SparkRunner(lambda: spark))
    finally:
        context.pythonExec = before
    assert str(failed.value).startswith(
        "the Spark job's Python workers run /usr/bin/python3, which cannot import avrolake "
        "(ModuleNotFoundError: No module named 'avrolake'). Install avrolake there"
    )
    assert DeltaTable(str(table)).version() == 0  # created, nothing landed
    assert not (tmp_path / "lake" / "logs_ledger").exists()
