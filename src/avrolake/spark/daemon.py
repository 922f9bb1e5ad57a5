"""pyspark's Python daemon, importing pyspark from its installed, byte-compiled copy.

Spark starts its Python workers with `$SPARK_HOME/python/lib/pyspark.zip` and py4j's zip
first on their path. Python never caches the compiled code of a module it imports from a
zip, so the daemon and every worker it forks compile pyspark's modules from source again:
about 0.8 CPU-s for the daemon and 0.9 for each worker, every run
(bench/results/fixed_cost.md). When the same pyspark (and py4j) is installed beside it, as
with `pip install pyspark`, this module moves those zips to the end of the path, then runs
pyspark's own daemon unchanged. A zip whose package is not installed, or is installed in
another version, stays where it is.

It then imports, once, the modules every avrolake task imports (`PRELOADED`), before it forks
the workers: each worker starts with them loaded instead of importing them again (about
0.45 CPU-s a worker, bench/results/fixed_cost.md). A process must not fork while another of
its threads may hold a lock, so this is done only where it starts no thread: numpy's
OpenBLAS and pyarrow's jemalloc are told not to start theirs (`QUIET_THREADS`, unless the
user set those variables), polars is not among them (it starts threads; a worker imports it
as before), and the daemon counts its threads afterwards. Should any import start a thread
or fail, the daemon starts again without preloading (`AVROLAKE_DAEMON_PRELOAD=0`, which a
user may also set), and its workers import what they need as pyspark's own do.

Spark runs it when `spark.python.daemon.module` names it (`avrolake.spark.session` sets it
for local masters; a cluster whose workers have avrolake installed may set it too). It
imports nothing from pyspark or avrolake before the path is settled, and only modules
Python has loaded at start (no pathlib, no zipfile).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import zipimport
from collections.abc import MutableMapping
from importlib.machinery import PathFinder


def zipped_package(entry: str) -> str | None:
    """The package a path entry is Spark's zip of (pyspark.zip, py4j-<version>-src.zip)."""
    name = os.path.basename(entry)
    if name == "pyspark.zip":
        return "pyspark"
    if name.startswith("py4j-") and name.endswith("-src.zip"):
        return "py4j"
    return None


def _zipped_version(entry: str, package: str) -> bytes | None:
    try:  # zipimport is loaded at start already; zipfile would cost an import
        return zipimport.zipimporter(entry).get_data(f"{package}/version.py")
    except (OSError, zipimport.ZipImportError):
        return None


def _installed_version(package: str, path: list[str]) -> bytes | None:
    spec = PathFinder.find_spec(package, path)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        try:
            with open(os.path.join(location, "version.py"), "rb") as version:
                return version.read()
        except OSError:
            continue
    return None


def prefer_installed(path: list[str]) -> list[str]:
    """`path` with each of Spark's zips moved last when the package it holds is installed
    elsewhere on `path` in the same version (their version.py files are equal)."""
    others = [entry for entry in path if zipped_package(entry) is None]
    moved = []
    for entry in path:
        package = zipped_package(entry)
        if package is None:
            continue
        zipped = _zipped_version(entry, package)
        if zipped is not None and zipped == _installed_version(package, others):
            moved.append(entry)
    return [entry for entry in path if entry not in moved] + moved


# What a worker imports to run an avrolake task: pyspark's worker, and the modules
# `avrolake.spark.runner.ingest_task`'s task names (tests/unit/test_worker_start.py).
PRELOADED = (
    "pyspark.worker",
    "avrolake.ingest.worker",
    "avrolake.ingest.progress",
    "avrolake.spark.lean",
    "avrolake.spark.progress",
)
# Libraries that start a thread on import unless these say not to: numpy's OpenBLAS (its
# thread pool; a Spark worker runs on one core anyway) and pyarrow's jemalloc (its
# background purging thread; it then purges as it allocates, jemalloc's own default).
QUIET_THREADS = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}
PRELOAD_KEY = "AVROLAKE_DAEMON_PRELOAD"


def threads() -> int | None:
    """How many threads this process has (None: not known, no /proc)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def preload(environ: MutableMapping[str, str]) -> bool | None:
    """Import PRELOADED with QUIET_THREADS set (variables already set are kept). None: not
    tried (turned off, or this process already has threads, or no /proc to count them);
    True: imported and still one thread; False: an import failed or started a thread."""
    if environ.get(PRELOAD_KEY) == "0" or threads() != 1:
        return None
    for key, value in QUIET_THREADS.items():
        environ.setdefault(key, value)
    try:
        for module in PRELOADED:
            importlib.import_module(module)
    except Exception as exc:  # the workers import it again, and report what is wrong
        _say(f"importing {module} failed ({type(exc).__name__}: {exc})")
        return False
    gc.freeze()  # the workers' collector leaves the preloaded objects (and their pages) alone
    count = threads()
    if count != 1:
        _say(f"importing the workers' modules started {count} threads (was 1)")
    return count == 1


def _say(problem: str) -> None:
    """One line on the daemon's stderr (Spark shows it with the run's log)."""
    sys.stderr.write(
        f"avrolake.spark.daemon: {problem}; starting again without preloading them, the "
        f"workers import them (as pyspark's own do). {PRELOAD_KEY}=0 skips the attempt.\n"
    )
    sys.stderr.flush()


def main() -> None:
    sys.path[:] = prefer_installed(sys.path)
    given = dict(os.environ)
    if preload(os.environ) is False:  # start again as it was started, without preloading
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**given, PRELOAD_KEY: "0"})
    from pyspark.daemon import manager

    manager()


if __name__ == "__main__":
    main()
