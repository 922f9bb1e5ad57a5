"""Progress of the ingest tasks on the driver: each finished task adds what it did to an
accumulator, and a thread logs `progress_line` every few seconds (docs/cli.md#progress).

Spark hands a task's accumulator updates to the driver when the task ends, so on a cluster
progress moves per finished task (`--split-mb`, smaller tasks, makes it finer). In local mode
the tasks run on this machine and also note each file as it is done in a folder
(`ingest.progress.note`), so there the line moves per file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyspark.accumulators import AccumulatorParam

from avrolake.ingest.progress import Progress, most, noted, progress_line

log = logging.getLogger(__name__)


class ProgressParam(AccumulatorParam[Progress]):
    def zero(self, value: Progress) -> Progress:
        return Progress()

    def addInPlace(self, value1: Progress, value2: Progress) -> Progress:
        return value1.plus(value2)


@contextmanager
def logged_progress(
    spark: Any, label: str, total: Progress, every_s: float | None, folder: str | None = None
) -> Iterator[Any]:
    """An accumulator for the tasks to add their `Progress` to; while the block runs, a line
    every `every_s` seconds, and one at the end (None: nothing logged). `folder`: where the
    tasks note each file done (local mode), read as well."""
    context = spark.sparkContext
    done = context.accumulator(Progress(), ProgressParam())
    started = time.monotonic()
    stop = threading.Event()

    def running() -> int:
        tracker = context.statusTracker()
        stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
        return sum(s.numActiveTasks for s in stages if s is not None)

    def so_far() -> Progress:
        return done.value if folder is None else most(done.value, noted(folder))

    def report() -> None:
        before = 0
        while every_s is not None and not stop.wait(every_s):
            now = so_far()  # the rate of the last interval; the last line has the average
            rate = (now.records - before) / every_s
            line = progress_line(label, now, total, time.monotonic() - started, running(), rate)
            log.info("%s", line)
            before = now.records

    thread = threading.Thread(target=report, name="avrolake-progress", daemon=True)
    thread.start()
    try:
        yield done
    finally:
        stop.set()
        thread.join(timeout=1)
    if every_s is not None:
        log_done(label, so_far(), total, time.monotonic() - started)


def log_done(label: str, done: Progress, total: Progress, seconds: float) -> None:
    """The last progress line: the exact totals and the time taken."""
    log.info("%s", progress_line(label, done, total, seconds, None))
