"""The avrolake report inside Airflow's UI: an Airflow 3 plugin (FastAPI app + external view).

Airflow's API server mounts `app` at /avrolake and the UI shows it in an iframe under
Browse > avrolake report (`/plugin/avrolake-report`). Plugin endpoints are not protected by
Airflow on their own: every route here depends on Airflow's `requires_authenticated`, so
a request without a valid Airflow JWT (the UI's `_token` cookie, or an `Authorization:
Bearer` header) gets 401 and no data.

The view opens on the index of every deployed subject (`GET /avrolake/index`, the page
`avrolake report --index` writes), linking each table's page (`GET /avrolake/report?subject=S`),
both built on each request from the registry (Variable avrolake_registry, else
$AVROLAKE_REGISTRY) and the roots (Variables avrolake_raw_root / avrolake_lake_root, else
$AVROLAKE_RAW_ROOT / $AVROLAKE_LAKE_ROOT), as the ingest DAGs resolve them (docs/report.md).
Registered through the `airflow.plugins` entry point in pyproject.toml.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from avrolake.config import DeploymentRoots, registry_from_env
from avrolake.orchestration.deploy import demo_roots, run_time_roots

log = logging.getLogger(__name__)
URL_PREFIX = "/avrolake"
URL_ROUTE = "avrolake-report"

app = FastAPI(
    title="avrolake report",
    description="The avrolake index of every deployed subject, and each table's report page.",
    dependencies=[Depends(requires_authenticated())],
)


def _variable(name: str) -> str:
    from airflow.models.variable import Variable

    value = Variable.get(name, default_var="")
    return str(value or "")


def view_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The registry, the roots and the AWS connection the view reads, on each request:
    the Variables, then the API server's environment, then local-dev defaults."""
    demo = environ.get("AVROLAKE_DEMO_DIR", "")
    fallback = demo_roots(demo) if demo else DeploymentRoots()
    roots = run_time_roots(
        _variable("avrolake_raw_root"), _variable("avrolake_lake_root"), environ, fallback
    )
    return {
        "registry": _variable("avrolake_registry") or str(registry_from_env(environ)),
        "raw_root": roots.raw or "",
        "lake_root": roots.lake or "",
        "aws_conn_id": _variable("avrolake_aws_conn_id"),
    }


def _s3_env(conn_id: str) -> dict[str, str]:
    env = dict(os.environ)
    if conn_id:
        from airflow.models.connection import Connection

        from avrolake.orchestration.operators import aws_env_of

        env.update(aws_env_of(Connection.get_connection_from_secrets(conn_id)))
    return env


def _tables() -> tuple[Path, list[Any]]:
    from avrolake.report import deployed_tables
    from avrolake.storage import S3Options

    settings = view_settings(os.environ)
    registry = Path(settings["registry"])
    s3 = S3Options.from_env(_s3_env(settings["aws_conn_id"]))
    return registry, deployed_tables(registry, settings["lake_root"] or None, s3)


def _error(message: str) -> HTMLResponse:
    from avrolake.report import page_for_error

    return HTMLResponse(page_for_error(message), status_code=404)


@app.get("/index", response_class=HTMLResponse, summary="every deployed subject's table")
def index_page() -> HTMLResponse:
    """Every deployed subject with its table's health and last run (sync: thread pool)."""
    from avrolake.errors import AvrolakeError
    from avrolake.report import build_index, render_index

    try:
        registry, tables = _tables()
        data = build_index(registry, tables, lambda s: f"report?subject={quote(s)}")
    except (AvrolakeError, OSError, ValueError) as exc:
        log.warning("avrolake index: %s", exc)
        return _error(f"no index: {exc} (set the Airflow Variable avrolake_registry)")
    return HTMLResponse(render_index(data))


@app.get("/report", response_class=HTMLResponse, summary="the report page of a table")
def report_page(subject: str | None = None) -> HTMLResponse:
    """The page of `subject`'s table; without one, the index (or the page of the only
    deployed subject)."""
    from avrolake.errors import AvrolakeError
    from avrolake.registry import Registry
    from avrolake.report import build_report, render_html

    try:
        registry, tables = _tables()
        if subject is None and len(tables) != 1:
            return index_page()
        chosen = next((t for t in tables if subject in (None, t.subject)), None)
        if chosen is None or chosen.ref is None:
            why = chosen.problem if chosen is not None else "not a deployed subject"
            return _error(f"{subject}: {why} (deployed subjects have a table.json in {registry})")
        page = render_html(build_report(chosen.ref, Registry(registry), chosen.subject))
    except (AvrolakeError, OSError, ValueError) as exc:
        log.warning("avrolake report of %s: %s", subject, exc)
        return _error(f"{subject or 'report'}: {exc}")
    return HTMLResponse(page)


class AvrolakePlugin(AirflowPlugin):
    name = "avrolake"
    # Airflow declares these as plain class attributes; ClassVar would clash with its types.
    fastapi_apps: list[Any] = [  # noqa: RUF012
        {"app": app, "url_prefix": URL_PREFIX, "name": "avrolake report"}
    ]
    external_views: list[Any] = [  # noqa: RUF012
        {
            "name": "avrolake report",
            # relative (no leading slash), so it works behind a proxy's base path
            "href": f"{URL_PREFIX.lstrip('/')}/index",
            "destination": "nav",
            "category": "browse",
            "url_route": URL_ROUTE,
        }
    ]
