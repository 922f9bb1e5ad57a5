"""The names real producers give their files, per source layout preset (docs/cli.md).

- hive: `dt=YYYY-MM-DD/hour=HH/<subject>-v<N>-<index>.avro` (avrolake's own demo layout)
- kafka-connect: `partition=<p>/<topic>+<p>+<startOffset>.avro` (the S3 sink's default
  partitioner; offsets zero-padded to 10 digits, as the sink does)
- kafka-connect-time: `year=YYYY/month=MM/day=dd/hour=HH/<topic>+<p>+<startOffset>.avro`
- flink: `yyyy-MM-dd--HH/part-<uuid>-<subtask>-<n>` (FileSink's defaults: no suffix); its
  in-progress file is `.part-<uuid>-<subtask>-<n>.inprogress.<uuid>`, hidden
- none: `<subject>-v<N>-<index>.avro` at the top of the prefix
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime

from avrolake.registry.source_layout import PRESET_NAMES

KAFKA_PARTITIONS = 3  # files go round-robin to this many Kafka partitions
FLINK_SUBTASKS = 2  # ... and to this many Flink subtasks


@dataclass(frozen=True)
class FileNames:
    """Names files for one layout preset; `topic` names Kafka Connect files."""

    layout: str
    topic: str
    seed: int
    records: int  # per file: Kafka offsets advance by it

    def __post_init__(self) -> None:
        if self.layout not in PRESET_NAMES:
            raise ValueError(
                f"unknown layout {self.layout!r}; use one of {', '.join(PRESET_NAMES)}"
            )

    @property
    def job_uuid(self) -> str:
        """Flink's part-file uuid: one per (seeded) job run, independent of the data."""
        return str(uuid.UUID(int=random.Random(self.seed).getrandbits(128), version=4))

    def name(self, stem: str, index: int, hour: datetime) -> str:
        """The relative path of file number `index` (of event hour `hour`); `stem` is the
        hive/none name without its suffix (`<subject>-v<N>-<index>[-corrupt-<kind>]`)."""
        if self.layout == "hive":
            return f"{hour:dt=%Y-%m-%d/hour=%H}/{stem}.avro"
        if self.layout == "none":
            return f"{stem}.avro"
        if self.layout == "flink":
            subtask, n = index % FLINK_SUBTASKS, index // FLINK_SUBTASKS
            return f"{hour:%Y-%m-%d--%H}/part-{self.job_uuid}-{subtask}-{n}"
        partition = index % KAFKA_PARTITIONS
        offset = (index // KAFKA_PARTITIONS) * self.records
        name = f"{self.topic}+{partition}+{offset:010d}.avro"
        if self.layout == "kafka-connect":
            return f"partition={partition}/{name}"
        return f"{hour:year=%Y/month=%m/day=%d/hour=%H}/{name}"

    def in_progress(self, stem: str, index: int, hour: datetime) -> str:
        """A file still being written, named as its producer hides it until it is finished:
        `.part-….inprogress.<uuid>` beside Flink's part files, `.<name>.inprogress.<uuid>`
        for the others."""
        folder, _, name = self.name(stem, index, hour).rpartition("/")
        marker = uuid.UUID(int=random.Random(self.seed + index).getrandbits(128), version=4)
        hidden = f".{name}.inprogress.{marker}"
        return f"{folder}/{hidden}" if folder else hidden


def finished_name(in_progress: str) -> str:
    """The name an in-progress file gets when it is finished (its producer renames it)."""
    folder, _, name = in_progress.rpartition("/")
    finished = name.removeprefix(".").split(".inprogress.", 1)[0]
    return f"{folder}/{finished}" if folder else finished
