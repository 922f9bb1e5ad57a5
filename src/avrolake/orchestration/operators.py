"""The Airflow operator that runs jobs/ingest_logs.py (with airflow_plugin.py, the only modules
importing Airflow).

S3 credentials come from an Airflow AWS connection when `aws_conn_id` is given: they are
read at execution time and passed to spark-submit's environment, so they never appear in
DAG files, rendered templates or XComs. Without it, the worker's own AWS_* variables apply.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import BaseHook


class IngestSparkSubmitOperator(SparkSubmitOperator):
    template_fields = (*SparkSubmitOperator.template_fields, "aws_conn_id")

    def __init__(self, *, aws_conn_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id

    def execute(self, context: Any) -> Any:
        if self.aws_conn_id:
            self.env_vars = {**(self.env_vars or {}), **aws_env(self.aws_conn_id)}
        return super().execute(context)


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
