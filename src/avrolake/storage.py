"""Where files live: local paths and s3:// URIs, reached through pyarrow.fs.

Only entry points read the environment: they pass it to `S3Options.from_env`; everything
else takes a `Location`, so tests and jobs choose the endpoint explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from pyarrow import fs as pafs

from avrolake.errors import StorageError


@dataclass(frozen=True)
class S3Options:
    """How to reach S3 or an S3-compatible store (MinIO). Secrets never get logged."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> S3Options:
        return cls(
            endpoint_url=environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL"),
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
            access_key=environ.get("AWS_ACCESS_KEY_ID"),
            secret_key=environ.get("AWS_SECRET_ACCESS_KEY"),
            session_token=environ.get("AWS_SESSION_TOKEN"),
        )

    def delta_storage_options(self) -> dict[str, str]:
        """The same settings in deltalake's (object_store's) words."""
        options = {"AWS_REGION": self.region or "us-east-1"}
        if self.endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.endpoint_url
            if self.endpoint_url.startswith("http://"):
                options["AWS_ALLOW_HTTP"] = "true"
        if self.access_key and self.secret_key:
            options["AWS_ACCESS_KEY_ID"] = self.access_key
            options["AWS_SECRET_ACCESS_KEY"] = self.secret_key
            if self.session_token:
                options["AWS_SESSION_TOKEN"] = self.session_token
        return options

    def filesystem(self, *, allow_bucket_creation: bool = False) -> pafs.S3FileSystem:
        kwargs: dict[str, object] = {
            "region": self.region or "us-east-1",
            "allow_bucket_creation": allow_bucket_creation,
        }
        if self.endpoint_url:
            parsed = urlparse(self.endpoint_url)
            kwargs["endpoint_override"] = parsed.netloc or parsed.path
            kwargs["scheme"] = parsed.scheme or "https"
        if self.access_key and self.secret_key:
            kwargs.update(
                access_key=self.access_key,
                secret_key=self.secret_key,
                session_token=self.session_token,
            )
        return pafs.S3FileSystem(**kwargs)


@dataclass(frozen=True)
class Location:
    """A directory-like place: a filesystem and a base path in it."""

    uri: str
    fs: pafs.FileSystem
    path: str

    def child(self, relative: str) -> str:
        return f"{self.path.rstrip('/')}/{relative}" if relative else self.path

    def ensure_dir(self) -> None:
        if isinstance(self.fs, pafs.LocalFileSystem):
            self.fs.create_dir(self.path, recursive=True)

    def ensure_parent(self, relative: str) -> str:
        """The full path of `relative`, its folder made first where folders exist (local)."""
        target = self.child(relative)
        if isinstance(self.fs, pafs.LocalFileSystem):
            self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        return target

    def write_bytes(self, relative: str, data: bytes) -> str:
        target = self.child(relative)
        try:
            self.ensure_parent(relative)
            with self.fs.open_output_stream(target) as out:
                out.write(data)
        except OSError as exc:
            raise StorageError(f"could not write {self.uri_of(target)}: {exc}") from exc
        return target

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as stream:
            return bytes(stream.read())

    def list_files(self, suffix: str = "") -> list[pafs.FileInfo]:
        """Every file below the base path (recursively), sorted by path."""
        selector = pafs.FileSelector(self.path, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise StorageError(f"could not list {self.uri}: {exc}") from exc
        files = [i for i in infos if i.type == pafs.FileType.File and i.path.endswith(suffix)]
        return sorted(files, key=lambda i: i.path)

    def exists(self) -> bool:
        """Whether the place exists: a local directory, or an S3 bucket (prefixes are implicit)."""
        root = self.path.split("/", 1)[0] if self.is_s3 else self.path
        try:
            info = self.fs.get_file_info(root)
        except OSError as exc:
            raise StorageError(f"could not reach {self.uri}: {exc}") from exc
        return bool(info.type == pafs.FileType.Directory)

    @property
    def is_s3(self) -> bool:
        return isinstance(self.fs, pafs.S3FileSystem)

    def delta_uri(self) -> str:
        """The URI deltalake takes: s3://bucket/path, or an absolute local path."""
        return f"s3://{self.path}" if self.is_s3 else self.path

    def uri_of(self, path: str) -> str:
        if isinstance(self.fs, pafs.S3FileSystem):
            return f"s3://{path}"
        return path


def resolve(uri: str, s3: S3Options | None = None) -> Location:
    """Turn `s3://bucket/prefix` or a local path into a Location."""
    if uri.startswith("s3://"):
        path = uri[len("s3://") :].rstrip("/")
        if not path or path.startswith("/"):
            raise StorageError(f"{uri!r} names no bucket; use s3://bucket/prefix")
        return Location(uri, (s3 or S3Options()).filesystem(), path)
    if "://" in uri and not uri.startswith("file://"):
        scheme = uri.split("://", 1)[0]
        raise StorageError(
            f"unsupported URI scheme {scheme!r} in {uri!r}; use s3:// or a local path"
        )
    local = Path(uri.removeprefix("file://")).expanduser().resolve()
    return Location(uri, pafs.LocalFileSystem(), local.as_posix())
