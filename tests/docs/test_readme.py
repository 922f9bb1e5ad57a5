"""The README's quickstart, run as written, so the docs cannot rot."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.docs
README = (ROOT / "README.md").read_text()


def test_readme_quickstart_is_exactly_make_demo_and_make_test() -> None:
    block = re.search(r"## Quickstart.*?```bash\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


def test_make_demo_lands_two_subjects_in_two_layouts_through_their_dags(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    result = subprocess.run(
        ["make", "demo", f"DEMO_DIR={demo}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert "log_event: 3 version(s), level BACKWARD_TRANSITIVE: ok" in out
    assert "orders: 3 version(s), level BACKWARD_TRANSITIVE: ok" in out
    assert "dag_id=ingest_log_event state=success" in out
    assert "dag_id=ingest_orders state=success" in out
    summaries = [json.loads(line) for line in out.splitlines() if line.startswith('{"run_id"')]
    counts = ("files_seen", "files_ingested", "files_quarantined", "records_by_writer_version")
    assert [{k: s[k] for k in counts} for s in summaries] == [
        {
            "files_seen": 8,
            "files_ingested": 6,
            "files_quarantined": 2,
            "records_by_writer_version": {"1": 2000, "2": 2000, "3": 2000},
        },
        {
            "files_seen": 3,
            "files_ingested": 3,
            "files_quarantined": 0,
            "records_by_writer_version": {"1": 1000, "2": 1000, "3": 1000},
        },
    ]
    assert f"table {demo}/lake/logs: version 1, 6000 rows" in out
    assert f"table {demo}/lake/orders: version 1, 3000 rows" in out
    assert "quarantined files: 2" in out
    assert f"written to {demo}/report.html" in out
    page = (demo / "report.html").read_text(encoding="utf-8")
    assert page.count('<td class="cell ') == 9
    assert page.count('<rect class="mark"') == 3
    assert (demo / "lake" / "logs" / "_avrolake" / "report.html").is_file()  # reconcile's
    assert (demo / "lake" / "orders" / "_avrolake" / "report.html").is_file()
    # ...and it ends with the index page of both subjects
    assert out.strip().splitlines()[-1] == (
        "index of 2 subject(s) (log_event quarantined, orders ok) written to "
        f"{demo}/site/index.html"
    )
    assert sorted(p.name for p in (demo / "site").iterdir()) == [
        "index.html", "log_event.html", "orders.html",
    ]  # fmt: skip
