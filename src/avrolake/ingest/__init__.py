"""The ingestion job: plan (discover, group), worker (one group -> typed outcomes), job.

Its names are imported on first use (avrolake.lazy): a Spark worker imports
`avrolake.ingest.worker` alone, not the job around it.
"""

from typing import TYPE_CHECKING

from avrolake.lazy import lazy_exports

if TYPE_CHECKING:
    from avrolake.ingest.job import SerialRunner, Target, TaskRunner, resolve_target, run_ingest
    from avrolake.ingest.plan import (
        Listing,
        SourceFile,
        discover,
        list_source,
        log_outside,
        partition_hour,
        plan_groups,
    )
    from avrolake.ingest.summary import RunSummary
    from avrolake.ingest.worker import Landed, Outcome, Quarantined, WorkerContext, run_group

__all__ = [
    "Landed",
    "Listing",
    "Outcome",
    "Quarantined",
    "RunSummary",
    "SerialRunner",
    "SourceFile",
    "Target",
    "TaskRunner",
    "WorkerContext",
    "discover",
    "list_source",
    "log_outside",
    "partition_hour",
    "plan_groups",
    "resolve_target",
    "run_group",
    "run_ingest",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "job": ("SerialRunner", "Target", "TaskRunner", "resolve_target", "run_ingest"),
        "plan": (
            "Listing",
            "SourceFile",
            "discover",
            "list_source",
            "log_outside",
            "partition_hour",
            "plan_groups",
        ),
        "summary": ("RunSummary",),
        "worker": ("Landed", "Outcome", "Quarantined", "WorkerContext", "run_group"),
    },
)
