"""Versions that share a fingerprint are told apart by their schema text.

The CRC-64-AVRO fingerprint is of the Parsing Canonical Form, which drops logical types,
defaults, aliases and docs: a version that only gives a `long` the logical type
timestamp-millis, or only adds a default, has its predecessor's fingerprint. Before, every
file of either was recorded as the later version (`_writer_schema_version`,
`records_by_writer_version`), so the audit trail named the wrong version for the older
files. Now a header equal to one of them (docs and key order aside) is that version; a
header equal to neither is the latest of the fingerprint, as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.config import WRITER_VERSION
from tests.fixtures.lake import sql
from tests.unit.one_subject import ingest

pytestmark = pytest.mark.unit


def schema(kind: Any, **field: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "v", "type": kind, **field}]}


V1 = schema("long")
V2 = schema({"type": "long", "logicalType": "timestamp-millis"})
V3 = schema({"type": "long", "logicalType": "timestamp-millis"}, default=0)


def test_each_file_is_recorded_as_the_version_it_was_written_with(tmp_path: Path) -> None:
    documented = json.loads(json.dumps(V1))
    documented["doc"] = "the same schema as v1, with a doc"
    # v2's and v3's fingerprint, neither's text (a producer's own property): the latest
    foreign = schema({"type": "long", "logicalType": "timestamp-millis", "x-producer": "app"})
    files = [(V1, [{"v": 1}]), (V2, [{"v": 2}, {"v": 3}]), (V3, [{"v": 4}] * 3),
             (documented, [{"v": 5}] * 4), (foreign, [{"v": 6}] * 5)]  # fmt: skip
    summary, _ = ingest(tmp_path, [V1, V2, V3], files)
    assert summary["files_ingested"] == 5, summary
    assert summary["records_by_writer_version"] == {"1": 5, "2": 2, "3": 8}
    versions = sql(
        str(tmp_path / "table"),
        f'SELECT "_source_file" AS f, min("{WRITER_VERSION}") AS v FROM t GROUP BY 1 ORDER BY 1',
    )
    assert [row["v"] for row in versions] == [1, 2, 3, 1, 3]
