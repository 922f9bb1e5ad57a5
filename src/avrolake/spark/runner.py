"""Run the ingest workers on Spark: one input partition per group of source files.

Each task decodes its files and writes Parquet in its Python worker, so record data never
crosses into the JVM; only each file's typed outcome (`Landed` / `Quarantined`, pickled)
comes back to the driver, which makes the one commit. Each task also adds the files,
records and bytes it did to the run's progress (spark/progress.py).
"""

from __future__ import annotations

from typing import Any

from avrolake.ingest import Outcome, SourceFile, WorkerContext, run_group
from avrolake.ingest.progress import planned, progress_of
from avrolake.spark.progress import logged_progress
from avrolake.spark.session import SessionHolder

PROGRESS_SECONDS = 10.0


class SparkRunner:
    """The job's TaskRunner on a Spark session that starts on first use. `progress_every`:
    seconds between progress lines (None: no progress lines, as under `--json`)."""

    def __init__(
        self, session: SessionHolder | Any, progress_every: float | None = PROGRESS_SECONDS
    ) -> None:
        self._session = session  # a SessionHolder, or any callable returning a SparkSession
        self.progress_every = progress_every

    def parallelism(self) -> int:
        return int(self._session().sparkContext.defaultParallelism)

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        if not groups:
            return []
        spark = self._session()
        rdd = spark.sparkContext.parallelize(groups, numSlices=len(groups))
        with logged_progress(spark, "ingest", planned(groups), self.progress_every) as done:

            def task(group: list[SourceFile]) -> list[Outcome]:
                outcomes = run_group(group, ctx)
                done.add(progress_of(group, outcomes))
                return outcomes

            per_group: list[list[Outcome]] = rdd.map(task).collect()
        return [outcome for outcomes in per_group for outcome in outcomes]
