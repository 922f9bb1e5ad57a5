"""The Delta table features avrolake can write, and the check that refuses the others.

avrolake writes its own Parquet files (physical column names = the logical names, no
deletion vectors, no row ids) and commits them with deltalake (delta-rs). A feature another
writer (Spark) enabled that changes what a data file or a commit must carry would make
avrolake's commits wrong, so the run stops before anything is written (docs/interop.md).
"""

from __future__ import annotations

from typing import Any

from avrolake.errors import UnsupportedTableFeatureError

# What avrolake's files and commits are proven to be right for (tests/interop).
WRITABLE_FEATURES = frozenset(
    {"appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns",
     "timestampNtz"}
)  # fmt: skip
# Features implied by a legacy protocol (no feature lists): writer version -> features.
LEGACY_WRITER = {
    2: {"appendOnly", "invariants"},
    3: {"checkConstraints"},
    4: {"changeDataFeed", "generatedColumns"},
    5: {"columnMapping"},
    6: {"identityColumns"},
}
REMEDIES = {
    "deletionVectors": (
        "deletionVectors: in Spark, ALTER TABLE delta.`{uri}` DROP FEATURE deletionVectors "
        "TRUNCATE HISTORY (Delta purges them as REORG TABLE … APPLY (PURGE) does, keeping "
        "every row; after the log retention, 24 h by default, run it again to drop the "
        "feature). A plain DROP FEATURE leaves checkpointProtection, which avrolake cannot "
        "write either."
    ),
    "checkpointProtection": (
        "checkpointProtection (left by DROP FEATURE): in Spark, ALTER TABLE delta.`{uri}` "
        "DROP FEATURE checkpointProtection TRUNCATE HISTORY after the log retention."
    ),
    "columnMapping": (
        "columnMapping: avrolake writes columns under their own names; in Spark, ALTER TABLE "
        "delta.`{uri}` DROP FEATURE columnMapping TRUNCATE HISTORY."
    ),
}
GENERIC_REMEDY = (
    "For the others: in Spark, ALTER TABLE delta.`{uri}` DROP FEATURE <feature> TRUNCATE "
    "HISTORY where Delta allows it."
)


def table_features(protocol: Any) -> set[str]:
    """The features a protocol action requires: its lists, or those a legacy version implies."""
    features = set(protocol.reader_features or ()) | set(protocol.writer_features or ())
    if protocol.min_writer_version < 7:
        for version, implied in LEGACY_WRITER.items():
            if protocol.min_writer_version >= version:
                features |= implied
    if protocol.min_reader_version == 2:
        features.add("columnMapping")
    return features


def check_writable(uri: str, protocol: Any) -> None:
    """Raise UnsupportedTableFeatureError when the table requires a feature avrolake cannot
    write (called before a run writes its first data file)."""
    refused = tuple(sorted(table_features(protocol) - WRITABLE_FEATURES))
    if refused:
        remedies = [REMEDIES.get(f, "").format(uri=uri) for f in refused if f in REMEDIES]
        if len(remedies) < len(refused):
            remedies.append(GENERIC_REMEDY.format(uri=uri))
        raise UnsupportedTableFeatureError(uri, refused, remedies)
