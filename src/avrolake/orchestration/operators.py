"""The Airflow operator that runs jobs/ingest_logs.py (with airflow_plugin.py, the only modules
importing Airflow).

S3 credentials come from an Airflow AWS connection when `aws_conn_id` is given: they are
read at execution time and passed to spark-submit's environment, so they never appear in
DAG files, rendered templates or XComs. Without it, the worker's own AWS_* variables apply.

The job's session is a Delta session: `delta_jars_dir` (the jar cache `make setup` fills)
gives spark-submit the Delta jars and Delta's SQL extension and catalog (docs/interop.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import BaseHook

from avrolake.config import LAKE_ROOT_ENV, RAW_ROOT_ENV


class IngestSparkSubmitOperator(SparkSubmitOperator):
    """spark-submit of the ingest job; `raw_root`/`lake_root` (templated, rendered when the
    task runs) reach the job as $AVROLAKE_RAW_ROOT/$AVROLAKE_LAKE_ROOT ('' = not set)."""

    template_fields = (*SparkSubmitOperator.template_fields, "aws_conn_id", "raw_root", "lake_root")

    def __init__(
        self,
        *,
        aws_conn_id: str = "",
        delta_jars_dir: str = "",
        raw_root: str = "",
        lake_root: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id
        self.delta_jars_dir = delta_jars_dir
        self.raw_root = raw_root
        self.lake_root = lake_root

    def execute(self, context: Any) -> Any:
        self.env_vars = {**(self.env_vars or {}), **self.roots_env()}
        if self.aws_conn_id:
            self.env_vars = {**(self.env_vars or {}), **aws_env(self.aws_conn_id)}
        if self.delta_jars_dir:
            jars, conf = delta_submit(Path(self.delta_jars_dir), self.jars)
            self.jars, self.conf = jars, {**conf, **(self.conf or {})}
        return super().execute(context)

    def roots_env(self) -> dict[str, str]:
        env = {RAW_ROOT_ENV: self.raw_root, LAKE_ROOT_ENV: self.lake_root}
        return {k: v for k, v in env.items() if v}


def delta_submit(jars_dir: Path, jars: str | None) -> tuple[str | None, dict[str, str]]:
    """spark-submit's --jars and --conf for a Delta session (the caller's jars kept first).

    No Delta jars in `jars_dir`: nothing added (the ingest job itself does not need them).
    Imported here: DAG files import this module at parse time, and avrolake.spark not.
    """
    from avrolake.spark.session import delta_conf, delta_jars

    found = delta_jars(jars_dir)
    if not found:
        return jars, {}
    conf = delta_conf(found)
    listed = ",".join([*([jars] if jars else []), conf.pop("spark.jars")])
    return listed, conf


def aws_env(conn_id: str) -> dict[str, str]:
    """AWS_* variables from an Airflow aws connection (login/password, extra endpoint_url)."""
    return aws_env_of(BaseHook.get_connection(conn_id))


def aws_env_of(conn: Any) -> dict[str, str]:
    """AWS_* variables from a connection object (a task's, or the API server's)."""
    extra = conn.extra_dejson
    env = {}
    if conn.login:
        env["AWS_ACCESS_KEY_ID"] = conn.login
    if conn.password:
        env["AWS_SECRET_ACCESS_KEY"] = conn.password
    s3_config = (extra.get("service_config") or {}).get("s3") or {}
    endpoint = extra.get("endpoint_url") or s3_config.get("endpoint_url")
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if extra.get("region_name"):
        env["AWS_REGION"] = extra["region_name"]
    return env
