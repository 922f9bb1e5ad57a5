"""How the table's Parquet files are encoded: per leaf column, chosen for its kind of values.

Measured on the demo subject (bench/worker_cost.py, bench/results/worker_cost.md), per 1M rows:
- dictionary encoding of a timestamp column costs about 4x writing it plain (0.15 against
  0.04 CPU-s) and seldom shrinks it; numbers, booleans and times are written plain;
- strings and binary (nested ones too) keep dictionary encoding: enum symbols, services,
  hosts, map keys and the constant metadata columns shrink to a few bytes a row, and
  Parquet falls back to plain by itself where a dictionary grows too large;
- Parquet footer statistics are written only for top-level primitive columns, the columns
  Delta's own statistics and row-group pruning use; nested leaves get none.
The codec stays snappy (the `.snappy.parquet` name, Spark's default): lz4 and zstd level 1
measured within the noise of it in CPU (zstd files are ~40% smaller).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "snappy"
_PLAIN_PHYSICAL = frozenset({"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE"})


@lru_cache(maxsize=64)
def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """`pq.ParquetWriter` keyword arguments for files of `schema` (computed once per schema)."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    leaves = pq.read_metadata(pa.BufferReader(sink.getvalue())).schema
    dictionary, statistics = [], []
    for i in range(len(leaves)):
        leaf = leaves.column(i)
        if leaf.physical_type not in _PLAIN_PHYSICAL:
            dictionary.append(leaf.path)
        if "." not in leaf.path:
            statistics.append(leaf.path)
    return {
        "compression": COMPRESSION,
        "use_dictionary": dictionary,
        "write_statistics": statistics,
    }
