"""One ingest DAG per deployed subject: `ingest_<subject>`, generated from the registry.

A subject is deployed when its registry folder has a table.json (docs/registry.md#deployment);
adding a subject is adding its schemas and its table.json, with no edit here. Each DAG, per
data interval [data_interval_start, data_interval_end) of the subject's own schedule:
1. schema_gate  - the subject's versions hold its compatibility level (fails before Spark)
2. ingest       - spark-submit jobs/ingest_logs.py --subject S on the `spark` connection: the
                  job takes the source and table from the subject's table.json and the roots;
                  the interval's files and those of its lookback; one Delta commit
3. reconcile    - every file of the interval and of its lookback is in the table as it is
                  now, or in the quarantine table, and no more than `avrolake_max_quarantined`
                  were quarantined; writes <table>/_avrolake/report.html (pass or fail);
                  updates the subject's Asset, named after its table

Parse time reads only the registry folder (which subjects have a table.json, and their
`table` and `schedule`): no schema is parsed, no Variable, connection or object store is
read. The registry is $AVROLAKE_REGISTRY (default: the project's schemas/). The roots are
read when a task runs: the Variables avrolake_raw_root / avrolake_lake_root, else the
worker's AVROLAKE_RAW_ROOT / AVROLAKE_LAKE_ROOT, else the local demo's <demo>/raw and
<demo>/lake. Also: avrolake_max_quarantined, avrolake_aws_conn_id. Connection `spark`.
Why one DAG per subject and not one DAG with a task mapped per subject: docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset
from airflow.timetables.interval import CronDataIntervalTimetable

from avrolake.orchestration.operators import IngestSparkSubmitOperator
from avrolake.registry.deployment import (
    StoredDeployment,
    deployed_subjects,
    is_absolute,
    stored_deployment,
)

PROJECT = Path(__file__).resolve().parent.parent
DEMO = str(Path(os.environ.get("AVROLAKE_DEMO_DIR", PROJECT / ".demo")).resolve())
REGISTRY = Path(os.environ.get("AVROLAKE_REGISTRY") or PROJECT / "schemas").resolve()
# The roots, rendered when a task runs: the Variable, else the worker's environment, else
# the local demo's folder (the macro `env_or` below; the environment of the task, not of the
# parse).
RAW_ROOT = "{{ var.value.get('avrolake_raw_root', '') or env_or('AVROLAKE_RAW_ROOT', 'raw') }}"
LAKE_ROOT = "{{ var.value.get('avrolake_lake_root', '') or env_or('AVROLAKE_LAKE_ROOT', 'lake') }}"
MAX_QUARANTINED = "{{ var.value.get('avrolake_max_quarantined', '') }}"  # '' = the default
AWS_CONN_ID = "{{ var.value.get('avrolake_aws_conn_id', '') }}"


def gate_registry(registry: str, subject: str) -> str:
    from airflow.sdk.exceptions import AirflowFailException

    from avrolake.errors import AvrolakeError
    from avrolake.orchestration.gate import schema_gate

    try:
        return schema_gate(Path(registry), subject)
    except AvrolakeError as exc:
        raise AirflowFailException(str(exc)) from exc  # retrying cannot fix the registry


def reconcile_interval(
    registry: str,
    subject: str,
    raw_root: str,
    lake_root: str,
    max_quarantined: str,
    aws_conn_id: str,
    data_interval_start: dt.datetime | None = None,
    data_interval_end: dt.datetime | None = None,
) -> dict[str, object]:
    from airflow.sdk.exceptions import AirflowFailException

    from avrolake.config import DEFAULT_MAX_QUARANTINED, LOOKBACK_ENV, DeploymentRoots
    from avrolake.errors import AvrolakeError, ReconciliationError
    from avrolake.lake import TableRef
    from avrolake.orchestration import reconcile
    from avrolake.orchestration.deploy import run_time_deployment
    from avrolake.storage import S3Options

    env = dict(os.environ)
    if aws_conn_id:
        from avrolake.orchestration.operators import aws_env

        env.update(aws_env(aws_conn_id))
    assert data_interval_start is not None
    assert data_interval_end is not None
    roots = DeploymentRoots(raw_root or None, lake_root or None)
    deployed = run_time_deployment(Path(registry), subject, roots)
    s3 = S3Options.from_env(env)
    ref = TableRef.find(deployed.table, s3, quarantine=deployed.quarantine_table)
    limit = int(max_quarantined) if max_quarantined else DEFAULT_MAX_QUARANTINED
    lookback = reconcile.interval_lookback(Path(registry), subject, env.get(LOOKBACK_ENV))
    layout = reconcile.interval_layout(Path(registry), subject)  # the ingest task's layout
    try:
        report = reconcile.reconcile_interval(
            deployed.source, ref, data_interval_start, data_interval_end, limit, lookback, layout
        )
    except ReconciliationError as exc:
        reconcile.publish_report(ref, Path(registry), subject)  # the page shows why
        raise AirflowFailException(str(exc)) from exc
    except AvrolakeError as exc:  # e.g. LayoutMismatchError: retrying cannot fix the layout
        raise AirflowFailException(str(exc)) from exc
    print(f"avrolake reconciliation of {subject}: {report.as_dict()}")  # noqa: T201 - task log
    return {**report.as_dict(), "report": reconcile.publish_report(ref, Path(registry), subject)}


def table_asset(stored: StoredDeployment) -> Asset:
    """The subject's Asset: named after its table as table.json names it; its URI is that
    table's when absolute, else x-avrolake://lake/<table> (relative to the lake root)."""
    table = stored.table
    if table.startswith("/"):
        uri = f"file://{table}"
    elif is_absolute(table):
        uri = table
    else:
        uri = f"x-avrolake://lake/{table.strip('/')}"
    return Asset(name=table, uri=uri, group="avrolake")


def env_or(name: str, demo_folder: str) -> str:
    """A Jinja macro: $name of the running task, else <demo>/<demo_folder> (local dev)."""
    return os.environ.get(name) or f"{DEMO}/{demo_folder}"


_TIMETABLES: dict[str, CronDataIntervalTimetable] = {}


def timetable(cron: str | None) -> CronDataIntervalTimetable | None:
    """Data intervals of the cron expression; one shared (immutable) timetable per expression,
    so 200 hourly subjects build it once."""
    if cron is None:
        return None
    if cron not in _TIMETABLES:
        _TIMETABLES[cron] = CronDataIntervalTimetable(cron, timezone="UTC")
    return _TIMETABLES[cron]


def ingest_dag(stored: StoredDeployment) -> DAG:
    subject = stored.subject
    with DAG(
        dag_id=f"ingest_{subject}",
        description=f"{subject}: mixed-version Avro -> its reader schema -> Delta ({stored.table})",
        # Data intervals, not bare trigger times: the 01:00 run ingests [00:00, 01:00).
        schedule=timetable(stored.schedule),
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        # Replays every interval since start_date; a laptop lakehouse may switch it off.
        catchup=os.environ.get("AVROLAKE_CATCHUP", "true").lower() != "false",
        max_active_runs=3,
        default_args={"retries": 3, "retry_delay": dt.timedelta(minutes=2)},
        tags=["avrolake", "ingest", "delta", f"subject:{subject}"],
        doc_md=__doc__,
        user_defined_macros={"env_or": env_or},
    ) as dag:
        ingest = IngestSparkSubmitOperator(
            task_id="ingest",
            conn_id="spark",
            application=str(PROJECT / "jobs" / "ingest_logs.py"),
            name=f"avrolake-ingest-{subject}-"
            + "{{ ds_nodash }}-{{ logical_date.strftime('%H') }}",
            application_args=[
                *("--registry", str(REGISTRY), "--subject", subject),
                *("--since", "{{ data_interval_start.isoformat() }}"),
                *("--until", "{{ data_interval_end.isoformat() }}"),
                *("--run-id", "{{ run_id }}", "--json"),
            ],
            aws_conn_id=AWS_CONN_ID,
            raw_root=RAW_ROOT,
            lake_root=LAKE_ROOT,
            # A Delta session (docs/interop.md): the jars `make setup` fetched.
            delta_jars_dir=os.environ.get("AVROLAKE_JARS_DIR", str(PROJECT / ".jars")),
            # The job's Python (driver and workers) is the interpreter Airflow runs with.
            env_vars={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable},
        )
        schema_gate = PythonOperator(
            task_id="schema_gate",
            python_callable=gate_registry,
            op_args=[str(REGISTRY), subject],
            retries=0,  # a broken registry does not heal by retrying
        )
        reconcile = PythonOperator(
            task_id="reconcile",
            python_callable=reconcile_interval,
            op_args=[str(REGISTRY), subject, RAW_ROOT, LAKE_ROOT, MAX_QUARANTINED, AWS_CONN_ID],
            outlets=[table_asset(stored)],
        )
        schema_gate >> ingest >> reconcile
    return dag


DAGS = {
    f"ingest_{s}": ingest_dag(stored_deployment(REGISTRY, s)) for s in deployed_subjects(REGISTRY)
}
globals().update(DAGS)


if __name__ == "__main__":
    DAGS[sys.argv[1] if len(sys.argv) > 1 else next(iter(DAGS))].test()
