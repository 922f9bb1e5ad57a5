"""The README's troubleshooting quotes only what the program prints: each message quoted in
bold there has a way to make it happen here, and making it happen prints it (`…` in a
quote stands for the part that varies)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from avrolake.config import IngestConfig
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.conftest import ROOT, SHIPPED_REGISTRY, v3_without_service_alias
from tests.fixtures.lake import generate_logs, registry_with
from tests.fixtures.s3 import S3Endpoint, _free_port
from tests.spark.test_worker_python import SCRIPT

pytestmark = pytest.mark.docs
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]


def quoted() -> list[str]:
    """The backticked messages inside the bold leads of the troubleshooting section."""
    return [q for bold in re.findall(r"\*\*(.+?)\*\*", SECTION, re.S) for q in re.findall(
        r"`([^`]+)`", bold.replace("\n  ", " "))]  # fmt: skip


def run(args: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=600
    )
    assert done.returncode != 0, done.stdout[-2000:]
    return done.stdout + done.stderr


def avrolake(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    return run([sys.executable, "-m", "avrolake", *args], cwd, env)


def without_registry_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "AVROLAKE_REGISTRY"}


def no_java(tmp: Path) -> str:
    """bootstrap.sh on a machine with no java and no apt-get (only the tools it runs)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "id", "sed", "head"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    return run(["bash", str(ROOT / "scripts" / "bootstrap.sh")], env={"PATH": str(bin_dir)})


def no_python(tmp: Path) -> str:
    """uv looking for Python 3.11 where there is none, and downloads off (as bootstrap.sh)."""
    uv = shutil.which("uv") or "uv"
    if Path(uv).read_bytes()[:2] == b"#!":  # a pyenv shim: the binary it runs
        uv = subprocess.run(["pyenv", "which", "uv"], capture_output=True, text=True).stdout
    env = {"PATH": str(tmp), "HOME": str(tmp), "UV_PYTHON_DOWNLOADS": "never",
           "UV_PYTHON_INSTALL_DIR": str(tmp / "pythons")}  # fmt: skip
    return run([uv.strip(), "python", "find", "3.11"], cwd=tmp, env=env)


def registry_missing(tmp: Path) -> str:
    return avrolake("schemas", "check", cwd=tmp, env=without_registry_env())


def registry_empty(tmp: Path) -> str:
    (tmp / "empty").mkdir()
    return avrolake("schemas", "check", "--registry", "empty", cwd=tmp)


def gate_fails(tmp: Path) -> str:
    registry = registry_with(tmp, [1, 2, 3], {4: v3_without_service_alias()})
    (tmp / "raw").mkdir()
    return avrolake("ingest", "--source", str(tmp / "raw"), "--table", str(tmp / "t"),
                    "--registry", str(registry))  # fmt: skip


def bad_schema(tmp: Path) -> str:
    doc = json.loads((SHIPPED_REGISTRY / "log_event" / "v3.avsc").read_text())
    doc["fields"][3]["type"] = "strnig"
    (tmp / "bad.avsc").write_text(json.dumps(doc))
    v1 = str(SHIPPED_REGISTRY / "log_event" / "v1.avsc")
    return avrolake("compat", "--reader", str(tmp / "bad.avsc"), "--writer", v1)


def needs_migrate(tmp: Path) -> str:
    """A table landed by reader v2 (latency_ms int), then ingest with v3 (long)."""
    generate_logs(resolve(str(tmp / "raw")), files=2, records=5, versions=[1, 2])
    config = IngestConfig(str(tmp / "raw"), str(tmp / "t"), "v2", dt.datetime.now(dt.UTC),
                          registry=registry_with(tmp, [1, 2]), settle_seconds=0)  # fmt: skip
    run_ingest(config, SerialRunner())
    return avrolake("ingest", "--source", str(tmp / "raw"), "--table", str(tmp / "t"),
                    "--registry", str(SHIPPED_REGISTRY))  # fmt: skip


def worker_without_avrolake(tmp: Path) -> str:
    """A data source read whose workers run a Python the user chose, one without avrolake."""
    generate_logs(resolve(str(tmp / "raw")), files=1, records=5)
    (tmp / "myjob.py").write_text(SCRIPT)
    env = {**os.environ, "PYSPARK_PYTHON": "/usr/bin/python3"}
    return run([sys.executable, str(tmp / "myjob.py"), str(tmp / "raw"), str(SHIPPED_REGISTRY)],
               cwd=tmp, env=env)  # fmt: skip


def on_s3(s3: S3Endpoint, table: str, **env: str | None) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    merged = {**base, **s3.env(), **env}
    return avrolake("status", "--table", table,
                    env={k: v for k, v in merged.items() if v is not None})  # fmt: skip


def no_bucket(s3: S3Endpoint) -> str:
    return on_s3(s3, "s3://no-such-bucket-21/lake/t")


def no_endpoint(s3: S3Endpoint) -> str:
    return on_s3(s3, "s3://lake/t", AWS_ENDPOINT_URL=f"http://127.0.0.1:{_free_port()}")


def no_credentials(s3: S3Endpoint) -> str:
    return on_s3(s3, "s3://lake/t", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)


def table_folder_not_empty(tmp: Path) -> str:
    (tmp / "raw").mkdir()
    (tmp / "t").mkdir()
    (tmp / "t" / "notes.txt").write_text("mine")
    return avrolake("ingest", "--source", str(tmp / "raw"), "--table", str(tmp / "t"),
                    "--registry", str(SHIPPED_REGISTRY))  # fmt: skip


def table_deleted_ledger_kept(tmp: Path) -> str:
    generate_logs(resolve(str(tmp / "raw")), files=1, records=5, seed=1)
    args = ("--source", str(tmp / "raw"), "--table", str(tmp / "t"), "--settle-seconds", "0",
            "--registry", str(SHIPPED_REGISTRY))  # fmt: skip
    first = subprocess.run([sys.executable, "-m", "avrolake", "ingest", *args], check=False)
    assert first.returncode == 0
    shutil.rmtree(tmp / "t")
    return avrolake("ingest", *args)


LOCAL: dict[str, Callable[[Path], str]] = {
    "bootstrap: a Java 17+ JDK is required": no_java,
    "No interpreter found for Python 3.11": no_python,
    "avrolake: error: unusable registry schemas: it does not exist or is not a directory": (
        registry_missing
    ),
    "avrolake: error: unusable registry …: no subjects": registry_empty,
    "… breaks its compatibility level, so no file was read": gate_fails,
    "invalid Avro schema at $.fields[3].type: …": bad_schema,
    "… holds columns the reader schema changes (latency_ms: int32 -> int64…)": needs_migrate,
    "ModuleNotFoundError: No module named 'avrolake'": worker_without_avrolake,
    "avrolake: error: --table … is a folder holding … that are not a Delta table": (
        table_folder_not_empty
    ),
    "avrolake: error: --table … does not exist, but its ledger … does": table_deleted_ledger_kept,
}
ON_S3: dict[str, Callable[[S3Endpoint], str]] = {
    "avrolake: error: bucket '…' does not exist at the S3 endpoint …": no_bucket,
    "avrolake: error: cannot connect to the S3 endpoint …": no_endpoint,
    "… no credentials were found …": no_credentials,
}


def printed(message: str, output: str) -> bool:
    """The quote's fixed parts appear in order on one line of the output."""
    pattern = ".*?".join(re.escape(part.strip()) for part in message.split("…") if part.strip())
    return any(re.search(pattern, line) for line in output.splitlines())


def test_every_quoted_message_has_a_way_to_make_it_happen() -> None:
    assert sorted(quoted()) == sorted([*LOCAL, *ON_S3])


@pytest.mark.parametrize("message", list(LOCAL), ids=[t.__name__ for t in LOCAL.values()])
def test_the_program_prints_each_quoted_message(message: str, tmp_path: Path) -> None:
    output = LOCAL[message](tmp_path)
    assert printed(message, output), output[-3000:]


@pytest.mark.parametrize("message", list(ON_S3), ids=[t.__name__ for t in ON_S3.values()])
def test_the_program_prints_each_quoted_s3_message(message: str, s3_endpoint: S3Endpoint) -> None:
    output = ON_S3[message](s3_endpoint)
    assert printed(message, output), output[-3000:]
