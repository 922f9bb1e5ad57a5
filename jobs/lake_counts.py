"""spark-submit job: read a landed table with Spark (delta-spark) and print its rows per
writer schema version as one JSON line (`make lakehouse-test` compares it with
`avrolake status`).

    spark-submit --master spark://spark-master:7077 \\
        --conf spark.hadoop.fs.s3a.endpoint=http://minio:9000 jobs/lake_counts.py s3a://lake/logs

The image's spark-defaults.conf supplies the Delta and S3A jars and settings.
"""

from __future__ import annotations

import json
import sys

from pyspark.sql import SparkSession


def main(table: str) -> int:
    spark = SparkSession.builder.appName("avrolake-lake-counts").getOrCreate()
    frame = spark.read.format("delta").load(table)
    counts = frame.groupBy("_writer_schema_version").count().collect()
    by_version = {
        "unregistered" if r[0] is None else str(r[0]): r["count"] for r in counts
    }  # the keys of `avrolake status`
    history = spark.sql(f"DESCRIBE HISTORY delta.`{table}`").select("version", "userMetadata")
    latest = history.orderBy("version", ascending=False).first()
    print(json.dumps({
        "table": table,
        "rows_by_writer_version": dict(sorted(by_version.items())),
        "latest_commit": latest.asDict() if latest else None,
    }))  # fmt: skip
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
