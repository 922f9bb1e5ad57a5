"""`migrate` reads rows again from their sources where the table lost what the writer wrote.

The table holds what the reader of the moment read. Each case below is one the Java
differential test found (tests/property/test_java_differential.py, its former known gaps):
no conversion of the stored value gives a fresh read's value, so migrate reads the source
again with the new reader, lands its fresh rows in the same commit, or takes them out and
quarantines the source where a fresh read quarantines it. The table then equals a fresh
ingest of the same sources into a new table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from avrolake.errors import SchemaMigrationRequiredError
from tests.fixtures.lake import sql
from tests.unit.test_migrate_exact import (
    Chain,
    field,
    inner,
    int_landed_as_float_then_double,
    record,
)

pytestmark = pytest.mark.unit

ABC = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
AB = {**ABC, "symbols": ["A", "B"], "default": "A"}


def quarantine(chain: Chain) -> list[dict[str, str]]:
    return sql(chain.table() + "_quarantine", "SELECT path, error_kind FROM t")


def source(tmp_path: Path, version: int) -> str:
    return str((tmp_path / "raw" / f"v{version}" / "part.avro").resolve())


def test_bytes_read_as_string_over_non_utf8_quarantine_the_source_as_a_fresh_read_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v1 bytes landed b"\\xff"; v2 reads them as string: a fresh read quarantines the file
    (corrupt_data). migrate takes its rows out and quarantines it; valid files stay."""
    chain = Chain(tmp_path)
    v1 = record(field("b", "bytes"))
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "b": b"\xff"}])
    chain.write(2, v1, [{"id": 2, "b": b"ok"}])  # another file of v1, valid UTF-8
    chain.ingest()
    chain.register(2, record(field("b", "string")))
    capsys.readouterr()
    assert chain.migrate() == 0
    assert f"{source(tmp_path, 1)} (corrupt_data)" in capsys.readouterr().out
    assert sql(chain.table(), "SELECT id, b FROM t") == [{"id": 2, "b": "ok"}]
    assert quarantine(chain) == [{"path": source(tmp_path, 1), "error_kind": "corrupt_data"}]
    assert chain.ingest()["files_skipped"] == 2
    assert chain.rows() == chain.fresh()


def test_an_integer_rounded_into_a_float_is_read_again_when_a_double_reads_it(
    tmp_path: Path,
) -> None:
    chain = int_landed_as_float_then_double(tmp_path)
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT n FROM t ORDER BY id") == [{"n": 16_777_217.0}, {"n": 3.0}]
    assert chain.rows() == chain.fresh()


def test_an_enum_symbol_an_older_reader_defaulted_is_restored_when_the_reader_has_it_again(
    tmp_path: Path,
) -> None:
    """v1 wrote C and A; v2 lacks C (default A): both rows read A. v3 has C again: a fresh
    read gives C and A. The stored A is ambiguous, so the source is read again."""
    chain = Chain(tmp_path)
    v1 = record(field("e", ABC))
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "e": "C"}, {"id": 2, "e": "A"}, {"id": 3, "e": "B"}])
    chain.ingest()
    chain.register(2, record(field("e", AB)))
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT e FROM t ORDER BY id") == [{"e": "A"}, {"e": "A"}, {"e": "B"}]
    chain.register(3, v1)
    with pytest.raises(SchemaMigrationRequiredError):
        chain.ingest()
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT e FROM t ORDER BY id") == [{"e": "C"}, {"e": "A"}, {"e": "B"}]
    assert chain.rows() == chain.fresh()


def test_a_file_quarantined_under_an_older_reader_lands_when_a_newer_reader_reads_it(
    tmp_path: Path,
) -> None:
    """v1 writes bytes b"\\xff"; v2 reads them as string (corrupt_data, quarantined); v3
    reads bytes again: the next ingest reads the quarantined file again and lands it."""
    chain = Chain(tmp_path)
    v1 = record(field("b", "bytes"))
    chain.register(1, v1)
    chain.register(2, record(field("b", "string")))
    chain.write(1, v1, [{"id": 1, "b": b"\xff"}])
    assert chain.ingest()["files_quarantined"] == 1
    chain.register(3, record(field("b", "bytes", aliases=["c"])))
    with pytest.raises(SchemaMigrationRequiredError):
        chain.ingest()
    assert chain.migrate() == 0
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT b FROM t") == [{"b": b"\xff"}]
    assert chain.rows() == chain.fresh()


def kept_then_read_again(tmp_path: Path, rows: list[dict[str, object]]) -> Chain:
    """v1 writes n (int) and k; v2 reads n as float (16777217 lands rounded); v3 reads n as
    double and no longer has k, which the table keeps: the rows are read again."""
    chain = Chain(tmp_path)
    v1 = record(field("n", "int"), field("k", "string"))
    chain.register(1, v1)
    chain.write(1, v1, rows)
    chain.register(2, record(field("n", "float"), field("k", "string")))
    chain.ingest()
    chain.register(3, record(field("n", "double")))
    return chain


def test_rows_read_again_keep_their_kept_column_values(tmp_path: Path) -> None:
    """A row read again takes the kept values of the stored row it matches on every column
    that converts (here `id`)."""
    rows = [{"id": i, "n": 16_777_217 + 2 * i, "k": f"k{i}"} for i in range(3)]
    chain = kept_then_read_again(tmp_path, rows)
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT id, n, k FROM t ORDER BY id") == [
        {"id": i, "n": float(16_777_217 + 2 * i), "k": f"k{i}"} for i in range(3)
    ]


def test_rows_read_again_that_no_converted_column_tells_apart_keep_their_own_kept_values(
    tmp_path: Path,
) -> None:
    """The rows differ only in `n` (read again) and in the kept `k`: the source read again
    by v2, the reader that last had `k`, tells each fresh row its kept value."""
    rows = [{"id": 1, "n": 16_777_217, "k": "a"}, {"id": 1, "n": 16_777_219, "k": "b"}]
    chain = kept_then_read_again(tmp_path, rows)
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT n, k FROM t ORDER BY n") == [
        {"n": 16_777_217.0, "k": "a"},
        {"n": 16_777_219.0, "k": "b"},
    ]


def test_a_kept_column_a_type_change_and_a_union_read_again_keep_each_rows_values(
    tmp_path: Path,
) -> None:
    """Differential seed 266998382268363 chain 384: v1 writes k (string) and u (an enum, a
    long or null); v2 reads k as bytes and u's long as float (16777217 lands rounded); v3
    drops k and reads u's long as double. Every row is read again (only u tells them apart,
    and u does not convert): each keeps its own k, as the source read by v2 holds it."""
    e = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    chain = Chain(tmp_path)
    v1 = record(field("k", "string"), field("u", [e, "long", "null"]))
    chain.register(1, v1)
    chain.write(1, v1, [
        {"id": 1, "k": "a", "u": 16_777_217}, {"id": 1, "k": "b", "u": 16_777_219},
        {"id": 1, "k": "c", "u": "A"}, {"id": 1, "k": "d", "u": None},
    ])  # fmt: skip
    chain.ingest()
    chain.register(2, record(field("k", "bytes"), field("u", [e, "float", "null"])))
    assert chain.migrate() == 0
    chain.register(3, record(field("u", [e, "double", "null", "float"])))
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT k, u FROM t ORDER BY k") == [
        {"k": b"a", "u": {"member_E": None, "member_double": 16_777_217.0, "member_float": None}},
        {"k": b"b", "u": {"member_E": None, "member_double": 16_777_219.0, "member_float": None}},
        {"k": b"c", "u": {"member_E": "A", "member_double": None, "member_float": None}},
        {"k": b"d", "u": None},
    ]


def test_a_source_no_longer_holding_the_kept_values_that_landed_refuses_to_guess_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The source was rewritten with other kept values (the same number of records): no
    stored row equals a fresh row, so migrate refuses and names the source."""
    rows = [{"id": 1, "n": 16_777_217, "k": "a"}, {"id": 1, "n": 16_777_219, "k": "b"}]
    chain = kept_then_read_again(tmp_path, rows)
    v1 = record(field("n", "int"), field("k", "string"))
    chain.write(1, v1, [{**row, "k": "x"} for row in rows])
    capsys.readouterr()
    assert chain.migrate() == 1
    err = capsys.readouterr().err
    assert "column k (rows of writer v1)" in err
    assert "cannot be placed" in err
    assert "--drop-removed-columns" in err
    assert chain.migrate("--drop-removed-columns") == 0
    assert sql(chain.table(), "SELECT n FROM t ORDER BY n") == [
        {"n": 16_777_217.0},
        {"n": 16_777_219.0},
    ]


def test_a_kept_record_holding_a_kept_child_keeps_both_when_its_rows_are_read_again(
    tmp_path: Path,
) -> None:
    """Differential seed 4125363100969 chain 248: v2 removes `r.x` (kept inside the record
    `r`), v3 removes `r` itself (kept) and reads `n`'s int as double where v2 had rounded it
    into a float. The rows are read again; they are matched to the stored rows by what the
    source read by v2 (the reader that last had `r`) holds: `r` without its kept child `x`,
    which no reader of the source still has. Both kept values stay as stored."""
    chain = Chain(tmp_path)
    v1 = record(field("n", "int"), field("r", inner(field("a", "int"), field("x", "long"))))
    chain.register(1, v1)
    chain.write(1, v1, [
        {"id": 1, "n": 16_777_217, "r": {"a": 1, "x": -(2**63)}},
        {"id": 1, "n": 16_777_219, "r": {"a": 2, "x": 7}},
    ])  # fmt: skip
    chain.ingest()
    chain.register(2, record(field("n", "float"), field("r", inner(field("a", "int")))))
    assert chain.migrate() == 0
    chain.register(3, record(field("n", "double")))
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT n, r FROM t ORDER BY n") == [
        {"n": 16_777_217.0, "r": {"a": 1, "x": -(2**63)}},
        {"n": 16_777_219.0, "r": {"a": 2, "x": 7}},
    ]
