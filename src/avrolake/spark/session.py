"""Build the SparkSession the job runs on (local[N] or a standalone spark://host:7077)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)


def build_session(master: str | None, app_name: str = "avrolake-ingest") -> Any:
    """A session whose Python workers run this interpreter, with UTC timestamps.

    master None keeps the one spark-submit was given.
    """
    from pyspark.sql import SparkSession

    # Python workers must run this interpreter (it has avrolake and its pinned dependencies).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    local = master is not None and master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode needs no network
    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    if local:
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    builder = (
        builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.python.worker.reuse", "true")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # pyspark sets it to INFO
    return spark


class SessionHolder:
    """Builds the session on first use, so runs with nothing to do never start Spark."""

    def __init__(self, master: str | None) -> None:
        self.master = master
        self.session: Any = None

    def __call__(self) -> Any:
        if self.session is None:
            self.session = build_session(self.master)
        return self.session

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session = None


@contextmanager
def progress_logger(spark: Any, label: str, every_s: float = 10.0) -> Iterator[None]:
    """Log finished/total tasks of the running stages every `every_s` seconds."""
    tracker = spark.sparkContext.statusTracker()
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(every_s):
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None:
                    log.info(
                        "%s: %d/%d tasks done (%d running)",
                        label,
                        info.numCompletedTasks,
                        info.numTasks,
                        info.numActiveTasks,
                    )

    thread = threading.Thread(target=report, name="avrolake-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)
