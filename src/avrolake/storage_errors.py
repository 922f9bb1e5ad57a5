"""Storage errors in words a person can act on: the one translation layer.

pyarrow.fs (S3 and local files), delta-rs (its Delta kernel and object store) and Spark (a
task that failed on storage) each word the same problem their own way: a connection refused
deep in a chain of causes, a bucket's absence as raw XML, missing credentials as a 403 from
the instance-metadata address, all with ANSI colour codes. `explain` turns them into one
`StorageProblemError` that says what is wrong and what to set; the original text is kept
on the error (`original`) and as its `__cause__` for `--debug`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from avrolake.errors import StorageProblem, StorageProblemError

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_BUCKET = re.compile(r"<BucketName>([^<]+)</BucketName>|[Bb]ucket '([^']+)'")
_RERUN = (
    " Nothing was lost: a run commits once, at its end, and a run that stops before then "
    "leaves nothing the next run does not redo; re-run once this is fixed."
)
# (problem, patterns in the original text), checked in order: the first match explains it.
_RULES: tuple[tuple[StorageProblem, tuple[str, ...]], ...] = (
    (StorageProblem.NO_SPACE, ("no space left on device", "errno 28", "os error 28")),
    (StorageProblem.BROKEN_LOG, ("expected contiguous commit files",)),
    (
        StorageProblem.CREDENTIALS,
        (
            "169.254.169.254",
            "invalidaccesskeyid",
            "signaturedoesnotmatch",
            "no credentials",
            "unable to load credentials",
            "access_denied during",
            "accessdenied",
        ),
    ),
    (StorageProblem.BUCKET, ("nosuchbucket", "bucket does not exist", "not found (bucket")),
    (
        StorageProblem.ENDPOINT,
        (
            "connection refused",
            "tcp connect error",
            "couldn't connect to server",
            "could not resolve host",
            "dns error",
            "curlcode: 7",
            "curlcode: 6",
            "curlcode: 28",
            "connection reset",
            "network_connection",
        ),
    ),
    (StorageProblem.NOT_A_FOLDER, ("invalid table location",)),
)


def strip_ansi(text: str) -> str:
    """The text without terminal colour and cursor codes."""
    return _ANSI.sub("", text)


def chain_text(exc: BaseException) -> str:
    """Every message in the exception's chain of causes, ANSI codes removed."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return strip_ansi("\n".join(parts))


def explain(
    exc: BaseException, where: str | None = None, endpoint: str | None = None
) -> StorageProblemError | None:
    """The storage problem behind `exc`, in words (None: not a storage problem we know).

    `where`: the URI being read or written; `endpoint`: the S3 endpoint configured (None:
    AWS itself).
    """
    if isinstance(exc, StorageProblemError):
        return exc
    original = chain_text(exc)
    lowered = original.lower()
    for problem, patterns in _RULES:
        if any(p in lowered for p in patterns):
            return StorageProblemError(
                problem, _sentence(problem, original, where, endpoint), where, original
            )
    return None


@contextmanager
def translated(where: str, endpoint: str | None = None) -> Iterator[None]:
    """Raise a known storage problem in the block as a `StorageProblemError` (from it)."""
    try:
        yield
    except (OSError, ValueError, RuntimeError) as exc:
        known = explain(exc, where, endpoint)
        if known is None:
            raise
        raise known from exc
    except Exception as exc:  # delta-rs's DeltaError and its kin derive from Exception
        known = explain(exc, where, endpoint)
        if known is None or type(exc).__module__.split(".")[0] not in ("deltalake", "_internal"):
            raise
        raise known from exc


def _sentence(
    problem: StorageProblem, original: str, where: str | None, endpoint: str | None
) -> str:
    place = f" {where}" if where else ""
    at = f"the S3 endpoint {endpoint}" if endpoint else "S3 (AWS's own endpoint)"
    if problem is StorageProblem.NO_SPACE:
        return (
            f"no space left on the disk holding{place or ' the table or a Spark work folder'}: "
            "free disk space (or point --table / SPARK_LOCAL_DIRS at a larger volume)." + _RERUN
        )
    if problem is StorageProblem.BROKEN_LOG:
        return (
            f"the Delta log of{place or ' the table'} is missing a commit file (its "
            "_delta_log/ versions are not contiguous): the table was damaged or copied "
            "incompletely. Restore the missing _delta_log/<version>.json from a backup or "
            "the original copy; avrolake does not write to a table whose history has a gap."
        )
    if problem is StorageProblem.CREDENTIALS:
        return (
            f"{at} refused the request or no credentials were found for{place or ' S3'}: set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
            "temporary keys), or the Airflow connection, with keys allowed to read and write "
            "there."
        )
    if problem is StorageProblem.BUCKET:
        match = _BUCKET.search(original)
        bucket = next((g for g in match.groups() if g), None) if match else None
        named = f"bucket {bucket!r}" if bucket else "the bucket"
        return (
            f"{named} does not exist at {at}{f' (for{place})' if place else ''}: create it "
            "first (avrolake never creates buckets), or fix the URI or AWS_ENDPOINT_URL."
        )
    if problem is StorageProblem.ENDPOINT:
        return (
            f"cannot connect to {at}{f' (for{place})' if place else ''}: check "
            "AWS_ENDPOINT_URL (leave it unset for AWS itself) and that the server is up and "
            "answering." + _RERUN
        )
    return (
        f"{where or 'the table path'} is not a folder a Delta table can be in (a file, or "
        "a path through a file): choose another location."
    )
