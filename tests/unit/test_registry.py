"""The on-disk registry: layout, canonical form, fingerprints, levels, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avrolake.compatibility import CompatibilityLevel
from avrolake.errors import RegistryError, SchemaParseError
from avrolake.registry import Registry, canonical_form, schema_fingerprint
from tests.conftest import SHIPPED_REGISTRY, v3_without_service_alias

pytestmark = pytest.mark.unit


def test_shipped_registry_has_log_event_v1_to_v3() -> None:
    registry = Registry(SHIPPED_REGISTRY)
    assert registry.subjects() == ["log_event"]
    assert [v.version for v in registry.versions("log_event")] == [1, 2, 3]
    assert registry.latest("log_event").version == 3


def test_shipped_versions_grow_4_6_8_fields() -> None:
    registry = Registry(SHIPPED_REGISTRY)
    counts = [len(v.doc["fields"]) for v in registry.versions("log_event")]
    assert counts == [4, 6, 8]


def test_shipped_registry_holds_its_level() -> None:
    registry = Registry(SHIPPED_REGISTRY)
    assert registry.level("log_event") is CompatibilityLevel.BACKWARD_TRANSITIVE
    assert registry.check("log_event") == []


@pytest.mark.parametrize(
    ("schema", "fingerprint"),
    [
        # Values from the Avro specification's test vectors (CRC-64-AVRO, little-endian hex).
        pytest.param("null", "8a8f25cce724dd63", id="null"),
        pytest.param("int", "8f5c393f1ad57572", id="int"),
        pytest.param({"type": "int"}, "8f5c393f1ad57572", id="object_form_same_as_name"),
    ],
)
def test_fingerprint_is_crc64_avro_of_canonical_form(schema: object, fingerprint: str) -> None:
    assert schema_fingerprint(schema) == fingerprint


def test_canonical_form_strips_docs_defaults_and_uses_full_names() -> None:
    doc = {
        "type": "record",
        "name": "R",
        "namespace": "n",
        "doc": "x",
        "fields": [{"name": "a", "type": {"type": "int"}, "default": 1, "doc": "y"}],
    }
    assert (
        canonical_form(doc) == '{"name":"n.R","type":"record","fields":[{"name":"a","type":"int"}]}'
    )


def test_doc_only_change_keeps_the_fingerprint() -> None:
    base = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    documented = {**base, "doc": "now with docs"}
    assert schema_fingerprint(base) == schema_fingerprint(documented)


def test_writer_schema_version_found_by_fingerprint() -> None:
    registry = Registry(SHIPPED_REGISTRY)
    v2 = json.loads((SHIPPED_REGISTRY / "log_event" / "v2.avsc").read_text())
    v2["doc"] = "a producer's copy with a different doc string"
    assert registry.version_of_fingerprint("log_event", schema_fingerprint(v2)) == 2


def test_unregistered_writer_schema_has_no_version() -> None:
    registry = Registry(SHIPPED_REGISTRY)
    assert registry.version_of_fingerprint("log_event", schema_fingerprint("string")) is None


def test_default_level_is_backward_transitive(registry_copy: Path) -> None:
    (registry_copy / "log_event" / "compatibility").unlink()
    assert Registry(registry_copy).level("log_event") is CompatibilityLevel.BACKWARD_TRANSITIVE


def test_transitive_violation_against_v1_and_v2(registry_copy: Path) -> None:
    (registry_copy / "log_event" / "v4.avsc").write_text(json.dumps(v3_without_service_alias()))
    violations = Registry(registry_copy).check("log_event")
    assert [(v.version, v.violation.against_version) for v in violations] == [(4, 1), (4, 2)]
    assert violations[0].violation.incompatibility.path == "/fields/2"


def test_version_gap_is_an_error(registry_copy: Path) -> None:
    (registry_copy / "log_event" / "v5.avsc").write_text('"string"')
    with pytest.raises(RegistryError, match="without gaps; found v1, v2, v3, v5"):
        Registry(registry_copy).versions("log_event")


def test_unknown_subject_lists_known_ones() -> None:
    with pytest.raises(RegistryError, match=r"subject 'nope' not found .* \(subjects: log_event\)"):
        Registry(SHIPPED_REGISTRY).versions("nope")


def test_missing_registry_dir_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="pass --registry DIR"):
        Registry(tmp_path / "absent")


def test_bad_level_file_names_the_file(registry_copy: Path) -> None:
    (registry_copy / "log_event" / "compatibility").write_text("SIDEWAYS\n")
    with pytest.raises(
        RegistryError, match=r"log_event/compatibility: unknown compatibility level"
    ):
        Registry(registry_copy).level("log_event")


def test_malformed_version_names_file_and_json_path(registry_copy: Path) -> None:
    path = registry_copy / "log_event" / "v4.avsc"
    path.write_text(
        json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "integer"}]})
    )
    with pytest.raises(SchemaParseError) as caught:
        Registry(registry_copy).versions("log_event")
    assert caught.value.source == str(path)
    assert caught.value.path == "$.fields[0].type"
