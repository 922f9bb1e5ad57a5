"""The index page (`avrolake report --index`): one row per deployed subject with its table's
health and last run, linking each table's page; a missing or unreadable table is a row
that says so (docs/report.md#the-index-page)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from avrolake.cli import main
from tests.conftest import REPO_REGISTRY
from tests.unit.test_report_data import Landed, land_two_hours

pytestmark = pytest.mark.unit
ROW = re.compile(
    r'<tr class="subject [a-z]+" data-subject="([^"]+)" data-state="([a-z]+)" '
    r'data-rows="(\d*)">.*?</tr>',
    re.S,
)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Landed:
    return land_two_hours(tmp_path_factory.mktemp("index"))


def deploy(registry: Path, subject: str, settings: dict[str, object]) -> None:
    shutil.copytree(REPO_REGISTRY / "log_event", registry / subject)
    (registry / subject / "table.json").write_text(json.dumps(settings))


@pytest.fixture
def registry(tmp_path: Path, landed: Landed) -> Path:
    root = tmp_path / "schemas"
    deploy(root, "log_event", {"table": landed.table.uri})  # landed: two runs
    deploy(root, "not_yet", {"table": str(tmp_path / "lake" / "not_yet")})  # no run yet
    deploy(root, "rootless", {"table": "relative/t"})  # no AVROLAKE_LAKE_ROOT to resolve
    shutil.copytree(REPO_REGISTRY / "log_event", root / "undeployed")
    (root / "undeployed" / "table.json").unlink()  # no table.json: not deployed
    return root


def test_the_index_lists_every_deployed_subject_with_health_and_last_run(
    registry: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AVROLAKE_LAKE_ROOT", raising=False)
    monkeypatch.delenv("AVROLAKE_RAW_ROOT", raising=False)
    out = tmp_path / "site"
    assert main(["report", "--index", "--registry", str(registry), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        "index of 3 subject(s) (log_event quarantined, not_yet missing, rootless unreadable) "
        f"written to {out / 'index.html'}"
    )
    page = (out / "index.html").read_text(encoding="utf-8")
    assert ROW.findall(page) == [
        ("log_event", "quarantined", "300"),
        ("not_yet", "missing", ""),
        ("rootless", "unreadable", ""),
    ]
    rows = {m.group(1): m.group(0) for m in ROW.finditer(page)}
    assert '<a href="log_event.html">log_event</a>' in rows["log_event"]
    assert "<code>run-h1</code> · 150 rows, 3 file(s), 1 quarantined" in rows["log_event"]
    assert "2 file(s) in quarantine" in rows["log_event"]
    assert "<a href" not in rows["not_yet"]
    assert "set AVROLAKE_LAKE_ROOT" in rows["rootless"]
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "log_event.html"]
    table_page = (out / "log_event.html").read_text(encoding="utf-8")
    assert table_page.count('<td class="cell ') == 9  # the table's own report page


def test_the_index_escapes_what_it_shows(registry: Path, tmp_path: Path) -> None:
    deploy(registry, "x<script>", {"table": str(tmp_path / "lake" / "<b>")})
    out = tmp_path / "site"
    assert main(["report", "--index", "--registry", str(registry), "--out", str(out)]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "x&lt;script&gt;" in page


def test_report_needs_a_table_or_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 2
    assert "report needs --table T (one table's page) or --index" in capsys.readouterr().err
