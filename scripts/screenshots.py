"""Refresh the README's report screenshots from the demo table (`make screenshots`).

docs/report.png: the page `make demo` writes (.demo/report.html), opened from the file.
docs/airflow-report-view.png: the same page inside Airflow's UI (a real `airflow api-server`
with the avrolake plugin, logged in as the throwaway local user admin), opened from the
plugin's index of every deployed subject.
Needs `make demo` first and headless Chromium (scripts/install_chromium.sh).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.browser import AirflowServer, chromium, chromium_binary  # noqa: E402


def main() -> int:
    demo = ROOT / ".demo"
    page_file = demo / "report.html"
    if not page_file.exists():
        print(f"screenshots: {page_file} is missing; run `make demo` first", file=sys.stderr)
        return 2
    binary = chromium_binary()
    if binary is None:
        print("screenshots: no Chromium; run scripts/install_chromium.sh", file=sys.stderr)
        return 2
    env = {
        "AIRFLOW_VAR_AVROLAKE_LAKE_ROOT": str(demo / "lake"),
        "AIRFLOW_VAR_AVROLAKE_REGISTRY": str(ROOT / "schemas"),
    }
    with chromium(binary) as page, tempfile.TemporaryDirectory() as home:
        page.goto(page_file.as_uri())
        print(page.screenshot(ROOT / "docs" / "report.png"))
        with AirflowServer(Path(home), env) as airflow:
            page.set_cookie("_token", airflow.token(), airflow.url)
            page.goto(f"{airflow.url}/plugin/avrolake-report")  # the index
            frame = "document.querySelector('iframe').contentDocument"
            link = f"{frame}.querySelector('#subjects-table a[href$=\"subject=log_event\"]')"
            page.wait_for(f"document.querySelector('iframe') && {frame} && {link}")
            page.evaluate(f"{link}.click()")
            page.wait_for(
                f"document.querySelector('iframe') && {frame} && "
                f"{frame}.querySelectorAll('#compat-matrix td.cell').length > 0"
            )
            print(page.screenshot(ROOT / "docs" / "airflow-report-view.png", height=1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
