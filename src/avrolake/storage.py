"""Where files live: local paths and s3:// URIs, reached through pyarrow.fs.

Only entry points read the environment: they pass it to `S3Options.from_env`; everything
else takes a `Location`, so tests and jobs choose the endpoint explicitly.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from pyarrow import fs as pafs

from avrolake.errors import QuarantineKind, StorageError
from avrolake.storage_errors import explain, strip_ansi

log = logging.getLogger(__name__)


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

    def botocore(self) -> dict[str, object]:
        """The same settings as botocore `create_client` arguments (`storage_s3`)."""
        settings: dict[str, object] = {"region_name": self.region or "us-east-1"}
        if self.endpoint_url:
            settings["endpoint_url"] = self.endpoint_url
        if self.access_key and self.secret_key:
            settings.update(
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                aws_session_token=self.session_token,
            )
        return settings

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
    """One object a listing found. `problem` names why it cannot be read as a file at all
    (`PROBLEMS`): it is quarantined with that kind without being opened, and every other
    entry of the listing is still listed."""

    path: str
    size: int | None
    mtime_ns: int | None
    problem: QuarantineKind | None = None


# Why an entry of a listing is quarantined without being read (docs/table.md).
PROBLEMS: dict[QuarantineKind, str] = {
    QuarantineKind.BAD_NAME: "the object name is not valid UTF-8 (shown with backslash "
    "escapes); rename it",
    QuarantineKind.DANGLING_LINK: "a symbolic link whose target does not exist; fix or remove "
    "the link",
    QuarantineKind.LINK_LOOP: "a symbolic link that leads back to itself (a loop); fix or "
    "remove the link",
    QuarantineKind.OUTSIDE_LINK: "a symbolic link that leads outside the source; links are "
    "followed only within the source: copy the file into the source instead",
    QuarantineKind.UNLISTABLE: "a folder or file of the source that cannot be listed or "
    "examined (permission denied or an I/O error); it is listed again once it can be read",
    QuarantineKind.NOT_A_FILE: "not a regular file (a device, pipe or socket, or a name that "
    "became a folder); nothing was read",
    QuarantineKind.UNREADABLE_KEY: "an S3 key with '.', '..' or empty path segments: S3 "
    "clients normalise such a key, so it cannot be read by its exact name; copy the object to "
    "a key without them",
}
_ODD_SEGMENTS = re.compile(r"(?:^|/)(?:\.{1,2})?(?:/|$)")


@dataclass(frozen=True)
class Location:
    """A directory-like place: a filesystem and a base path in it. `after` (a path of this
    filesystem): list only the files whose path sorts after it (the sweep's mark)."""

    uri: str
    fs: pafs.FileSystem
    path: str
    s3: S3Options = field(default_factory=lambda: S3Options(), repr=False)
    after: str | None = None

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
            raise self._failed("write", exc, self.uri_of(target)) from exc
        return target

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as stream:
            return bytes(stream.read())

    def list_files(self, suffix: str = "") -> list[Listed]:
        """Every file below the base path (recursively), sorted by path.

        A listing never stops at one odd entry: a name that is not UTF-8, a dangling or
        looping symbolic link, a link out of the source, a folder that cannot be listed, a
        device or pipe, an S3 key that no client can read by its exact name are listed with
        their `problem`. Only the base path itself failing to list is an error.

        With `after`, only paths that sort after it are listed: S3 is asked for the keys after
        it (ListObjectsV2 `StartAfter`), and a local walk skips every folder whose whole
        subtree sorts before it, so the listing costs the new paths, not the whole source.
        """
        if not self.is_s3:
            after = self.after.encode() if self.after is not None else None
            try:
                found = list(_walk_local(self.path.encode(), suffix.encode(), after))
            except OSError as exc:
                raise self._failed("list", exc) from exc
            return sorted(found, key=lambda i: i.path)
        if self.after is not None:
            return self._list_s3_after(self.after, suffix)
        selector = pafs.FileSelector(self.path, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise self._failed("list", exc) from exc
        files = [
            Listed(i.path, i.size, i.mtime_ns, _key_problem(i.path))
            for i in infos
            if i.type == pafs.FileType.File and i.path.endswith(suffix)
        ]
        return sorted(files, key=lambda i: i.path)

    def _list_s3_after(self, after: str, suffix: str) -> list[Listed]:
        # botocore is imported here only: it costs seconds of CPU, and every Spark worker
        # imports this module
        from botocore.exceptions import BotoCoreError, ClientError

        from avrolake.storage_s3 import keys_after

        bucket, _, key = self.path.partition("/")
        prefix = f"{key}/" if key else ""
        try:
            found = [
                Listed(f"{bucket}/{k}", size, mtime_ns, _key_problem(f"{bucket}/{k}"))
                for k, size, mtime_ns in keys_after(
                    self.s3.botocore(), bucket, prefix, after.partition("/")[2]
                )
                if k.endswith(suffix)
            ]
        except (BotoCoreError, ClientError) as exc:
            raise explain(exc, self.uri, self.endpoint) or StorageError(
                f"could not list {self.uri}: {strip_ansi(str(exc))}"
            ) from exc
        return sorted(found, key=lambda i: i.path)

    def exists(self) -> bool:
        """Whether the place exists: a local directory, or an S3 bucket (prefixes are implicit)."""
        root = self.path.split("/", 1)[0] if self.is_s3 else self.path
        try:
            info = self.fs.get_file_info(root)
        except OSError as exc:
            raise self._failed("reach", exc) from exc
        return bool(info.type == pafs.FileType.Directory)

    @property
    def endpoint(self) -> str | None:
        """The S3 endpoint this place is reached at (None: AWS itself, or a local path)."""
        return self.s3.endpoint_url if self.is_s3 else None

    def _failed(self, verb: str, exc: OSError, where: str | None = None) -> StorageError:
        """The error explained when it is a storage problem we know, else said plainly."""
        where = where or self.uri
        return explain(exc, where, self.endpoint) or StorageError(
            f"could not {verb} {where}: {strip_ansi(str(exc))}"
        )

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


def _key_problem(path: str) -> QuarantineKind | None:
    """UNREADABLE_KEY for a key (after the bucket) with '.', '..' or empty segments."""
    key = path.split("/", 1)[1] if "/" in path else ""
    return QuarantineKind.UNREADABLE_KEY if _ODD_SEGMENTS.search(key) else None


def _walk_local(root: bytes, suffix: bytes, after: bytes | None = None) -> Iterator[Listed]:
    """Files below a local folder, by bytes names (so no name can stop the walk). A
    sub-folder that cannot be listed is listed as a problem; the walk goes on. `after`: only
    paths sorting after it; a folder whose every path sorts before it is not entered."""
    if not os.path.isdir(root):
        return
    inside = os.path.realpath(root)
    unlistable: list[Listed] = []

    def skip(exc: OSError) -> None:
        if os.fsencode(exc.filename or b"") in (root, root.rstrip(b"/")):
            raise exc  # the source itself: nothing can be listed
        log.warning("cannot list %s: %s", os.fsdecode(exc.filename or b""), exc.strerror)
        unlistable.append(_listed(os.fsencode(exc.filename), None, QuarantineKind.UNLISTABLE))

    for folder, dirs, names in os.walk(root, onerror=skip):
        if after is not None:
            dirs[:] = [d for d in dirs if not _all_before(os.path.join(folder, d) + b"/", after)]
        for name in names:
            full = os.path.join(folder, name)
            if full.endswith(suffix) and (after is None or full > after):
                entry = _local_entry(full, inside)
                if entry is not None:
                    yield entry
    yield from (u for u in unlistable if after is None or u.path.encode() > after)


def _all_before(prefix: bytes, after: bytes) -> bool:
    """Whether every path starting with `prefix` sorts before `after` (or equals it)."""
    return prefix < after and not after.startswith(prefix)


def _local_entry(full: bytes, inside: bytes) -> Listed | None:
    """One local name as listed (None: it was deleted while the walk ran). A link is
    dangling or a loop first; a link that resolves outside the source is never followed
    (its target's metadata is looked at, never its content)."""
    try:
        info = os.stat(full)
    except FileNotFoundError:
        return _listed(full, None, QuarantineKind.DANGLING_LINK) if os.path.islink(full) else None
    except OSError as exc:
        kind = QuarantineKind.LINK_LOOP if exc.errno == errno.ELOOP else QuarantineKind.UNLISTABLE
        return _listed(full, None, kind)
    if os.path.islink(full) and os.path.commonpath([inside, os.path.realpath(full)]) != inside:
        return _listed(full, None, QuarantineKind.OUTSIDE_LINK)
    if not stat.S_ISREG(info.st_mode):
        return _listed(full, None, QuarantineKind.NOT_A_FILE)
    return _listed(full, info, None)


def _listed(full: bytes, info: os.stat_result | None, problem: QuarantineKind | None) -> Listed:
    try:
        path = full.decode("utf-8")
    except UnicodeDecodeError:
        path, problem = full.decode("utf-8", "backslashreplace"), QuarantineKind.BAD_NAME
    if info is None:
        return Listed(path, None, None, problem)
    return Listed(path, info.st_size, info.st_mtime_ns, problem)


def resolve(uri: str, s3: S3Options | None = None) -> Location:
    """Turn `s3://bucket/prefix` or a local path into a Location."""
    if uri.startswith("s3://"):
        path = uri[len("s3://") :].rstrip("/")
        if not path or path.startswith("/"):
            raise StorageError(f"{uri!r} names no bucket; use s3://bucket/prefix")
        options = s3 or S3Options()
        return Location(uri, options.filesystem(), path, options)
    if "://" in uri and not uri.startswith("file://"):
        scheme = uri.split("://", 1)[0]
        raise StorageError(
            f"unsupported URI scheme {scheme!r} in {uri!r}; use s3:// or a local path"
        )
    local = Path(uri.removeprefix("file://")).expanduser().resolve()
    return Location(uri, pafs.LocalFileSystem(), local.as_posix())
