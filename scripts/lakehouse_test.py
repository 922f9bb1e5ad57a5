"""`make lakehouse-test`: the compose lakehouse end to end, the way `make lakehouse-up` starts it.

Steps: scripts/lakehouse.py up (Docker where a daemon answers, else podman; the images built,
their sizes printed against their goals, every service started healthy) -> trigger the DAGs of DAG_IDS for
2026-01-01T01:00Z (interval [00:00, 01:00)) through Airflow's REST API -> wait for success ->
read the table back in the Spark image (deltalake) -> a Spark job on the cluster (master + 2
workers) reads it over s3a:// with delta-spark: its rows per writer version must equal
`avrolake status` -> `make backfill` (the driver in a client container) lands 3 hours of new
files -> down -v (AVROLAKE_KEEP_STACK=1 keeps the stack up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lakehouse import client_run, cmd_down, cmd_up
from lakehouse_engine import ROOT, Engine, detect, step
from lakehouse_images import print_sizes

# The DAGs the test triggers, one per subject (dags/ingest_subjects.py), and what each lands:
# log_event in Hive folders (6 files + 2 corrupt), orders in Kafka Connect's time layout.
DAG_IDS = os.environ.get("AVROLAKE_TEST_DAGS", "ingest_log_event,ingest_orders").split(",")
EXPECTED = {
    "logs": ({"1": 2000, "2": 2000, "3": 2000}, 2),
    "orders": ({"1": 1000, "2": 1000, "3": 1000}, 0),
}
LOGICAL_DATE = "2026-01-01T01:00:00Z"  # interval [00:00, 01:00)
# Image size goals in MB (docs/lakehouse.md, "Image sizes").
SIZE_GOALS = {"localhost/avrolake-spark:0.1.0": 900, "localhost/avrolake-airflow:0.1.0": 1200}
# The test uploads its files moments before it runs them: no settle time in this stack.
os.environ.setdefault("AVROLAKE_SETTLE_SECONDS", "0")


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result  # type: ignore[no-any-return]


def api(
    path: str,
    token: str | None = None,
    body: dict[str, object] | None = None,
    method: str | None = None,
) -> object:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:8080{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:  # the body says why (e.g. which unique key a 409 hit)
        raise ApiError(exc.code, f"{method or ('POST' if data else 'GET')} {path}: HTTP {exc.code} "
                       f"{exc.reason}: {exc.read().decode(errors='replace')[:2000]}") from None  # fmt: skip


class ApiError(OSError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def trigger_and_wait(engine: Engine) -> None:
    for dag_id in DAG_IDS:
        trigger_one(engine, dag_id)


def trigger(token: str, dag_id: str, logical_date: str) -> str:
    """A manual run of dag_id for logical_date; the run already there for that date, if any
    (a DAG run's logical date is unique per DAG)."""
    body = {"logical_date": logical_date, "dag_run_id": f"lakehouse-test-{int(time.time())}"}
    try:
        run_id = str(api(f"/api/v2/dags/{dag_id}/dagRuns", token, body)["dag_run_id"])  # type: ignore[index]
        print(f"   triggered {run_id}")
        return run_id
    except ApiError as exc:
        if exc.code != 409:
            raise
        print(f"   {exc}")
    found = api(f"/api/v2/dags/{dag_id}/dagRuns?logical_date_gte={logical_date}"
                f"&logical_date_lte={logical_date}", token)["dag_runs"]  # type: ignore[index]  # fmt: skip
    if not found:
        raise SystemExit(f"{dag_id}: the trigger conflicted, and no run for {logical_date} exists")
    run_id = str(found[0]["dag_run_id"])
    print(
        f"   a run for {logical_date} exists already: {run_id} ({found[0]['run_type']}); waiting for it"
    )
    return run_id


def trigger_one(engine: Engine, dag_id: str) -> str:
    step(
        f"Airflow REST API: log in, wait for {dag_id}, unpause it, trigger it for 2026-01-01T01:00Z"
    )
    passwords = run([engine.name, "exec", engine.container("airflow-api-server"), "cat",
                     "/home/avrolake/airflow/passwords.json"]).stdout  # fmt: skip
    token = api(
        "/auth/token", body={"username": "admin", "password": json.loads(passwords)["admin"]}
    )["access_token"]  # type: ignore[index]
    deadline = time.monotonic() + 300
    while True:
        try:
            api(f"/api/v2/dags/{dag_id}", token)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the DAG was not parsed within 300 s") from None
            time.sleep(3)
    # Triggered while still paused (the run waits queued), then unpaused: the scheduler creates
    # its own runs only for an unpaused DAG, so none can take this logical date first.
    run_id = trigger(token, dag_id, LOGICAL_DATE)
    api(f"/api/v2/dags/{dag_id}", token, {"is_paused": False}, method="PATCH")
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        state = api(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", token)["state"]  # type: ignore[index]
        if state in ("success", "failed"):
            tis = api(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", token)
            print("   tasks:", {t["task_id"]: t["state"] for t in tis["task_instances"]})  # type: ignore[index]
            if state != "success":
                logs = subprocess.run([engine.name, "logs", "--tail", "80", engine.container("airflow-scheduler")],
                                      capture_output=True, text=True)  # fmt: skip
                raise SystemExit(f"run {run_id} failed\n{logs.stdout}{logs.stderr}")
            print(f"   run {run_id}: success")
            return str(run_id)
        time.sleep(5)
    raise SystemExit("the run did not finish within 900 s")


def check_table(engine: Engine) -> None:
    for name, (expected, quarantined) in EXPECTED.items():
        check_one_table(engine, name, expected, quarantined)


def check_one_table(engine: Engine, name: str, expected: dict[str, int], quarantined: int) -> None:
    step(f"read the Delta table s3://lake/{name} back (deltalake, in the Spark image)")
    code = (
        "import json, os; from avrolake.storage import S3Options as O; from deltalake import DeltaTable, QueryBuilder; "
        "import pyarrow as pa; o = O.from_env(os.environ).delta_storage_options(); t = DeltaTable('s3://lake/NAME', storage_options=o); "
        "r = pa.table(QueryBuilder().register('t', t).execute('SELECT \"_writer_schema_version\" v, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1').read_all()).to_pylist(); "
        # a run that quarantined nothing has created no quarantine table
        "qt = 's3://lake/NAME_quarantine'; "
        "qn = pa.table(QueryBuilder().register('q', DeltaTable(qt, storage_options=o)).execute('SELECT COUNT(*) n FROM q').read_all()).to_pylist()[0]['n'] if DeltaTable.is_deltatable(qt, storage_options=o) else 0; "
        "h = [(c.get('version'), c.get('operation'), (c.get('userMetadata') or '')[:60]) for c in t.history()]; "
        "print(json.dumps({'history': sorted(h, key=lambda c: c[0] or 0)})); "
        "print(json.dumps({'version': t.version(), 'rows_by_writer_version': {str(x['v']): x['n'] for x in r}, 'quarantined': qn}))"
    ).replace("NAME", name)
    lines = run([engine.name, "exec", engine.container("spark-master"), "python", "-c", code])
    history, out = lines.stdout.strip().splitlines()[-2:]
    print(f"   commits: {history}")
    print(f"   {out}")
    result = json.loads(out)
    if result["rows_by_writer_version"] != expected or result["quarantined"] != quarantined:
        raise SystemExit(
            f"{name}: expected rows {expected} and {quarantined} quarantined files, got {result}"
        )
    print("   rows per writer version and quarantine as expected")


def spark_reads_lake(engine: Engine) -> None:
    step("Spark on the cluster reads s3a://lake/logs (delta-spark), next to avrolake status")
    submit = [engine.name, "exec", engine.container("spark-master"), "spark-submit", "--master",
              "spark://spark-master:7077", "--driver-memory", "512m", "--executor-memory", "512m",
              "--conf", "spark.driver.host=spark-master",
              "--conf", "spark.hadoop.fs.s3a.endpoint=http://minio:9000",
              "--conf", "spark.hadoop.fs.s3a.endpoint.region=us-east-1",
              "/opt/avrolake/jobs/lake_counts.py", "s3a://lake/logs"]  # fmt: skip
    spark = json.loads(run(submit).stdout.strip().splitlines()[-1])
    status_cmd = [engine.name, "exec", engine.container("spark-master"), "avrolake", "status", "--table",
                  "s3://lake/logs", "--json"]  # fmt: skip
    status = json.loads(run(status_cmd).stdout.strip().splitlines()[-1])
    print(f"   {'writer version':>14} {'spark s3a://':>12} {'avrolake status':>15}")
    for version in sorted(
        set(spark["rows_by_writer_version"]) | set(status["rows_by_writer_version"])
    ):
        print(f"   {version:>14} {spark['rows_by_writer_version'].get(version, 0):>12} "
              f"{status['rows_by_writer_version'].get(version, 0):>15}")  # fmt: skip
    print(f"   DESCRIBE HISTORY, latest commit: {spark['latest_commit']}")
    if spark["rows_by_writer_version"] != status["rows_by_writer_version"]:
        raise SystemExit(f"Spark over s3a:// read {spark}, avrolake status says {status}")
    print("   Spark's rows per writer version equal avrolake status")


def backfill_lands_new_hours(engine: Engine) -> None:
    step("make backfill: 6 new files over 3 hours, spark-submit from a client container")
    generate = ["avrolake", "generate", "--subject", "log_event", "--out", "s3://raw/backfill", "--files", "6",
                "--records", "500", "--hours", "3", "--seed", "11"]  # fmt: skip
    run(client_run(engine, *generate))
    cmd = ["make", "backfill", "SINCE=2026-01-01T00", "UNTIL=2026-01-01T03",
           "SOURCE=s3://raw/backfill", "TABLE=s3://lake/backfill"]  # fmt: skip
    print(f"   $ {' '.join(cmd)}")
    out = run(cmd).stdout.strip().splitlines()
    print("\n".join(f"   {line}" for line in out if line.startswith(("$", "{"))))
    summary = json.loads(out[-1])
    got = (summary["files_seen"], summary["files_ingested"], summary["records_written"])
    if got != (6, 6, 3000):
        raise SystemExit(
            f"backfill: expected 6 files seen and ingested, 3000 records; got {summary}"
        )
    print("   backfill landed 6 files, 3000 records, on the cluster")


def check_sizes(engine: Engine) -> None:
    sizes = print_sizes(engine)
    for name, goal in SIZE_GOALS.items():
        verdict = "within" if sizes[name] <= goal * 1e6 else "OVER"
        print(f"   {name}: {sizes[name] / 1e6:.0f} MB, {verdict} the goal of {goal} MB")


def main() -> int:
    engine = detect()
    cmd_down(engine, volumes=True)
    checks = [trigger_and_wait, check_table, spark_reads_lake, backfill_lands_new_hours]
    try:
        cmd_up(engine)
        check_sizes(engine)
        for check in checks:
            check(engine)
        print(f"lakehouse-test: {len(checks)} passed, 0 failed")
        return 0
    finally:
        if os.environ.get("AVROLAKE_KEEP_STACK") != "1":
            cmd_down(engine, volumes=True)


if __name__ == "__main__":
    raise SystemExit(main())
