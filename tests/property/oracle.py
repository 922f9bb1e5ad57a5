"""Covering data for a writer schema, and the values the Avro specification says a reader gets.

The data cycles every union branch and enum symbol at every place in the schema, so an
incompatibility anywhere is exercised. `resolve` is the test oracle: the specification's
resolution written as plainly as possible, independent of avrolake's checker.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

RECORDS = 40


class Unresolvable(Exception):
    pass


class Cover:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.visits: defaultdict[str, int] = defaultdict(int)

    def records(self, schema: Schema) -> list[Any]:
        return [self.value(schema, "", ()) for _ in range(RECORDS)]

    def next(self, path: str) -> int:
        self.visits[path] += 1
        return self.visits[path] - 1

    def value(self, schema: Schema, path: str, stack: tuple[str, ...]) -> Any:
        if isinstance(schema, Union):
            usable = [b for b in schema.branches if not too_deep(b, stack)]
            branch = usable[self.next(path) % len(usable)]
            return self.value(branch, f"{path}|{schema.branches.index(branch)}", stack)
        if isinstance(schema, Record):
            inner = (*stack, schema.fullname)
            return {f.name: self.value(f.type, f"{path}/{f.name}", inner) for f in schema.fields}
        if isinstance(schema, Enum):
            return schema.symbols[self.next(path) % len(schema.symbols)]
        if isinstance(schema, Array):
            count = 0 if too_deep(schema.items, stack) else 2
            return [self.value(schema.items, f"{path}[]", stack) for _ in range(count)]
        if isinstance(schema, Map):
            count = 0 if too_deep(schema.values, stack) else 2
            return {f"k{i}": self.value(schema.values, f"{path}{{}}", stack) for i in range(count)}
        if isinstance(schema, Fixed):
            return self.rng.randbytes(schema.size)
        return self.primitive(schema.type)

    def primitive(self, kind: str) -> Any:
        rng = self.rng
        return {
            "null": lambda: None,
            "boolean": lambda: rng.random() < 0.5,
            "int": lambda: rng.randint(-(2**31), 2**31 - 1),
            "long": lambda: rng.randint(-(2**63), 2**63 - 1),
            "float": lambda: rng.randint(-4000, 4000) / 4,  # exact in 32 bits
            "double": lambda: rng.uniform(-1e9, 1e9),
            "string": lambda: "".join(rng.choices("abcxyz", k=rng.randint(0, 6))),
            "bytes": lambda: "".join(rng.choices("abcxyz", k=rng.randint(0, 6))).encode(),
        }[kind]()


def too_deep(schema: Schema, stack: tuple[str, ...]) -> bool:
    return isinstance(schema, Record) and stack.count(schema.fullname) >= 2


PROMOTIONS = {
    ("int", "long"): int,
    ("int", "float"): float,
    ("int", "double"): float,
    ("long", "float"): float,
    ("long", "double"): float,
    ("float", "double"): float,
    ("string", "bytes"): str.encode,
    ("bytes", "string"): bytes.decode,
}
PY_CLASS = {
    "null": type(None),
    "boolean": bool,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "string": str,
    "bytes": bytes,
    "enum": str,
    "fixed": bytes,
    "record": dict,
    "map": dict,
    "array": list,
}


def writer_branch(union: Union, value: Any) -> Schema:
    for branch in union.branches:
        cls = PY_CLASS[branch.type]
        if type(value) is cls or (cls is float and type(value) is int):
            return branch
    raise AssertionError(f"no branch of the writer union holds {value!r}")


def same_name(writer: Any, reader: Any) -> bool:
    return bool(writer.name == reader.name or writer.fullname in reader.aliases)


def matches(writer: Schema, reader: Schema) -> bool:
    """The specification's branch match: same kind and name, or a promotion."""
    if isinstance(writer, Primitive) and isinstance(reader, Primitive):
        return writer.type == reader.type or (writer.type, reader.type) in PROMOTIONS
    if type(writer) is not type(reader):
        return False
    if isinstance(writer, Array) and isinstance(reader, Array):
        return inner_matches(writer.items, reader.items)
    if isinstance(writer, Map) and isinstance(reader, Map):
        return inner_matches(writer.values, reader.values)
    if isinstance(writer, Fixed) and isinstance(reader, Fixed):
        return same_name(writer, reader) and writer.size == reader.size
    return same_name(writer, reader)


def inner_matches(writer: Schema, reader: Schema) -> bool:
    return isinstance(writer, Union) or isinstance(reader, Union) or matches(writer, reader)


def resolve(writer: Schema, reader: Schema, value: Any) -> Any:
    if isinstance(writer, Union):
        return resolve(writer_branch(writer, value), reader, value)
    if isinstance(reader, Union):
        for branch in reader.branches:
            if matches(writer, branch):
                return resolve(writer, branch, value)
        raise Unresolvable(f"no reader branch for {writer.type}")
    if isinstance(writer, Primitive) and isinstance(reader, Primitive):
        if writer.type == reader.type:
            return value
        if (writer.type, reader.type) in PROMOTIONS:
            return PROMOTIONS[(writer.type, reader.type)](value)
        raise Unresolvable(f"{writer.type} -> {reader.type}")
    if type(writer) is not type(reader):
        raise Unresolvable(f"{writer.type} -> {reader.type}")
    if isinstance(writer, Array) and isinstance(reader, Array):
        return [resolve(writer.items, reader.items, v) for v in value]
    if isinstance(writer, Map) and isinstance(reader, Map):
        return {k: resolve(writer.values, reader.values, v) for k, v in value.items()}
    return resolve_named(writer, reader, value)


def resolve_named(writer: Schema, reader: Schema, value: Any) -> Any:
    if not same_name(writer, reader):
        raise Unresolvable("names differ")
    if isinstance(writer, Fixed) and isinstance(reader, Fixed):
        if writer.size != reader.size:
            raise Unresolvable("fixed sizes differ")
        return value
    if isinstance(writer, Enum) and isinstance(reader, Enum):
        if value in reader.symbols:
            return value
        if reader.default is not None:
            return reader.default
        raise Unresolvable(f"symbol {value} unknown to reader")
    assert isinstance(writer, Record)
    assert isinstance(reader, Record)
    return resolve_record(writer, reader, value)


def resolve_record(writer: Record, reader: Record, value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    by_name = {f.name: f for f in writer.fields}
    for field in reader.fields:
        source = next((by_name[n] for n in (field.name, *field.aliases) if n in by_name), None)
        if source is not None:
            out[field.name] = resolve(source.type, field.type, value[source.name])
        elif field.has_default:
            out[field.name] = field.default
        else:
            raise Unresolvable(f"no value for {field.name}")
    return out
