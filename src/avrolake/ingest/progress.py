"""How far a run's decoding is: files, records and bytes done of the total, and the rate.

The Spark runner adds up each finished task's `Progress` (an accumulator) and logs
`progress_line` (docs/cli.md#progress). In local mode the tasks also `note` each file as it
is done in a folder the driver reads (`noted`), so the line moves per file, not per task.
A split file counts as a fraction of a file per split. The records of the files not yet
read are not known before they are decoded (Avro headers hold no count), so while the run
goes the total is estimated from the bytes done (`~`), and it is exact once every file is
done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from avrolake.ingest.plan import SourceFile


class Progress(NamedTuple):
    """What finished tasks did (or, as a total, what the run has to do)."""

    files: float = 0.0  # a split of a file in `parts` splits counts 1/parts
    records: int = 0  # records landed (a quarantined or deferred file adds none)
    bytes: int = 0  # source bytes read

    def plus(self, other: Progress) -> Progress:
        return Progress(
            self.files + other.files, self.records + other.records, self.bytes + other.bytes
        )


def piece_bytes(f: SourceFile) -> int:
    return (f.size if f.end is None else f.end) - f.start


def planned(groups: Sequence[Sequence[SourceFile]]) -> Progress:
    """The total of a run: its files (each once, however split) and their bytes."""
    pieces = [f for group in groups for f in group]
    return Progress(float(len({f.uri for f in pieces})), 0, sum(piece_bytes(f) for f in pieces))


def progress_of(group: Sequence[SourceFile], records: int) -> Progress:
    """What one task did: its files (and splits), their bytes, and the records it landed."""
    return Progress(sum(1 / f.parts for f in group), records, sum(piece_bytes(f) for f in group))


def note(folder: str, source: SourceFile, records: int) -> None:
    """Append one done file (or split) to this worker process's file in `folder`."""
    line = json.dumps([source.uri, source.part, 1 / source.parts, records, piece_bytes(source)])
    with open(Path(folder) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def noted(folder: str) -> Progress:
    """The files (and splits) noted in `folder`, each once (a retried task notes again)."""
    done: dict[tuple[str, int], Progress] = {}
    for path in Path(folder).glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                uri, part, files, records, size = json.loads(line)
            except ValueError:  # a line being written
                continue
            done[(uri, part)] = Progress(files, records, size)
    total = Progress()
    for item in done.values():
        total = total.plus(item)
    return total


def most(a: Progress, b: Progress) -> Progress:
    """The further of two counts of the same run, field by field."""
    return Progress(max(a.files, b.files), max(a.records, b.records), max(a.bytes, b.bytes))


def progress_line(
    label: str,
    done: Progress,
    total: Progress,
    seconds: float,
    running: int | None,
    rate: float | None = None,
) -> str:
    """`ingest: 12/50 files, 2.4M/~10.0M records, 310/1290 MB, 95k records/s, 2 task(s)
    running`; when `running` is None (the end): `…, done in 105 s`. `rate`: records per
    second (None: the average over `seconds`)."""
    finished = done.bytes >= total.bytes
    if finished or done.bytes == 0:
        records = "?" if not finished else _count(done.records)
    else:
        records = "~" + _count(round(done.records * total.bytes / done.bytes))
    mb = 1e6
    digits = 1 if total.bytes < 10 * mb else 0
    if rate is None:
        rate = done.records / seconds if seconds > 0 else 0.0
    tail = f"done in {seconds:.0f} s" if running is None else f"{running} task(s) running"
    return (
        f"{label}: {int(done.files + 1e-6)}/{int(total.files + 1e-6)} files, "
        f"{_count(done.records)}/{records} records, "
        f"{done.bytes / mb:.{digits}f}/{total.bytes / mb:.{digits}f} MB, "
        f"{_rate(rate)} records/s, {tail}"
    )


def _count(n: int) -> str:
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1e3:.1f}k"
    return f"{n / 1e6:.1f}M"


def _rate(r: float) -> str:
    if r >= 1e6:
        return f"{r / 1e6:.1f}M"
    if r >= 10_000:
        return f"{r / 1e3:.0f}k"
    return f"{r:.0f}"
