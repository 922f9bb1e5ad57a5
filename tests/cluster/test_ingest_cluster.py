"""spark-submit of jobs/ingest_logs.py to a standalone master with 2 workers, S3 in and out."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from avrolake.storage import resolve
from tests.conftest import ROOT, SHIPPED_REGISTRY
from tests.fixtures.cluster import VENV_BIN, Cluster, cluster_env
from tests.fixtures.lake import generate_logs, rows_by_version, sql
from tests.fixtures.s3 import S3Endpoint

pytestmark = [pytest.mark.cluster, pytest.mark.s3]


def spark_submit(cluster: Cluster, s3: S3Endpoint, *args: str) -> dict[str, Any]:
    env = {**cluster_env(), **s3.env()}
    result = subprocess.run(
        [
            str(VENV_BIN / "spark-submit"),
            "--master",
            cluster.master_url,
            "--conf",
            "spark.executor.memory=768m",
            "--conf",
            "spark.cores.max=2",
            str(ROOT / "jobs" / "ingest_logs.py"),
            "--registry",
            str(SHIPPED_REGISTRY),
            *args,
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_spark_submit_on_two_workers_lands_every_file_once(
    spark_cluster: Cluster, s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    assert spark_cluster.alive_workers() == 2
    raw = f"s3://{s3_bucket}/raw/logs"
    table = f"s3://{s3_bucket}/lake/logs"
    generate_logs(resolve(raw, s3_endpoint.options), files=8, records=250, corrupt=2, seed=11)

    summary = spark_submit(
        spark_cluster, s3_endpoint, "--source", raw, "--table", table, "--run-id", "c1"
    )
    assert (summary["files_seen"], summary["files_ingested"], summary["files_quarantined"]) == (
        10,
        8,
        2,
    )
    assert summary["records_by_writer_version"] == {"1": 750, "2": 750, "3": 500}
    options = s3_endpoint.options.delta_storage_options()
    assert rows_by_version(table, options) == {1: 750, 2: 750, 3: 500}
    hosts = sql(table, 'SELECT COUNT(DISTINCT "_source_file") n FROM t', options)
    assert hosts == [{"n": 8}]

    again = spark_submit(
        spark_cluster, s3_endpoint, "--source", raw, "--table", table, "--run-id", "c2"
    )
    assert (again["files_skipped"], again["files_ingested"], again["table_version"]) == (10, 0, 1)
