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


def test_make_demo_runs_the_dag_landing_mixed_versions_and_quarantining_two_files(
    tmp_path: Path,
) -> None:
    demo = tmp_path / "demo"
    result = subprocess.run(
        ["make", "demo", f"DEMO_DIR={demo}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert "log_event: 3 version(s), level BACKWARD_TRANSITIVE: ok" in out
    assert "records by writer version: {'1': 2000, '2': 2000, '3': 2000}" in out
    assert "dag_id=ingest_avro_logs state=success" in out
    summary = json.loads(next(line for line in out.splitlines() if line.startswith('{"run_id"')))
    assert {k: summary[k] for k in ("files_seen", "files_ingested", "files_quarantined")} == {
        "files_seen": 8,
        "files_ingested": 6,
        "files_quarantined": 2,
    }
    assert summary["records_by_writer_version"] == {"1": 2000, "2": 2000, "3": 2000}
    assert f"table {demo}/lake/logs: version 1, 6000 rows" in out
    assert "rows by writer schema version: {'1': 2000, '2': 2000, '3': 2000}" in out
    assert "quarantined files: 2" in out
    # ...and it ends by writing the report page, printing where
    last = out.strip().splitlines()[-1]
    assert last.endswith(f"written to {demo}/report.html")
    page = (demo / "report.html").read_text(encoding="utf-8")
    assert page.count('<td class="cell ') == 9
    assert page.count('<rect class="mark"') == 3
    assert (demo / "lake" / "logs" / "_avrolake" / "report.html").is_file()  # reconcile's
