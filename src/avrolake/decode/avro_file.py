"""Decode one Avro object container file, resolved to the reader schema, as Arrow tables.

avrolake owns the container framing (`container.Container`: header, block counts and sizes,
sync markers, decompression under `max_block_bytes`) and checks every record's encoding
against the writer schema (`validate.BlockValidator`) before fastavro decodes it; fastavro
reads the checked blocks as a "null"-codec container and resolves them to the reader schema.

Memory stays bounded: records are turned into Arrow `batch_size` at a time. A file that
cannot be read raises `QuarantineError` with a kind and a reason; storage errors are not
the file's fault and propagate (the task is retried).
"""

from __future__ import annotations

import json
import logging
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, Any, cast

import fastavro
import pyarrow as pa
from fastavro.schema import SchemaParseException, UnknownType

from avrolake.compatibility import check_compatibility
from avrolake.config import DEFAULT_BATCH_SIZE, DEFAULT_MAX_BLOCK_BYTES, RESCUED_DATA
from avrolake.decode.arrow_types import arrow_schema, uuid_fixer
from avrolake.decode.container import Block, Container, Data, Header, encode_long
from avrolake.decode.fastavro_docs import fastavro_schemas
from avrolake.decode.native import NativeRefused, decode_blocks, native_reason
from avrolake.decode.rescue import Rescue, known_paths, rescue_for
from avrolake.decode.resolve import ArrowResolver, ResolveUnsupported
from avrolake.decode.validate import BlockValidator
from avrolake.errors import AvrolakeError, QuarantineError, QuarantineKind, SchemaParseError
from avrolake.registry import Registry, schema_fingerprint
from avrolake.schema import Record, Schema, parse_schema

log = logging.getLogger(__name__)
# A native decode call takes whole blocks up to about this many records or bytes: large
# enough that the call's fixed cost vanishes, small enough to bound a task's memory.
NATIVE_CHUNK_RECORDS = 65_536
NATIVE_CHUNK_BYTES = 16 * 1024 * 1024
_HEADER_ONLY = fastavro.parse_schema("null")  # fastavro reads no record with it


@dataclass(frozen=True)
class ReaderPlan:
    """Everything a task needs to decode files; built once by the driver, shipped to tasks."""

    subject: str
    reader_doc: Any
    versions_by_fingerprint: dict[str, int]
    batch_size: int = DEFAULT_BATCH_SIZE
    # A block that decompresses to more than this quarantines its file as `too_large`.
    max_block_bytes: int = DEFAULT_MAX_BLOCK_BYTES
    # The caches below are keyed by the header's writer schema TEXT, not its fingerprint: the
    # Parsing Canonical Form drops logical types, so `long` and a timestamp-millis `long`
    # share a fingerprint but decode differently.
    _compat_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _validators: dict[tuple[str, int], BlockValidator] = field(
        default_factory=dict, compare=False, repr=False
    )
    # "auto": native decoding where the writer schema allows; "fastavro": never.
    decoder: str = "auto"
    _routes: dict[tuple[str, str], NativeRoute | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    _fastavro: dict[str, FastavroRead] = field(default_factory=dict, compare=False, repr=False)
    # The field paths (names and aliases) of every registered version: an unregistered
    # writer's fields outside them are rescued (decode/rescue.py). None (a plan built
    # without a registry, as tests and benchmarks do): nothing is rescued.
    known_paths: frozenset[str] | None = None
    _rescues: dict[str, Rescue | None] = field(default_factory=dict, compare=False, repr=False)
    _fingerprints: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Versions whose fingerprint another version shares (the Parsing Canonical Form drops
    # logical types, defaults and aliases: `long` and a timestamp-millis `long` share one),
    # by their schema text without docs, keys sorted (`schema_text`): a header equal to one
    # of them is that version, else the latest of its fingerprint.
    versions_by_text: dict[str, int] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def reader(self) -> Record:
        schema = parse_schema(self.reader_doc, source=f"{self.subject} reader schema")
        if not isinstance(schema, Record):
            raise AvrolakeError(f"the reader schema of {self.subject} must be a record")
        return schema

    @cached_property
    def raw_schema(self) -> pa.Schema:
        return arrow_schema(self.reader, final=False)

    @cached_property
    def data_schema(self) -> pa.Schema:
        return arrow_schema(self.reader, final=True)

    @cached_property
    def uuid_fixer(self) -> Any:
        """The fixer for files whose writer schema has `uuid` strings."""
        return uuid_fixer(self.reader)

    def version_of(self, writer_json: str, fingerprint: str) -> int | None:
        """The registered version a header's writer schema is (None: unregistered)."""
        version = self.versions_by_fingerprint.get(fingerprint)
        if version is None or not self.versions_by_text:
            return version
        if writer_json not in self._texts:
            self._texts[writer_json] = schema_text(json.loads(writer_json))
        return self.versions_by_text.get(self._texts[writer_json], version)

    def fingerprint(self, writer_json: str) -> str:
        """The header's writer schema's fingerprint, computed once per schema text (fastavro's
        canonical form and Rabin fingerprint are pure Python: ~2 ms a schema)."""
        if writer_json not in self._fingerprints:
            try:
                found = schema_fingerprint(json.loads(writer_json))
            except (ValueError, TypeError, SchemaParseException) as exc:
                raise QuarantineError(
                    QuarantineKind.INVALID_WRITER_SCHEMA,
                    f"the writer schema in the header is not a valid Avro schema ({exc})",
                    writer_schema=writer_json,
                ) from exc
            self._fingerprints[writer_json] = found
        return self._fingerprints[writer_json]

    def fastavro_read(self, writer_json: str, fingerprint: str) -> FastavroRead:
        """The schemas fastavro reads this writer's files with (decode/fastavro_docs.py),
        parsed once per writer schema."""
        if writer_json not in self._fastavro:
            docs = fastavro_schemas(_writer_schema(writer_json, fingerprint), self.reader)
            # Defaults are given in their landed form (bytes, Decimal), not as JSON.
            reader = fastavro.parse_schema(docs.reader, _ignore_default_error=True)
            header = None if docs.writer is None else json.dumps(docs.writer).encode()
            self._fastavro[writer_json] = FastavroRead(reader, header)
        return self._fastavro[writer_json]

    def rescue(self, writer_json: str, fingerprint: str) -> Rescue | None:
        """What an unregistered writer schema's files rescue (None: nothing), cached."""
        if self.known_paths is None:
            return None
        if writer_json not in self._rescues:
            writer = _writer_schema(writer_json, fingerprint)
            found = rescue_for(writer, writer_json, self.reader, self.known_paths)
            self._rescues[writer_json] = found
            if found is not None:
                log.info("writer schema %s: rescuing %s", fingerprint, ", ".join(found.paths))
        return self._rescues[writer_json]

    def incompatibility(self, writer_json: str, fingerprint: str) -> str | None:
        """Why the reader cannot read this writer schema (None if it can), cached."""
        if writer_json not in self._compat_cache:
            writer = _writer_schema(writer_json, fingerprint)
            findings = check_compatibility(writer, self.reader)
            self._compat_cache[writer_json] = (
                "; ".join(f"{f.kind.value} at {f.path or '/'}: {f.message}" for f in findings)
                or None
            )
        return self._compat_cache[writer_json]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled validators (generated code): each process compiles."""
        state = dict(self.__dict__)
        state["_validators"] = {}
        state["_routes"] = {}
        state["_fastavro"] = {}
        return state

    def validator(self, writer_json: str, fingerprint: str) -> BlockValidator:
        """The record checker of this writer schema, compiled once per schema (and cap)."""
        key = (writer_json, self.max_block_bytes)
        if key not in self._validators:
            writer = _writer_schema(writer_json, fingerprint)
            self._validators[key] = BlockValidator(writer, self.max_block_bytes)
        return self._validators[key]

    def native_route(self, writer_json: str, fingerprint: str) -> NativeRoute | None:
        """How files of this writer schema decode natively; None: through fastavro (the
        schema has a construct the native path cannot take exactly). Decided once per
        writer schema, logged once."""
        key = (self.decoder, writer_json)  # `replace(plan, decoder=…)` shares this cache
        if key not in self._routes:
            self._routes[key] = self._route(writer_json, fingerprint)
        return self._routes[key]

    def _route(self, writer_json: str, fingerprint: str) -> NativeRoute | None:
        if self.decoder == "fastavro":
            return None
        writer = _writer_schema(writer_json, fingerprint)
        reason = native_reason(writer)
        if reason is None:
            try:
                resolver = ArrowResolver(writer, self.reader)
            except ResolveUnsupported as exc:
                reason = str(exc)
        if reason is not None:
            log.info("writer schema %s decodes through fastavro: %s", fingerprint, reason)
            return None
        return NativeRoute(writer, resolver)


@dataclass(frozen=True)
class FastavroRead:
    """A parsed fastavro reader schema, and the writer schema its header must carry (None:
    the file's own)."""

    reader: Any
    writer_schema: bytes | None


@dataclass(frozen=True)
class NativeRoute:
    """A writer schema the native path decodes: its parsed form and the column-wise resolver
    to the reader schema."""

    writer: Schema
    resolve: Callable[[pa.Table], pa.Table]


def _writer_schema(writer_json: str, fingerprint: str) -> Schema:
    """The header's writer schema, parsed; an invalid one quarantines the file."""
    try:
        return parse_schema(json.loads(writer_json), source="writer schema in file header")
    except (SchemaParseError, ValueError) as exc:
        raise QuarantineError(
            QuarantineKind.INVALID_WRITER_SCHEMA,
            str(exc),
            writer_fingerprint=fingerprint,
            writer_schema=writer_json,
        ) from exc


def reader_plan(
    registry: Registry,
    subject: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    max_block_bytes: int = DEFAULT_MAX_BLOCK_BYTES,
) -> ReaderPlan:
    """The plan for a subject: its latest version reads, every version is known by fingerprint."""
    versions = registry.versions(subject)
    shared = Counter(v.fingerprint for v in versions)
    return ReaderPlan(
        subject,
        registry.reader(subject).doc,
        {v.fingerprint: v.version for v in versions},
        batch_size=batch_size,
        max_block_bytes=max_block_bytes,
        known_paths=known_paths(v.schema for v in versions),
        versions_by_text={
            schema_text(v.doc): v.version for v in versions if shared[v.fingerprint] > 1
        },
    )


def schema_text(doc: Any) -> str:
    """A schema document as text that ignores what no reader sees: docs and key order."""

    def bare(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: bare(v) for k, v in node.items() if k != "doc"}
        if isinstance(node, list):
            return [bare(v) for v in node]
        return node

    return json.dumps(bare(doc), sort_keys=True, separators=(",", ":"))


def _header_error(exc: Exception) -> QuarantineError:
    """Why fastavro could not open a file whose magic is right."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, EOFError) or isinstance(exc.__context__, EOFError):
        return QuarantineError(QuarantineKind.TRUNCATED, f"the header is cut short ({text})")
    if isinstance(exc, SchemaParseException | UnknownType | json.JSONDecodeError):
        return QuarantineError(
            QuarantineKind.INVALID_WRITER_SCHEMA,
            f"the writer schema in the header is not a valid Avro schema ({text})",
        )
    return QuarantineError(QuarantineKind.NOT_AVRO, f"unreadable Avro header ({text})")


class _Reframed:
    """What fastavro reads: the header with codec "null", then every checked, decompressed
    block framed again (count, size, data, sync marker), one block at a time."""

    def __init__(
        self, header: Header, blocks: Iterator[tuple[int, Data]], schema: bytes | None = None
    ) -> None:
        self._piece: Data = header.with_null_codec(schema)
        self._pos = 0
        self._queue: list[Data] = []  # the pieces after this one, last first
        self._blocks = blocks
        self._sync = header.sync

    def _advance(self) -> bool:
        """Move to the next piece; False at the end of the file."""
        self._pos = 0
        if self._queue:
            self._piece = self._queue.pop()
            return True
        for count, data in self._blocks:
            if count:  # a block without records is checked (it must be empty), not passed on
                self._piece = encode_long(count) + encode_long(len(data))
                self._queue = [self._sync, data]
                return True
        self._piece = b""
        return False

    def read(self, size: int = -1) -> Data:
        piece, pos = self._piece, self._pos
        if pos == 0 and size == len(piece) and size:  # a block's data or its sync marker
            self._advance()
            return piece
        if size == 1 and pos < len(piece):  # fastavro reads varints a byte at a time
            self._pos = pos + 1
            return piece[pos : pos + 1]
        chunks: list[Data] = []
        while size:
            if pos >= len(piece):
                if not self._advance():
                    break
                piece, pos = self._piece, 0
                continue
            take = len(piece) - pos if size < 0 else min(size, len(piece) - pos)
            chunks.append(piece[pos : pos + take])
            pos += take
            size -= take if size > 0 else 0
            self._pos = pos
        return b"".join(chunks)


class AvroFile:
    """One opened file: its writer schema, its version, and its data as Arrow tables.

    `sync_marker` (the header's 16 bytes) with the file's size tells byte-identical copies
    apart from other files; `codec` is the file's own codec.
    """

    def __init__(
        self,
        stream: IO[bytes],
        plan: ReaderPlan,
        *,
        start: int = 0,
        end: int | None = None,
    ) -> None:
        self.plan = plan
        self._container = Container(stream, plan.max_block_bytes)
        header = self._container.header
        self.sync_marker: bytes = header.sync
        self.codec: str = header.codec
        self._validator: BlockValidator | None = None
        self._start, self._end = start, end
        self.records_by_path: dict[str, int] = {}  # decode path -> records (native, fastavro)
        try:
            reframed = cast(IO[bytes], _Reframed(header, iter(())))
            # The header, checked by fastavro; with a reader schema, it tolerates writer
            # defaults of the wrong type (the registry's check reports them).
            self._reader = fastavro.reader(reframed, reader_schema=_HEADER_ONLY)
        except OSError:
            raise  # storage, not the file: let the task retry
        except QuarantineError:
            raise
        except Exception as exc:
            raise _header_error(exc) from exc
        meta = self._reader.metadata
        self.writer_schema_json: str = meta.get("avro.schema", "")
        self.writer_fingerprint = plan.fingerprint(self.writer_schema_json)
        self.writer_version = plan.version_of(self.writer_schema_json, self.writer_fingerprint)
        self._uuids = '"uuid"' in self.writer_schema_json  # fastavro makes uuid.UUID objects
        reason = plan.incompatibility(self.writer_schema_json, self.writer_fingerprint)
        if reason:
            raise QuarantineError(
                QuarantineKind.INCOMPATIBLE_SCHEMA,
                f"the reader schema cannot read this file's writer schema: {reason}",
                writer_fingerprint=self.writer_fingerprint,
                writer_schema=self.writer_schema_json,
            )
        self._validator = plan.validator(self.writer_schema_json, self.writer_fingerprint)
        self._native = plan.native_route(self.writer_schema_json, self.writer_fingerprint)
        # An unregistered writer's extra fields are rescued; its files decode through fastavro.
        self.rescue = (
            plan.rescue(self.writer_schema_json, self.writer_fingerprint)
            if self.writer_version is None
            else None
        )
        if start and not self._container.seek_split(start):
            self._end = start  # no block starts in this split

    def _blocks(self, blocks: Iterable[Block] | None = None) -> Iterator[tuple[int, Data]]:
        """The blocks (the file's, or the given ones), each checked record by record before
        fastavro sees it."""
        with self._named():
            validator = self._validator
            assert validator is not None, "blocks are read only once the file is open"
            for block in self._container.blocks(self._end) if blocks is None else blocks:
                validator.check(block.data, block.count, block.where)
                yield block.count, block.data

    @contextmanager
    def _named(self) -> Iterator[None]:
        """Quarantine errors raised inside carry this file's writer schema."""
        try:
            yield
        except QuarantineError as exc:
            exc.writer_fingerprint = exc.writer_fingerprint or self.writer_fingerprint
            exc.writer_schema = exc.writer_schema or self.writer_schema_json
            raise

    def tables(self) -> Iterator[pa.Table]:
        """The file's records (or its split's), resolved, in the landed Arrow types: natively
        where the writer schema allows (docs/decode.md), else through fastavro."""
        if self._native is None and self.rescue is None:
            yield from self._fastavro_tables(self._fastavro_reader(None))
            return
        emit = self._native_tables if self.rescue is None else self._rescued_tables
        chunk: list[Block] = []
        records = size = 0
        blocks = self._container.blocks(self._end)
        while True:
            try:
                with self._named():
                    block = next(blocks, None)
            except QuarantineError:
                # The blocks before the bad one first, so a file is quarantined for its
                # first problem, as the fastavro path (block by block) finds it.
                yield from emit(chunk)
                raise
            if block is None:
                break
            chunk.append(block)
            records += block.count
            size += len(block.data)
            if records >= NATIVE_CHUNK_RECORDS or size >= NATIVE_CHUNK_BYTES:
                yield from emit(chunk)
                chunk, records, size = [], 0, 0
        yield from emit(chunk)

    def native_blocks(self) -> list[Block] | None:
        """Every block of the file, framed, inflated and in place, its records still to
        decode: a small file's, to decode with others of its writer schema
        (`decode_together`). None, with nothing read, when its records take another path
        (fastavro, rescued data) or it is a split. A file without records has its blocks
        checked here and gives []."""
        if self._native is None or self.rescue is not None or self._start or self._end is not None:
            return None
        with self._named():
            blocks = list(self._container.blocks(self._end))
        if not any(b.count for b in blocks):
            for _ in self._blocks(blocks):  # blocks without records are still checked
                pass
            return []
        return blocks

    def _rescued_tables(self, chunk: list[Block]) -> Iterator[pa.Table]:
        """One chunk of blocks through fastavro, with a `_rescued_data` column: the chunk's
        checked blocks read again with the rescue's writer schema (decode/rescue.py)."""
        rescue = self.rescue
        assert rescue is not None
        tables = list(self._fastavro_tables(self._fastavro_reader(chunk)))
        if not tables:
            return
        blocks = iter([(b.count, b.data) for b in chunk if b.count])
        raw = fastavro.reader(
            cast(IO[bytes], _Reframed(self._container.header, blocks, rescue.header))
        )
        values = pa.array(list(rescue.values(raw)), pa.string())
        yield pa.concat_tables(tables).append_column(RESCUED_DATA, values)

    def _native_tables(self, chunk: list[Block]) -> Iterator[pa.Table]:
        """One chunk of blocks decoded natively and resolved column-wise; a chunk the native
        path refuses (it cannot prove the result exact) is read again through fastavro, which
        lands it exactly or quarantines the file with the reason."""
        route = self._native
        assert route is not None
        count = sum(b.count for b in chunk)
        if not chunk:
            return
        if not count:
            for _ in self._blocks(chunk):  # blocks without records are still checked
                pass
            return
        try:
            table = route.resolve(decode_blocks(self._container.header, chunk, route.writer))
        except NativeRefused as exc:
            log.info(
                "native decode refused %d record(s), reading them with fastavro: %s", count, exc
            )
            yield from self._fastavro_tables(self._fastavro_reader(chunk))
            return
        self.records_by_path["native"] = self.records_by_path.get("native", 0) + table.num_rows
        yield table

    def _fastavro_reader(self, blocks: Iterable[Block] | None) -> Any:
        """fastavro reading the blocks (the file's, or the given ones), checked first, with
        the schemas that keep union branches (decode/fastavro_docs.py)."""
        read = self.plan.fastavro_read(self.writer_schema_json, self.writer_fingerprint)
        header = self._container.header
        reframed = cast(IO[bytes], _Reframed(header, self._blocks(blocks), read.writer_schema))
        return fastavro.reader(reframed, reader_schema=read.reader)

    def _fastavro_tables(self, reader: Any) -> Iterator[pa.Table]:
        batch: list[Any] = []
        records = iter(reader)
        while True:
            try:
                record = next(records, None)
            except QuarantineError:
                raise  # found by avrolake's own checks: already classified
            except Exception as exc:
                raise self._classify(exc) from exc
            if record is None:
                break
            batch.append(record)
            if len(batch) >= self.plan.batch_size:
                yield self._to_arrow(batch)
                batch = []
        if batch:
            yield self._to_arrow(batch)

    def _count_fastavro(self, rows: int) -> None:
        self.records_by_path["fastavro"] = self.records_by_path.get("fastavro", 0) + rows

    def _to_arrow(self, records: list[Any]) -> pa.Table:
        fixer = self.plan.uuid_fixer if self._uuids else None
        if fixer is not None:
            records = [fixer(r) for r in records]
        table = pa.Table.from_pylist(records, schema=self.plan.raw_schema)
        self._count_fastavro(table.num_rows)
        return table.cast(self.plan.data_schema)

    def _classify(self, exc: Exception) -> QuarantineError:
        if isinstance(exc, OSError):
            raise exc  # storage, not the file: let the task retry
        text = str(exc)
        kind = QuarantineKind.CORRUPT_DATA
        if isinstance(exc, UnicodeDecodeError):
            pass  # invalid UTF-8 in a string value: the data is corrupt, not the codec
        elif isinstance(exc, EOFError | struct.error) or ("Expected" in text and "bytes" in text):
            kind = QuarantineKind.TRUNCATED
        elif "sync marker" in text:
            kind = QuarantineKind.BAD_SYNC_MARKER
        elif isinstance(exc, zlib.error) or "decompress" in text.lower() or "codec" in text.lower():
            kind = QuarantineKind.CODEC_ERROR
        return QuarantineError(
            kind,
            _reason(exc),
            writer_fingerprint=self.writer_fingerprint,
            writer_schema=self.writer_schema_json,
        )


def _reason(exc: Exception) -> str:
    """The quarantine message for an error fastavro raised: a sentence for the data errors a
    hostile file causes (docs/decode.md), the raw error text kept at its end."""
    raw = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"a string value is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
            f"position {exc.start}), so it has no Delta string value ({raw})"
        )
    if isinstance(exc, OverflowError) or (isinstance(exc, ValueError) and "range" in str(exc)):
        return (
            "a timestamp or date value is outside the years 1 to 9999, which no Delta "
            f"timestamp or date holds ({raw})"
        )
    return raw


def decode_together(files: Sequence[tuple[AvroFile, Sequence[Block]]]) -> pa.Table:
    """The records of several files of ONE writer schema (the same schema text), decoded
    natively as one chunk, proven exact (docs/decode.md) and resolved, in file order; each
    file's `records_by_path` counts its own. Raises NativeRefused when the native path
    cannot prove the whole chunk exact: then read each file alone (`AvroFile.tables`)."""
    first = files[0][0]
    route = first._native
    assert route is not None, "files decoded together take the native path"
    assert all(avro.writer_schema_json == first.writer_schema_json for avro, _ in files)
    blocks = [block for _, own in files for block in own]
    table = route.resolve(decode_blocks(first._container.header, blocks, route.writer))
    for avro, own in files:
        avro.records_by_path["native"] = avro.records_by_path.get("native", 0) + sum(
            b.count for b in own
        )
    return table
