"""Run the ingest workers on Spark: one input partition per group of source files.

Each task decodes its files and writes Parquet in its Python worker, so record data never
crosses into the JVM; only each file's typed outcome (`Landed` / `Quarantined`, pickled)
comes back to the driver, which makes the one commit.
"""

from __future__ import annotations

from typing import Any

from avrolake.ingest import Outcome, SourceFile, WorkerContext, run_group
from avrolake.spark.session import SessionHolder, progress_logger


class SparkRunner:
    """The job's TaskRunner on a Spark session that starts on first use."""

    def __init__(self, session: SessionHolder | Any) -> None:
        self._session = session  # a SessionHolder, or any callable returning a SparkSession

    def prepare(self) -> None:
        """Start the session in the background (a plain callable: it is already running)."""
        start = getattr(self._session, "start", None)
        if start is not None:
            start()

    def parallelism(self) -> int:
        return int(self._session().sparkContext.defaultParallelism)

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        if not groups:
            return []
        spark = self._session()
        rdd = spark.sparkContext.parallelize(groups, numSlices=len(groups))
        with progress_logger(spark, "ingest"):
            per_group: list[list[Outcome]] = rdd.map(lambda group: run_group(group, ctx)).collect()
        return [outcome for outcomes in per_group for outcome in outcomes]
