"""The table features avrolake writes, and the refusal of the others before any write."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from avrolake.errors import UnsupportedTableFeatureError
from avrolake.lake.features import check_writable, table_features

pytestmark = pytest.mark.unit


class Protocol(NamedTuple):  # the fields of deltalake's ProtocolVersions
    min_reader_version: int
    min_writer_version: int
    writer_features: list[str] | None = None
    reader_features: list[str] | None = None


@pytest.mark.parametrize(
    ("protocol", "features"),
    [
        (Protocol(1, 2), {"appendOnly", "invariants"}),
        (
            Protocol(1, 4),
            {"appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns"},
        ),
        (
            Protocol(2, 5),
            {
                "appendOnly",
                "invariants",
                "checkConstraints",
                "changeDataFeed",
                "generatedColumns",
                "columnMapping",
            },
        ),
        (Protocol(3, 7, ["timestampNtz"], ["timestampNtz"]), {"timestampNtz"}),
    ],
    ids=["legacy-1-2", "legacy-1-4", "legacy-2-5-column-mapping", "features-3-7"],
)
def test_a_protocol_requires_its_listed_or_implied_features(
    protocol: Protocol, features: set[str]
) -> None:
    assert table_features(protocol) == features


@pytest.mark.parametrize(
    "protocol",
    [
        Protocol(1, 2),
        Protocol(1, 4),
        Protocol(3, 7, ["timestampNtz", "appendOnly"], ["timestampNtz"]),
    ],
    ids=["delta-rs-default", "legacy-cdf-generated", "timestamp-ntz"],
)
def test_what_deltalake_and_avrolake_write_is_accepted(protocol: Protocol) -> None:
    check_writable("/lake/t", protocol)


@pytest.mark.parametrize(
    ("protocol", "refused", "hint"),
    [
        (Protocol(3, 7, ["deletionVectors"], ["deletionVectors"]), ("deletionVectors",), "REORG"),
        (
            Protocol(1, 7, ["appendOnly", "checkpointProtection"]),
            ("checkpointProtection",),
            "DROP FEATURE checkpointProtection",
        ),
        (Protocol(2, 5), ("columnMapping",), "DROP FEATURE columnMapping"),
        (
            Protocol(1, 7, ["rowTracking", "domainMetadata"]),
            ("domainMetadata", "rowTracking"),
            "DROP FEATURE <feature>",
        ),
    ],
    ids=["deletion-vectors", "checkpoint-protection", "legacy-column-mapping", "row-tracking"],
)
def test_a_feature_avrolake_cannot_write_is_refused_with_what_to_do(
    protocol: Protocol, refused: tuple[str, ...], hint: str
) -> None:
    with pytest.raises(UnsupportedTableFeatureError) as error:
        check_writable("/lake/t", protocol)
    assert error.value.features == refused
    assert error.value.table_uri == "/lake/t"
    assert hint in str(error.value)
    assert "nothing was written" in str(error.value)


def test_a_delta_session_loads_the_cached_jars_with_the_extension_and_catalog(
    tmp_path: Path,
) -> None:
    from avrolake.spark.session import delta_conf, delta_jars

    (tmp_path / "delta").mkdir()
    for name in ("delta-storage-4.4.0.jar", "delta-spark_4.2_2.13-4.4.0.jar", "notes.txt"):
        (tmp_path / "delta" / name).write_text("")
    jars = delta_jars(tmp_path)
    assert [j.rsplit("/", 1)[1] for j in jars] == [
        "delta-spark_4.2_2.13-4.4.0.jar",
        "delta-storage-4.4.0.jar",
    ]
    assert delta_conf(jars) == {
        "spark.jars": ",".join(jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }
    assert delta_jars(tmp_path / "empty") == []
