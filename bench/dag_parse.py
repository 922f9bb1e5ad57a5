"""Benchmark: parsing the DAG folder with 200 deployed subjects (issue 20: < 2 s, no object
storage read).

    .venv/bin/python bench/dag_parse.py                 # 200 subjects, best of 5
    .venv/bin/python bench/dag_parse.py --subjects 20   # a quick look

Builds a registry of `--subjects` subjects in a temp folder (each the shipped log_event's three
versions plus a table.json with its own table, source prefix and schedule), then, in a fresh
Python process with $AVROLAKE_REGISTRY pointing at it, parses dags/ the two ways Airflow does:
`DagBag(dag_folder=dags/)` (what `airflow dags test` and the tests use) and the
dag-processor's own per-file parse (`_parse_file`: DagBag + serialization, what it stores),
after one warm-up parse (Airflow's own imports are not counted: the dag-processor has them).
Wall and CPU seconds, best of `--repeat`. The roots are s3:// URIs and AWS_ENDPOINT_URL points
at a TCP listener of this process: `connections` counts what reached it (must be 0).
Results go to bench/results/dag_parse.{json,md}. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEDULES = ("@hourly", "@daily", "15 * * * *", None)

# Runs in the child: parse dags/ `repeat` times each way, print one JSON line.
CHILD = r"""
import json, os, sys, time
from pathlib import Path
folder, repeat = Path(sys.argv[1]), int(sys.argv[2])
from airflow.dag_processing.dagbag import DagBag
from airflow.dag_processing.processor import DagFileParseRequest, _parse_file
import structlog
log = structlog.get_logger()
files = sorted(str(p) for p in folder.glob("*.py"))

def dagbag():
    bag = DagBag(dag_folder=str(folder))
    return len(bag.dags), dict(bag.import_errors)

def processor():
    dags, errors = 0, {}
    for f in files:
        msg = DagFileParseRequest(file=f, bundle_path=folder, bundle_name="dags-folder")
        result = _parse_file(msg, log)
        dags += len(result.serialized_dags)
        errors.update(result.import_errors)
    return dags, errors

out = {}
for name, parse in (("dagbag", dagbag), ("dag_processor", processor)):
    parse()  # warm-up: Airflow's and avrolake's imports, as in a running dag-processor
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        dags, errors = parse()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    out[name] = {"dags": dags, "import_errors": errors,
                 "wall_seconds": [round(w, 3) for w, _ in runs],
                 "cpu_seconds": [round(c, 3) for _, c in runs]}
print(json.dumps(out))
"""


def build_registry(root: Path, subjects: int) -> None:
    shipped = ROOT / "schemas" / "log_event"
    for i in range(subjects):
        folder = root / f"subject_{i:03d}"
        folder.mkdir(parents=True)
        for version in sorted(shipped.glob("v*.avsc")):
            shutil.copy(version, folder / version.name)
        settings = {
            "partition_field": "timestamp",
            "table": f"subject_{i:03d}",
            "schedule": SCHEDULES[i % len(SCHEDULES)],
            "source": {"prefix": f"topics/subject_{i:03d}"},
        }
        (folder / "table.json").write_text(json.dumps(settings))


class Listener:
    """A TCP port that counts the connections made to it (the bogus S3 endpoint)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def parse_in_child(registry: Path, repeat: int, endpoint: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="avrolake-bench-airflow-"))
    env = {
        **os.environ,
        "AVROLAKE_REGISTRY": str(registry),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW_VAR_AVROLAKE_RAW_ROOT": "s3://raw",
        "AIRFLOW_VAR_AVROLAKE_LAKE_ROOT": "s3://lake",
        "AVROLAKE_RAW_ROOT": "s3://raw",
        "AVROLAKE_LAKE_ROOT": "s3://lake",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "dags"), str(repeat)],
        env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def write_results(result: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "dag_parse.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(
        f"| {name} | {r['dags']} | {min(r['wall_seconds']):.3f} | {min(r['cpu_seconds']):.3f} "
        f"| {len(r['import_errors'])} |"
        for name, r in result["parses"].items()
    )
    (out / "dag_parse.md").write_text(
        f"# Parsing the DAG folder with {result['subjects']} deployed subjects\n\n"
        f"`bench/dag_parse.py --subjects {result['subjects']} --repeat {result['repeat']}`: "
        f"a registry of {result['subjects']} subjects (log_event v1..v3 + a table.json each), "
        "dags/ parsed after one warm-up parse; best of "
        f"{result['repeat']}. Load average while it ran: {result['load_average']}.\n\n"
        "| parse | DAGs | wall s | CPU s | import errors |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Connections to the bogus S3 endpoint (roots s3://raw, s3://lake): "
        f"**{result['s3_connections']}**. Goal: < 2 s, no object storage read.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="avrolake-bench-registry-") as tmp:
        registry = Path(tmp) / "schemas"
        build_registry(registry, args.subjects)
        listener = Listener()
        parses = parse_in_child(registry, args.repeat, f"http://127.0.0.1:{listener.port}")
    result = {
        "subjects": args.subjects,
        "repeat": args.repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "parses": parses,
        "s3_connections": listener.connections,
    }
    write_results(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
