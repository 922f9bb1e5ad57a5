"""A subject's table settings: the derived partition field, table.json, the command line,
and the registry's subject handling (names, the default subject, the reader schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.config import PartitionOverride
from avrolake.errors import EXIT_USAGE, RegistryError, TableSettingsError
from avrolake.registry import Registry, TableSettings, timestamp_fields
from avrolake.schema import Record, parse_schema

pytestmark = pytest.mark.unit

TS_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}
TS_MICROS = {"type": "long", "logicalType": "timestamp-micros"}


def click_schema(*fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "Click",
        "namespace": "io.example.clicks",
        "fields": [*fields],
    }


# The clickstream reader: `ts` (event time), a page, and a nullable arrival time.
CLICKSTREAM = click_schema(
    {"name": "user", "type": "string"},
    {"name": "ts", "type": TS_MILLIS},
    {"name": "page", "type": "string"},
    {"name": "received_at", "type": ["null", TS_MICROS], "default": None},
)


def make_registry(
    root: Path,
    subjects: dict[str, list[Any]],
    table_json: dict[str, str] | None = None,
) -> Registry:
    """A registry of hand-written versions; `table_json` maps a subject to its file's text."""
    for subject, versions in subjects.items():
        folder = root / subject
        folder.mkdir(parents=True)
        for number, doc in enumerate(versions, start=1):
            (folder / f"v{number}.avsc").write_text(json.dumps(doc))
    for subject, text in (table_json or {}).items():
        (root / subject / "table.json").write_text(text)
    return Registry(root)


def clickstream(tmp_path: Path, table_json: str | None = None) -> Registry:
    files = {"clickstream": table_json} if table_json is not None else {}
    return make_registry(tmp_path / "registry", {"clickstream": [CLICKSTREAM]}, files)


def reader_of(doc: dict[str, Any]) -> Record:
    schema = parse_schema(doc)
    assert isinstance(schema, Record)
    return schema


# -- timestamp fields -------------------------------------------------------------------------


def test_timestamp_fields_are_the_top_level_timestamp_fields_in_order() -> None:
    doc = click_schema(
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "plain", "type": "long"},
        {"name": "ts", "type": TS_MILLIS},
        {"name": "maybe", "type": ["null", TS_MICROS]},
        {"name": "either", "type": ["null", TS_MICROS, "string"]},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [{"name": "at", "type": TS_MILLIS}],
            },
        },
    )
    assert timestamp_fields(reader_of(doc)) == ["local", "ts", "maybe"]


# -- the derived default ----------------------------------------------------------------------


def test_partition_field_defaults_to_first_timestamp_field(tmp_path: Path) -> None:
    settings = clickstream(tmp_path).table_settings("clickstream")
    assert settings == TableSettings("ts", "event_date", "derived from the reader schema")
    assert settings.partition_columns == ["event_date"]


def test_nullable_timestamp_union_can_be_the_derived_partition_field(tmp_path: Path) -> None:
    doc = click_schema(
        {"name": "page", "type": "string"},
        {"name": "seen", "type": ["null", TS_MICROS], "default": None},
        {"name": "ts", "type": TS_MILLIS},
    )
    registry = make_registry(tmp_path / "registry", {"clickstream": [doc]})
    assert registry.table_settings("clickstream").partition_field == "seen"


def test_schema_without_timestamp_field_is_unpartitioned(tmp_path: Path) -> None:
    doc = click_schema({"name": "page", "type": "string"}, {"name": "n", "type": "long"})
    settings = make_registry(tmp_path / "r", {"clickstream": [doc]}).table_settings("clickstream")
    assert settings == TableSettings(None, "event_date", "derived from the reader schema")
    assert settings.partition_columns == []
    assert settings.describe() == "unpartitioned (derived from the reader schema)"


def test_partition_field_is_derived_from_the_latest_version(tmp_path: Path) -> None:
    v1 = click_schema({"name": "page", "type": "string"})
    v2 = click_schema({"name": "page", "type": "string"}, {"name": "ts", "type": TS_MILLIS})
    registry = make_registry(tmp_path / "registry", {"clickstream": [v1, v2]})
    assert registry.table_settings("clickstream").partition_field == "ts"


# -- table.json -------------------------------------------------------------------------------


def test_table_json_partition_field_overrides_the_derived_one(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_field": "received_at"}')
    assert registry.table_settings("clickstream") == TableSettings(
        "received_at", "event_date", "table.json"
    )


def test_table_json_partition_column_names_the_column(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_column": "click_day"}')
    settings = registry.table_settings("clickstream")
    assert settings == TableSettings("ts", "click_day", "derived from the reader schema")
    assert settings.describe() == (
        "partitioned by click_day = UTC date of ts (derived from the reader schema)"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"partition_field": ""}', id="empty_string"),
        pytest.param('{"partition_field": null}', id="null"),
    ],
)
def test_empty_partition_field_in_table_json_means_unpartitioned(tmp_path: Path, text: str) -> None:
    settings = clickstream(tmp_path, text).table_settings("clickstream")
    assert settings == TableSettings(None, "event_date", "table.json")
    assert settings.partition_columns == []


def test_empty_table_json_object_keeps_the_derived_default(tmp_path: Path) -> None:
    settings = clickstream(tmp_path, "{}").table_settings("clickstream")
    assert settings == TableSettings("ts", "event_date", "derived from the reader schema")


# -- the command line -------------------------------------------------------------------------


def test_command_line_override_wins_over_table_json(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_field": "ts", "partition_column": "day"}')
    override = PartitionOverride(field="received_at", column="arrival_date")
    assert registry.table_settings("clickstream", override) == TableSettings(
        "received_at", "arrival_date", "command line"
    )


def test_command_line_empty_field_means_unpartitioned_over_table_json(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_field": "ts"}')
    settings = registry.table_settings("clickstream", PartitionOverride(field=""))
    assert settings == TableSettings(None, "event_date", "command line")


def test_command_line_column_alone_keeps_the_table_json_field(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_field": "received_at"}')
    settings = registry.table_settings("clickstream", PartitionOverride(column="arrival_date"))
    assert settings == TableSettings("received_at", "arrival_date", "table.json")


# -- settings that do not fit the schema ------------------------------------------------------


@pytest.mark.parametrize(
    ("table_json", "override"),
    [
        pytest.param('{"partition_field": "nope"}', PartitionOverride(), id="table_json"),
        pytest.param(None, PartitionOverride(field="nope"), id="command_line"),
    ],
)
def test_unknown_partition_field_names_it_and_lists_the_timestamp_fields(
    tmp_path: Path, table_json: str | None, override: PartitionOverride
) -> None:
    registry = clickstream(tmp_path, table_json)
    with pytest.raises(TableSettingsError) as caught:
        registry.table_settings("clickstream", override)
    error = caught.value
    assert (error.subject, error.field, error.timestamp_fields) == (
        "clickstream",
        "nope",
        ["ts", "received_at"],
    )
    assert error.exit_code == EXIT_USAGE == 2
    assert str(error) == (
        "partition field 'nope' of subject 'clickstream' is not a field; its top-level "
        "timestamp fields are: ts, received_at. Set partition_field in the subject's table.json "
        "or pass --partition-field (use '' for an unpartitioned table)."
    )


def test_non_timestamp_partition_field_is_rejected(tmp_path: Path) -> None:
    registry = clickstream(tmp_path)
    with pytest.raises(TableSettingsError, match=r"'page' .* is not a timestamp field") as caught:
        registry.table_settings("clickstream", PartitionOverride(field="page"))
    assert caught.value.timestamp_fields == ["ts", "received_at"]
    assert caught.value.exit_code == 2


def test_unknown_field_on_a_schema_without_timestamps_lists_none(tmp_path: Path) -> None:
    doc = click_schema({"name": "page", "type": "string"})
    registry = make_registry(tmp_path / "registry", {"clickstream": [doc]})
    with pytest.raises(TableSettingsError, match="its top-level timestamp fields are: none"):
        registry.table_settings("clickstream", PartitionOverride(field="ts"))


def test_partition_column_colliding_with_a_field_is_a_registry_error(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_column": "page"}')
    with pytest.raises(RegistryError) as caught:
        registry.table_settings("clickstream")
    assert type(caught.value) is RegistryError
    assert str(caught.value) == (
        "partition column 'page' of subject 'clickstream' clashes with a field of its reader "
        "schema (names compare case-insensitively) or with avrolake's metadata columns (names "
        "starting with '_'); choose another partition_column"
    )


@pytest.mark.parametrize(
    "column",
    [
        pytest.param("1day", id="starts_with_digit"),
        pytest.param("event-date", id="dash"),
        pytest.param("event date", id="space"),
        pytest.param("a" * 129, id="longer_than_128"),
    ],
)
def test_partition_column_must_be_a_plain_name(tmp_path: Path, column: str) -> None:
    registry = clickstream(tmp_path)
    with pytest.raises(RegistryError, match="is not a plain column name"):
        registry.table_settings("clickstream", PartitionOverride(column=column))


def test_partition_column_is_not_checked_for_an_unpartitioned_table(tmp_path: Path) -> None:
    registry = clickstream(tmp_path, '{"partition_field": "", "partition_column": "page"}')
    assert registry.table_settings("clickstream") == TableSettings(None, "page", "table.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{not json", "not a JSON object of table settings", id="not_json"),
        pytest.param('["ts"]', "must be a JSON object with the keys", id="a_list"),
        pytest.param('"ts"', "must be a JSON object with the keys", id="a_string"),
        pytest.param(
            '{"partition_field": "ts", "partitoin_column": "day"}',
            r"found \['partition_field', 'partitoin_column'\]",
            id="misspelt_key",
        ),
    ],
)
def test_malformed_table_json_is_a_registry_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    registry = clickstream(tmp_path, text)
    with pytest.raises(RegistryError, match=message) as caught:
        registry.table_settings("clickstream")
    assert str(caught.value).startswith(f"{tmp_path / 'registry' / 'clickstream' / 'table.json'}: ")
    assert type(caught.value) is RegistryError


# -- subjects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("../elsewhere", id="parent_folder"),
        pytest.param(".hidden", id="starts_with_dot"),
        pytest.param("a..b", id="double_dot"),
        pytest.param("click/stream", id="slash"),
        pytest.param("", id="empty"),
    ],
)
def test_invalid_subject_name_is_rejected(tmp_path: Path, subject: str) -> None:
    registry = clickstream(tmp_path)
    with pytest.raises(RegistryError, match="is not a valid subject name"):
        registry.resolve_subject(subject)


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("clickstream", id="letters"),
        pytest.param("click.stream-v2_x", id="dot_dash_underscore"),
        pytest.param("_private", id="leading_underscore"),
    ],
)
def test_valid_subject_name_resolves_to_itself(tmp_path: Path, subject: str) -> None:
    assert clickstream(tmp_path).resolve_subject(subject) == subject


def test_subject_outside_the_registry_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "v1.avsc").write_text(json.dumps(CLICKSTREAM))
    registry = clickstream(tmp_path)
    with pytest.raises(RegistryError, match=r"'\.\./elsewhere' is not a valid subject name"):
        registry.table_settings("../elsewhere")


def test_default_subject_is_the_only_subject(tmp_path: Path) -> None:
    registry = clickstream(tmp_path)
    (tmp_path / "registry" / "notes").mkdir()  # a folder without versions is no subject
    assert registry.resolve_subject(None) == "clickstream"


def test_several_subjects_need_a_subject_and_are_listed(tmp_path: Path) -> None:
    orders = click_schema({"name": "order_id", "type": "string"})
    registry = make_registry(
        tmp_path / "registry", {"orders": [orders], "clickstream": [CLICKSTREAM]}
    )
    with pytest.raises(RegistryError) as caught:
        registry.resolve_subject(None)
    assert str(caught.value) == (
        f"registry {tmp_path / 'registry'} holds 2 subjects (clickstream, orders); "
        "name one with --subject"
    )


def test_empty_registry_has_no_default_subject(tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    with pytest.raises(RegistryError, match=r"holds 0 subjects \(none\); name one with --subject"):
        Registry(tmp_path / "registry").resolve_subject(None)


# -- the reader schema ------------------------------------------------------------------------


def test_reader_is_the_latest_version(tmp_path: Path) -> None:
    v1 = click_schema({"name": "ts", "type": TS_MILLIS})
    registry = make_registry(tmp_path / "registry", {"clickstream": [v1, CLICKSTREAM]})
    reader = registry.reader("clickstream")
    assert reader.version == 2
    assert reader.doc == CLICKSTREAM


def test_reader_schema_must_be_a_record(tmp_path: Path) -> None:
    registry = make_registry(tmp_path / "registry", {"clickstream": ["string"]})
    with pytest.raises(RegistryError, match="must be a record, not string"):
        registry.reader("clickstream")


CLASH_MESSAGE = (
    "partition column {column!r} of subject 'clickstream' clashes with a field of its reader "
    "schema (names compare case-insensitively) or with avrolake's metadata columns (names "
    "starting with '_'); choose another partition_column"
)


@pytest.mark.parametrize(
    "column",
    [
        pytest.param("_run_id", id="run_id_metadata_column"),
        pytest.param("_source_file", id="source_file_metadata_column"),
        pytest.param("_event_date", id="any_leading_underscore"),
    ],
)
def test_partition_column_starting_with_underscore_is_a_registry_error(
    tmp_path: Path, column: str
) -> None:
    registry = clickstream(tmp_path)
    with pytest.raises(RegistryError) as caught:
        registry.table_settings("clickstream", PartitionOverride(column=column))
    assert type(caught.value) is RegistryError
    assert caught.value.exit_code == EXIT_USAGE == 2
    assert str(caught.value) == CLASH_MESSAGE.format(column=column)


@pytest.mark.parametrize(
    ("table_json", "override", "column"),
    [
        pytest.param(None, PartitionOverride(column="URL"), "URL", id="command_line_upper_case"),
        pytest.param(
            '{"partition_column": "Url"}', PartitionOverride(), "Url", id="table_json_mixed_case"
        ),
    ],
)
def test_partition_column_equal_to_a_field_but_for_case_is_a_registry_error(
    tmp_path: Path, table_json: str | None, override: PartitionOverride, column: str
) -> None:
    doc = click_schema({"name": "ts", "type": TS_MILLIS}, {"name": "url", "type": "string"})
    files = {"clickstream": table_json} if table_json is not None else {}
    registry = make_registry(tmp_path / "registry", {"clickstream": [doc]}, files)
    with pytest.raises(RegistryError) as caught:
        registry.table_settings("clickstream", override)
    assert type(caught.value) is RegistryError
    assert caught.value.exit_code == EXIT_USAGE == 2
    assert str(caught.value) == CLASH_MESSAGE.format(column=column)
