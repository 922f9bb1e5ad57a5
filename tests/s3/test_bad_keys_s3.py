"""S3 entries and S3 errors a user meets (issue 18, points 4 and 6), over real HTTP.

Keys with '.', '..' or empty segments are valid S3 objects that no S3 client here can read by
their exact key (the client normalises the path): each is quarantined as `unreadable_key`,
and every other object lands. A wrong endpoint, a missing bucket and missing credentials
each end in one sentence that says what to set, without ANSI codes; `--debug` adds the
original error.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastavro
import pytest

from avrolake.storage import resolve
from tests.conftest import ROOT, SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs, sql
from tests.fixtures.s3 import S3Endpoint, _free_port, avrolake

pytestmark = [pytest.mark.s3, pytest.mark.spark]
ODD_KEYS = ["../escape.avro", "a/../b.avro", "./c.avro", "/d.avro"]  # after raw/app/


def put_object(s3: S3Endpoint, bucket: str, key: str, body: bytes) -> None:
    """PUT an object by its exact key (pyarrow.fs would normalise it)."""
    import boto3

    opts = s3.options
    client = boto3.client(
        "s3",
        endpoint_url=opts.endpoint_url,
        aws_access_key_id=opts.access_key,
        aws_secret_access_key=opts.secret_key,
        region_name=opts.region or "us-east-1",
    )
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body)
    except Exception as exc:  # a server that refuses such keys cannot hold the case at all
        pytest.skip(f"{s3.kind} refuses the key {key!r}: {exc}")


def records_by_object(s3: S3Endpoint, prefix: str) -> dict[str, int]:
    location = resolve(prefix, s3.options)
    counts = {}
    for listed in location.list_files(".avro"):
        data = location.read_bytes(listed.path)
        counts[location.uri_of(listed.path)] = sum(1 for _ in fastavro.reader(io.BytesIO(data)))
    return counts


def test_keys_with_dot_or_empty_segments_are_quarantined_and_six_good_objects_land(
    s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    raw, table = f"s3://{s3_bucket}/raw/app", f"s3://{s3_bucket}/lake/app"
    generate_logs(resolve(raw, s3_endpoint.options), files=6, records=50, seed=3)
    good = records_by_object(s3_endpoint, raw)
    body = resolve(raw, s3_endpoint.options).read_bytes(next(iter(good))[len("s3://") :])
    for key in ODD_KEYS:
        put_object(s3_endpoint, s3_bucket, f"raw/app/{key}", body)
    args = ["ingest", "--source", raw, "--table", table, "--registry", str(SHIPPED_REGISTRY)]
    summary = avrolake(s3_endpoint, *args, "--run-id", "first")
    odd = sorted(f"{raw}/{key}" for key in ODD_KEYS)
    assert summary["quarantined"] == [{"path": p, "error_kind": "unreadable_key"} for p in odd]
    assert (summary["files_seen"], summary["files_ingested"]) == (10, 6)
    options = s3_endpoint.options.delta_storage_options()
    rows = sql(table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1', options)
    assert {r["s"]: r["n"] for r in rows} == good
    again = avrolake(s3_endpoint, *args, "--run-id", "second")
    assert (again["files_skipped"], again["files_quarantined"], again["files_deferred"]) == (
        10, 0, 0,
    )  # fmt: skip


def fails(env: dict[str, str], *args: str, timeout: int = 300) -> tuple[int, str]:
    """Run `avrolake ARGS` as a user does, expecting it to fail: (exit code, stderr)."""
    result = subprocess.run(
        [sys.executable, "-m", "avrolake", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    return result.returncode, result.stderr


def user_env(s3: S3Endpoint, **changes: str | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {**base, **s3.env()}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("case", "says"),
    [
        pytest.param("endpoint", ["cannot connect to the S3 endpoint", "AWS_ENDPOINT_URL"],
                     id="wrong-endpoint-names-AWS_ENDPOINT_URL"),
        pytest.param("bucket", ["bucket 'no-such-bucket-18' does not exist", "create it"],
                     id="missing-table-bucket-is-named"),
        pytest.param("credentials", ["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
                     id="no-credentials-names-the-variables"),
    ],
)  # fmt: skip
def test_s3_errors_say_what_to_set_in_one_plain_sentence(
    s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path, case: str, says: list[str]
) -> None:
    (tmp_path / "raw").mkdir()
    table = f"s3://{s3_bucket}/lake/t"
    env = user_env(s3_endpoint)
    if case == "endpoint":
        env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{_free_port()}"
    elif case == "bucket":
        table = "s3://no-such-bucket-18/lake/t"
    else:
        env = user_env(s3_endpoint, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", table,
            "--registry", str(SHIPPED_REGISTRY)]  # fmt: skip
    code, stderr = fails(env, *args)
    assert code == 2
    line = last_line(stderr)
    assert line.startswith("avrolake: error: ")
    assert all(s in line for s in says), line
    assert "\x1b[" not in stderr
    assert "Traceback" not in stderr
    assert "<?xml" not in stderr


def test_debug_adds_the_original_error_without_ansi_codes(
    s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    (tmp_path / "raw").mkdir()
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table",
            "s3://no-such-bucket-18/lake/t", "--registry", str(SHIPPED_REGISTRY)]  # fmt: skip
    _, plain = fails(user_env(s3_endpoint), *args)
    _, debug = fails(user_env(s3_endpoint), *args, "--debug")
    assert "NoSuchBucket" not in plain
    assert "NoSuchBucket" in debug  # the store's own words, kept for --debug
    assert "Traceback" in debug
    assert last_line(debug) == last_line(plain).replace(
        " (run again with --debug for the original error)", ""
    )
    assert "\x1b[" not in debug


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from tests.fixtures.s3 import _wait_for_port

    _wait_for_port(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def test_an_s3_outage_mid_run_says_nothing_was_lost_and_to_rerun(
    s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    """The source's own S3 server stops once the run has listed it and started reading."""
    from avrolake.storage import S3Options

    proc, url = start_moto()
    try:
        options = S3Options(url, "us-east-1", "k", "s")
        options.filesystem(allow_bucket_creation=True).create_dir("outage")
        generate_logs(resolve("s3://outage/raw", options), files=4, records=50, seed=5)
        env = {**user_env(s3_endpoint), "AWS_ENDPOINT_URL": url}
        table = tmp_path / "lake" / "t"
        cli = subprocess.Popen(
            [sys.executable, "-m", "avrolake", "ingest", "--source", "s3://outage/raw",
             "--table", str(table), "--registry", str(SHIPPED_REGISTRY), "--master", "local[1]"],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        lines: list[str] = []
        assert cli.stderr is not None
        for line in cli.stderr:
            lines.append(line)
            if "decoding 4 file(s)" in line:
                proc.terminate()  # the outage: planned, listed, now reading
                proc.wait(timeout=30)
        code = cli.wait(timeout=600)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    stderr = "".join(lines)
    assert code == 2, stderr[-3000:]
    line = last_line(stderr)
    assert f"cannot connect to the S3 endpoint {url}" in line, line
    assert "Nothing was lost" in line
    assert "re-run" in line
    # Spark logs its failed tasks itself (log4j, with the worker's traceback inside a line);
    # the command's own ending is the one sentence, never Python's uncaught traceback.
    assert not any(text.startswith("Traceback") for text in stderr.splitlines())
    rows: list[Any] = sql(str(table), "SELECT COUNT(*) n FROM t")
    assert rows == [{"n": 0}]  # created empty, nothing committed
