"""Build the driver JVM's class-data-sharing archive, once, at setup (`make setup` runs it).

A local session runs the kind of job an ingest runs (a Python map, collected) with
`-XX:ArchiveClassesAtExit`; the JVM writes the classes it loaded when it exits. Later
sessions map them from the archive instead of parsing and verifying them again
(`avrolake.spark.session.driver_java_options`; bench/results/fixed_cost.md). An archive that
exists is kept: delete it (or the .jars/cds folder) after a Java or pyspark upgrade.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from avrolake.spark.session import (  # noqa: E402
    DRIVER_JAVA_OPTIONS,
    build_session,
    cds_archive,
    spark_environment,
)


def main() -> int:
    import os

    archive = cds_archive()
    if archive.is_file():
        print(f"build_cds: {archive} is there (delete it to build it again)")
        return 0
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    spark_environment(os.environ, "local[2]", sys.executable)
    options = f"{DRIVER_JAVA_OPTIONS} -XX:ArchiveClassesAtExit={partial} -Xlog:cds=off"
    spark = build_session("local[2]", sys.executable, java_options=options)
    spark.sparkContext.parallelize(range(4), 2).map(lambda x: x + 1).collect()
    jvm = spark.sparkContext._gateway.proc  # the driver JVM: it writes the archive as it exits
    spark.stop()
    jvm.stdin.close()  # the JVM exits when its stdin closes
    jvm.wait(timeout=300)
    if not partial.is_file():
        print("build_cds: the JVM wrote no archive; sessions start without one", file=sys.stderr)
        return 1
    partial.rename(archive)
    print(f"build_cds: wrote {archive} ({archive.stat().st_size // 2**20} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
