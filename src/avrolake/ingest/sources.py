"""Source files: what discovery finds and tasks read."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SourceFile:
    uri: str  # s3://bucket/key or an absolute local path: the file's identity in the table
    path: str  # the path in its filesystem
    size: int
    mtime_ms: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceFile:
        return cls(**data)
