"""The CLI contract of docs/cli.md: output shapes and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avrolake.cli import main
from tests.conftest import ROOT, SHIPPED_REGISTRY, v3_without_service_alias

pytestmark = pytest.mark.unit
V1 = SHIPPED_REGISTRY / "log_event" / "v1.avsc"
V3 = SHIPPED_REGISTRY / "log_event" / "v3.avsc"


def test_compat_exit_0_when_reader_reads_writer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "--reader", str(V3), "--writer", str(V1)]) == 0
    assert capsys.readouterr().out.startswith("compatible: ")


def test_compat_json_lists_incompatibilities(capsys: pytest.CaptureFixture[str]) -> None:
    # v1 reading v3 data: v1 needs `service`, which v3 writes as service_name.
    assert main(["compat", "--reader", str(V1), "--writer", str(V3), "--json"]) == 1
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["compatible"] is False
    assert [(i["kind"], i["path"]) for i in report["incompatibilities"]] == [
        ("MISSING_ENUM_SYMBOLS", "/fields/1/type/symbols"),
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/2"),
    ]


def test_compat_json_when_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "--reader", str(V3), "--writer", str(V1), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"compatible": True, "incompatibilities": []}


def test_compat_malformed_schema_exits_2_naming_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.avsc"
    bad.write_text('{"type": "recrd", "name": "R"}')
    assert main(["compat", "--reader", str(bad), "--writer", str(V1)]) == 2
    assert f"{bad}: invalid Avro schema at $.type: unknown type 'recrd'" in capsys.readouterr().err


def test_schemas_check_passes_on_shipped_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "check", "--registry", str(SHIPPED_REGISTRY)]) == 0
    assert capsys.readouterr().out == "log_event: 3 version(s), level BACKWARD_TRANSITIVE: ok\n"


def test_schemas_check_fails_on_breaking_v4_naming_field_and_rule(
    registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry_copy / "log_event" / "v4.avsc").write_text(json.dumps(v3_without_service_alias()))
    assert main(["schemas", "check", "--registry", str(registry_copy)]) == 1
    out = capsys.readouterr().out
    assert "log_event: 4 version(s), level BACKWARD_TRANSITIVE: 2 violation(s)" in out
    assert (
        "v4 cannot read data written with v1: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2: "
        "reader field 'service_name' of io.avrolake.logs.LogEvent has no default"
    ) in out


def test_schemas_check_json_report(registry_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (registry_copy / "log_event" / "v4.avsc").write_text(json.dumps(v3_without_service_alias()))
    code = main(["schemas", "check", "--registry", str(registry_copy), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["compatible"] is False
    found = report["subjects"]["log_event"]["violations"]
    assert [(v["version"], v["against_version"], v["kind"]) for v in found] == [
        (4, 1, "READER_FIELD_MISSING_DEFAULT_VALUE"),
        (4, 2, "READER_FIELD_MISSING_DEFAULT_VALUE"),
    ]


def test_schemas_check_level_none_accepts_breaking_v4(
    registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry_copy / "log_event" / "v4.avsc").write_text(json.dumps(v3_without_service_alias()))
    (registry_copy / "log_event" / "compatibility").write_text("NONE\n")
    assert (
        main(["schemas", "check", "--registry", str(registry_copy), "--subject", "log_event"]) == 0
    )
    assert capsys.readouterr().out == "log_event: 4 version(s), level NONE: ok\n"


def test_schemas_list_shows_versions_and_fingerprints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "list", "--registry", str(SHIPPED_REGISTRY), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["subject"] == "log_event"
    assert row["level"] == "BACKWARD_TRANSITIVE"
    assert [v["version"] for v in row["versions"]] == [1, 2, 3]
    assert all(len(v["fingerprint"]) == 16 for v in row["versions"])


def test_schemas_show_canonical(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["schemas", "show", "log_event", "--version", "1", "--canonical"]
    assert main([*args, "--registry", str(SHIPPED_REGISTRY)]) == 0
    assert capsys.readouterr().out.startswith('{"name":"io.avrolake.logs.LogEvent","type":"record"')


def test_schemas_diff_v2_v3(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["schemas", "diff", "log_event", "2", "3", "--registry", str(SHIPPED_REGISTRY)]) == 0
    )
    lines = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(words[0], words[1].rstrip(":")) for words in lines] == [
        ("symbols_added", "level"),
        ("default_changed", "level"),
        ("renamed", "service_name"),
        ("type_changed", "latency_ms"),
        ("added", "host"),
        ("added", "tags"),
    ]


def test_unknown_subject_exits_2_with_known_subjects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "show", "nope", "--registry", str(SHIPPED_REGISTRY)]) == 2
    assert "subject 'nope' not found" in capsys.readouterr().err


def test_python_dash_m_entry_point_runs_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "avrolake", "schemas", "check", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["compatible"] is True
