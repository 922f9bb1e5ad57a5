"""Where files live: resolving local paths and s3:// URIs, S3 settings, local reads and writes.

Nothing here contacts a network: S3 filesystems are only constructed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pyarrow import fs as pafs

from avrolake.errors import EXIT_USAGE, StorageError
from avrolake.lake import TableRef
from avrolake.storage import Location, S3Options, resolve

pytestmark = pytest.mark.unit

# An endpoint nothing listens on, and explicit keys: constructing a filesystem stays offline.
OFFLINE = S3Options(endpoint_url="http://127.0.0.1:9", access_key="k", secret_key="s")


# -- resolve: local paths ---------------------------------------------------------------------


def test_relative_path_resolves_to_an_absolute_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    location = resolve("lake/clicks")
    assert location.uri == "lake/clicks"
    assert location.path == (tmp_path / "lake" / "clicks").resolve().as_posix()
    assert isinstance(location.fs, pafs.LocalFileSystem)


def test_file_uri_resolves_to_its_path(tmp_path: Path) -> None:
    location = resolve(f"file://{tmp_path}/lake")
    assert location.path == (tmp_path / "lake").resolve().as_posix()
    assert isinstance(location.fs, pafs.LocalFileSystem)


def test_trailing_slash_is_dropped(tmp_path: Path) -> None:
    assert resolve(f"{tmp_path}/lake/").path == (tmp_path / "lake").resolve().as_posix()


def test_home_folder_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve("~/lake").path == (tmp_path / "lake").resolve().as_posix()


def test_local_location_is_not_s3_and_its_delta_uri_is_the_path(tmp_path: Path) -> None:
    location = resolve(str(tmp_path))
    assert location.is_s3 is False
    assert location.delta_uri() == location.path
    assert location.uri_of(f"{location.path}/a.avro") == f"{location.path}/a.avro"


# -- resolve: s3 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        pytest.param("s3://raw/clicks", "raw/clicks", id="bucket_and_prefix"),
        pytest.param("s3://raw/clicks/", "raw/clicks", id="trailing_slash"),
        pytest.param("s3://raw/a/b/c", "raw/a/b/c", id="deep_prefix"),
        pytest.param("s3://raw", "raw", id="bucket_only"),
    ],
)
def test_s3_uri_path_is_bucket_and_prefix(uri: str, path: str) -> None:
    location = resolve(uri, OFFLINE)
    assert location.uri == uri
    assert location.path == path
    assert location.delta_uri() == f"s3://{path}"
    assert location.is_s3 is True
    assert isinstance(location.fs, pafs.S3FileSystem)


def test_s3_uri_of_a_listed_path_gets_its_scheme_back() -> None:
    location = resolve("s3://raw/clicks", OFFLINE)
    assert (
        location.uri_of("raw/clicks/dt=2026-03-01/a.avro") == "s3://raw/clicks/dt=2026-03-01/a.avro"
    )
    assert location.child("dt=2026-03-01/a.avro") == "raw/clicks/dt=2026-03-01/a.avro"


@pytest.mark.parametrize(
    "uri", [pytest.param("s3://", id="nothing"), pytest.param("s3:///", id="slash")]
)
def test_s3_uri_without_bucket_is_a_storage_error(uri: str) -> None:
    with pytest.raises(StorageError, match="names no bucket; use s3://bucket/prefix") as caught:
        resolve(uri, OFFLINE)
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        pytest.param("gs://bucket/x", "gs", id="gcs"),
        pytest.param("abfss://c@a.dfs.core.windows.net/x", "abfss", id="azure"),
        pytest.param("hdfs://namenode/x", "hdfs", id="hdfs"),
    ],
)
def test_unsupported_scheme_is_a_storage_error(uri: str, scheme: str) -> None:
    with pytest.raises(StorageError) as caught:
        resolve(uri)
    assert str(caught.value) == (
        f"unsupported URI scheme {scheme!r} in {uri!r}; use s3:// or a local path"
    )


# -- S3Options.from_env -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "endpoint"),
    [
        pytest.param(
            {"AWS_ENDPOINT_URL_S3": "http://minio:9000", "AWS_ENDPOINT_URL": "http://other:1"},
            "http://minio:9000",
            id="s3_specific_wins",
        ),
        pytest.param({"AWS_ENDPOINT_URL": "http://other:1"}, "http://other:1", id="generic"),
        pytest.param(
            {"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "http://other:1"},
            "http://other:1",
            id="empty_s3_specific_falls_back",
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_endpoint_from_env(environ: dict[str, str], endpoint: str | None) -> None:
    assert S3Options.from_env(environ).endpoint_url == endpoint


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        pytest.param(
            {"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "us-west-2"},
            "eu-north-1",
            id="aws_region_wins",
        ),
        pytest.param(
            {"AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2", id="default_region_fallback"
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_region_from_env(environ: dict[str, str], region: str | None) -> None:
    assert S3Options.from_env(environ).region == region


def test_credentials_from_env() -> None:
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzE",
    }
    assert S3Options.from_env(environ) == S3Options(
        access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI", session_token="FwoGZXIvYXdzE"
    )


def test_from_env_reads_only_the_mapping_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-process")
    assert S3Options.from_env({}) == S3Options()


# -- delta_storage_options --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(S3Options(), {"AWS_REGION": "us-east-1"}, id="defaults"),
        pytest.param(
            S3Options(endpoint_url="http://minio:9000", region="eu-north-1"),
            {
                "AWS_REGION": "eu-north-1",
                "AWS_ENDPOINT_URL": "http://minio:9000",
                "AWS_ALLOW_HTTP": "true",
            },
            id="http_endpoint_allows_http",
        ),
        pytest.param(
            S3Options(endpoint_url="https://s3.example.com"),
            {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "https://s3.example.com"},
            id="https_endpoint",
        ),
        pytest.param(
            S3Options(access_key="AKID", secret_key="SECRET"),
            {
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKID",
                "AWS_SECRET_ACCESS_KEY": "SECRET",
            },
            id="key_pair",
        ),
        pytest.param(
            S3Options(access_key="AKID", secret_key="SECRET", session_token="TOKEN"),
            {
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKID",
                "AWS_SECRET_ACCESS_KEY": "SECRET",
                "AWS_SESSION_TOKEN": "TOKEN",
            },
            id="key_pair_and_token",
        ),
        pytest.param(
            S3Options(access_key="AKID"), {"AWS_REGION": "us-east-1"}, id="key_without_secret"
        ),
        pytest.param(
            S3Options(secret_key="SECRET"), {"AWS_REGION": "us-east-1"}, id="secret_without_key"
        ),
        pytest.param(
            S3Options(session_token="TOKEN"), {"AWS_REGION": "us-east-1"}, id="token_alone"
        ),
    ],
)
def test_delta_storage_options(options: S3Options, expected: dict[str, str]) -> None:
    assert options.delta_storage_options() == expected


def test_filesystem_uses_the_region() -> None:
    options = dataclasses.replace(OFFLINE, region="eu-north-1")
    assert options.filesystem().region == "eu-north-1"


# -- secrets ----------------------------------------------------------------------------------

SECRETS = S3Options(
    endpoint_url="http://minio:9000",
    region="eu-north-1",
    access_key="AKIDSECRETVALUE",
    secret_key="wJalrXUtnFEMIsecret",
    session_token="FwoGZXIvYXdzEtoken",
)


def test_secrets_are_absent_from_the_repr() -> None:
    text = repr(SECRETS)
    assert text == "S3Options(endpoint_url='http://minio:9000', region='eu-north-1')"
    for secret in ("AKIDSECRETVALUE", "wJalrXUtnFEMIsecret", "FwoGZXIvYXdzEtoken"):
        assert secret not in text


def test_secrets_are_absent_from_a_table_handle_repr(tmp_path: Path) -> None:
    text = repr(TableRef.at(str(tmp_path / "clicks"), SECRETS))
    for secret in ("AKIDSECRETVALUE", "wJalrXUtnFEMIsecret", "FwoGZXIvYXdzEtoken"):
        assert secret not in text


# -- local reads and writes -------------------------------------------------------------------


def test_write_bytes_creates_the_folders_and_returns_the_path(tmp_path: Path) -> None:
    location = resolve(str(tmp_path / "raw"))
    written = location.write_bytes("dt=2026-03-01/hour=00/a.avro", b"Obj\x01")
    assert written == f"{location.path}/dt=2026-03-01/hour=00/a.avro"
    assert location.read_bytes(written) == b"Obj\x01"


def test_list_files_is_recursive_sorted_and_filtered_by_suffix(tmp_path: Path) -> None:
    location = resolve(str(tmp_path))
    for relative in ("b/2.avro", "a.avro", "b/1.avro", "b/1.txt"):
        location.write_bytes(relative, b"x")
    listed = [i.path for i in location.list_files(".avro")]
    assert listed == [location.child(r) for r in ("a.avro", "b/1.avro", "b/2.avro")]


def test_list_files_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert resolve(str(tmp_path / "absent")).list_files() == []


def test_child_of_nothing_is_the_location_itself(tmp_path: Path) -> None:
    location = Location(str(tmp_path), pafs.LocalFileSystem(), str(tmp_path))
    assert location.child("") == str(tmp_path)
    assert location.child("x/y") == f"{tmp_path}/x/y"


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("s3:///prefix", id="empty_bucket_then_prefix"),
        pytest.param("s3:///raw/clicks/", id="empty_bucket_then_deep_prefix"),
    ],
)
def test_s3_uri_with_an_empty_bucket_before_a_prefix_is_a_storage_error(uri: str) -> None:
    with pytest.raises(StorageError) as caught:
        resolve(uri, OFFLINE)
    assert str(caught.value) == f"{uri!r} names no bucket; use s3://bucket/prefix"
    assert caught.value.exit_code == EXIT_USAGE


def test_write_bytes_below_a_regular_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "dt=2026-03-01").write_bytes(b"a file, not a folder")
    location = resolve(str(tmp_path / "raw"))
    with pytest.raises(StorageError) as caught:
        location.write_bytes("dt=2026-03-01/hour=00/a.avro", b"Obj\x01")
    assert type(caught.value) is StorageError
    assert str(caught.value).startswith(
        f"could not write {location.path}/dt=2026-03-01/hour=00/a.avro: "
    )
    assert isinstance(caught.value.__cause__, OSError)
    assert (tmp_path / "raw" / "dt=2026-03-01").read_bytes() == b"a file, not a folder"
