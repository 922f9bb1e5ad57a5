"""Daily maintenance of every deployed subject's Delta tables: the sweep, compaction, vacuum,
checkpoint. One task per step, mapped over the deployed subjects (those with a table.json in
$AVROLAKE_REGISTRY, default the project's schemas/; docs/registry.md#deployment).

The sweep (`avrolake ingest --subject S --sweep auto`, spark-submit on the `spark`
connection) lands each subject's late files older than the hourly runs' lookback: it lists
only the keys after the greatest path the ledger holds, and the whole source on Sundays
(UTC), which finds late keys that sort before that mark (docs/ledger.md#the-sweep).

Hourly runs write many small Parquet files; this compacts them (deltalake optimize), removes
files no longer referenced and older than the retention (vacuum; at least 7 days so running
readers and time travel keep working; killed tasks' orphan files go too), and checkpoints
and cleans the transaction log, for each subject's table, its quarantine table and its
source ledger. The ledger is compacted sorted by path (Z-order), so that an hourly run's
planning reads only the ledger rows of the partitions it lists. Each task logs files and
bytes before and after.

Variables (read when a task runs): avrolake_raw_root, avrolake_lake_root ('' = the worker's
AVROLAKE_RAW_ROOT / AVROLAKE_LAKE_ROOT, else the demo's), avrolake_vacuum_retention_hours
('' = avrolake's minimum, 168), avrolake_aws_conn_id.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from airflow.sdk import DAG, task

from avrolake.orchestration.operators import IngestSparkSubmitOperator
from avrolake.registry.deployment import deployed_subjects

PROJECT = Path(__file__).resolve().parent.parent
DEMO = str(Path(os.environ.get("AVROLAKE_DEMO_DIR", PROJECT / ".demo")).resolve())
REGISTRY = Path(os.environ.get("AVROLAKE_REGISTRY") or PROJECT / "schemas").resolve()
SUBJECTS = deployed_subjects(REGISTRY)
# Rendered when a task runs: the Variable, else the worker's environment, else the demo's.
RAW_ROOT = "{{ var.value.get('avrolake_raw_root', '') or env_or('AVROLAKE_RAW_ROOT', 'raw') }}"
LAKE_ROOT = "{{ var.value.get('avrolake_lake_root', '') or env_or('AVROLAKE_LAKE_ROOT', 'lake') }}"


def env_or(name: str, demo_folder: str) -> str:
    """A Jinja macro: $name of the running task, else <demo>/<demo_folder> (local dev)."""
    return os.environ.get(name) or f"{DEMO}/{demo_folder}"


SWEEP_RUN = ("--run-id", "{{ run_id }}", "--json")


@task
def maintain(
    subject: str,
    which: str,
    raw_root: str,
    lake_root: str,
    retention_hours: str,
    aws_conn_id: str,
) -> dict[str, object]:
    from avrolake.config import MIN_RETENTION_HOURS, DeploymentRoots
    from avrolake.lake import TableRef
    from avrolake.lake.maintenance import maintain
    from avrolake.orchestration.deploy import run_time_deployment
    from avrolake.storage import S3Options

    env = dict(os.environ)
    if aws_conn_id:
        from avrolake.orchestration.operators import aws_env

        env.update(aws_env(aws_conn_id))
    roots = DeploymentRoots(raw_root or None, lake_root or None)
    deployed = run_time_deployment(REGISTRY, subject, roots)
    s3 = S3Options.from_env(env)
    ref = TableRef.find(deployed.table, s3, quarantine=deployed.quarantine_table)
    hours = int(retention_hours) if retention_hours else MIN_RETENTION_HOURS
    if which == "ledger":  # sorted by path: interval runs read only their folders' rows
        report = maintain(ref.ledger(), hours, sort_by=("path",))
    else:
        report = maintain(ref.quarantine() if which == "quarantine" else ref, hours)
    print(f"avrolake maintenance of {subject} ({which}): {report}")  # noqa: T201 - task log
    return {"subject": subject, **report}


with DAG(
    dag_id="maintain_delta_tables",
    description="Sweep, compact, vacuum and checkpoint every deployed avrolake table",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    tags=["avrolake", "maintenance", "delta"],
    doc_md=__doc__,
    user_defined_macros={"env_or": env_or},
) as dag:
    retention = "{{ var.value.get('avrolake_vacuum_retention_hours', '') }}"  # '' = 168
    aws = "{{ var.value.get('avrolake_aws_conn_id', '') }}"
    sweep = IngestSparkSubmitOperator.partial(
        task_id="sweep",
        conn_id="spark",
        application=str(PROJECT / "jobs" / "ingest_logs.py"),
        name="avrolake-sweep-{{ ds_nodash }}",
        aws_conn_id=aws,
        raw_root=RAW_ROOT,
        lake_root=LAKE_ROOT,
        env_vars={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable},
    ).expand(
        application_args=[
            ["--registry", str(REGISTRY), "--subject", s, "--sweep", "auto", *SWEEP_RUN]
            for s in SUBJECTS
        ]
    )
    steps = {
        which: maintain.override(task_id=f"maintain_{which}")
        .partial(
            which=which,
            raw_root=RAW_ROOT,
            lake_root=LAKE_ROOT,
            retention_hours=retention,
            aws_conn_id=aws,
        )
        .expand(subject=SUBJECTS)
        for which in ("table", "quarantine", "ledger")
    }
    sweep >> steps["table"]


if __name__ == "__main__":
    dag.test()
