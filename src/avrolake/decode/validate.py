"""Check every record's binary encoding against the writer schema before fastavro decodes it.

fastavro trusts the encoding: an enum or union index of -1 picks the last symbol or branch
(Python's negative indexing), and the records of a block need not use up its bytes
(docs/fastavro-notes.md). `BlockValidator` walks the records of one decompressed block
without building values and raises `QuarantineError` at the first violation:

- an enum index outside [0, symbols), a union index outside [0, branches);
- a boolean byte other than 0 or 1;
- a negative string or bytes length, or one running past the block;
- an int varint longer than 5 bytes or beyond 32 bits, a long longer than 10 or beyond 64;
- an array or map block whose byte size (after a negative count) is not what its items take;
- records that do not use up the block's bytes exactly.

Every violation is CORRUPT_DATA, running out of the block's data too: the block is whole
(its declared size was read and its sync marker matched), so its records disagree with it; a
cut file is TRUNCATED where the container finds it ends inside a block. The message names the
record, the block and the value's path in the writer schema ("/geo/city", "/tags[]",
"/attrs{}"), where the type first occurs.

Speed: this runs on every record, in pure Python. The writer schema is compiled once into
Python functions (`_Compiler`): a record's fields become straight-line code, one-byte varints
(nearly every index, length and small number) are read inline and only longer ones call a
helper, fixed-size values (float, double, fixed) are summed into one offset, and nothing is
allocated per record. The generated source holds no text of the schema: names, paths and
counts reach it as bound constants. Records used more than once (or recursively), and values
nested too deeply for one function, get a function of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, cast

from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

Data = bytes | bytearray
Skip = Callable[[Data, int], int]
_INT_BYTES, _LONG_BYTES = 5, 10
# The largest last byte of a varint of the most bytes: 32 and 64 zig-zag bits.
_LAST_BYTE = {_INT_BYTES: 0x0F, _LONG_BYTES: 0x01}
_SIZES = {"null": 0, "float": 4, "double": 8}
_MAX_DEPTH = 8  # indentation levels in one generated function (Python allows 20 blocks)


class _Invalid(Exception):
    """A violation inside one record; the block adds which record."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


# -- the slow paths and the errors, called from the generated code ----------------------------


def _varint(buf: Data, pos: int, most: int, what: str, path: str) -> tuple[int, int]:
    """The zig-zag value of the varint at pos, of at most `most` bytes, and the position after."""
    value = shift = 0
    for i in range(most):
        byte = buf[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if i == most - 1 and byte > _LAST_BYTE[most]:
                bits = 32 if most == _INT_BYTES else 64
                raise _Invalid(f"{what} at {path} does not fit in {bits} bits")
            return (value >> 1) ^ -(value & 1), pos + i + 1
        shift += 7
    raise _Invalid(f"{what} at {path} is a varint longer than {most} bytes")


# Unrolled: measurably faster than a loop for the six to eight bytes of a timestamp.
def _int_end(buf: Data, pos: int, path: str) -> int:
    """The end of an int of two or more bytes (the generated code reads one-byte ints)."""
    if buf[pos + 1] < 0x80:
        return pos + 2
    if buf[pos + 2] < 0x80:
        return pos + 3
    if buf[pos + 3] < 0x80:
        return pos + 4
    return _varint(buf, pos, _INT_BYTES, "int", path)[1]  # five bytes or more: check them


def _long_end(buf: Data, pos: int, path: str) -> int:
    """The end of a long of two or more bytes."""
    if buf[pos + 1] < 0x80:
        return pos + 2
    if buf[pos + 2] < 0x80:
        return pos + 3
    if buf[pos + 3] < 0x80:
        return pos + 4
    if buf[pos + 4] < 0x80:
        return pos + 5
    if buf[pos + 5] < 0x80:
        return pos + 6
    if buf[pos + 6] < 0x80:
        return pos + 7
    if buf[pos + 7] < 0x80:
        return pos + 8
    if buf[pos + 8] < 0x80:
        return pos + 9
    return _varint(buf, pos, _LONG_BYTES, "long", path)[1]  # ten bytes or more: check them


def _length_end(buf: Data, pos: int, what: str, path: str) -> int:
    size, pos = _varint(buf, pos, _LONG_BYTES, f"{what} length", path)
    if size < 0:
        raise _Invalid(f"negative {what} length {size} at {path}")
    return pos + size


def _past_end(what: str, path: str) -> NoReturn:
    raise _Invalid(f"{what} at {path} runs past the end of the block")


def _index(buf: Data, pos: int, count: int, what: str, path: str) -> tuple[int, int]:
    """A valid enum or union index as its one-byte zig-zag code (2 * index), and the position
    after it."""
    index, end = _varint(buf, pos, _INT_BYTES, f"{what} index", path)
    if not 0 <= index < count:
        _bad_index(2 * index if index >= 0 else -2 * index - 1, count, what, path)
    return 2 * index, end


def _bad_index(code: int, count: int, what: str, path: str) -> NoReturn:
    index = (code >> 1) ^ -(code & 1)
    bounds = f"outside 0..{count - 1}" if count else f"but the {what} has no symbols"
    raise _Invalid(f"{what} index {index} {bounds} at {path}")


def _enum_end(buf: Data, pos: int, count: int, path: str) -> int:
    return _index(buf, pos, count, "enum", path)[1]


def _bad_boolean(byte: int, path: str) -> NoReturn:
    raise _Invalid(f"boolean byte {byte} is not 0 or 1 at {path}")


def _block_count(buf: Data, pos: int, what: str, path: str) -> tuple[int, int]:
    return _varint(buf, pos, _LONG_BYTES, f"{what} block count", path)


def _block_size(buf: Data, pos: int, what: str, path: str) -> tuple[int, int]:
    size, end = _varint(buf, pos, _LONG_BYTES, f"{what} block size", path)
    if size < 0:
        raise _Invalid(f"negative {what} block size {size} at {path}")
    return size, end


def _bad_block(declared: int, taken: int, count: int, what: str, path: str) -> NoReturn:
    raise _Invalid(
        f"{what} block at {path} declares {declared} bytes but its {count} items take {taken}"
    )


def _too_many(count: int, most: int, what: str, path: str) -> NoReturn:
    raise _Invalid(
        f"{what} block of {count} empty items at {path}: more than the block cap of {most} "
        "bytes allows"
    )


_HELPERS: dict[str, Any] = {
    f.__name__: f
    for f in (_int_end, _long_end, _length_end, _past_end, _index, _bad_index, _enum_end,
              _bad_boolean, _block_count, _block_size, _bad_block, _too_many)
}  # fmt: skip


# -- the compiler -----------------------------------------------------------------------------


class _Function:
    """The source of one generated function `name(buf, pos) -> pos`."""

    def __init__(self, name: str) -> None:
        self.lines = [f"def {name}(buf, pos):", "    n = len(buf)"]
        self.pending = 0  # constant bytes to add to pos before the next statement

    def line(self, depth: int, text: str) -> None:
        self.flush(depth)
        self.lines.append("    " * depth + text)

    def flush(self, depth: int) -> None:
        if self.pending:
            self.lines.append("    " * depth + f"pos += {self.pending}")
            self.pending = 0

    def source(self) -> str:
        self.flush(1)
        return "\n".join([*self.lines, "    return pos"])


class _Compiler:
    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.namespace: dict[str, Any] = dict(_HELPERS)
        self.sources: list[str] = []
        self.functions: dict[int, str] = {}  # records compiled as functions, by id
        self.own_function: set[int] = set()  # records used twice or recursively
        self.variables = 0

    def constant(self, value: Any) -> str:
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def variable(self, stem: str) -> str:
        self.variables += 1
        return f"{stem}{self.variables}"

    def build(self, schema: Schema) -> tuple[Skip, int]:
        """The record skipper, and the record's size if every record has the same size."""
        self.find_shared(schema, set(), set())
        function = _Function("skip_record")
        self.emit(function, schema, "", 1)
        if len(function.lines) == 2:  # no statement: every value has a constant size
            size = function.pending
            return (lambda buf, pos: pos + size), size
        self.sources.append(function.source())
        code = compile("\n\n".join(self.sources), "<avrolake record validator>", "exec")
        exec(code, self.namespace)  # source generated above, holding no text of the schema
        return cast(Skip, self.namespace["skip_record"]), -1

    def find_shared(self, schema: Schema, seen: set[int], stack: set[int]) -> None:
        """Mark records that occur twice or inside themselves: they become functions."""
        children: list[Schema]
        if isinstance(schema, Record):
            key = id(schema)
            if key in seen or key in stack:
                self.own_function.add(key)
                return
            seen.add(key)
            stack.add(key)
            for f in schema.fields:
                self.find_shared(f.type, seen, stack)
            stack.discard(key)
            return
        if isinstance(schema, Union):
            children = list(schema.branches)
        elif isinstance(schema, Array):
            children = [schema.items]
        elif isinstance(schema, Map):
            children = [schema.values]
        else:
            children = []
        for child in children:
            self.find_shared(child, seen, stack)

    def emit(self, fn: _Function, schema: Schema, path: str, depth: int) -> None:
        """Code at `depth` that moves pos past one value of `schema`."""
        where = path or "/"
        if isinstance(schema, Record):
            if id(schema) in self.own_function:
                fn.line(depth, f"pos = {self.record_function(schema, path)}(buf, pos)")
            elif depth > _MAX_DEPTH:
                fn.line(depth, f"pos = {self.function_of(schema, path)}(buf, pos)")
            else:
                for f in schema.fields:
                    self.emit(fn, f.type, f"{path}/{f.name}", depth)
        elif isinstance(schema, Fixed):
            fn.pending += schema.size
        elif isinstance(schema, Enum):
            self.enum(fn, schema, where, depth)
        elif isinstance(schema, Primitive):
            self.primitive(fn, schema.type, where, depth)
        elif depth > _MAX_DEPTH:
            fn.line(depth, f"pos = {self.function_of(schema, path)}(buf, pos)")
        elif isinstance(schema, Union):
            self.union(fn, schema, path, depth)
        else:
            self.blocks(fn, schema, path, depth)

    def function_of(self, schema: Schema, path: str) -> str:
        name = self.variable("value")
        function = _Function(name)
        self.emit(function, schema, path, 1)
        self.sources.append(function.source())
        return name

    def record_function(self, record: Record, path: str) -> str:
        key = id(record)
        if key not in self.functions:
            name = self.functions[key] = self.variable("record")
            function = _Function(name)
            for f in record.fields:
                self.emit(function, f.type, f"{path}/{f.name}", 1)
            self.sources.append(function.source())
        return self.functions[key]

    def primitive(self, fn: _Function, kind: str, where: str, d: int) -> None:
        if kind in _SIZES:
            fn.pending += _SIZES[kind]
            return
        p = self.constant(where)
        if kind == "boolean":
            fn.line(d, f"if buf[pos] > 1: _bad_boolean(buf[pos], {p})")
            fn.pending += 1
        elif kind in ("int", "long"):
            fn.line(d, f"pos = pos + 1 if buf[pos] < 128 else _{kind}_end(buf, pos, {p})")
        else:  # string, bytes: a length, then the bytes, inside the block
            fn.line(d, "b = buf[pos]")
            fn.line(d, "if b < 128 and not b & 1: pos += 1 + (b >> 1)")
            fn.line(d, f"else: pos = _length_end(buf, pos, {kind!r}, {p})")
            fn.line(d, f"if pos > n: _past_end({kind!r}, {p})")

    def enum(self, fn: _Function, enum: Enum, where: str, d: int) -> None:
        count = len(enum.symbols)
        one_byte = min(2 * count, 128)  # the codes of indexes 0, 1, 2 ... are 0, 2, 4 ...
        fn.line(d, "b = buf[pos]")
        fn.line(d, f"if b < {one_byte} and not b & 1: pos += 1")
        fn.line(d, f"else: pos = _enum_end(buf, pos, {count}, {self.constant(where)})")

    def union(self, fn: _Function, union: Union, path: str, d: int) -> None:
        count = len(union.branches)
        p = self.constant(path or "/")
        fn.line(d, "c = buf[pos]")
        fn.line(d, "if c < 128: pos += 1")
        fn.line(d, f"else: c, pos = _index(buf, pos, {count}, 'union', {p})")
        for i, branch in enumerate(union.branches):
            fn.line(d, f"{'if' if i == 0 else 'elif'} c == {2 * i}:")
            before = len(fn.lines)
            self.emit(fn, branch, path, d + 1)
            fn.flush(d + 1)
            if len(fn.lines) == before:
                fn.line(d + 1, "pass")
        fn.line(d, f"else: _bad_index(c, {count}, 'union', {p})")

    def blocks(self, fn: _Function, schema: Array | Map, path: str, d: int) -> None:
        """Array and map blocks: a long count; a negative one is followed by the block's byte
        size, which must be what its items take. A map's items are a string key and a value."""
        what = "array" if isinstance(schema, Array) else "map"
        p = self.constant(path or "/")
        count, size, start = self.variable("count"), self.variable("size"), self.variable("at")
        fn.line(d, "while True:")
        fn.line(d + 1, "b = buf[pos]")
        fn.line(d + 1, f"if b < 128: pos += 1; {count} = (b >> 1) ^ -(b & 1)")
        fn.line(d + 1, f"else: {count}, pos = _block_count(buf, pos, {what!r}, {p})")
        fn.line(d + 1, f"if {count} == 0: break")
        fn.line(d + 1, f"if {count} < 0:")
        fn.line(d + 2, f"{count} = -{count}")
        fn.line(d + 2, f"{size}, pos = _block_size(buf, pos, {what!r}, {p})")
        fn.line(d + 1, f"else: {size} = -1")
        fn.line(d + 1, f"{start} = pos")
        item = _Function("item")  # an item's code, to see whether it has a constant size
        if isinstance(schema, Map):
            self.primitive(item, "string", f"{path}{{key}}", d + 2)
            self.emit(item, schema.values, f"{path}{{}}", d + 2)
        else:
            self.emit(item, schema.items, f"{path}[]", d + 2)
        if len(item.lines) == 2 and item.pending == 0:  # empty items: guard the count
            fn.line(d + 1, f"if {count} > {self.max_items}:")
            fn.line(d + 2, f"_too_many({count}, {self.max_items}, {what!r}, {p})")
        elif len(item.lines) == 2:  # items of one constant size
            fn.line(d + 1, f"pos += {count} * {item.pending}")
        else:
            fn.line(d + 1, f"for _ in range({count}):")
            item.flush(d + 2)
            fn.lines += item.lines[2:]
        fn.line(d + 1, f"if {size} >= 0 and pos - {start} != {size}:")
        fn.line(d + 2, f"_bad_block({size}, pos - {start}, {count}, {what!r}, {p})")


class BlockValidator:
    """Checks the records of decompressed blocks against one writer schema."""

    def __init__(self, writer: Schema, max_items: int) -> None:
        self._skip, self._size = _Compiler(max_items).build(writer)

    def check(self, data: Data, count: int, where: str) -> None:
        """QuarantineError unless `count` records of the writer schema are exactly `data`."""
        end = len(data)
        if self._size >= 0:
            pos = count * self._size
        else:
            skip = self._skip
            pos = i = 0
            try:
                for i in range(count):  # noqa: B007 (i names the record on error)
                    pos = skip(data, pos)
            except _Invalid as exc:
                raise QuarantineError(
                    QuarantineKind.CORRUPT_DATA, f"record {i + 1} of {where}: {exc}"
                ) from None
            except IndexError:
                raise QuarantineError(
                    QuarantineKind.CORRUPT_DATA,
                    f"record {i + 1} of {where}: the block's data ends inside the record",
                ) from None
            except RecursionError:
                raise QuarantineError(
                    QuarantineKind.CORRUPT_DATA,
                    f"record {i + 1} of {where}: values nested too deeply to check",
                ) from None
        if pos > end:
            raise QuarantineError(
                QuarantineKind.CORRUPT_DATA,
                f"{where}: its {count} records need more than its {end} bytes",
            )
        if pos < end:
            raise QuarantineError(
                QuarantineKind.CORRUPT_DATA,
                f"{where}: {end - pos} bytes left over after its {count} records",
            )
