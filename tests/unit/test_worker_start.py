"""How a local run starts its Python workers (bench/results/fixed_cost.md): avrolake's daemon
imports the modules every task imports once, before it forks the workers, and only where
that starts no thread; and a worker imports what its task runs, not the whole job (lazy
package exports)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from avrolake.ingest import SerialRunner, SourceFile, WorkerContext, run_ingest
from avrolake.ingest.progress import Progress
from avrolake.spark.daemon import PRELOAD_KEY, PRELOADED
from avrolake.spark.runner import ingest_task
from tests.fixtures.lake import write_avro
from tests.unit.one_subject import config

pytestmark = pytest.mark.unit

SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "long"}]}


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    unset = ("OPENBLAS_NUM_THREADS", "JE_ARROW_MALLOC_CONF", PRELOAD_KEY)
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**environ, **env},
    )


PRELOAD = """
import os, sys
from avrolake.spark import daemon
print(daemon.preload(os.environ), daemon.threads())
print(sorted(m for m in daemon.PRELOADED if m not in sys.modules))
print([m for m in ("polars", "deltalake", "avrolake.ingest.job") if m in sys.modules])
print(os.environ["OPENBLAS_NUM_THREADS"], os.environ["JE_ARROW_MALLOC_CONF"])
"""


def test_the_daemon_preloads_the_workers_modules_and_starts_no_thread() -> None:
    done = python(PRELOAD)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "True 1",
        "[]",
        "[]",
        "1 background_thread:false",
    ]


def test_a_thread_started_by_an_import_is_seen() -> None:
    """numpy's OpenBLAS starts its pool where the user asked for more than one thread."""
    done = python(PRELOAD, OPENBLAS_NUM_THREADS="2")

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0] == "False 2"
    assert done.stdout.splitlines()[3] == "2 background_thread:false"
    assert done.stderr.splitlines() == [
        "avrolake.spark.daemon: importing the workers' modules started 2 threads (was 1); "
        "starting again without preloading them, the workers import them (as pyspark's own "
        "do). AVROLAKE_DAEMON_PRELOAD=0 skips the attempt."
    ]


def test_an_import_that_fails_is_said_and_left_to_the_workers() -> None:
    done = python(
        "import os\nfrom avrolake.spark import daemon\n"
        "daemon.PRELOADED = ('pyspark.worker', 'no_such_module_here')\n"
        "print(daemon.preload(os.environ))\n"
    )

    assert done.stdout.splitlines() == ["False"]
    assert done.stderr.splitlines() == [
        "avrolake.spark.daemon: importing no_such_module_here failed (ModuleNotFoundError: "
        "No module named 'no_such_module_here'); starting again without preloading them, the "
        "workers import them (as pyspark's own do). AVROLAKE_DAEMON_PRELOAD=0 skips the "
        "attempt."
    ]


def test_preloading_can_be_turned_off() -> None:
    done = python(PRELOAD.split("print(sorted")[0], **{PRELOAD_KEY: "0"})

    assert done.stdout.splitlines() == ["None 1"]


def test_a_daemon_whose_imports_start_a_thread_starts_again_without_preloading() -> None:
    """It replaces itself (same pid) with a daemon that preloads nothing, with the user's
    environment, then serves as pyspark's daemon does (its port first on stdout)."""
    daemon = subprocess.Popen(
        [sys.executable, "-m", "avrolake.spark.daemon"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "2"},
    )
    try:
        assert daemon.stdout is not None
        port = int.from_bytes(daemon.stdout.read(4), "big", signed=True)
        environ = Path(f"/proc/{daemon.pid}/environ").read_bytes().split(b"\0")
        threads = len(os.listdir(f"/proc/{daemon.pid}/task"))
    finally:
        assert daemon.stdin is not None
        daemon.stdin.close()  # pyspark's daemon exits when its stdin closes
        daemon.wait(timeout=60)

    assert port > 0
    assert f"{PRELOAD_KEY}=0".encode() in environ
    assert b"OPENBLAS_NUM_THREADS=2" in environ
    assert b"JE_ARROW_MALLOC_CONF=background_thread:false" not in environ
    assert threads == 1


UNPICKLE = """
import sys
from pyspark import cloudpickle
for module in {preloaded!r}:
    __import__(module)
before = set(sys.modules)
task = cloudpickle.loads(bytes.fromhex(sys.stdin.read()))
print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in {heavy!r}))
print(type(task).__name__)
"""


def test_a_task_unpickled_after_the_preload_imports_nothing_more(tmp_path: Path) -> None:
    """What the daemon preloads is all an avrolake task needs: nothing of avrolake, pyarrow,
    numpy or delta-rs is imported when a worker unpickles one."""
    from pyspark import cloudpickle
    from pyspark.accumulators import Accumulator

    from avrolake.spark.progress import ProgressParam

    seen: list[WorkerContext] = []

    class Capturing(SerialRunner):
        def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Any]:
            seen.append(ctx)
            return super().run(groups, ctx)

    from avrolake.storage import resolve

    write_avro(resolve(str(tmp_path / "raw")), "f.avro", SCHEMA, [{"id": 1}])
    run_ingest(config(tmp_path, [SCHEMA]), Capturing())
    done = Accumulator(0, Progress(), ProgressParam())
    task = cloudpickle.dumps(ingest_task(seen[0], True, done))
    heavy = ("avrolake", "pyarrow", "numpy", "deltalake", "polars", "fastavro")

    out = subprocess.run(
        [sys.executable, "-c", UNPICKLE.format(preloaded=PRELOADED, heavy=heavy)],
        input=task.hex(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["[]", "function"]


LAZY = """
import sys
import avrolake.ingest.worker, avrolake.lake.writer
print([m for m in ("avrolake.ingest.job", "avrolake.lake.commit", "deltalake") if m in sys.modules])
"""


def test_importing_a_module_of_a_package_imports_not_all_of_it() -> None:
    done = python(LAZY)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["[]"]


@pytest.mark.parametrize("package", ["avrolake.ingest", "avrolake.lake"])
def test_every_exported_name_is_its_modules_own(package: str) -> None:
    module = __import__(package, fromlist=["__all__"])
    for name in module.__all__:
        value = getattr(module, name)
        home = sys.modules[getattr(value, "__module__", "") or package]
        assert getattr(home, name, value) is value, name
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        module.nothing  # noqa: B018
    assert set(module.__all__) <= set(dir(module))  # tab completion sees them
