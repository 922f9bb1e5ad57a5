"""The progress line of a run: files, records and bytes done of the total, and the rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from avrolake.ingest.plan import SourceFile, splits
from avrolake.ingest.progress import Progress, note, noted, planned, progress_line, progress_of

pytestmark = pytest.mark.unit
MB = 1_000_000


@pytest.mark.parametrize(
    ("done", "running", "rate", "line"),
    [
        pytest.param(
            Progress(0, 0, 0),
            2,
            0.0,
            "ingest: 0/50 files, 0/? records, 0/1290 MB, 0 records/s, 2 task(s) running",
            id="nothing-done-yet-the-records-total-is-unknown",
        ),
        pytest.param(
            Progress(12, 2_400_000, 310 * MB),
            2,
            95_000.0,  # while running: the last interval's rate
            "ingest: 12/50 files, 2.4M/~10.0M records, 310/1290 MB, 95k records/s, "
            "2 task(s) running",
            id="while-running-the-records-total-is-estimated-from-the-bytes",
        ),
        pytest.param(
            Progress(50, 9_876_543, 1290 * MB),
            None,
            None,  # at the end: the average over the whole run
            "ingest: 50/50 files, 9.9M/9.9M records, 1290/1290 MB, 99k records/s, done in 100 s",
            id="at-the-end-every-total-is-exact",
        ),
    ],
)
def test_progress_line_counts_files_records_and_bytes_of_the_total(
    done: Progress, running: int | None, rate: float | None, line: str
) -> None:
    assert progress_line("ingest", done, Progress(50, 0, 1290 * MB), 100.0, running, rate) == line


def test_small_runs_show_exact_counts_and_tenths_of_a_megabyte() -> None:
    line = progress_line("ingest", Progress(6, 6000, 312_345), Progress(6, 0, 312_345), 2, None)
    assert line == "ingest: 6/6 files, 6000/6000 records, 0.3/0.3 MB, 3000 records/s, done in 2 s"


def test_a_split_file_counts_once_when_all_its_splits_are_done() -> None:
    big = SourceFile("s3://b/big.avro", "b/big.avro", 300, None)
    pieces = splits(big, 100)
    small = SourceFile("s3://b/small.avro", "b/small.avro", 50, None)
    groups = [[pieces[0], small], [pieces[1]], [pieces[2]]]
    assert planned(groups) == Progress(2.0, 0, 350)
    first = progress_of(groups[0], 15)
    assert (round(first.files, 6), first.records, first.bytes) == (1.333333, 15, 150)
    rest = [progress_of(g, 10) for g in groups[1:]]
    total = first.plus(rest[0]).plus(rest[1])
    assert (int(total.files + 1e-6), total.records, total.bytes) == (2, 35, 350)


def test_noted_files_count_once_even_when_a_retried_task_notes_them_again(
    tmp_path: Path,
) -> None:
    a = SourceFile("/raw/a.avro", "/raw/a.avro", 80, None)
    pieces = splits(SourceFile("/raw/b.avro", "/raw/b.avro", 200, None), 100)
    note(str(tmp_path), a, 7)
    note(str(tmp_path), pieces[1], 3)
    note(str(tmp_path), a, 7)  # the task failed after it, and its retry read `a` again
    (tmp_path / "other.jsonl").write_text('["/raw/b.avro", 0, 0.5, 4, 100]\n["/raw/c.av')
    assert noted(str(tmp_path)) == Progress(2.0, 14, 280)
