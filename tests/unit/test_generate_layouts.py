"""`avrolake generate --layout PRESET` names files as Kafka Connect and Flink do, and each
preset's files are exactly what that layout lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avrolake.cli import main
from avrolake.config import Backfill
from avrolake.ingest import list_source
from avrolake.registry import parse_layout
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit


def generate(out: Path, layout: str, *extra: str) -> None:
    args = ["generate", "--out", str(out), "--registry", str(SHIPPED_REGISTRY)]
    args += ["--files", "4", "--records", "7", "--hours", "2", "--layout", layout, *extra]
    assert main([*args, "--json"]) == 0


def relatives(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("layout", "names"),
    [
        pytest.param("hive", [
            "dt=2026-01-01/hour=00/log_event-v1-00000.avro",
            "dt=2026-01-01/hour=00/log_event-v3-00002.avro",
            "dt=2026-01-01/hour=01/log_event-v1-00003.avro",
            "dt=2026-01-01/hour=01/log_event-v2-00001.avro",
        ], id="hive"),
        pytest.param("kafka-connect", [
            "partition=0/clicks+0+0000000000.avro",
            "partition=0/clicks+0+0000000007.avro",
            "partition=1/clicks+1+0000000000.avro",
            "partition=2/clicks+2+0000000000.avro",
        ], id="kafka_connect_default_partitioner"),
        pytest.param("kafka-connect-time", [
            "year=2026/month=01/day=01/hour=00/clicks+0+0000000000.avro",
            "year=2026/month=01/day=01/hour=00/clicks+2+0000000000.avro",
            "year=2026/month=01/day=01/hour=01/clicks+0+0000000007.avro",
            "year=2026/month=01/day=01/hour=01/clicks+1+0000000000.avro",
        ], id="kafka_connect_time_based_partitioner"),
        pytest.param("none", [
            "log_event-v1-00000.avro",
            "log_event-v1-00003.avro",
            "log_event-v2-00001.avro",
            "log_event-v3-00002.avro",
        ], id="none"),
    ],
)  # fmt: skip
def test_generate_names_files_as_the_producer_does(
    tmp_path: Path, layout: str, names: list[str]
) -> None:
    generate(tmp_path, layout, "--topic", "clicks")
    assert relatives(tmp_path) == names
    found = list_source(resolve(str(tmp_path)), Backfill(), parse_layout(layout))
    assert (len(found.files), found.outside) == (4, [])


def test_generate_names_flink_part_files_and_hides_the_one_in_progress(tmp_path: Path) -> None:
    generate(tmp_path, "flink", "--in-progress")
    names = relatives(tmp_path)
    uuid = names[1].split("/part-", 1)[1][:36]  # one per (seeded) job run, as Flink's
    marker = names[0].rsplit(".inprogress.", 1)[1]
    assert names == [
        f"2026-01-01--00/.part-{uuid}-0-2.inprogress.{marker}",
        f"2026-01-01--00/part-{uuid}-0-0",
        f"2026-01-01--00/part-{uuid}-0-1",
        f"2026-01-01--01/part-{uuid}-1-0",
        f"2026-01-01--01/part-{uuid}-1-1",
    ]
    found = list_source(resolve(str(tmp_path)), Backfill(), parse_layout("flink"))
    assert ([f.uri.rsplit("/", 1)[1] for f in found.files], found.outside) == (
        [f"part-{uuid}-0-0", f"part-{uuid}-0-1", f"part-{uuid}-1-0", f"part-{uuid}-1-1"],
        [],
    )


def test_generate_reports_the_in_progress_file_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path, "flink", "--in-progress")
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["files_written"] == 4
    (hidden,) = report["in_progress_files"]
    assert Path(hidden).name.startswith(".part-")
    assert report["records_by_writer_version"] == {"1": 14, "2": 7, "3": 7}
