"""Parsing the DAG folder reads the registry folder and nothing else: with every table and
source on S3 and the S3 endpoint a real TCP listener, the parse connects to nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_REGISTRY, ROOT

pytestmark = pytest.mark.airflow

PARSE = (
    "import json, sys; from airflow.dag_processing.dagbag import DagBag; "
    "bag = DagBag(dag_folder=sys.argv[1]); "
    "print(json.dumps({'dags': sorted(bag.dags), 'errors': list(bag.import_errors)}))"
)


class Listener:
    """A TCP port that counts the connections made to it."""

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


@pytest.fixture
def endpoint() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.sock.close()


def s3_registry(root: Path, subjects: int) -> Path:
    """`subjects` copies of log_event, each with an absolute s3:// table and source."""
    for i in range(subjects):
        folder = root / f"topic_{i:02d}"
        shutil.copytree(REPO_REGISTRY / "log_event", folder)
        settings = {
            "table": f"s3://lake/topic_{i:02d}",
            "quarantine_table": f"s3://rejects/topic_{i:02d}",
            "source": {"prefix": f"s3://raw/topics/topic_{i:02d}"},
        }
        (folder / "table.json").write_text(json.dumps(settings))
    return root


def test_parsing_the_dag_folder_with_s3_tables_opens_no_connection(
    tmp_path: Path, endpoint: Listener
) -> None:
    registry = s3_registry(tmp_path / "schemas", 12)
    env = {
        **os.environ,
        "AVROLAKE_REGISTRY": str(registry),
        "AVROLAKE_RAW_ROOT": "s3://raw",
        "AVROLAKE_LAKE_ROOT": "s3://lake",
        "AIRFLOW_VAR_AVROLAKE_RAW_ROOT": "s3://raw",
        "AIRFLOW_VAR_AVROLAKE_LAKE_ROOT": "s3://lake",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{endpoint.port}",
        "AWS_ACCESS_KEY_ID": "parse-test",
        "AWS_SECRET_ACCESS_KEY": "parse-test",
    }
    # the listener is real: a client pointed at it does connect
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5):
        pass
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(ROOT / "dags")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed == {
        "dags": [*(f"ingest_topic_{i:02d}" for i in range(12)), "maintain_delta_tables"],
        "errors": [],
    }
    assert endpoint.connections == 1  # the test's own connection, and no other
