"""spark-submit entry point of the ingestion job (same arguments as `avrolake ingest`).

    spark-submit --master spark://host:7077 jobs/ingest_logs.py \\
        --source s3://raw/logs --table s3://lake/logs --json

The master given to spark-submit wins; --master here is only for running the file directly.
The run summary is the last line of stdout with --json.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from avrolake.cli.ingest import add_ingest_arguments, print_summary, settings_from_args
from avrolake.errors import AvrolakeError
from avrolake.ingest import run_ingest
from avrolake.spark.session import SessionHolder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ingest_logs.py", description=__doc__.split("\n")[0])
    add_ingest_arguments(parser, os.environ.get("AVROLAKE_REGISTRY", "schemas"))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_from_args(args)
    spark = SessionHolder(None if _under_spark_submit() else settings.master)
    try:
        summary = run_ingest(settings, spark)
    except AvrolakeError as exc:
        print(f"ingest_logs: error: {exc}", file=sys.stderr)
        return 2
    finally:
        spark.stop()  # before the summary: spark-submit merges stderr into stdout
    print_summary(summary.as_dict(), as_json=args.json)
    return 0


def _under_spark_submit() -> bool:
    """spark-submit starts the driver with the gateway already open."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


if __name__ == "__main__":
    raise SystemExit(main())
