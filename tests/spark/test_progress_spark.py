"""`avrolake ingest` on local[2] logs its progress on stderr: files, records and bytes done of
the total with a rate, and a last line with the exact totals; `--json` logs none of it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs

pytestmark = pytest.mark.spark
PROGRESS = re.compile(r"INFO avrolake\.spark\.progress: (ingest: .*)$", re.M)


def run(tmp: Path, *extra: str) -> int:
    return main(
        [
            "ingest",
            "--source",
            str(tmp / "raw"),
            "--table",
            str(tmp / "lake" / "logs"),
            "--registry",
            str(SHIPPED_REGISTRY),
            *extra,
        ]
    )


def test_ingest_ends_with_a_progress_line_of_the_exact_totals(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=6, records=1000, seed=11)
    size = sum(p.stat().st_size for p in (tmp_path / "raw").rglob("*.avro"))
    assert run(tmp_path) == 0
    lines = PROGRESS.findall(capsys.readouterr().err)
    mb = f"{size / 1e6:.1f}"
    assert re.fullmatch(
        rf"ingest: 6/6 files, 6000/6000 records, {mb}/{mb} MB, [\d.]+[kM]? records/s, "
        r"done in \d+ s",
        lines[-1],
    ), lines
    assert all(line.endswith("task(s) running") for line in lines[:-1]), lines


def test_ingest_json_logs_no_progress_and_ends_with_the_summary(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=2, records=500, seed=12)
    assert run(tmp_path, "--json") == 0
    out, err = capsys.readouterr()
    assert PROGRESS.findall(err) == []
    assert json.loads(out.strip().splitlines()[-1])["records_written"] == 1000
