"""A local avrolake Spark: its Python workers import pyspark from the installed, compiled
copy (not pyspark.zip), and its driver never imports pyspark.testing (and pandas with it)
to convert arguments for the JVM (avrolake.spark.daemon, avrolake.spark.lean)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from avrolake.spark.session import DAEMON_MODULE
from tests.conftest import ROOT

pytestmark = pytest.mark.spark


def where_pyspark_comes_from(_: int) -> tuple[str, str]:
    import pyspark

    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    return (spec.name if spec is not None else "", str(pyspark.__file__))


def test_the_workers_of_a_local_session_import_the_installed_pyspark(spark: Any) -> None:
    seen = spark.sparkContext.parallelize([0, 1], 2).map(where_pyspark_comes_from).collect()

    site = str(ROOT / ".venv")
    for daemon, pyspark_file in seen:
        assert daemon == DAEMON_MODULE
        assert pyspark_file.startswith(site), pyspark_file
        assert ".zip" not in pyspark_file, pyspark_file


def what_the_worker_started_with(_: int) -> tuple[list[str], str | None, str | None]:
    import os

    from avrolake.spark.daemon import PRELOADED

    return (
        [m for m in PRELOADED if m not in sys.modules],
        os.environ.get("OPENBLAS_NUM_THREADS"),
        os.environ.get("JE_ARROW_MALLOC_CONF"),
    )


def test_the_workers_of_a_local_session_start_with_the_daemons_preloaded_modules(
    spark: Any,
) -> None:
    """The daemon imported them before it forked this worker, without starting a thread
    (avrolake.spark.daemon.QUIET_THREADS)."""
    seen = spark.sparkContext.parallelize([0, 1], 2).map(what_the_worker_started_with).collect()

    assert seen == [([], "1", "background_thread:false")] * 2


DRIVER = """
import sys
import numpy as np
from avrolake.spark.session import build_context, spark_environment
import os
spark_environment(os.environ, "local[1]", sys.executable)
spark = build_context("local[1]", sys.executable, app_name="avrolake-lean-test")
jvm = spark.sparkContext._jvm
print("pyspark.testing imported:", "pyspark.testing" in sys.modules)
print("array:", jvm.java.util.Arrays.toString(np.array([3, -1], dtype=np.int64)))
print("scalar:", jvm.java.lang.Math.abs(np.int64(-7)))
print("rows:", spark.sparkContext.parallelize(range(4), 2).map(lambda x: x * 2).sum())
spark.stop()
"""


def test_the_ingests_driver_converts_numpy_values_without_importing_pyspark_testing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "pyspark.testing imported: False",
        "array: [3, -1]",
        "scalar: 7",
        "rows: 12",
    ]
