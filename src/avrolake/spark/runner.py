"""Run the ingest workers on Spark: one input partition per group of source files.

Each task decodes its files and writes Parquet in its Python worker, so record data never
crosses into the JVM; only each file's typed outcome (`Landed` / `Quarantined`, pickled)
comes back to the driver, which makes the one commit. Each task also adds the files,
records and bytes it did to the run's progress (spark/progress.py).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from avrolake.errors import ConfigError, SparkJobError
from avrolake.ingest import Landed, Outcome, SourceFile, WorkerContext, run_group
from avrolake.ingest.progress import planned, progress_of
from avrolake.spark.lean import skip_pandas_probe
from avrolake.spark.progress import log_done, logged_progress
from avrolake.spark.session import SessionHolder
from avrolake.storage_errors import explain

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 10.0


class SparkRunner:
    """The job's TaskRunner on a Spark session that starts on first use. `progress_every`:
    seconds between progress lines (None: no progress lines, as under `--json`).

    `in_driver_bytes`: a run with at most this much to read, whose holder would start a local
    Spark of its own, runs its one task in this process instead and starts no JVM (the JVM
    and a Python worker cost ~4 CPU-s, the task a fraction of that). A session already
    running (a notebook, a test suite, spark-submit) is always used."""

    def __init__(
        self,
        session: SessionHolder | Any,
        progress_every: float | None = PROGRESS_SECONDS,
        in_driver_bytes: int = 0,
    ) -> None:
        self._session = session  # a SessionHolder, or any callable returning a SparkSession
        self.progress_every = progress_every
        self.in_driver_bytes = in_driver_bytes
        self.in_driver = False

    def prepare(self, work_bytes: int) -> None:
        """Start the session in the background (a plain callable: it is already running),
        unless the run is small enough to read in this process."""
        local = getattr(self._session, "starts_local", None)
        if work_bytes <= self.in_driver_bytes and local is not None and local():
            log.info(
                "%.1f MB to read, one task's worth: reading it in this process, no Spark",
                work_bytes / 1e6,
            )
            self.in_driver = True
            return
        start = getattr(self._session, "start", None)
        if start is not None:
            start()

    def parallelism(self) -> int:
        if self.in_driver:
            return 1
        return int(self._session().sparkContext.defaultParallelism)

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        if not groups:
            return []
        if self.in_driver:
            started = time.monotonic()
            outcomes = [outcome for group in groups for outcome in run_group(group, ctx)]
            if self.progress_every is not None:
                records = sum(o.records for o in outcomes if isinstance(o, Landed))
                total = planned(groups)
                done = progress_of([f for group in groups for f in group], records)
                log_done("ingest", done, total, time.monotonic() - started)
            return outcomes
        spark = self._session()
        local = str(spark.sparkContext.master).startswith("local")
        # local mode: the tasks run on this machine and note each file done (per-file progress)
        folder = tempfile.mkdtemp(prefix="avrolake-progress-") if local else None
        if self.progress_every is not None and folder is not None:
            ctx = replace(ctx, progress_dir=folder)
        rdd = spark.sparkContext.parallelize(groups, numSlices=len(groups))
        total = planned(groups)
        # the workers of a Spark this run started run avrolake's tasks alone
        lean = bool(getattr(self._session, "owned", False))
        try:
            with logged_progress(
                spark, "ingest", total, self.progress_every, ctx.progress_dir
            ) as done:
                try:
                    per_group: list[list[Outcome]] = rdd.map(ingest_task(ctx, lean, done)).collect()
                except Exception as exc:
                    raise workers_failed(exc, spark.sparkContext.pythonExec) from exc
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        return [outcome for outcomes in per_group for outcome in outcomes]


def ingest_task(
    ctx: WorkerContext, lean: bool, done: Any
) -> Callable[[list[SourceFile]], list[Outcome]]:
    """What each Spark task runs on its group of files: `run_group`, adding what it did to the
    `done` accumulator. `lean`: the workers run avrolake's tasks alone (a Spark this run
    started), so pyarrow need not ask whether a value is a pandas object.

    A worker unpickles it, importing the modules it names; avrolake.spark.daemon imports
    them once, before it forks the workers (`PRELOADED` there)."""

    def task(group: list[SourceFile]) -> list[Outcome]:
        if lean:
            skip_pandas_probe()
        outcomes = run_group(group, ctx)
        records = sum(o.records for o in outcomes if isinstance(o, Landed))
        done.add(progress_of(group, records))
        return outcomes

    return task


def workers_failed(exc: Exception, python: str | None) -> Exception:
    """What a failed ingest job tells the user in words, where Spark's own error is a JVM
    stack trace whose first line only names `collectAndServe`: the Python workers' missing
    avrolake; a task's Python error (the last line of its traceback); a crashed worker (whose
    text holds a socket reset that is no storage problem). A task's storage problem, or an
    error of another kind, is `exc` itself (the CLI explains known storage problems)."""
    text = str(exc)
    if "No module named 'avrolake'" in text:
        return ConfigError(
            f"the Spark job's Python workers run {python or 'python3'}, which cannot import "
            "avrolake (ModuleNotFoundError: No module named 'avrolake'). Install avrolake "
            "there, or point PYSPARK_PYTHON at a Python that has it (on a cluster, on every "
            "worker). Nothing was committed."
        )
    found = _TRACEBACK.search(text)
    if found is not None:
        lines = [line.strip() for line in found.group(1).splitlines() if line.strip()]
        error = lines[-1] if lines else "an error"
        if explain(Exception(error)) is not None:
            return exc  # a storage problem: the CLI says it in words, with the endpoint
        cause = f"a task raised {error}"
    elif _CRASHED in text:  # Spark's text then holds a socket reset: not a storage problem
        cause = (
            "a Python worker exited unexpectedly (the system stopped it; running out of "
            "memory is the usual cause: lower --split-mb, or give the workers more memory)"
        )
    else:
        return exc
    return SparkJobError(
        f"the Spark job failed: {cause}. Nothing was committed; the next run reads these "
        "files again."
    )


# A task's Python traceback inside Spark's error (a Py4JJavaError's "PythonException:
# [PYTHON_EXCEPTION] An exception was thrown from the Python worker: Traceback ...", or a
# session's PythonException), up to its SQLSTATE line, a blank line or a JVM frame.
_TRACEBACK = re.compile(
    r"Traceback \(most recent call last\):\n(.*?)(?=\n\s*SQLSTATE|\n\s*\n|\n\tat |\Z)", re.S
)
_CRASHED = "Python worker exited unexpectedly"
