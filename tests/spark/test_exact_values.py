"""End to end through `avrolake ingest` (Spark) into a real Delta table, read back with
delta-rs: the union branch written is the member landed, with exact values (0.1 as double,
2**53+1 as long, 1e300), time of day lands as its number, and older files get the reader's
decimal default."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro

pytestmark = pytest.mark.spark
A = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}
B = {"type": "record", "name": "B", "fields": [{"name": "y", "type": "string"}]}
EIGHT = ["null", "int", "long", "float", "double", "string", "bytes", "boolean"]
V1 = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "n", "type": "int"},
        {"name": "who", "type": ["null", A, B]},
        {"name": "real", "type": ["null", "float", "double"]},
        {"name": "count", "type": ["null", "double", "long"]},
        {"name": "any", "type": EIGHT},
        {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
    ],
}
AMOUNT = {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}
V2 = {**V1, "fields": [*V1["fields"], {"name": "amount", "type": AMOUNT, "default": "\u0000"}]}
V1_RECORDS = [
    {"n": 0, "who": ("B", {"y": "b"}), "real": ("double", 0.1), "count": ("long", 2**53 + 1),
     "any": ("long", 2**40), "at": 45_296_789},
    {"n": 1, "who": ("A", {"x": 7}), "real": ("double", 1e300), "count": ("double", 0.5),
     "any": ("double", 0.1), "at": 0},
    {"n": 2, "who": None, "real": ("float", 0.5), "count": None, "any": ("int", 2**31 - 1),
     "at": 86_399_999},
]  # fmt: skip
V2_RECORDS = [
    {"n": 3, "who": ("B", {"y": ""}), "real": ("double", 16777217.0), "count": ("long", -1),
     "any": ("string", "s"), "at": 1, "amount": Decimal("123.45")},
]  # fmt: skip


def only(member: str, value: Any, members: list[str]) -> dict[str, Any]:
    return {m: (value if m == member else None) for m in members}


WHO = ["member_A", "member_B"]
REAL = ["member_float", "member_double"]
COUNT = ["member_double", "member_long"]
ANY = [f"member_{t}" for t in EIGHT[1:]]
EXPECTED = [
    {"n": 0, "who": only("member_B", {"y": "b"}, WHO), "real": only("member_double", 0.1, REAL),
     "count": only("member_long", 2**53 + 1, COUNT), "any": only("member_long", 2**40, ANY),
     "at": 45_296_789, "amount": Decimal("0.00")},
    {"n": 1, "who": only("member_A", {"x": 7}, WHO), "real": only("member_double", 1e300, REAL),
     "count": only("member_double", 0.5, COUNT), "any": only("member_double", 0.1, ANY),
     "at": 0, "amount": Decimal("0.00")},
    {"n": 2, "who": None, "real": only("member_float", 0.5, REAL), "count": None,
     "any": only("member_int", 2**31 - 1, ANY), "at": 86_399_999, "amount": Decimal("0.00")},
    {"n": 3, "who": only("member_B", {"y": ""}, WHO),
     "real": only("member_double", 16777217.0, REAL), "count": only("member_long", -1, COUNT),
     "any": only("member_string", "s", ANY), "at": 1, "amount": Decimal("123.45")},
]  # fmt: skip


def test_ingest_lands_every_union_branch_and_value_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry" / "reading"
    registry.mkdir(parents=True)
    (registry / "v1.avsc").write_text(json.dumps(V1))
    (registry / "v2.avsc").write_text(json.dumps(V2))
    raw = resolve(str(tmp_path / "raw"))
    write_avro(raw, "v1.avro", V1, V1_RECORDS)
    write_avro(raw, "v2.avro", V2, V2_RECORDS)
    table = str(tmp_path / "lake" / "reading")
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", table]
    args += ["--registry", str(tmp_path / "registry"), "--run-id", "exact", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["files_ingested"], summary["files_quarantined"]) == (2, 0)
    assert summary["records_by_writer_version"] == {"1": 3, "2": 1}
    columns = ", ".join(f'"{f["name"]}"' for f in V2["fields"])
    assert sql(table, f'SELECT {columns} FROM t ORDER BY "n"') == EXPECTED
