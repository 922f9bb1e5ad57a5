"""pyspark's Python daemon, importing pyspark from its installed, byte-compiled copy.

Spark starts its Python workers with `$SPARK_HOME/python/lib/pyspark.zip` and py4j's zip
first on their path. Python never caches the compiled code of a module it imports from a
zip, so the daemon and every worker it forks compile pyspark's modules from source again:
about 0.8 CPU-s for the daemon and 0.9 for each worker, every run
(bench/results/fixed_cost.md). When the same pyspark (and py4j) is installed beside it, as
with `pip install pyspark`, this module moves those zips to the end of the path, then runs
pyspark's own daemon unchanged. A zip whose package is not installed, or is installed in
another version, stays where it is.

Spark runs it when `spark.python.daemon.module` names it (`avrolake.spark.session` sets it
for local masters; a cluster whose workers have avrolake installed may set it too). It
imports nothing from pyspark or avrolake before the path is settled, and only modules
Python has loaded at start (no pathlib, no zipfile).
"""

from __future__ import annotations

import os
import sys
import zipimport
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


def main() -> None:
    sys.path[:] = prefer_installed(sys.path)
    from pyspark.daemon import manager

    manager()


if __name__ == "__main__":
    main()
