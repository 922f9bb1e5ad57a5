"""Daily maintenance of the avrolake Delta tables: the sweep, compaction, vacuum, checkpoint.

The sweep (`avrolake ingest --sweep auto`, spark-submit on the `spark` connection) lands late
files older than the hourly runs' lookback: it lists only the keys after the greatest path
the ledger holds, and the whole source on Sundays (UTC), which finds late keys that sort
before that mark (docs/ledger.md#the-sweep).

Hourly runs write many small Parquet files; this compacts them (deltalake optimize), removes
files no longer referenced and older than the retention (vacuum; at least 7 days so running
readers and time travel keep working; killed tasks' orphan files go too), and checkpoints
and cleans the transaction log. The source ledger is compacted sorted by path (Z-order), so
that an hourly run's planning reads only the ledger rows of the partitions it lists. Each
task logs files and bytes before and after.

Variables: avrolake_source, avrolake_table, avrolake_quarantine_table ('' =
<table>_quarantine), avrolake_registry, avrolake_subject, avrolake_vacuum_retention_hours
('' = avrolake's minimum, 168), avrolake_aws_conn_id.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from airflow.sdk import DAG, task

PROJECT = Path(__file__).resolve().parent.parent
DEMO = Path(os.environ.get("AVROLAKE_DEMO_DIR", PROJECT / ".demo"))
DEFAULT_TABLE = str(DEMO / "lake" / "logs")  # local demo default; production sets the Variable

with DAG(
    dag_id="maintain_delta_tables",
    description="Compact, vacuum and checkpoint the avrolake Delta tables",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    tags=["avrolake", "maintenance", "delta"],
    doc_md=__doc__,
) as dag:

    @task
    def maintain_table(
        table: str, quarantine_table: str, which: str, retention_hours: str, aws_conn_id: str
    ) -> dict[str, object]:
        from avrolake.config import MIN_RETENTION_HOURS
        from avrolake.lake import TableRef
        from avrolake.lake.maintenance import maintain
        from avrolake.storage import S3Options

        env = dict(os.environ)
        if aws_conn_id:
            from avrolake.orchestration.operators import aws_env

            env.update(aws_env(aws_conn_id))
        ref = TableRef.find(table, S3Options.from_env(env), quarantine=quarantine_table or None)
        hours = int(retention_hours) if retention_hours else MIN_RETENTION_HOURS
        if which == "ledger":  # sorted by path: interval runs read only their folders' rows
            report = maintain(ref.ledger(), hours, sort_by=("path",))
        else:
            report = maintain(ref.quarantine() if which == "quarantine" else ref, hours)
        print(f"avrolake maintenance: {report}")  # noqa: T201 - the task log
        return report

    table = "{{ var.value.get('avrolake_table', '" + DEFAULT_TABLE + "') }}"
    quarantine = "{{ var.value.get('avrolake_quarantine_table', '') }}"
    retention = "{{ var.value.get('avrolake_vacuum_retention_hours', '') }}"  # '' = 168
    aws = "{{ var.value.get('avrolake_aws_conn_id', '') }}"
    from avrolake.orchestration.operators import IngestSparkSubmitOperator

    sweep = IngestSparkSubmitOperator(
        task_id="sweep",
        conn_id="spark",
        application=str(PROJECT / "jobs" / "ingest_logs.py"),
        name="avrolake-sweep-{{ ds_nodash }}",
        application_args=[
            "--source",
            "{{ var.value.get('avrolake_source', '" + str(DEMO / "raw") + "') }}",
            "--table",
            table,
            "--quarantine-table",
            quarantine,
            "--registry",
            "{{ var.value.get('avrolake_registry', '" + str(PROJECT / "schemas") + "') }}",
            "--subject",
            "{{ var.value.get('avrolake_subject', '') }}",
            "--sweep",
            "auto",  # full on Sundays (UTC), else only the keys after the ledger's mark
            "--run-id",
            "{{ run_id }}",
            "--json",
        ],
        aws_conn_id=aws,
        env_vars={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable},
    )
    logs = maintain_table.override(task_id="maintain_logs")(
        table, quarantine, "table", retention, aws
    )
    maintain_table.override(task_id="maintain_quarantine")(
        table, quarantine, "quarantine", retention, aws
    )
    maintain_table.override(task_id="maintain_ledger")(table, quarantine, "ledger", retention, aws)
    sweep >> logs


if __name__ == "__main__":
    dag.test()
