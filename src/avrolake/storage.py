"""Where files live: local paths and s3:// URIs, reached through pyarrow.fs.

Only entry points read the environment: they pass it to `S3Options.from_env`; everything
else takes a `Location`, so tests and jobs choose the endpoint explicitly.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
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
class Listed:
    """One object a listing found. `problem` names why it cannot be read as a file at all:
    "bad_name" (the name is not valid UTF-8; `path` shows it with backslash escapes) or
    "dangling_link" (a symbolic link whose target is missing)."""

    path: str
    size: int | None
    mtime_ns: int | None
    problem: str | None = None


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

    def list_files(self, suffix: str = "") -> list[Listed]:
        """Every file below the base path (recursively), sorted by path.

        A local listing never stops at one odd entry: a name that is not UTF-8 and a dangling
        symbolic link are listed with their `problem` (pyarrow's own local listing raises on
        the first undecodable name).
        """
        if not self.is_s3:
            try:
                found = list(_walk_local(self.path.encode(), suffix.encode()))
            except OSError as exc:
                raise StorageError(f"could not list {self.uri}: {exc}") from exc
            return sorted(found, key=lambda i: i.path)
        selector = pafs.FileSelector(self.path, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise StorageError(f"could not list {self.uri}: {exc}") from exc
        files = [
            Listed(i.path, i.size, i.mtime_ns)
            for i in infos
            if i.type == pafs.FileType.File and i.path.endswith(suffix)
        ]
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


def _walk_local(root: bytes, suffix: bytes) -> Iterator[Listed]:
    """Files below a local folder, by bytes names (so no name can stop the walk)."""
    if not os.path.isdir(root):
        return
    for folder, _dirs, names in os.walk(root, onerror=_raise):
        for name in names:
            full = os.path.join(folder, name)
            if not full.endswith(suffix):
                continue
            try:
                path, problem = full.decode("utf-8"), None
            except UnicodeDecodeError:
                path, problem = full.decode("utf-8", "backslashreplace"), "bad_name"
            try:
                info = os.stat(full)
            except FileNotFoundError:
                if os.path.islink(full):
                    yield Listed(path, None, None, problem or "dangling_link")
                continue  # deleted while listing: not there
            if stat.S_ISREG(info.st_mode):
                yield Listed(path, info.st_size, info.st_mtime_ns, problem)


def _raise(exc: OSError) -> None:
    raise exc


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
