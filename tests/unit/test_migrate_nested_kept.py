"""`migrate` keeps a field the reader removed inside a nested record (a struct column, array
items, map values, a record union member) with its values, as it keeps a removed top-level
column, unless `--drop-removed-columns` is given; the summary names it (issue 17). Rows landed
afterwards under the reader without it hold NULL there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.errors import SchemaMigrationRequiredError
from avrolake.lake import TableRef
from avrolake.orchestration.reconcile import interval_layout, reconcile_interval
from avrolake.storage import S3Options, resolve
from tests.fixtures.lake import sql, write_avro
from tests.unit.test_migrate_exact import Chain, array, field, inner, map_, record

pytestmark = pytest.mark.unit

KEPT_LINE = "kept columns (not in the reader, values kept): "
OLD = inner(field("a", "int"), field("b", "string"))
NEW = inner(field("a", "int"))
A = inner(field("a", "int"), field("b", "string"), name="A")
Z = inner(field("z", "long"), name="Z")

# name: (v1 column type, v2 column type, v1 value, v2 value, kept path,
#        the column after migrate and a v2 file landed: [v1 row's, v2 row's])
CASES: dict[str, tuple[Any, Any, Any, Any, str, list[Any]]] = {
    "field removed inside a nested record": (
        OLD, NEW, {"a": 1, "b": "x"}, {"a": 2}, "r.b",
        [{"a": 1, "b": "x"}, {"a": 2, "b": None}],
    ),
    "field removed inside a nullable nested record": (
        ["null", OLD], ["null", NEW], {"a": 1, "b": "x"}, None, "r.b",
        [{"a": 1, "b": "x"}, None],
    ),
    "field removed inside an array of records": (
        array(OLD), array(NEW), [{"a": 1, "b": "x"}, {"a": 3, "b": "y"}], [{"a": 2}], "r[].b",
        [[{"a": 1, "b": "x"}, {"a": 3, "b": "y"}], [{"a": 2, "b": None}]],
    ),
    "field removed inside a map of records": (
        map_(OLD), map_(NEW), {"k": {"a": 1, "b": "x"}}, {"k": {"a": 2}}, "r{}.b",
        [[("k", {"a": 1, "b": "x"})], [("k", {"a": 2, "b": None})]],
    ),
    "field removed inside a record union member": (
        ["null", A, Z], ["null", inner(field("a", "int"), name="A"), Z],
        {"a": 1, "b": "x"}, {"a": 2}, "r.member_A.b",
        [{"member_A": {"a": 1, "b": "x"}, "member_Z": None},
         {"member_A": {"a": 2, "b": None}, "member_Z": None}],
    ),
}  # fmt: skip


def removed_then_landed(tmp_path: Path, old: Any, new: Any, v1: Any, v2: Any) -> Chain:
    """v1 lands, v2 (the field removed) is registered and migrated, then a v2 file lands."""
    chain = Chain(tmp_path)
    v1_doc, v2_doc = record(field("r", old)), record(field("r", new))
    chain.register(1, v1_doc)
    chain.write(1, v1_doc, [{"id": 1, "r": v1}])
    assert chain.ingest()["files_ingested"] == 1
    chain.register(2, v2_doc)
    assert chain.migrate() == 0
    chain.write(2, v2_doc, [{"id": 2, "r": v2}])
    assert chain.ingest()["files_ingested"] == 1
    return chain


@pytest.mark.parametrize(
    ("old", "new", "v1", "v2", "path", "expected"), list(CASES.values()), ids=list(CASES)
)
def test_removed_nested_field_keeps_its_values_and_later_rows_land_null_there(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: Any, new: Any, v1: Any, v2: Any, path: str, expected: list[Any],
) -> None:  # fmt: skip
    chain = removed_then_landed(tmp_path, old, new, v1, v2)
    assert f"{KEPT_LINE}{path}\n" in capsys.readouterr().out
    assert [r["r"] for r in sql(chain.table(), "SELECT r FROM t ORDER BY id")] == expected
    # the reader's fields equal a fresh read of every source with the latest reader
    chain.ingest("fresh")
    fresh = [r["r"] for r in sql(chain.table("fresh"), "SELECT r FROM t ORDER BY id")]
    assert fresh == [_without_b(v) for v in expected]


def _without_b(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_b(v) for k, v in value.items() if k != "b"}
    if isinstance(value, list):
        return [_without_b(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_without_b(v) for v in value)
    return value


def test_removed_nested_field_is_dropped_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = Chain(tmp_path)
    v1_doc, v2_doc = record(field("r", array(OLD))), record(field("r", array(NEW)))
    chain.register(1, v1_doc)
    chain.write(1, v1_doc, [{"id": 1, "r": [{"a": 1, "b": "x"}]}])
    chain.ingest()
    chain.register(2, v2_doc)
    assert chain.migrate("--drop-removed-columns") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == [f"{KEPT_LINE}none", "dropped columns: r[].b"]
    assert sql(chain.table(), "SELECT r FROM t") == [{"r": [{"a": 1}]}]


def test_status_and_reconcile_stay_green_after_a_nested_field_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = removed_then_landed(tmp_path, OLD, NEW, {"a": 1, "b": "x"}, {"a": 2})
    assert main(["status", "--table", chain.table()]) == 0
    assert "rows by writer schema version: {'1': 1, '2': 1}" in capsys.readouterr().out
    ref = TableRef.find(chain.table(), S3Options())
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    layout = interval_layout(tmp_path / "registry", None, "none")
    report = reconcile_interval(str(tmp_path / "raw"), ref, since, until, 0, layout=layout)
    assert (report.files_seen, report.files_landed, report.unaccounted) == (2, 2, [])
    assert report.rows_by_writer_version == {"1": 1, "2": 1}


def test_a_kept_nested_field_back_in_the_reader_needs_migrate_and_gets_its_default(
    tmp_path: Path,
) -> None:
    """v1 writes r.b, v2 removes it (kept), v3 has it again with a default (not v1's
    fingerprint): v1 rows keep their values, v2 rows read v3's default, as a fresh read
    gives them."""
    chain = removed_then_landed(tmp_path, OLD, NEW, {"a": 1, "b": "x"}, {"a": 2})
    v3 = record(field("r", inner(field("a", "int"), field("b", ["string", "null"], default="d"))))
    chain.register(3, v3)
    write_avro(resolve(str(tmp_path / "raw")), "v3/part.avro", v3,
               [{"id": 3, "r": {"a": 3, "b": "z"}}])  # fmt: skip
    with pytest.raises(SchemaMigrationRequiredError, match=r"r\.b is back in the reader"):
        chain.ingest()
    assert chain.migrate() == 0
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT id, r FROM t ORDER BY id") == [
        {"id": 1, "r": {"a": 1, "b": "x"}},
        {"id": 2, "r": {"a": 2, "b": "d"}},
        {"id": 3, "r": {"a": 3, "b": "z"}},
    ]
    assert chain.rows() == chain.fresh()


def nested_kept_then_read_again(tmp_path: Path, b: str | None, column: str = "r") -> Chain:
    """v1 writes n (int) and r{a, b}; v2 reads n as float (16777217 lands rounded); v3 reads
    n as double and no longer has r.b (and calls r `column`, alias r): the source is read
    again with r.b kept."""
    chain = Chain(tmp_path)
    v1 = record(
        field("n", "int"), field("r", inner(field("a", "int"), field("b", ["null", "string"])))
    )
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "n": 16_777_217, "r": {"a": 1, "b": b}}])
    chain.register(2, record(field("n", "float"), *v1["fields"][2:]))
    chain.ingest()
    aliases = {"aliases": ["r"]} if column != "r" else {}
    chain.register(3, record(field("n", "double"), field(column, NEW, **aliases)))
    return chain


# The record column renamed in the same version (r -> r2, alias r): its stored values are
# found under the stored name. Before, migrate died with `KeyError: 'r2'` inside delta-rs's
# write (exit 1); found by the Java differential test (seed 1152026, chain 468).
COLUMNS = [pytest.param("r", id="same_name"), pytest.param("r2", id="renamed")]


@pytest.mark.parametrize("column", COLUMNS)
def test_a_source_read_again_refuses_to_lose_its_kept_nested_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    chain = nested_kept_then_read_again(tmp_path, "x", column)
    capsys.readouterr()
    assert chain.migrate() == 1
    err = capsys.readouterr().err
    assert f"column {column}.b (rows of writer v1)" in err
    assert "--drop-removed-columns" in err
    assert chain.migrate("--drop-removed-columns") == 0
    rows = sql(chain.table(), f"SELECT n, {column} FROM t")
    assert rows == [{"n": 16_777_217.0, column: {"a": 1}}]


@pytest.mark.parametrize("column", COLUMNS)
def test_a_source_read_again_with_null_kept_nested_values_migrates(
    tmp_path: Path, column: str
) -> None:
    chain = nested_kept_then_read_again(tmp_path, None, column)
    assert chain.migrate() == 0
    assert sql(chain.table(), f"SELECT n, {column} FROM t") == [
        {"n": 16_777_217.0, column: {"a": 1, "b": None}}
    ]
