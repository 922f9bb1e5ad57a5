"""spark-submit entry point of the ingestion job: the same function as `avrolake ingest`.

    spark-submit --master spark://host:7077 jobs/ingest_logs.py \\
        --source s3://raw/events --table s3://lake/events --json

The master given to spark-submit wins; --master here is only for running the file directly.
The run summary is the last line of stdout with --json; exit codes as `avrolake` (docs/cli.md).
"""

from __future__ import annotations

import sys

from avrolake.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["ingest", *sys.argv[1:]]))
