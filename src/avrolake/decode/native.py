"""Native decoding of container blocks with the writer schema (polars-avro / arrow-avro).

The native decoder is fast but not trusted with anything it cannot be checked on
(docs/decode.md): arrow-avro 59 loops forever on a block whose records leave bytes over,
reads a boolean byte other than 0 as true, and a nullable union's index other than the null
branch's as the value. So:

- the chunk's blocks are merged into ONE block whose count is the sum of their counts, read
  with a batch size of exactly that count, and exactly one batch is taken: the reader's
  loop never runs past the last record, so it cannot spin;
- the canonical encoded size of every decoded record is computed from the Arrow columns, and
  the running sum must reach each block's end exactly at that block's record count. A record
  consumes at least its canonical size; if the sizes add up to the bytes everywhere, every
  record was canonically encoded and ended where its block says, so the result is what a
  block-by-block decode gives, with no byte left over;
- every union index and boolean byte, found at its offset (which the proven sizes give), must
  be the one the decoded value implies. Anything else (an error, a Rust
  panic, a sum that does not add up, a valid but non-canonical encoding) raises
  `NativeRefused`, and the caller reads the chunk on the fastavro path instead.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from avrolake.decode.container import Block, Header, encode_long
from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

_REFUSED_LOGICAL = frozenset({"decimal", "uuid", "duration"})
_INT_TYPES = frozenset({"int", "long"})


def _load_decoder() -> ModuleType:
    """polars-avro's Rust extension module alone. Importing the package would import polars
    and fsspec (~0.8 CPU-s in every Python worker) for nothing this module uses."""
    package = importlib.util.find_spec("polars_avro")
    folder = Path(next(iter(package.submodule_search_locations or []))) if package else None
    found = sorted(folder.glob("_avro_rs*.so")) if folder else []
    if not found:
        from polars_avro import _avro_rs

        return _avro_rs
    loader = importlib.machinery.ExtensionFileLoader("polars_avro._avro_rs", str(found[0]))
    spec = importlib.util.spec_from_loader("polars_avro._avro_rs", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


_DECODER = _load_decoder()


class _Rewinding:
    """The seekable source the decoder reads: the same manager on every call, rewound on
    entry. (A manager made anew per call crashed the process on decode errors.)"""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def __call__(self) -> _Rewinding:
        return self

    def __enter__(self) -> io.BytesIO:
        self.buffer.seek(0)
        return self.buffer

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class NativeRefused(Exception):
    """The native decoder could not give a result proven exact: read the chunk with fastavro."""


def native_reason(writer: Schema) -> str | None:
    """Why blocks of this writer schema must take the fastavro path; None if they need not."""
    return _reason(writer, ())


def _reason(schema: Schema, stack: tuple[int, ...]) -> str | None:
    if id(schema) in stack:
        return "a recursive type (the native decoder has no Arrow type for it)"
    if isinstance(schema, Union):
        rest = [b for b in schema.branches if not _is_null(b)]
        if len(rest) > 1 or len(schema.branches) > 2:
            return "a union of several non-null types"
        return next((r for b in rest if (r := _reason(b, stack))), None)
    if isinstance(schema, Record):
        if not schema.fields:
            return "a record without fields"
        inner = (*stack, id(schema))
        return next((r for f in schema.fields if (r := _reason(f.type, inner))), None)
    if isinstance(schema, Array):
        return _reason(schema.items, stack)
    if isinstance(schema, Map):
        return _reason(schema.values, stack)
    if isinstance(schema, Fixed):
        return "a decimal (its byte length is not kept)" if schema.decimal else None
    if isinstance(schema, Primitive) and schema.logical in _REFUSED_LOGICAL:
        return f"the {schema.logical} logical type"
    if isinstance(schema, Primitive) and schema.type == "null":
        return "a field of type null"
    return None


def decode_blocks(header: Header, blocks: Sequence[Block], writer: Schema) -> pa.Table:
    """The blocks' records in writer-schema Arrow form, proven to be exactly what they hold."""
    counts = np.array([b.count for b in blocks], dtype=np.int64)
    total = int(counts.sum())
    data = b"".join(bytes(b.data) for b in blocks)
    framed = b"".join(
        [header.with_null_codec(), encode_long(total), encode_long(len(data)), data, header.sync]
    )
    batch = _decode_one_batch(framed, total)
    if batch.num_rows != total:
        raise NativeRefused(f"decoded {batch.num_rows} records where the blocks hold {total}")
    assert isinstance(writer, Record), "a container's records are read with a record schema"
    try:
        columns = [_sizes(c, f.type) for c, f in zip(batch.columns, writer.fields, strict=True)]
        sizes = np.sum(columns, axis=0) if columns else np.zeros(total, dtype=np.int64)
        _check_ends(sizes, counts, np.array([len(b.data) for b in blocks], dtype=np.int64))
        if _has_tags(writer, set()):
            _check_tags(batch, writer, columns, sizes, np.frombuffer(data, dtype=np.uint8))
        for column in batch.columns:
            _check_map_keys(column)
    except (ValueError, TypeError, IndexError, pa.ArrowException) as exc:
        raise NativeRefused(f"decoded columns do not match the writer schema ({exc})") from exc
    return pa.Table.from_batches([batch])


def _check_map_keys(array: pa.Array) -> None:
    """A map that holds a key twice (a valid encoding) is read by Avro Java, as by fastavro,
    as the key's last value; the native decoder keeps both entries: refuse it, at any depth."""
    kind = array.type
    if not _has_map(kind):
        return
    if pa.types.is_struct(kind):
        for child in array.flatten():
            _check_map_keys(child)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        _check_map_keys(array.values)
    elif pa.types.is_map(kind):
        offsets = array.offsets.to_numpy()
        keys = array.keys.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        if _repeats_a_key(keys, np.diff(offsets)):
            raise NativeRefused("a map holds a key twice (its last value is the value)")
        _check_map_keys(array.items)


# Maps of up to this many entries are checked by comparing neighbours (no hashing).
_PAIRWISE_ENTRIES = 16


def _repeats_a_key(keys: pa.Array, lengths: Any) -> bool:
    """Whether any map (its entries' `keys`, `lengths` entries each) holds a key twice."""
    longest = int(lengths.max()) if len(lengths) else 0
    if longest < 2:
        return False
    parents = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    if longest > _PAIRWISE_ENTRIES:
        pairs = pa.table({"p": parents, "k": keys}).group_by(["p", "k"]).aggregate([])
        return bool(pairs.num_rows != len(keys))
    for gap in range(1, longest):
        same_map = parents[gap:] == parents[:-gap]
        if not same_map.any():
            return False
        equal = pc.equal(keys.slice(gap), keys.slice(0, len(keys) - gap))
        if np.any(same_map & equal.to_numpy(zero_copy_only=False)):
            return True
    return False


@functools.lru_cache(maxsize=512)
def _has_map(kind: pa.DataType) -> bool:
    if pa.types.is_map(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_map(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _has_map(kind.value_type)
    return False


# _has_tags of each schema node seen (the node itself is kept, so its id stays its own).
_TAGGED: dict[int, tuple[Schema, bool]] = {}


def _has_tags(schema: Schema, seen: set[int]) -> bool:
    """Whether the schema has bytes the decoder reads without checking them: union indexes
    (arrow-avro takes any index but the null one for the value) and booleans (any byte but
    0 for true). Worked out once per schema node."""
    known = _TAGGED.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    if id(schema) in seen:  # a recursive type, met again inside itself (never memoized)
        return False
    seen.add(id(schema))
    found = _find_tags(schema, seen)
    _TAGGED[id(schema)] = (schema, found)
    return found


def _find_tags(schema: Schema, seen: set[int]) -> bool:
    if isinstance(schema, Union):
        return True
    if isinstance(schema, Primitive):
        return schema.type == "boolean"
    if isinstance(schema, Record):
        return any(_has_tags(f.type, seen) for f in schema.fields)
    if isinstance(schema, Array):
        return _has_tags(schema.items, seen)
    if isinstance(schema, Map):
        return _has_tags(schema.values, seen)
    return False


def _check_tags(
    batch: pa.RecordBatch, writer: Record, columns: list[Any], sizes: Any, data: Any
) -> None:
    """Every union index and boolean byte, read at its place in the blocks, must be what the
    decoded value says it was: 0 or 1 for a boolean, the branch's own index for a union.

    The sizes have proven every record canonical and in place, so each value's byte offset
    follows from the sizes of what precedes it."""
    starts = np.cumsum(sizes) - sizes
    present = np.ones(len(sizes), dtype=bool)
    for column, field, size in zip(batch.columns, writer.fields, columns, strict=True):
        if _has_tags(field.type, set()):
            _tags(column, field.type, starts, present, data)
        starts = starts + size


def _mask(array: pa.Array) -> np.ndarray[Any, Any]:
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _tags(array: Any, schema: Schema, starts: Any, present: Any, data: Any) -> None:
    if isinstance(schema, Union):
        null_first = _is_null(schema.branches[0])
        valid = _mask(array)
        tag = data[starts[present]]
        expected = np.where(valid == null_first, 2, 0)[present]  # zig-zag of index 1 or 0
        if not np.array_equal(tag, expected):
            raise NativeRefused("a union index the decoded value does not match")
        value = next(b for b in schema.branches if not _is_null(b))
        if _has_tags(value, set()):
            _tags(array, value, starts + 1, present & valid, data)
    elif isinstance(schema, Primitive):  # boolean
        byte = data[starts[present]]
        truth = np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        if not np.array_equal(byte, truth[present].astype(np.uint8)):
            raise NativeRefused("a boolean byte other than 0 or 1")
    elif isinstance(schema, Record):
        offsets = starts
        for i, field in enumerate(schema.fields):
            child = array.field(i)
            if _has_tags(field.type, set()):
                _tags(child, field.type, offsets, present, data)
            offsets = offsets + _sizes(child, field.type, True)
    elif isinstance(schema, Array):
        _item_tags(array, array.values, schema.items, 0, starts, present, data)
    elif isinstance(schema, Map):
        keys = _sizes(array.keys, _STRING, True)
        _item_tags(array, array.items, schema.values, keys, starts, present, data)


def _item_tags(
    array: Any, items: Any, schema: Schema, keys: Any, starts: Any, present: Any, data: Any
) -> None:
    """Array items, or map values (`keys`: their keys' sizes), at their places: after the
    list's item count, each after the entries before it in its list."""
    offsets = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = offsets[1:] - offsets[:-1]
    entry = _sizes(items, schema, True) + keys
    running = np.concatenate([[0], np.cumsum(entry)])  # entry offsets from the first entry
    owner = np.repeat(np.arange(len(counts)), counts)  # the list of each entry
    index = np.arange(offsets[0], offsets[-1]) if len(offsets) else np.zeros(0, np.int64)
    at = (
        starts[owner]
        + _varint_sizes(counts)[owner]
        + running[index]
        - running[offsets[owner]]
        + (keys[index] if np.ndim(keys) else 0)
    )
    if len(offsets) and offsets[0] != 0:
        raise NativeRefused("a sliced list column")
    _tags(items.slice(0, len(index)), schema, at, present[owner], data)


def _decode_one_batch(framed: bytes, total: int) -> pa.RecordBatch:
    factory = _Rewinding(framed)  # held for as long as the reader runs
    try:
        source = _DECODER.AvroSource([factory], False, False)
        batches = source.batch_iter(total, None)
        return pa.record_batch(next(batches))
    except StopIteration as exc:
        raise NativeRefused("the native decoder returned no records") from exc
    except Exception as exc:
        raise NativeRefused(f"{type(exc).__name__}: {exc}") from exc
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        raise NativeRefused(f"the native decoder panicked: {exc}") from exc


def _check_ends(sizes: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], lengths: Any) -> None:
    if np.any((counts == 0) & (lengths != 0)):
        raise NativeRefused("a block without records holds bytes")
    ends = np.cumsum(sizes)
    want = np.cumsum(lengths)[counts > 0]
    got = ends[np.cumsum(counts)[counts > 0] - 1]
    if not np.array_equal(got, want):
        raise NativeRefused("the records' encoded sizes do not add up to their blocks' sizes")


def _varint_sizes(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Bytes of the zig-zag varint of each int64."""
    v = values.astype(np.int64, copy=False)
    z = ((v << 1) ^ (v >> 63)).view(np.uint64)
    size = np.ones(len(z), dtype=np.int64)
    top = int(z.max()) if len(z) else 0
    for k in range(1, 10):  # only up to the widest value's size (lengths: once or twice)
        bound = 1 << (7 * k)
        if top < bound:
            break
        size += z >= np.uint64(bound)
    return size


def _ints(array: pa.Array) -> np.ndarray[Any, Any]:
    """An integer-backed array's raw values, read from its data buffer (no copy, no kernel).

    A null slot holds whatever the buffer holds there: every size computed from it is
    multiplied out by the union validity above it (`_sizes`, `_tags`), and a column outside
    a union has no nulls (`_no_nulls`)."""
    width = array.type.bit_width
    data = array.buffers()[1]
    if data is None or not len(array) or width not in (32, 64):
        return np.zeros(len(array), dtype=np.int64) if not len(array) else _ints_slow(array)
    values = np.frombuffer(data, dtype=np.int32 if width == 32 else np.int64)
    return values[array.offset : array.offset + len(array)].astype(np.int64)


def _ints_slow(array: pa.Array) -> np.ndarray[Any, Any]:
    return np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _byte_lengths(array: pa.Array) -> np.ndarray[Any, Any]:
    """The byte length of each string or bytes value, from the offsets buffer."""
    kind = array.type
    if not len(array) or array.buffers()[1] is None:
        return np.zeros(len(array), dtype=np.int64)
    if pa.types.is_string(kind) or pa.types.is_binary(kind):
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    elif pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    else:
        return _ints_slow(pc.binary_length(array))
    window = offsets[array.offset : array.offset + len(array) + 1].astype(np.int64)
    return window[1:] - window[:-1]


def _sizes(array: pa.Array, schema: Schema, masked: bool = False) -> np.ndarray[Any, Any]:
    """The canonical encoded size of each value of `array`, written with `schema`.

    `masked`: the array is under a nullable union, whose validity multiplies out the sizes
    of its null slots; elsewhere a null cannot be what the writer wrote, and is refused."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if isinstance(schema, Union):
        value = next(b for b in schema.branches if not _is_null(b))
        valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        return 1 + np.where(valid, _sizes(array, value, True), 0)
    if array.null_count and not masked:
        raise NativeRefused("a null value outside a nullable union")
    if isinstance(schema, Record):
        out = np.zeros(len(array), dtype=np.int64)
        for i, field in enumerate(schema.fields):
            out += _sizes(array.field(i), field.type, masked)
        return out
    if isinstance(schema, Array):
        return _list_sizes(array, _sizes(array.values, schema.items, masked))
    if isinstance(schema, Map):
        entry = _sizes(array.keys, _STRING, masked) + _sizes(array.items, schema.values, masked)
        return _list_sizes(array, entry)
    if isinstance(schema, Enum):
        return _varint_sizes(_ints(array.indices))
    if isinstance(schema, Fixed):
        return np.full(len(array), schema.size, dtype=np.int64)
    return _primitive_sizes(array, schema)


def _primitive_sizes(array: pa.Array, schema: Primitive) -> np.ndarray[Any, Any]:
    kind = schema.type
    if kind == "boolean":
        return np.ones(len(array), dtype=np.int64)
    if kind in _INT_TYPES:
        return _varint_sizes(_ints(array))
    if kind == "float":
        return np.full(len(array), 4, dtype=np.int64)
    if kind == "double":
        return np.full(len(array), 8, dtype=np.int64)
    if kind in ("string", "bytes"):
        lengths = _byte_lengths(array)
        sizes: np.ndarray[Any, Any] = _varint_sizes(lengths) + lengths
        return sizes
    raise NativeRefused(f"no encoded size for {kind}")


def _list_sizes(array: Any, entry: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Arrays and maps: the item count, the items, a closing 0 (one byte when empty)."""
    offsets = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = offsets[1:] - offsets[:-1]
    running = np.concatenate([[0], np.cumsum(entry)])
    items = running[offsets[1:]] - running[offsets[:-1]]
    return np.where(counts > 0, _varint_sizes(counts) + items + 1, 1)


def _is_null(schema: Schema) -> bool:
    return isinstance(schema, Primitive) and schema.type == "null"


_STRING = Primitive("string")
