"""The run summary: every file seen is ingested, skipped, quarantined, deferred or a duplicate.

docs/cli.md is its contract; fields are only ever added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# the run summary lists at most this many of the files outside the source's layout
OUTSIDE_SHOWN = 20


@dataclass
class RunSummary:
    run_id: str
    files_seen: int = 0
    files_ingested: int = 0
    files_skipped: int = 0
    files_quarantined: int = 0
    files_deferred: int = 0  # modified too recently, or changed while read: a later run
    files_duplicate: int = 0  # byte-identical to a landed file: reported, not landed twice
    files_replaced: int = 0  # of files_ingested: changed after landing, rows replaced
    files_late: int = 0  # of files_ingested: in a partition older than the run's interval
    records_written: int = 0
    table_version: int | None = None
    records_by_writer_version: dict[str, int] = field(default_factory=dict)
    records_by_decode_path: dict[str, int] = field(default_factory=dict)  # native, fastavro
    planning_seconds: float = 0.0  # listing, the ledger and the plan, before any file is read
    quarantined: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    # of files_skipped: decided by a concurrent run that committed first (not an error)
    files_decided_concurrently: int = 0
    late: list[str] = field(default_factory=list)
    # a sweep's listing: {"mode": "full"|"new", "after": the mark (new: keys after it)}; {}
    # for an interval run
    sweep: dict[str, str | None] = field(default_factory=dict)
    # files under the source that do not match its layout (not read, not in files_seen);
    # `outside_layout` shows the first OUTSIDE_SHOWN by path
    files_outside_layout: int = 0
    outside_layout: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def accounted(self) -> bool:
        done = (
            self.files_ingested
            + self.files_skipped
            + self.files_quarantined
            + self.files_deferred
            + self.files_duplicate
        )
        return done == self.files_seen
