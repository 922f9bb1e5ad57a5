"""Run the ingest tasks on Spark: one input partition per group of source files.

Each task decodes its files and writes Parquet in the same Python worker (mapInArrow), so
record data never crosses into the JVM; only a small result per file comes back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from avrolake.ingest.sources import SourceFile
from avrolake.ingest.task import FileResult, TaskContext, ingest_file

RESULT_DDL = "result string"


def run_file_groups(
    spark: Any, groups: list[list[SourceFile]], ctx: TaskContext
) -> list[FileResult]:
    rows = [(i, json.dumps([f.to_dict() for f in group])) for i, group in enumerate(groups)]
    rdd = spark.sparkContext.parallelize(rows, numSlices=max(1, len(rows)))
    frame = spark.createDataFrame(rdd, "group int, files string")

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for files_json in batch.column("files").to_pylist():
                for data in json.loads(files_json):
                    result = ingest_file(SourceFile.from_dict(data), ctx)
                    yield pa.RecordBatch.from_pylist(
                        [{"result": json.dumps(result.to_dict())}],
                        schema=pa.schema([pa.field("result", pa.string())]),
                    )

    collected = frame.mapInArrow(run, RESULT_DDL).collect()
    return [FileResult.from_dict(json.loads(row["result"])) for row in collected]
