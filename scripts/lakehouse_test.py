"""`make lakehouse-test`: build the images under podman, start the compose stack, run the DAG
through Airflow's REST API, and check the Delta table's rows per writer version.

Steps: a Debian bookworm base image from debootstrap, tagged as the Dockerfiles' FROM name
(no registry can be reached here) -> podman builds of the four images -> podman-compose up
with compose.yaml + compose.podman.yaml, service group by group, each checked healthy ->
trigger ingest_avro_logs for 2026-01-01T01:00Z (interval [00:00, 01:00)) -> wait for success
-> read the table back in the Spark image (deltalake) -> a Spark job on the cluster (master +
2 workers) reads it over s3a:// with delta-spark: its rows per writer version must equal
`avrolake status` -> down -v. The images copy their jars from .jars/ (fetched first, pinned).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "docker.io/library/debian:bookworm-slim"
PROJECT = "avrolake"
COMPOSE = [sys.executable, "-m", "podman_compose", "-p", PROJECT, "-f", "compose.yaml",
           "-f", "compose.podman.yaml"]  # fmt: skip
IMAGES = {
    "localhost/avrolake-spark:0.1.0": ("docker/Dockerfile", "spark"),
    "localhost/avrolake-airflow:0.1.0": ("docker/Dockerfile", "airflow"),
    "localhost/avrolake-s3-dev:0.1.0": ("docker/dev/s3.Dockerfile", None),
    "localhost/avrolake-postgres-dev:0.1.0": ("docker/dev/postgres.Dockerfile", None),
}
# The test uploads its files moments before it triggers the DAG: no settle time in this stack.
os.environ.setdefault("AVROLAKE_SETTLE_SECONDS", "0")
CA_BUNDLE = Path(os.environ.get("AVROLAKE_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))


def step(text: str) -> None:
    print(f"== {text}", flush=True)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result  # type: ignore[no-any-return]


def image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], check=False).returncode == 0


def base_image() -> None:
    if image_exists(BASE):
        step(f"base image {BASE} present")
        return
    step(f"debootstrap bookworm -> podman import {BASE}")
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(
            [
                "debootstrap",
                "--variant=minbase",
                "bookworm",
                str(rootfs),
                "http://deb.debian.org/debian",
            ]
        )
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run(["podman", "import", "-", BASE], stdin=tar.stdout)
        tar.wait()


def build_images() -> None:
    secret = ["--secret", f"id=ca_bundle,src={CA_BUNDLE}"] if CA_BUNDLE.is_file() else []
    for name, (dockerfile, target) in IMAGES.items():
        step(f"podman build {name}")
        cmd = [
            "podman",
            "build",
            "--format",
            "docker",
            "--pull=never",
            *secret,
            "-f",
            dockerfile,
            "-t",
            name,
        ]
        run([*cmd, *(["--target", target] if target else []), "."])
    for name in IMAGES:
        size = run(["podman", "image", "inspect", name, "--format", "{{.Size}}"]).stdout.strip()
        print(f"   {name}: {int(size) / 1e6:.0f} MB")


def container(service: str) -> str:
    return f"{PROJECT}_{service}_1"


def wait_healthy(service: str, check: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["podman", "exec", container(service), *check], capture_output=True, check=False
        )
        if probe.returncode == 0:
            print(f"   {service}: healthy")
            return
        time.sleep(2)  # polling a starting container; nothing else to wait on
    logs = subprocess.run(
        ["podman", "logs", "--tail", "40", container(service)], capture_output=True, text=True
    )
    raise SystemExit(f"{service} not healthy after {timeout}s:\n{logs.stdout}{logs.stderr}")


def wait_exited_ok(service: str, timeout: float = 300) -> None:
    result = run(["podman", "wait", container(service)], timeout=timeout)
    code = result.stdout.strip().splitlines()[-1]
    if code != "0":
        logs = subprocess.run(
            ["podman", "logs", container(service)], capture_output=True, text=True
        )
        raise SystemExit(f"{service} exited {code}:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
    print(f"   {service}: done")


def up(*services: str) -> None:
    run([*COMPOSE, "up", "-d", "--no-deps", *services])


def start_stack() -> None:
    step("podman-compose up: storage and metadata")
    up("minio", "postgres")
    wait_healthy("minio", ["python3", "/opt/healthcheck.py", "9000"])
    wait_healthy("postgres", ["pg_isready", "-h", "127.0.0.1"])
    up("create-buckets")
    wait_exited_ok("create-buckets")
    up("demo-data")
    wait_exited_ok("demo-data")
    step("podman-compose up: Spark master + 2 workers")
    up("spark-master")
    wait_healthy("spark-master", ["python3", "/opt/avrolake/healthcheck.py", "8080"])
    up("spark-worker-1", "spark-worker-2")
    alive = ["python3", "-c", "import json,sys,urllib.request as u; "
             "sys.exit(json.load(u.urlopen('http://127.0.0.1:8080/json/'))['aliveworkers'] != 2)"]  # fmt: skip
    wait_healthy("spark-master", alive)
    step("podman-compose up: Airflow")
    up("airflow-init")
    wait_exited_ok("airflow-init")
    up("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
    wait_healthy("airflow-api-server", ["python3", "/opt/avrolake/healthcheck.py", "8080"])


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
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def trigger_and_wait() -> str:
    step(
        "Airflow REST API: log in, wait for the DAG, trigger ingest_avro_logs for 2026-01-01T01:00Z"
    )
    passwords = run(["podman", "exec", container("airflow-api-server"), "cat",
                     "/home/avrolake/airflow/passwords.json"]).stdout  # fmt: skip
    token = api(
        "/auth/token", body={"username": "admin", "password": json.loads(passwords)["admin"]}
    )["access_token"]  # type: ignore[index]
    deadline = time.monotonic() + 300
    while True:
        try:
            api("/api/v2/dags/ingest_avro_logs", token)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the DAG was not parsed within 300 s") from None
            time.sleep(3)
    api("/api/v2/dags/ingest_avro_logs", token, {"is_paused": False}, method="PATCH")
    run_ = api("/api/v2/dags/ingest_avro_logs/dagRuns", token,
               {"logical_date": "2026-01-01T01:00:00Z", "dag_run_id": "lakehouse-test"})  # fmt: skip
    run_id = run_["dag_run_id"]  # type: ignore[index]
    print(f"   triggered {run_id}")
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        state = api(f"/api/v2/dags/ingest_avro_logs/dagRuns/{run_id}", token)["state"]  # type: ignore[index]
        if state in ("success", "failed"):
            tis = api(f"/api/v2/dags/ingest_avro_logs/dagRuns/{run_id}/taskInstances", token)
            print("   tasks:", {t["task_id"]: t["state"] for t in tis["task_instances"]})  # type: ignore[index]
            if state != "success":
                logs = subprocess.run(["podman", "logs", "--tail", "80", container("airflow-scheduler")],
                                      capture_output=True, text=True)  # fmt: skip
                raise SystemExit(f"run {run_id} failed\n{logs.stdout}{logs.stderr}")
            print(f"   run {run_id}: success")
            return str(run_id)
        time.sleep(5)
    raise SystemExit("the run did not finish within 900 s")


def check_table() -> None:
    step("read the Delta table back (deltalake, in the Spark image)")
    code = (
        "import json, os; from avrolake.storage import S3Options as O; from deltalake import DeltaTable, QueryBuilder; "
        "import pyarrow as pa; o = O.from_env(os.environ).delta_storage_options(); t = DeltaTable('s3://lake/logs', storage_options=o); "
        "r = pa.table(QueryBuilder().register('t', t).execute('SELECT \"_writer_schema_version\" v, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1').read_all()).to_pylist(); "
        "q = DeltaTable('s3://lake/logs_quarantine', storage_options=o); "
        "qn = pa.table(QueryBuilder().register('q', q).execute('SELECT COUNT(*) n FROM q').read_all()).to_pylist()[0]['n']; "
        "print(json.dumps({'version': t.version(), 'rows_by_writer_version': {str(x['v']): x['n'] for x in r}, 'quarantined': qn}))"
    )
    out = (
        run(["podman", "exec", container("spark-master"), "python", "-c", code])
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"   {out}")
    result = json.loads(out)
    expected = {"1": 2000, "2": 2000, "3": 2000}
    if result["rows_by_writer_version"] != expected or result["quarantined"] != 2:
        raise SystemExit(f"expected rows {expected} and 2 quarantined files, got {result}")
    print("   rows per writer version and quarantine as expected")


def fetch_jars() -> None:
    step("scripts/fetch_jars.py --group delta --group s3a (jars.lock, sha256-checked) -> .jars/")
    print(
        run([sys.executable, "scripts/fetch_jars.py", "--group", "delta", "--group", "s3a"]).stdout,
        end="",
    )


def spark_reads_lake() -> None:
    step("Spark on the cluster reads s3a://lake/logs (delta-spark), next to avrolake status")
    submit = ["podman", "exec", container("spark-master"), "spark-submit", "--master",
              "spark://spark-master:7077", "--driver-memory", "512m", "--executor-memory", "512m",
              "--conf", "spark.driver.host=spark-master",
              "--conf", "spark.hadoop.fs.s3a.endpoint=http://minio:9000",
              "--conf", "spark.hadoop.fs.s3a.endpoint.region=us-east-1",
              "/opt/avrolake/jobs/lake_counts.py", "s3a://lake/logs"]  # fmt: skip
    spark = json.loads(run(submit).stdout.strip().splitlines()[-1])
    status_cmd = ["podman", "exec", container("spark-master"), "avrolake", "status", "--table",
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


def main() -> int:
    for tool in ("podman", "debootstrap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required (apt-get install podman runc debootstrap)")
    fetch_jars()
    base_image()
    build_images()
    run([*COMPOSE, "down", "-v"])
    try:
        start_stack()
        trigger_and_wait()
        check_table()
        spark_reads_lake()
        print("lakehouse-test: 2 passed, 0 failed")
        return 0
    finally:
        if os.environ.get("AVROLAKE_KEEP_STACK") != "1":
            step("podman-compose down -v")
            subprocess.run([*COMPOSE, "down", "-v"], cwd=ROOT, capture_output=True, check=False)


if __name__ == "__main__":
    raise SystemExit(main())
