"""What a Delta table cannot hold is refused at the schema gate, with the field path: a
recursive type (a linked list), a record with no fields, names that differ only in case
(`id` and `ID`), and a decimal default no decimal holds (found by a new user's trial: it
quarantined every older file, or landed an empty default as 0.00), at any depth. `avrolake
schemas check` reports it; ingest refuses the subject before reading any file, never dying
with a RecursionError or a delta-rs traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.errors import UnlandableSchemaError
from avrolake.registry.landable import LandingProblemKind, landing_problems
from avrolake.schema import Record, parse_schema
from tests.unit.one_subject import ingest, registry

pytestmark = pytest.mark.unit
K = LandingProblemKind
LINKED = {
    "type": "record",
    "name": "Node",
    "fields": [
        {"name": "value", "type": "long"},
        {"name": "next", "type": ["null", "Node"], "default": None},
    ],
}
ID_TWICE = {
    "type": "record",
    "name": "User",
    "fields": [{"name": "id", "type": "long"}, {"name": "ID", "type": "string"}],
}
EMPTY_INSIDE = {
    "type": "record",
    "name": "Row",
    "fields": [{"name": "q", "type": {"type": "record", "name": "Q", "fields": []}}],
}


def record(name: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


def decimal(precision: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": 2}


def defaulted(kind: Any, default: Any) -> dict[str, Any]:
    fields = [{"name": "id", "type": "int"}, {"name": "d", "type": kind, "default": default}]
    return {"type": "record", "name": "R", "fields": fields}


INNER = {"type": "record", "name": "In", "fields": [
    {"name": "x", "type": decimal(3), "default": "\u0003\u00e8"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(LINKED, [(K.RECURSIVE_TYPE, "next")], id="a linked list is recursive"),
        pytest.param(record("Tree", ("kids", {"type": "array", "items": "Tree"})),
                     [(K.RECURSIVE_TYPE, "kids[]")], id="a tree through an array is recursive"),
        pytest.param(ID_TWICE, [(K.CASE_INSENSITIVE_DUPLICATE, "ID")],
                     id="id and ID at the top level collide"),
        pytest.param(record("R", ("user", record("U", ("geo", {"type": "map", "values": record(
                         "G", ("City", "string"), ("city", "string"))})))),
                     [(K.CASE_INSENSITIVE_DUPLICATE, "user.geo{}.city")],
                     id="City and city inside a map of records collide"),
        pytest.param(record("R", ("v", ["null", record("a.A", ("x", "int")),
                                        record("b.A", ("y", "int"))])),
                     [(K.CASE_INSENSITIVE_DUPLICATE, "v.member_A")],
                     id="two union records of one short name share a member"),
        pytest.param(EMPTY_INSIDE, [(K.EMPTY_RECORD, "q")], id="a record field with no fields"),
        pytest.param(record("R"), [(K.EMPTY_RECORD, "")], id="a reader with no fields"),
        pytest.param(record("R", ("a", {"type": "array", "items": record("Q")})),
                     [(K.EMPTY_RECORD, "a[]")], id="array items with no fields"),
        pytest.param(record("R", ("id", "long"), ("user", record("U", ("id", "long")))), [],
                     id="one name in two records is fine"),
        pytest.param(record("R", ("_source_file", "string")),
                     [(K.METADATA_COLUMN_NAME, "_source_file")], id="a metadata column's name"),
        pytest.param(record("R", ("a", "int"), ("_RUN_ID", "string"), ("_Ingested_At", "long")),
                     [(K.METADATA_COLUMN_NAME, "_RUN_ID"),
                      (K.METADATA_COLUMN_NAME, "_Ingested_At")],
                     id="metadata column names in another case"),
        pytest.param(record("R", ("u", record("U", ("_run_id", "string")))), [],
                     id="a nested field may take a metadata column's name"),
        pytest.param(defaulted(decimal(4), "\u0001\u0000\u0000"), [(K.DECIMAL_DEFAULT, "d")],
                     id="a decimal default of 5 digits in a decimal(4,2)"),
        pytest.param(defaulted(decimal(4), ""), [(K.DECIMAL_DEFAULT, "d")],
                     id="a decimal default of no bytes"),
        pytest.param(defaulted(decimal(4), "\u0027\u000f"), [],
                     id="a decimal default of 4 digits (9999) in a decimal(4,2)"),
        pytest.param(defaulted(["null", decimal(4)], None), [], id="a null default"),
        pytest.param(defaulted({"type": "array", "items": decimal(4)}, ["\u0001", ""]),
                     [(K.DECIMAL_DEFAULT, "d[]")], id="inside an array default"),
        pytest.param(defaulted(INNER, {}), [(K.DECIMAL_DEFAULT, "d.x")],
                     id="a nested field's default, seen once"),
        pytest.param(defaulted(INNER, {"x": "\u0001"}), [(K.DECIMAL_DEFAULT, "d.x")],
                     id="a record default holding a good value, its field's own bad"),
    ],
)  # fmt: skip
def test_landing_problems_name_the_field_path(schema: Any, expected: list[Any]) -> None:
    parsed = parse_schema(schema)
    assert isinstance(parsed, Record)
    assert [(p.kind, p.path) for p in landing_problems(parsed)] == expected


@pytest.mark.parametrize(
    ("schema", "kind", "path"),
    [
        pytest.param(LINKED, "RECURSIVE_TYPE", "next", id="a linked list"),
        pytest.param(ID_TWICE, "CASE_INSENSITIVE_DUPLICATE", "ID", id="id and ID"),
        pytest.param(EMPTY_INSIDE, "EMPTY_RECORD", "q", id="a record with no fields"),
        pytest.param(record("R", ("_rescued_data", "string")), "METADATA_COLUMN_NAME",
                     "_rescued_data", id="a metadata column's name"),
    ],
)  # fmt: skip
def test_schemas_check_refuses_the_subject(
    tmp_path: Path, schema: Any, kind: str, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = registry(tmp_path, [schema])
    assert main(["schemas", "check", "--registry", str(root), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (violation,) = report["subjects"]["subject"]["violations"]
    assert (violation["kind"], violation["path"], violation["direction"]) == (kind, path, "delta")


@pytest.mark.parametrize(
    ("schema", "record", "reason"),
    [
        pytest.param(LINKED, {"value": 1, "next": {"value": 2, "next": None}},
                     "RECURSIVE_TYPE: record Node holds itself at next", id="a linked list"),
        pytest.param(ID_TWICE, {"id": 1, "ID": "one"},
                     "CASE_INSENSITIVE_DUPLICATE: fields of record User 'id' and 'ID' at /",
                     id="id and ID"),
        pytest.param(EMPTY_INSIDE, {"q": {}}, "EMPTY_RECORD: record Q at q has no fields",
                     id="a record with no fields"),
        pytest.param(record("R"), {}, "EMPTY_RECORD: record R at / has no fields",
                     id="a reader with no fields"),
        pytest.param(record("R", ("_source_file", "string")), {"_source_file": "x"},
                     "METADATA_COLUMN_NAME: field _source_file takes the name of the table's "
                     "metadata column _source_file", id="a metadata column's name"),
        pytest.param(defaulted(decimal(4), ""), {"id": 1, "d": b"\x01"},
                     "DECIMAL_DEFAULT: the default of d has no bytes, which no decimal(4,2) "
                     "holds", id="a decimal default of no bytes"),
    ],
)  # fmt: skip
def test_ingest_refuses_the_subject_before_reading_a_file(
    tmp_path: Path, schema: Any, record: Any, reason: str
) -> None:
    with pytest.raises(UnlandableSchemaError) as caught:
        ingest(tmp_path, [schema], [(schema, [record])])
    assert reason in str(caught.value)
    assert caught.value.exit_code == 1
    assert not (tmp_path / "table").exists()


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        pytest.param([], "RECURSIVE_TYPE", id="the-gate-ingest-runs-first-names-the-recursion"),
        pytest.param(
            ["--skip-schema-gate"],
            "cannot be landed in a Delta table: RECURSIVE_TYPE",
            id="without-the-gate-the-reader-is-still-refused",
        ),
    ],
)
def test_the_ingest_command_exits_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], reason: str
) -> None:
    root = registry(tmp_path, [LINKED])
    (tmp_path / "raw").mkdir()
    code = main(["ingest", "--source", str(tmp_path / "raw"), "--table",
                 str(tmp_path / "table"), "--registry", str(root), *flags])  # fmt: skip
    assert code == 1
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "table").exists()
