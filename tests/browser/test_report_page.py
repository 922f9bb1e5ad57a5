"""The report page in a real browser: the file `avrolake report` writes, and the same page
inside Airflow's UI through the avrolake plugin (a real `airflow api-server`), which opens
on the index of every deployed subject.

The fixture table is the one of tests/unit/test_report_data.py: log_event v1..v3, two runs
of 150 rows (50 per writer version) and one quarantined file each, then compaction + vacuum.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.browser import AirflowServer, Page
from tests.unit.test_report_data import Landed, land_two_hours

pytestmark = pytest.mark.browser

# What the page must show for the fixture table.
CELLS, FAILING, BAR_MARKS, QUARANTINE_MARKS = 9, 2, 6, 2

DOM_FACTS = """(() => {
  const d = %s;
  const marks = [...d.querySelectorAll('#runs-chart rect.mark')];
  return {
    cells: d.querySelectorAll('#compat-matrix td.cell').length,
    rows: d.querySelectorAll('#compat-matrix tr').length,
    failing: d.querySelectorAll('#compat-matrix td.cell[data-compatible="false"]').length,
    failing_note: (d.querySelector('td.cell[data-reader="2"][data-writer="3"]') || {}).title,
    marks: marks.length,
    drawn: marks.filter(m => m.getBBox().height > 0 && m.getBBox().width > 0).length,
    rows_drawn: marks.reduce((n, m) => n + Number(m.dataset.rows), 0),
    quarantine_marks: d.querySelectorAll('#runs-chart circle.mark-quarantine').length,
    runs: d.querySelectorAll('#lineage details.run').length,
  };
})()"""


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Landed:
    return land_two_hours(tmp_path_factory.mktemp("browser"))


def assert_page(facts: dict[str, object]) -> None:
    assert facts["cells"] == CELLS
    assert facts["rows"] == 4  # the header row and one per reader version
    assert facts["failing"] == FAILING
    assert "MISSING_UNION_BRANCH at /fields/5/type" in str(facts["failing_note"])
    assert (facts["marks"], facts["drawn"]) == (BAR_MARKS, BAR_MARKS)
    assert facts["rows_drawn"] == 300
    assert facts["quarantine_marks"] == QUARANTINE_MARKS
    assert facts["runs"] == 2


def test_the_report_file_renders_offline(
    landed: Landed, browser: Page, tmp_path: Path, screenshots: Path
) -> None:
    out = tmp_path / "report.html"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "avrolake"),
            "report",
            "--table",
            landed.table.uri,
            "--registry",
            str(SHIPPED_REGISTRY),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"written to {out}" in done.stdout
    browser.goto(out.as_uri())
    assert_page(browser.evaluate(DOM_FACTS % "document"))
    shot = browser.screenshot(screenshots / "report-file.png")
    assert shot.stat().st_size > 20_000


@pytest.fixture(scope="module")
def airflow(landed: Landed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    home = tmp_path_factory.mktemp("airflow-home")
    registry = tmp_path_factory.mktemp("deployed") / "schemas"
    for subject, table in (("log_event", landed.table.uri), ("not_yet", f"{home}/lake/none")):
        shutil.copytree(SHIPPED_REGISTRY / "log_event", registry / subject)
        (registry / subject / "table.json").write_text(json.dumps({"table": table}))
    env = {"AIRFLOW_VAR_AVROLAKE_REGISTRY": str(registry)}
    with AirflowServer(home, env) as server:
        yield server


def test_the_airflow_view_refuses_anonymous_requests(airflow: AirflowServer) -> None:
    status, body = airflow.get("/avrolake/report")
    assert (status, "compat-matrix" in body) == (401, False)
    status, body = airflow.get("/avrolake/report", {"Authorization": "Bearer not-a-token"})
    assert (status, "compat-matrix" in body) == (403, False)
    token = {"Authorization": f"Bearer {airflow.token()}"}
    status, body = airflow.get("/avrolake/report?subject=log_event", token)
    assert status == 200
    assert body.count('<td class="cell ') == CELLS
    status, body = airflow.get("/avrolake/index", {"Authorization": "Bearer not-a-token"})
    assert (status, "subjects-table" in body) == (403, False)


def test_the_airflow_view_refuses_an_anonymous_browser(
    airflow: AirflowServer, browser: Page
) -> None:
    browser.send("Network.clearBrowserCookies")
    browser.goto(f"{airflow.url}/avrolake/report")
    assert browser.evaluate("document.body.innerText").strip() == '{"detail":"Not authenticated"}'
    assert browser.evaluate("document.querySelectorAll('#compat-matrix').length") == 0


def test_the_airflow_view_shows_the_page_in_the_ui(
    airflow: AirflowServer, browser: Page, screenshots: Path
) -> None:
    browser.send("Network.clearBrowserCookies")
    browser.set_cookie("_token", airflow.token(), airflow.url)
    browser.goto(f"{airflow.url}/plugin/avrolake-report")
    frame = "document.querySelector('iframe').contentDocument"
    browser.wait_for(
        f"document.querySelector('iframe') && {frame} && "
        f"{frame}.querySelectorAll('#subjects-table tr.subject').length > 0"
    )
    assert browser.evaluate("new URL(document.querySelector('iframe').src).pathname") == (
        "/avrolake/index"
    )
    rows = browser.evaluate(
        f"[...{frame}.querySelectorAll('#subjects-table tr.subject')]"
        ".map(r => [r.dataset.subject, r.dataset.state, r.dataset.rows])"
    )
    assert rows == [["log_event", "quarantined", "300"], ["not_yet", "missing", ""]]
    # the subject's link opens its table's page inside the same frame
    browser.evaluate(f"{frame}.querySelector('#subjects-table a').click()")
    browser.wait_for(f"{frame} && {frame}.querySelectorAll('#compat-matrix td.cell').length > 0")
    assert browser.evaluate(f"{frame}.location.search") == "?subject=log_event"
    assert_page(browser.evaluate(DOM_FACTS % frame))
    shot = browser.screenshot(screenshots / "airflow-report-view.png", height=1100)
    assert shot.stat().st_size > 20_000
