"""The ingestion job: discovery, planning, tasks, the one commit, the run summary."""

from avrolake.ingest.discover import SourceFilter, discover, partition_hour, plan_groups
from avrolake.ingest.job import run_ingest
from avrolake.ingest.settings import IngestSettings
from avrolake.ingest.status import table_status
from avrolake.ingest.summary import RunSummary

__all__ = [
    "IngestSettings",
    "RunSummary",
    "SourceFilter",
    "discover",
    "partition_hour",
    "plan_groups",
    "run_ingest",
    "table_status",
]
