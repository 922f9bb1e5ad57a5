"""Every error avrolake raises on purpose, and the kinds a file can be quarantined as.

Each error says what was wrong and what to do. `exit_code` is what the CLI exits with
(docs/cli.md): 1 for a data or gate violation, 2 for a usage or configuration error.
"""

from __future__ import annotations

from enum import StrEnum

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_USAGE = 2


class AvrolakeError(Exception):
    """Base class of every error avrolake raises on purpose (a usage/config error by default)."""

    exit_code = EXIT_USAGE


# -- usage and configuration (exit 2) ---------------------------------------------------------


class ConfigError(AvrolakeError):
    """A setting is missing, malformed or contradicts the registry."""


class SchemaParseError(AvrolakeError):
    """An .avsc document is not a valid Avro schema."""

    def __init__(self, message: str, *, source: str, path: str) -> None:
        self.message = message
        self.source = source
        self.path = path
        super().__init__(f"{source}: invalid Avro schema at {path}: {message}")


class RegistryError(AvrolakeError):
    """The on-disk registry is missing, malformed or asked for something it lacks."""


class TableSettingsError(RegistryError):
    """A subject's table settings (partition field, partition column) do not fit its schema."""

    def __init__(self, subject: str, field: str, timestamp_fields: list[str], why: str) -> None:
        self.subject = subject
        self.field = field
        self.timestamp_fields = timestamp_fields
        choices = ", ".join(timestamp_fields) or "none"
        super().__init__(
            f"partition field {field!r} of subject {subject!r} {why}; its top-level timestamp "
            f"fields are: {choices}. Set partition_field in the subject's table.json or pass "
            "--partition-field (use '' for an unpartitioned table)."
        )


class SourceLayoutError(RegistryError):
    """A source layout (table.json's "source", or --layout/--files) is not one avrolake can
    read: an unknown preset, a malformed pattern, a bad file filter."""

    def __init__(self, layout: str, why: str) -> None:
        self.layout = layout
        self.why = why
        super().__init__(
            f'source layout {layout!r}: {why}. See docs/registry.md (the "source" key) for '
            "the presets and the pattern syntax."
        )


class LayoutMismatchError(ConfigError):
    """The source prefix holds files, but none of them matches the subject's layout: a
    wrong layout, file filter or prefix. Never an empty run: nothing was read."""

    def __init__(self, source: str, layout: str, found: list[str], count: int) -> None:
        self.source = source
        self.layout = layout
        self.found = found
        self.count = count
        super().__init__(
            f"no file under {source} matches the {layout}; the prefix holds {count} other "
            f'file(s), such as: {", ".join(found)}. Set the subject\'s table.json "source" '
            "(or pass --layout / --files) to the layout its producer writes, or fix --source. "
            "Nothing was read."
        )


class DeploymentError(AvrolakeError):
    """A subject's deployment (table.json's table, quarantine_table, schedule, source prefix)
    is malformed, or a relative location has no root to resolve against."""

    def __init__(self, subject: str, key: str, message: str) -> None:
        self.subject = subject
        self.key = key
        super().__init__(f"deployment of subject {subject!r}: {key}: {message}")


class StorageError(AvrolakeError):
    """A source or destination URI could not be reached or written."""


class StorageProblem(StrEnum):
    """What is wrong with the storage, as `storage_errors.explain` tells it."""

    ENDPOINT = "endpoint"  # nothing answers at the endpoint (wrong AWS_ENDPOINT_URL, an outage)
    BUCKET = "bucket"  # the bucket does not exist
    CREDENTIALS = "credentials"  # no credentials, or ones the store refuses
    BROKEN_LOG = "broken_log"  # a commit file is missing from a table's _delta_log
    NOT_A_FOLDER = "not_a_folder"  # a table path that is a file
    NO_SPACE = "no_space"  # ENOSPC


class StorageProblemError(StorageError):
    """A storage error explained: what is wrong and what to set. `original` is the text of
    the error it explains (ANSI codes removed), printed with --debug."""

    def __init__(
        self, problem: StorageProblem, message: str, where: str | None, original: str
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.where = where
        self.original = original


# -- data and gate violations (exit 1) --------------------------------------------------------


class ViolationError(AvrolakeError):
    """The data or the registry breaks a rule; fixing the input, not the command, helps."""

    exit_code = EXIT_VIOLATION


class SchemaGateError(ViolationError):
    """A registered version breaks its subject's compatibility level."""


class UnlandableSchemaError(ViolationError):
    """A subject's reader schema has what no Delta table can hold (a recursive type, names
    that differ only in case); refused before any data is read."""

    def __init__(self, subject: str, version: int, problems: list[str]) -> None:
        self.subject = subject
        self.version = version
        self.problems = problems
        super().__init__(
            f"the reader schema of {subject!r} (v{version}) cannot be landed in a Delta table: "
            + "; ".join(problems)
            + ". Register a version without it; no file was read."
        )


class ReconciliationError(ViolationError):
    """Files of an interval are missing from the lake, or too many were quarantined."""


class SchemaMigrationRequiredError(ViolationError):
    """The reader schema changes the type of a column Delta already holds."""

    def __init__(self, table_uri: str, changes: list[str]) -> None:
        self.table_uri = table_uri
        self.changes = changes
        super().__init__(
            f"table {table_uri} holds columns the reader schema changes "
            f"({'; '.join(changes)}). Delta cannot widen types or rename columns in place and "
            f"avrolake never casts silently or leaves a renamed column half empty: run "
            f"`avrolake migrate --table {table_uri}` once to rewrite the table to the reader "
            "schema (old rows keep every value), then run the ingest again."
        )


class MigrationError(ViolationError):
    """`migrate` cannot make the table equal a fresh read of its sources with the reader
    schema; nothing was written. `column` is the value's path (`geo.city`, `tags[]`), `writer`
    the writer version whose rows are concerned (None: every writer, or an unregistered one)."""

    def __init__(self, table_uri: str, column: str, writer: int | None, why: str, fix: str) -> None:
        self.table_uri = table_uri
        self.column = column
        self.writer = writer
        self.why = why
        self.fix = fix
        rows = "rows of unregistered writers" if writer is None else f"rows of writer v{writer}"
        super().__init__(
            f"cannot migrate {table_uri}: column {column or '/'} ({rows}): {why}. {fix}. "
            "Nothing was changed."
        )


class UnsupportedTableFeatureError(ViolationError):
    """The table carries a Delta table feature avrolake cannot write correctly (another
    writer, e.g. Spark, enabled it); nothing was written."""

    def __init__(self, table_uri: str, features: tuple[str, ...], remedies: list[str]) -> None:
        self.table_uri = table_uri
        self.features = features
        super().__init__(
            f"table {table_uri} carries Delta table feature(s) {', '.join(features)}, which "
            "avrolake (its own Parquet files, committed with deltalake/delta-rs) cannot write "
            "correctly; nothing was written. " + " ".join(remedies) + " Or land into a new "
            "table. docs/interop.md lists the features avrolake writes."
        )


class SparkJobError(AvrolakeError):
    """The run's Spark job failed (a task's error, a crashed worker); nothing was committed."""

    exit_code = EXIT_VIOLATION


class CommitConflictError(ViolationError):
    """Other runs kept committing to the table; nothing of this run was committed."""


# -- one file that cannot be landed (recorded in the quarantine table, never raised to users) --


class QuarantineKind(StrEnum):
    NOT_AVRO = "not_avro"
    TRUNCATED = "truncated"
    BAD_SYNC_MARKER = "bad_sync_marker"
    CODEC_ERROR = "codec_error"
    CORRUPT_DATA = "corrupt_data"
    INVALID_WRITER_SCHEMA = "invalid_writer_schema"
    INCOMPATIBLE_SCHEMA = "incompatible_schema"
    EVENT_TIME_OUT_OF_RANGE = "event_time_out_of_range"
    CONVERSION_ERROR = "conversion_error"
    TOO_LARGE = "too_large"  # a block decompresses to more than the configured cap
    BAD_NAME = "bad_name"  # the object name is not valid UTF-8
    DANGLING_LINK = "dangling_link"  # a symbolic link whose target does not exist
    LINK_LOOP = "link_loop"  # a symbolic link that leads back to itself (ELOOP)
    OUTSIDE_LINK = "outside_link"  # a symbolic link that leads outside the source: not followed
    UNLISTABLE = "unlistable"  # a folder (or file) of the source that cannot be listed
    NOT_A_FILE = "not_a_file"  # a device, pipe or socket; or a file that became a folder
    UNREADABLE_KEY = "unreadable_key"  # an S3 key with ".", ".." or empty segments


class QuarantineError(AvrolakeError):
    """This file cannot be landed; it goes to the quarantine table with this reason."""

    def __init__(
        self,
        kind: QuarantineKind,
        message: str,
        *,
        writer_fingerprint: str | None = None,
        writer_schema: str | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind
        self.message = message
        self.writer_fingerprint = writer_fingerprint
        self.writer_schema = writer_schema


def fail_if_out_of_memory(exc: BaseException, uri: str) -> None:
    """Raise a MemoryError (failing the task, which Spark retries) when `exc`, or an error it
    was raised from, is one: the machine ran out, not the file, so it is never quarantined
    for it."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        if isinstance(current, MemoryError):
            raise MemoryError(
                f"out of memory while reading {uri} ({current or 'no detail'}); the file was "
                "not quarantined. Give the run more memory, or lower --split-mb or "
                "--max-block-mb, and run again"
            ) from exc
        seen.add(id(current))
        current = current.__cause__ or current.__context__
