"""pyspark's Python worker, importing pyspark from its installed, byte-compiled copy.

What avrolake.spark.daemon does for the daemon's workers, for a worker Spark starts by
itself (`spark.python.use.daemon=false`, `spark.python.worker.module` naming this module):
Spark's zips of pyspark and py4j go last on the path when the same versions are installed,
then pyspark's worker runs unchanged, connecting back to the JVM that started it.
"""

from __future__ import annotations

import sys

from avrolake.spark.daemon import prefer_installed


def main() -> None:
    sys.path[:] = prefer_installed(sys.path)
    from pyspark.worker import main as worker_main
    from pyspark.worker_util import get_sock_file_to_executor

    with get_sock_file_to_executor() as sock_file:
        worker_main(sock_file, sock_file)


if __name__ == "__main__":
    main()
