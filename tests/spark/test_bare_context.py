"""A bare SparkContext already running in the process (no SparkSession: an older notebook,
a library that only needs RDDs) is used by the ingest as it is and left running.

Before, `active_session()` looked for a SparkSession only: the holder took the user's
context through `SparkContext.getOrCreate`, counted it as its own, and stopped it when the
run ended (and lean start-up applied to the user's Python workers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.spark

DRIVER = """
import sys
from pyspark import SparkConf, SparkContext
from avrolake.cli import main
from avrolake.spark.session import SessionHolder

raw, table = sys.argv[1], sys.argv[2]
conf = SparkConf().setMaster("local[1]").setAppName("users-own-context")
conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
sc = SparkContext(conf=conf)
holder = SessionHolder("local[2]", sys.executable)
print("> starts a local Spark of its own:", holder.starts_local())
print("> uses the running context:", holder().sparkContext is sc, holder.owned)
holder.stop()
print("> generate:", main(["generate", "--out", raw, "--files", "2", "--records", "50"]))
print("> ingest:", main(["ingest", "--source", raw, "--table", table, "--settle-seconds", "0",
                       "--master", "local[2]"]))
print("> the run's app:", sc.appName, sc.master)
print("> the context still runs:", sc.parallelize(range(4), 2).sum())
sc.stop()
"""


def test_a_bare_spark_context_is_used_and_left_running(tmp_path: Path) -> None:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}  # the user's context's workers
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path / "raw"), str(tmp_path / "table")],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line[2:] for line in done.stdout.splitlines() if line.startswith("> ")]
    assert lines == [
        "starts a local Spark of its own: False",
        "uses the running context: True False",
        "generate: 0",
        "ingest: 0",
        "the run's app: users-own-context local[1]",
        "the context still runs: 6",
    ], done.stdout + done.stderr[-3000:]
