"""The avrolake report inside Airflow's UI: an Airflow 3 plugin (FastAPI app + external view).

Airflow's API server mounts `app` at /avrolake and the UI shows it in an iframe under
Browse > avrolake report (`/plugin/avrolake-report`). Plugin endpoints are not protected by
Airflow on their own: every route here depends on Airflow's `requires_authenticated`, so
a request without a valid Airflow JWT (the UI's `_token` cookie, or an `Authorization:
Bearer` header) gets 401 and no data.

The page is the one `avrolake report` writes, built on each request for the table the DAG
`ingest_avro_logs` lands: the Airflow Variables avrolake_table, avrolake_quarantine_table,
avrolake_registry, avrolake_subject and avrolake_aws_conn_id (docs/report.md).
Registered through the `airflow.plugins` entry point in pyproject.toml.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

log = logging.getLogger(__name__)
URL_PREFIX = "/avrolake"
URL_ROUTE = "avrolake-report"

app = FastAPI(
    title="avrolake report",
    description="The avrolake report page of the table the ingest DAG lands.",
    dependencies=[Depends(requires_authenticated())],
)


def _variable(name: str) -> str:
    from airflow.models.variable import Variable

    value = Variable.get(name, default_var="")
    return str(value or "")


def report_settings() -> dict[str, str]:
    """Which table, registry and subject the view shows (Variables, then local-dev defaults)."""
    demo = os.environ.get("AVROLAKE_DEMO_DIR")
    return {
        "table": _variable("avrolake_table") or (f"{demo}/lake/logs" if demo else ""),
        "quarantine_table": _variable("avrolake_quarantine_table"),
        "registry": _variable("avrolake_registry") or os.environ.get("AVROLAKE_REGISTRY", ""),
        "subject": _variable("avrolake_subject"),
        "aws_conn_id": _variable("avrolake_aws_conn_id"),
    }


def _s3_env(conn_id: str) -> dict[str, str]:
    env = dict(os.environ)
    if conn_id:
        from airflow.models.connection import Connection

        from avrolake.orchestration.operators import aws_env_of

        env.update(aws_env_of(Connection.get_connection_from_secrets(conn_id)))
    return env


@app.get("/report", response_class=HTMLResponse, summary="the report page of the table")
def report_page() -> HTMLResponse:
    """Build the page now (sync: FastAPI runs it in its thread pool)."""
    from avrolake.errors import AvrolakeError
    from avrolake.lake import TableRef
    from avrolake.registry import Registry
    from avrolake.report import build_report, page_for_error, render_html
    from avrolake.storage import S3Options

    settings = report_settings()
    if not settings["table"]:
        return HTMLResponse(
            page_for_error(
                "no table to show: set the Airflow Variable avrolake_table (the table the "
                "ingest_avro_logs DAG lands)"
            ),
            status_code=404,
        )
    try:
        s3 = S3Options.from_env(_s3_env(settings["aws_conn_id"]))
        ref = TableRef.find(settings["table"], s3, quarantine=settings["quarantine_table"] or None)
        registry = Registry(Path(settings["registry"])) if settings["registry"] else None
        page = render_html(build_report(ref, registry, settings["subject"] or None))
    except (AvrolakeError, OSError, ValueError) as exc:
        log.warning("avrolake report of %s: %s", settings["table"], exc)
        return HTMLResponse(page_for_error(f"{settings['table']}: {exc}"), status_code=404)
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
            "href": f"{URL_PREFIX.lstrip('/')}/report",
            "destination": "nav",
            "category": "browse",
            "url_route": URL_ROUTE,
        }
    ]
