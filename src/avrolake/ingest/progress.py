"""How far a run's decoding is: files, records and bytes done of the total, and the rate.

Pure: the Spark runner adds up each finished task's `Progress` (an accumulator) and logs
`progress_line` (docs/cli.md#progress). A split file counts as a fraction of a file per
split. The records of the files not yet read are not known before they are decoded (Avro
headers hold no count), so while the run goes the total is estimated from the bytes done
(`~`), and it is exact once every file is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from avrolake.ingest.plan import SourceFile
from avrolake.ingest.worker import Landed, Outcome


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


def progress_of(group: Sequence[SourceFile], outcomes: Sequence[Outcome]) -> Progress:
    """What one task did: its files (and splits), their bytes, and the records it landed."""
    return Progress(
        sum(1 / f.parts for f in group),
        sum(o.records for o in outcomes if isinstance(o, Landed)),
        sum(piece_bytes(f) for f in group),
    )


def progress_line(
    label: str, done: Progress, total: Progress, seconds: float, running: int | None
) -> str:
    """`ingest: 12/50 files, 2.4M/~10.0M records, 310/1290 MB, 95k records/s, 2 task(s)
    running`; when `running` is None (the end): `…, done in 105 s`."""
    finished = done.bytes >= total.bytes
    if finished or done.bytes == 0:
        records = "?" if not finished else _count(done.records)
    else:
        records = "~" + _count(round(done.records * total.bytes / done.bytes))
    mb = 1e6
    digits = 1 if total.bytes < 10 * mb else 0
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
