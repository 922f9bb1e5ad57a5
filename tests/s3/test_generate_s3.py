"""`avrolake generate` to an s3:// URI over real HTTP, read back through pyarrow and fastavro."""

from __future__ import annotations

import json
from collections import Counter

import fastavro
import pytest

from avrolake.cli import main
from avrolake.registry import Registry, schema_fingerprint
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.s3 import S3Endpoint

pytestmark = pytest.mark.s3


def test_generate_writes_mixed_versions_to_s3(
    s3_endpoint: S3Endpoint,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in s3_endpoint.env().items():
        monkeypatch.setenv(key, value)
    uri = f"s3://{s3_bucket}/raw/logs"
    args = ["generate", "--out", uri, "--registry", str(SHIPPED_REGISTRY)]
    args += ["--files", "6", "--records", "120", "--corrupt", "2", "--codec", "snappy", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["corrupt_files"] == [
        f"{uri}/dt=2026-01-01/hour=00/log_event-v1-00006-corrupt-truncated_block.avro",
        f"{uri}/dt=2026-01-01/hour=01/log_event-v2-00007-corrupt-garbage_bytes.avro",
    ]

    location = resolve(uri, s3_endpoint.options)
    files = location.list_files(".avro")
    assert len(files) == 8
    registry = Registry(SHIPPED_REGISTRY)
    records_by_version: Counter[int] = Counter()
    for info in files:
        if "-corrupt-" in info.path:
            continue
        with location.fs.open_input_file(info.path) as stream:
            reader = fastavro.reader(stream)
            version = registry.version_of_fingerprint(
                "log_event", schema_fingerprint(reader.writer_schema)
            )
            assert version is not None
            records_by_version[version] += sum(1 for _ in reader)
    assert records_by_version == {1: 240, 2: 240, 3: 240}
