"""The local lakehouse (compose.yaml) on Docker or podman: one command up, one down.

    python scripts/lakehouse.py up        # build the images, start every service healthy
    python scripts/lakehouse.py down      # stop it (the volumes stay)
    python scripts/lakehouse.py clean     # stop it, drop its volumes, images and build stages
    python scripts/lakehouse.py backfill --since 2026-01-01T00 --until 2026-01-01T03
    python scripts/lakehouse.py login     # the Airflow user and password

`make lakehouse-up`, `make lakehouse-down`, `make lakehouse-clean` and `make backfill` call
it after installing podman where no Docker daemon answers (scripts/install_podman.sh).
Services start group by group (`compose up -d --no-deps`), each probed from inside its
container: podman 4.3 runs no healthchecks without systemd, and podman-compose cannot start
a whole file whose services depend on each other.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lakehouse_engine import NETWORK, PROJECT, ROOT, Engine, detect, step
from lakehouse_images import IMAGES, base_image, build_images, print_sizes

SPARK_IMAGE = os.environ.get("AVROLAKE_SPARK_IMAGE", "localhost/avrolake-spark:0.1.0")
CA_BUNDLE = Path(os.environ.get("AVROLAKE_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
PASSWORDS = "/home/avrolake/airflow/passwords.json"


def compose(engine: Engine, *args: str) -> None:
    engine.check([*engine.compose, *args], tool=True)


def wait_healthy(engine: Engine, service: str, probe: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.call(["exec", engine.container(service), *probe], quiet=True).returncode == 0:
            print(f"   {service}: healthy", flush=True)
            return
        time.sleep(2)  # polling a starting container; nothing else to wait on
    logs = engine.call(["logs", "--tail", "40", engine.container(service)], capture_output=True)
    raise SystemExit(f"{service} not healthy after {timeout}s:\n{logs.stdout}{logs.stderr}")


def wait_exited_ok(engine: Engine, service: str) -> None:
    code = engine.check(["wait", engine.container(service)], timeout=600).stdout.split()[-1]
    if code != "0":
        logs = engine.call(["logs", engine.container(service)], capture_output=True)
        raise SystemExit(f"{service} exited {code}:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
    print(f"   {service}: done", flush=True)


def start_stack(engine: Engine) -> None:
    def up(*services: str) -> None:
        compose(engine, "up", "-d", "--no-deps", "--force-recreate", *services)

    s3_probe = (["python3", "/opt/healthcheck.py", "9000"] if engine.dev_images
                else ["mc", "ready", "local"])  # fmt: skip
    step("compose up: storage and metadata")
    up("minio", "postgres")
    wait_healthy(engine, "minio", s3_probe)
    wait_healthy(engine, "postgres", ["pg_isready", "-h", "127.0.0.1"])
    for one_shot in ("create-buckets", "demo-data"):
        up(one_shot)
        wait_exited_ok(engine, one_shot)
    step("compose up: Spark master + 2 workers")
    up("spark-master")
    wait_healthy(engine, "spark-master", ["python3", "/opt/avrolake/healthcheck.py", "8080"])
    up("spark-worker-1", "spark-worker-2")
    alive = ["python3", "-c", "import json,sys,urllib.request as u; "
             "sys.exit(json.load(u.urlopen('http://127.0.0.1:8080/json/'))['aliveworkers'] != 2)"]  # fmt: skip
    wait_healthy(engine, "spark-master", alive)
    step("compose up: Airflow")
    up("airflow-init")
    wait_exited_ok(engine, "airflow-init")
    up("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
    wait_healthy(engine, "airflow-api-server", ["python3", "/opt/avrolake/healthcheck.py", "8080"])
    for job in ("SchedulerJob", "DagProcessorJob", "TriggererJob"):
        service = {"SchedulerJob": "airflow-scheduler", "DagProcessorJob": "airflow-dag-processor",
                   "TriggererJob": "airflow-triggerer"}[job]  # fmt: skip
        wait_healthy(engine, service, ["airflow", "jobs", "check", "--job-type", job, "--local"])


def login_command(engine: Engine) -> str:
    return f"{engine.name} exec {engine.container('airflow-api-server')} cat {PASSWORDS}"


def print_endpoints(engine: Engine) -> None:
    s3 = (
        "moto S3 server (dev image)"
        if engine.dev_images
        else "MinIO, console http://localhost:9001"
    )
    print(f"""
lakehouse up ({engine.name}; compose files: {", ".join(engine.files)})
  Airflow UI    http://localhost:8080   user admin, password: make lakehouse-login
                (or: {login_command(engine)})
  S3 endpoint   http://localhost:9000   {s3}; AWS_ACCESS_KEY_ID=avrolake-dev
                AWS_SECRET_ACCESS_KEY=avrolake-dev-secret (local-dev defaults); buckets raw, lake
  Spark master  spark://localhost:7077 (UI http://localhost:8090); in the network spark://spark-master:7077
  DAGs start paused: unpause ingest_log_event and ingest_orders in the UI, then trigger it for 2026-01-01T01:00Z
  backfill      make backfill SINCE=2026-01-01T00 UNTIL=2026-01-01T03
  stop          make lakehouse-down   (make lakehouse-clean: also volumes, images, build stages)""",
          flush=True)  # fmt: skip


def cmd_up(engine: Engine) -> None:
    # AVROLAKE_BUILD=0: start from the images there are (while iterating on the stack itself).
    if os.environ.get("AVROLAKE_BUILD") != "0" or not all(map(engine.image_exists, IMAGES)):
        step(
            "scripts/fetch_jars.py --group delta --group s3a (jars.lock, sha256-checked) -> .jars/"
        )
        engine.check(
            [sys.executable, "scripts/fetch_jars.py", "--group", "delta", "--group", "s3a"],
            tool=True,
        )
        base_image(engine)
        build_images(engine, CA_BUNDLE)
        print_sizes(engine)
    start_stack(engine)
    print_endpoints(engine)


def cmd_down(engine: Engine, volumes: bool = False) -> None:
    step(f"compose down{' -v' if volumes else ''}")
    engine.call([*engine.compose, "down", *(["-v"] if volumes else [])], quiet=True)
    label = "io.podman.compose.project" if engine.name == "podman" else "com.docker.compose.project"
    left = engine.check(["ps", "-aq", "--filter", f"label={label}={PROJECT}"]).stdout.split()
    if left:  # what `down` left behind (e.g. after an interrupted `up`)
        engine.call(["rm", "-f", *left], quiet=True)
    if volumes:  # podman-compose's `down -v` leaves a volume behind now and then (postgres-data)
        kept = engine.check(
            ["volume", "ls", "-q", "--filter", f"label={label}={PROJECT}"]
        ).stdout.split()
        if kept:
            engine.call(["volume", "rm", "-f", *kept], quiet=True)


def cmd_clean(engine: Engine) -> None:
    cmd_down(engine, volumes=True)
    step("remove the images and the build stages")
    for name in IMAGES:
        engine.call(["rmi", "-f", name], quiet=True)
    engine.call(["image", "prune", "-f"], quiet=True)
    if engine.name == "podman":
        engine.call(["system", "prune", "-f"], quiet=True)  # stopped containers, build cache
    else:
        engine.call(["builder", "prune", "-f"], quiet=True)
    engine.call(["system", "df"])


def client_env() -> dict[str, str]:
    """The S3 settings of a one-off container on the compose network (local-dev defaults)."""
    settle = os.environ.get("AVROLAKE_SETTLE_SECONDS")
    return {
        "AWS_ACCESS_KEY_ID": os.environ.get("MINIO_ROOT_USER", "avrolake-dev"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("MINIO_ROOT_PASSWORD", "avrolake-dev-secret"),
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://minio:9000",
        **({"AVROLAKE_SETTLE_SECONDS": settle} if settle is not None else {}),
    }


def client_run(engine: Engine, *command: str) -> list[str]:
    """`engine run` of the Spark image on the compose network, removed when it exits."""
    env = [a for k, v in client_env().items() for a in ("-e", f"{k}={v}")]
    return [engine.name, "run", "--rm", "--network", NETWORK, *env, SPARK_IMAGE, *command]


def backfill_command(
    engine: Engine, since: str, until: str, source: str, table: str, subject: str = "log_event"
) -> list[str]:
    """spark-submit of jobs/ingest_logs.py from a one-off client container on the compose
    network: the driver runs there, where the workers reach it (spark.driver.host = its IP)."""
    submit = ("exec spark-submit --master spark://spark-master:7077 "
              '--conf spark.driver.host="$(hostname -i)" --driver-memory 512m --executor-memory 512m '
              '/opt/avrolake/jobs/ingest_logs.py "$@"')  # fmt: skip
    job = ["--subject", subject, "--source", source, "--table", table, "--since", since,
           "--until", until, "--json"]  # fmt: skip
    return client_run(engine, "sh", "-c", submit, "backfill", *job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="build the images and start every service healthy")
    sub.add_parser("down", help="stop the stack; its volumes stay")
    sub.add_parser("clean", help="stop the stack; remove its volumes, images and build stages")
    sub.add_parser("login", help="print the Airflow user and password")
    fill = sub.add_parser(
        "backfill", help="spark-submit an ingest of [SINCE, UNTIL) to the cluster"
    )
    fill.add_argument(
        "--since", required=True, help="first dt=/hour= partition (ISO), e.g. 2026-01-01T00"
    )
    fill.add_argument("--until", required=True, help="end, exclusive (ISO)")
    fill.add_argument("--source", default="s3://raw/logs", help="default: s3://raw/logs")
    fill.add_argument("--table", default="s3://lake/logs", help="default: s3://lake/logs")
    fill.add_argument(
        "--subject", default="log_event", help="the registry subject (default: log_event)"
    )
    args = parser.parse_args(argv)
    engine = detect()
    if args.command == "up":
        cmd_up(engine)
    elif args.command == "down":
        cmd_down(engine)
    elif args.command == "clean":
        cmd_clean(engine)
    elif args.command == "login":
        out = engine.check(
            ["exec", engine.container("airflow-api-server"), "cat", PASSWORDS]
        ).stdout
        print(f"user admin, password {json.loads(out)['admin']}")
    else:
        cmd = backfill_command(
            engine, args.since, args.until, args.source, args.table, args.subject
        )
        print("$ " + shlex.join(cmd), flush=True)
        return subprocess.run(cmd, cwd=ROOT, check=False).returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
