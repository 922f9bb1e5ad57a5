"""The run summary: every file seen is ingested, skipped or quarantined."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunSummary:
    run_id: str
    files_seen: int = 0
    files_ingested: int = 0
    files_skipped: int = 0
    files_quarantined: int = 0
    records_written: int = 0
    table_version: int | None = None
    records_by_writer_version: dict[str, int] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def accounted(self) -> bool:
        done = self.files_ingested + self.files_skipped + self.files_quarantined
        return done == self.files_seen
