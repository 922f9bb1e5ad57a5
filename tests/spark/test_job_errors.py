"""A failed ingest job says what failed, from Spark's real error.

Spark's error for a failed job is a JVM stack trace whose first line (all the CLI printed)
names only `collectAndServe`: `Py4JJavaError: An error occurred while calling
z:org.apache.spark.api.python.PythonRDD.collectAndServe.`, exit 1. A crashed Python worker
was worse: its text holds `java.net.SocketException: Connection reset`, which the CLI read
as "cannot connect to S3" even for a local run. `workers_failed` now gives the task's Python
error (the last line of its traceback), or the crash, in words; a task's storage problem is
left to the CLI's storage explanations."""

from __future__ import annotations

import os
from typing import Any

import pytest

from avrolake.errors import SparkJobError
from avrolake.spark.runner import workers_failed
from avrolake.storage_errors import explain

pytestmark = pytest.mark.spark

AFTER = ". Nothing was committed; the next run reads these files again."


def failed_job(spark: Any, task: Any) -> Exception:
    with pytest.raises(Exception, match=r"Traceback|exited unexpectedly") as info:
        spark.sparkContext.parallelize([0], 1).map(task).collect()
    return info.value


def raises_value_error(_: int) -> int:
    raise ValueError("block 3 of s3://raw/a.avro: no sync marker")


def raises_storage_error(_: int) -> int:
    raise OSError(
        "When reading information for key 'a.avro' in bucket 'raw': AWS Error "
        "NETWORK_CONNECTION during HeadObject operation: curlCode: 7, Couldn't connect to server"
    )


def crashes(_: int) -> int:
    os._exit(3)


def test_a_task_s_python_error_is_its_traceback_s_last_line(spark: Any) -> None:
    exc = failed_job(spark, raises_value_error)
    said = workers_failed(exc, None)
    assert isinstance(said, SparkJobError)
    assert str(said) == (
        "the Spark job failed: a task raised ValueError: block 3 of s3://raw/a.avro: no sync "
        "marker" + AFTER
    )
    assert said.exit_code == 1


def test_a_task_s_storage_problem_is_left_to_the_storage_explanations(spark: Any) -> None:
    exc = failed_job(spark, raises_storage_error)
    assert workers_failed(exc, None) is exc
    known = explain(exc, endpoint="http://127.0.0.1:9000")
    assert known is not None
    assert known.problem.value == "endpoint", known


def test_a_crashed_worker_is_said_as_a_crash_not_as_storage(spark: Any) -> None:
    exc = failed_job(spark, crashes)
    said = workers_failed(exc, None)
    assert isinstance(said, SparkJobError)
    assert str(said) == (
        "the Spark job failed: a Python worker exited unexpectedly (the system stopped it; "
        "running out of memory is the usual cause: lower --split-mb, or give the workers more "
        "memory)" + AFTER
    )
