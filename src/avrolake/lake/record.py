"""The run record: what one run decided about each source file, carried by its ONE commit.

The typed model of the commit-info key `avrolake` (docs/table.md#the-commit). `to_json` is
its only writer and `RunRecord.from_commit` its only reader: the ledger, the commit's
conflict check, `status`, the report and the quarantine lookup all read a run through it.

The JSON shape is the one tables have always carried (older records simply lack the newer
keys, which read as empty or false):

    {"run_id", "subject", "reader_version", "reader_fingerprint", "quarantine_table",
     "source_files": [{"path", "writer_version", "writer_fingerprint", "records", "size",
                       "mtime_ms", "etag", "sync_marker", "digest", "data_files",
                       "records_by_path", "replaced", "late", "rescued"}],
     "quarantined_files": [path, ...],
     "quarantined": [{"path", "error_kind", "message", "size", "mtime_ms",
                      "writer_fingerprint", "replaced"}],
     "duplicates": [{"path", "copy_of", "size", "mtime_ms", "sync_marker", "digest",
                     "replaced"}],
     "deferred": [path, ...]}

`replaced` (on any decision): the file had landed before and changed; this same commit removes
its earlier rows. `late` (landed): its partition is older than the run's own interval.
`rescued` (landed): the field paths of its unregistered writer kept in `_rescued_data`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

COMMIT_INFO_KEY = "avrolake"  # the commit-info key holding a run's record (docs/table.md)
# The commit-info key Spark's DESCRIBE HISTORY shows (its `userMetadata` column): one line
# per run, beside the record that only avrolake reads (docs/interop.md).
USER_METADATA_KEY = "userMetadata"


@dataclass(frozen=True)
class LandedFile:
    """A source whose rows this commit adds."""

    path: str
    records: int
    writer_version: int | None = None
    writer_fingerprint: str | None = None
    size: int | None = None
    mtime_ms: int | None = None
    etag: str | None = None
    sync_marker: str | None = None
    digest: str | None = None
    data_files: tuple[str, ...] = ()
    records_by_path: tuple[tuple[str, int], ...] = ()
    replaced: bool = False
    late: bool = False
    rescued: tuple[str, ...] = ()  # field paths kept in `_rescued_data` (an unknown writer's)


@dataclass(frozen=True)
class QuarantinedFile:
    """A source that could not be landed (the quarantine table has the full row)."""

    path: str
    error_kind: str | None = None
    message: str | None = None
    size: int | None = None
    mtime_ms: int | None = None
    writer_fingerprint: str | None = None
    replaced: bool = False


@dataclass(frozen=True)
class DuplicateFile:
    """A byte-identical copy of a landed source's content: never landed on its own."""

    path: str
    copy_of: str | None = None
    size: int | None = None
    mtime_ms: int | None = None
    sync_marker: str | None = None
    digest: str | None = None
    replaced: bool = False


@dataclass(frozen=True)
class RunRecord:
    """One run's decisions; the one writer and the one reader of the stored JSON."""

    run_id: str | None
    subject: str | None = None
    reader_version: int | None = None
    reader_fingerprint: str | None = None
    quarantine_table: str | None = None
    landed: tuple[LandedFile, ...] = ()
    quarantined: tuple[QuarantinedFile, ...] = ()
    duplicates: tuple[DuplicateFile, ...] = ()
    deferred: tuple[str, ...] = field(default=())

    def files(self) -> list[LandedFile | QuarantinedFile | DuplicateFile]:
        """Every decision of the run."""
        files: list[LandedFile | QuarantinedFile | DuplicateFile] = [*self.landed]
        return [*files, *self.quarantined, *self.duplicates]

    def decided(self) -> set[str]:
        """Every source this run landed, quarantined or found a duplicate."""
        return {f.path for f in self.files()}

    def replaced(self) -> set[str]:
        """Sources that had landed before and whose earlier rows this commit removes."""
        return {f.path for f in self.files() if f.replaced}

    def without(self, paths: Iterable[str]) -> RunRecord:
        """The record less the decisions about `paths` (another run decided them first)."""
        drop = set(paths)
        return replace(
            self,
            landed=tuple(f for f in self.landed if f.path not in drop),
            quarantined=tuple(f for f in self.quarantined if f.path not in drop),
            duplicates=tuple(f for f in self.duplicates if f.path not in drop),
        )

    def history_line(self) -> str:
        """The run in one line, for readers of the history (Spark's DESCRIBE HISTORY)."""
        records = sum(f.records for f in self.landed)
        return (
            f"avrolake run {self.run_id}: subject {self.subject} reader v{self.reader_version}, "
            f"{len(self.landed)} file(s), {records} records, {len(self.quarantined)} quarantined"
        )

    def to_json(self) -> str:
        """The stored shape (module docstring): the only place it is written."""
        return json.dumps(
            {
                "run_id": self.run_id,
                "subject": self.subject,
                "reader_version": self.reader_version,
                "reader_fingerprint": self.reader_fingerprint,
                "quarantine_table": self.quarantine_table,
                "source_files": [_landed_json(f) for f in self.landed],
                "quarantined_files": [f.path for f in self.quarantined],
                "quarantined": [_plain(f) for f in self.quarantined],
                "duplicates": [_plain(f) for f in self.duplicates],
                "deferred": list(self.deferred),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        """The only reader of the stored shape; records written by any earlier version read."""
        meta = json.loads(text)
        if not isinstance(meta, dict):
            return cls(None)
        details = {q["path"]: q for q in meta.get("quarantined") or []}
        return cls(
            run_id=meta.get("run_id"),
            subject=meta.get("subject"),
            reader_version=meta.get("reader_version"),
            reader_fingerprint=meta.get("reader_fingerprint"),
            quarantine_table=meta.get("quarantine_table") or None,
            landed=tuple(_landed(s) for s in meta.get("source_files") or []),
            quarantined=tuple(
                _known(QuarantinedFile, {**details.get(path, {}), "path": path})
                for path in meta.get("quarantined_files") or []
            ),
            duplicates=tuple(_known(DuplicateFile, d) for d in meta.get("duplicates") or []),
            deferred=tuple(meta.get("deferred") or ()),
        )

    @classmethod
    def from_commit(cls, commit: Mapping[str, Any]) -> RunRecord | None:
        """The record a commit (an entry of `DeltaTable.history()`) carries, if any."""
        text = commit.get(COMMIT_INFO_KEY)
        return cls.from_json(text) if isinstance(text, str) else None


def _plain(f: QuarantinedFile | DuplicateFile) -> dict[str, Any]:
    return dict(f.__dict__)


def _landed_json(f: LandedFile) -> dict[str, Any]:
    value = dict(f.__dict__)
    value["data_files"] = list(f.data_files)
    value["records_by_path"] = dict(f.records_by_path)
    value["rescued"] = list(f.rescued)
    return value


def _landed(s: Mapping[str, Any]) -> LandedFile:
    value = {**s, "records": int(s.get("records") or 0)}
    value["data_files"] = tuple(s.get("data_files") or ())
    value["records_by_path"] = tuple(sorted((s.get("records_by_path") or {}).items()))
    value["rescued"] = tuple(s.get("rescued") or ())
    landed: LandedFile = _known(LandedFile, value)
    return landed


def _known(kind: Any, value: Mapping[str, Any]) -> Any:
    """`kind` built from the keys it knows (a newer writer's extra keys are left out)."""
    names = kind.__dataclass_fields__
    return kind(**{k: v for k, v in value.items() if k in names})
