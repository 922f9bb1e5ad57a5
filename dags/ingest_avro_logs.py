"""Hourly ingestion of mixed-version Avro logs into Delta Lake (avrolake).

Per data interval [data_interval_start, data_interval_end):
1. schema_gate  - the registry must hold its compatibility levels (fails before Spark starts)
2. ingest       - spark-submit jobs/ingest_logs.py on the `spark` connection, for the
                  interval's dt=YYYY-MM-DD/hour=HH files and those of the lookback before it
                  (24 h, or table.json's lookback_hours: late files); one Delta commit
3. reconcile    - every file of the interval and of its lookback is in the table as it is
                  now, or in the quarantine table, and no more than
                  `avrolake_max_quarantined` were quarantined (a warning below it);
                  writes the table's report page to <table>/_avrolake/report.html (pass or
                  fail); updates the table's Asset so downstream DAGs can be scheduled on it

Configuration (Airflow Variables, env AIRFLOW_VAR_<NAME>): avrolake_source, avrolake_table,
avrolake_quarantine_table ('' = <table>_quarantine), avrolake_registry, avrolake_subject
('' = the registry's only subject), avrolake_max_quarantined, avrolake_aws_conn_id.
Connections: `spark` (local[2] by default, spark://host:7077 for a cluster).
Catchup is on: Airflow's own backfill replays history, each interval exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from airflow.sdk import DAG, Asset, task
from airflow.timetables.interval import CronDataIntervalTimetable

PROJECT = Path(__file__).resolve().parent.parent
DEMO = Path(os.environ.get("AVROLAKE_DEMO_DIR", PROJECT / ".demo"))
# Local demo defaults; production sets the Variables (s3://… URIs).
DEFAULTS = {
    "avrolake_source": str(DEMO / "raw"),
    "avrolake_table": str(DEMO / "lake" / "logs"),
    "avrolake_quarantine_table": "",
    "avrolake_registry": str(PROJECT / "schemas"),
    "avrolake_subject": "",
    "avrolake_max_quarantined": "",  # '' = avrolake's default (docs/configuration.md)
    "avrolake_aws_conn_id": "",
}
TABLE_ASSET = Asset(
    name="avrolake_table",
    uri=os.environ.get("AVROLAKE_TABLE_ASSET_URI", f"file://{DEMO / 'lake' / 'logs'}"),
)


def var(name: str) -> str:
    """A Jinja reference to a Variable with its default (read at run time, not parse time)."""
    return f"{{{{ var.value.get('{name}', '{DEFAULTS[name]}') }}}}"


with DAG(
    dag_id="ingest_avro_logs",
    description="Mixed-version Avro logs -> one reader schema -> Delta, every hour",
    # Data intervals, not bare trigger times: the 01:00 run ingests [00:00, 01:00).
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    # Replays every interval since start_date; a laptop lakehouse may switch it off.
    catchup=os.environ.get("AVROLAKE_CATCHUP", "true").lower() != "false",
    max_active_runs=3,
    default_args={"retries": 3, "retry_delay": dt.timedelta(minutes=2)},
    tags=["avrolake", "ingest", "delta"],
    doc_md=__doc__,
) as dag:

    @task(retries=0)
    def schema_gate(registry: str, subject: str) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from avrolake.errors import AvrolakeError
        from avrolake.orchestration.gate import schema_gate

        try:
            return schema_gate(Path(registry), subject or None)
        except AvrolakeError as exc:
            raise AirflowFailException(str(exc)) from exc  # retrying cannot fix the registry

    @task(outlets=[TABLE_ASSET])
    def reconcile(
        source: str,
        table: str,
        quarantine_table: str,
        max_quarantined: str,
        aws_conn_id: str,
        registry: str,
        subject: str,
        data_interval_start: dt.datetime | None = None,
        data_interval_end: dt.datetime | None = None,
    ) -> dict[str, object]:
        from airflow.sdk.exceptions import AirflowFailException

        from avrolake.config import DEFAULT_MAX_QUARANTINED, LOOKBACK_ENV
        from avrolake.errors import ReconciliationError
        from avrolake.lake import TableRef
        from avrolake.orchestration.reconcile import (
            interval_lookback,
            publish_report,
            reconcile_interval,
        )
        from avrolake.storage import S3Options

        env = dict(os.environ)
        if aws_conn_id:
            from avrolake.orchestration.operators import aws_env

            env.update(aws_env(aws_conn_id))
        assert data_interval_start is not None
        assert data_interval_end is not None
        ref = TableRef.find(table, S3Options.from_env(env), quarantine=quarantine_table or None)
        limit = int(max_quarantined) if max_quarantined else DEFAULT_MAX_QUARANTINED
        lookback = interval_lookback(Path(registry), subject or None, env.get(LOOKBACK_ENV))
        try:
            report = reconcile_interval(
                source, ref, data_interval_start, data_interval_end, limit, lookback
            )
        except ReconciliationError as exc:
            publish_report(ref, Path(registry), subject or None)  # the page shows why
            raise AirflowFailException(str(exc)) from exc
        print(f"avrolake reconciliation: {report.as_dict()}")  # noqa: T201 - the task log
        return {**report.as_dict(), "report": publish_report(ref, Path(registry), subject or None)}

    from avrolake.orchestration.operators import IngestSparkSubmitOperator

    ingest = IngestSparkSubmitOperator(
        task_id="ingest",
        conn_id="spark",
        application=str(PROJECT / "jobs" / "ingest_logs.py"),
        name="avrolake-ingest-{{ ds_nodash }}-{{ logical_date.strftime('%H') }}",
        application_args=[
            "--source",
            var("avrolake_source"),
            "--table",
            var("avrolake_table"),
            "--quarantine-table",
            var("avrolake_quarantine_table"),
            "--registry",
            var("avrolake_registry"),
            "--subject",
            var("avrolake_subject"),
            "--since",
            "{{ data_interval_start.isoformat() }}",
            "--until",
            "{{ data_interval_end.isoformat() }}",
            "--run-id",
            "{{ run_id }}",
            "--json",
        ],
        aws_conn_id=var("avrolake_aws_conn_id"),
        # A Delta session (docs/interop.md): the jars `make setup` fetched (the images set
        # AVROLAKE_JARS_DIR, or carry them in spark-defaults.conf).
        delta_jars_dir=os.environ.get("AVROLAKE_JARS_DIR", str(PROJECT / ".jars")),
        # The job's Python (driver and workers) is the interpreter Airflow runs with: it has
        # avrolake and its pinned dependencies.
        env_vars={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable},
    )

    gate = schema_gate(var("avrolake_registry"), var("avrolake_subject"))
    checked = reconcile(
        var("avrolake_source"),
        var("avrolake_table"),
        var("avrolake_quarantine_table"),
        var("avrolake_max_quarantined"),
        var("avrolake_aws_conn_id"),
        var("avrolake_registry"),
        var("avrolake_subject"),
    )
    gate >> ingest >> checked


if __name__ == "__main__":
    dag.test()
