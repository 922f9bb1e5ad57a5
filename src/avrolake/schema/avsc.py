"""Avro schema model and parser.

The parser turns a schema's JSON into a small typed graph: named types become one
shared object each (so recursive schemas are cycles, not infinite trees), names are
resolved to full names with the specification's namespace rules, and every problem is
reported with the JSON path where it was found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from avrolake.errors import SchemaParseError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOGICAL_BASES: dict[str, frozenset[str]] = {
    "date": frozenset({"int"}),
    "time-millis": frozenset({"int"}),
    "time-micros": frozenset({"long"}),
    "timestamp-millis": frozenset({"long"}),
    "timestamp-micros": frozenset({"long"}),
    "timestamp-nanos": frozenset({"long"}),
    "local-timestamp-millis": frozenset({"long"}),
    "local-timestamp-micros": frozenset({"long"}),
    "local-timestamp-nanos": frozenset({"long"}),
    "uuid": frozenset({"string", "fixed"}),
    "decimal": frozenset({"bytes", "fixed"}),
    "duration": frozenset({"fixed"}),
}


@dataclass(frozen=True)
class Decimal:
    precision: int
    scale: int


@dataclass(eq=False)
class Primitive:
    type: str
    logical: str | None = None
    decimal: Decimal | None = None


@dataclass(eq=False)
class Field:
    name: str
    type: Schema
    aliases: tuple[str, ...] = ()
    has_default: bool = False
    default: Any = None


@dataclass(eq=False)
class Record:
    fullname: str
    aliases: tuple[str, ...] = ()
    fields: list[Field] = field(default_factory=list)
    type: str = "record"

    @property
    def name(self) -> str:
        return self.fullname.rsplit(".", 1)[-1]


@dataclass(eq=False)
class Enum:
    fullname: str
    symbols: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    default: str | None = None
    type: str = "enum"

    @property
    def name(self) -> str:
        return self.fullname.rsplit(".", 1)[-1]


@dataclass(eq=False)
class Fixed:
    fullname: str
    size: int
    aliases: tuple[str, ...] = ()
    logical: str | None = None
    decimal: Decimal | None = None
    type: str = "fixed"

    @property
    def name(self) -> str:
        return self.fullname.rsplit(".", 1)[-1]


@dataclass(eq=False)
class Array:
    items: Schema
    type: str = "array"


@dataclass(eq=False)
class Map:
    values: Schema
    type: str = "map"


@dataclass(eq=False)
class Union:
    branches: list[Schema]
    type: str = "union"


Named: TypeAlias = Record | Enum | Fixed
Schema: TypeAlias = Primitive | Record | Enum | Fixed | Array | Map | Union


def member_name(schema: Schema) -> str:
    """The struct member a branch of a union of several types lands as (docs/table.md):
    member_<record, enum or fixed short name>, member_<logical type> (`-` as `_`), or
    member_<type>."""
    if isinstance(schema, Record | Enum | Fixed):
        return f"member_{schema.name}"
    if isinstance(schema, Primitive) and schema.logical:
        return f"member_{schema.logical.replace('-', '_')}"
    return f"member_{schema.type}"


def read_schema_json(path: Path) -> Any:
    """The decoded JSON of an .avsc file; a syntax error names the file and position."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaParseError(
            f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            source=str(path),
            path="$",
        ) from exc


def load_schema(path: Path) -> Schema:
    """Read and parse one .avsc file; errors name the file and the JSON path."""
    return parse_schema(read_schema_json(path), source=str(path))


def parse_schema(doc: Any, *, source: str = "<schema>") -> Schema:
    """Parse a schema given as decoded JSON (str, list or dict)."""
    return _Parser(source).parse(doc, "$", namespace="")


def fullname_of(name: str, namespace: str) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.names: dict[str, Named] = {}

    def fail(self, path: str, message: str) -> SchemaParseError:
        return SchemaParseError(message, source=self.source, path=path)

    def parse(self, doc: Any, path: str, namespace: str) -> Schema:
        if isinstance(doc, str):
            return self.reference(doc, path, namespace)
        if isinstance(doc, list):
            return self.union(doc, path, namespace)
        if not isinstance(doc, dict):
            raise self.fail(path, f"expected a type name, object or array, got {doc!r}")
        kind = doc.get("type")
        if kind is None:
            raise self.fail(path, 'object has no "type"')
        if kind == "record" or kind == "error":
            return self.record(doc, path, namespace)
        if kind == "enum":
            return self.enum(doc, path, namespace)
        if kind == "fixed":
            return self.fixed(doc, path, namespace)
        if kind == "array":
            return Array(self.parse(self.require(doc, "items", path), f"{path}.items", namespace))
        if kind == "map":
            return Map(self.parse(self.require(doc, "values", path), f"{path}.values", namespace))
        if isinstance(kind, str) and kind in PRIMITIVES:
            return self.primitive(kind, doc, path)
        return self.parse(kind, f"{path}.type", namespace)

    def require(self, doc: dict[str, Any], key: str, path: str) -> Any:
        if key not in doc:
            raise self.fail(path, f'{doc.get("type")} has no "{key}"')
        return doc[key]

    def reference(self, name: str, path: str, namespace: str) -> Schema:
        if name in PRIMITIVES:
            return Primitive(name)
        for candidate in (fullname_of(name, namespace), name):
            if candidate in self.names:
                return self.names[candidate]
        raise self.fail(path, f"unknown type {name!r} (not a primitive and not defined before)")

    def union(self, doc: list[Any], path: str, namespace: str) -> Union:
        branches = [self.parse(b, f"{path}[{i}]", namespace) for i, b in enumerate(doc)]
        seen: set[str] = set()
        for i, branch in enumerate(branches):
            if isinstance(branch, Union):
                raise self.fail(f"{path}[{i}]", "a union may not directly contain a union")
            key = branch.fullname if isinstance(branch, Record | Enum | Fixed) else branch.type
            if key in seen:
                raise self.fail(f"{path}[{i}]", f"union contains {key!r} twice")
            seen.add(key)
        return Union(branches)

    def primitive(self, kind: str, doc: dict[str, Any], path: str) -> Primitive:
        logical = self.logical(doc, kind, path)
        decimal = self.decimal(doc, path, size=None) if logical == "decimal" else None
        if logical == "decimal" and decimal is None:
            logical = None
        return Primitive(kind, logical, decimal)

    def logical(self, doc: dict[str, Any], kind: str, path: str) -> str | None:
        logical = doc.get("logicalType")
        if not isinstance(logical, str):
            return None
        # The specification: an invalid logical type is ignored, not an error.
        return logical if kind in _LOGICAL_BASES.get(logical, frozenset()) else None

    def decimal(self, doc: dict[str, Any], path: str, size: int | None) -> Decimal | None:
        precision, scale = doc.get("precision"), doc.get("scale", 0)
        if not isinstance(precision, int) or not isinstance(scale, int):
            return None
        if precision <= 0 or scale < 0 or scale > precision:
            return None
        if size is not None and precision > int((8 * size - 1) * 0.30102999566398):
            return None
        return Decimal(precision, scale)

    def name_of(self, doc: dict[str, Any], path: str, namespace: str) -> tuple[str, str]:
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(path, f'{doc.get("type")} has no "name"')
        ns = doc.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
        if not isinstance(ns, str):
            raise self.fail(f"{path}.namespace", "namespace must be a string")
        fullname = fullname_of(name, ns)
        for part in fullname.split("."):
            if not _NAME_RE.match(part):
                raise self.fail(f"{path}.name", f"{fullname!r} is not a valid Avro name")
        if fullname in self.names or fullname in PRIMITIVES:
            raise self.fail(f"{path}.name", f"{fullname!r} is defined twice")
        space = fullname.rsplit(".", 1)[0] if "." in fullname else ""
        return fullname, space

    def aliases(self, doc: dict[str, Any], path: str, namespace: str) -> tuple[str, ...]:
        aliases = doc.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail(f"{path}.aliases", "aliases must be a list of strings")
        return tuple(fullname_of(a, namespace) for a in aliases)

    def register(self, named: Named) -> None:
        self.names[named.fullname] = named

    def record(self, doc: dict[str, Any], path: str, namespace: str) -> Record:
        fullname, space = self.name_of(doc, path, namespace)
        record = Record(fullname, self.aliases(doc, path, space))
        self.register(record)
        fields = self.require(doc, "fields", path)
        if not isinstance(fields, list):
            raise self.fail(f"{path}.fields", "fields must be a list")
        names: set[str] = set()
        for i, fdoc in enumerate(fields):
            fpath = f"{path}.fields[{i}]"
            parsed = self.field(fdoc, fpath, space)
            if parsed.name in names:
                raise self.fail(f"{fpath}.name", f"field {parsed.name!r} appears twice")
            names.add(parsed.name)
            record.fields.append(parsed)
        return record

    def field(self, fdoc: Any, path: str, namespace: str) -> Field:
        if not isinstance(fdoc, dict):
            raise self.fail(path, "a field must be an object")
        name = fdoc.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise self.fail(f"{path}.name", f"field name {name!r} is not a valid Avro name")
        ftype = self.parse(self.require(fdoc, "type", path), f"{path}.type", namespace)
        aliases = fdoc.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail(f"{path}.aliases", "aliases must be a list of strings")
        has_default = "default" in fdoc
        if has_default:
            check_default(ftype, fdoc["default"], self, f"{path}.default")
        return Field(name, ftype, tuple(aliases), has_default, fdoc.get("default"))

    def enum(self, doc: dict[str, Any], path: str, namespace: str) -> Enum:
        fullname, space = self.name_of(doc, path, namespace)
        symbols = self.require(doc, "symbols", path)
        if not isinstance(symbols, list) or not all(
            isinstance(s, str) and _NAME_RE.match(s) for s in symbols
        ):
            raise self.fail(f"{path}.symbols", "symbols must be a list of valid Avro names")
        if len(set(symbols)) != len(symbols):
            raise self.fail(f"{path}.symbols", "symbols must be unique")
        default = doc.get("default")
        if default is not None and default not in symbols:
            raise self.fail(f"{path}.default", f"enum default {default!r} is not a symbol")
        enum = Enum(fullname, tuple(symbols), self.aliases(doc, path, space), default)
        self.register(enum)
        return enum

    def fixed(self, doc: dict[str, Any], path: str, namespace: str) -> Fixed:
        fullname, space = self.name_of(doc, path, namespace)
        size = self.require(doc, "size", path)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise self.fail(f"{path}.size", f"size must be a non-negative integer, got {size!r}")
        logical = self.logical(doc, "fixed", path)
        if logical == "duration" and size != 12:
            logical = None
        decimal = self.decimal(doc, path, size) if logical == "decimal" else None
        if logical == "decimal" and decimal is None:
            logical = None
        fixed = Fixed(fullname, size, self.aliases(doc, path, space), logical, decimal)
        self.register(fixed)
        return fixed


def check_default(schema: Schema, value: Any, parser: _Parser, path: str) -> None:
    """A field default must be valid for the field's type (for a union: its first branch)."""
    if not default_matches(schema, value):
        raise parser.fail(path, f"default {value!r} does not match the field's type")


def default_matches(schema: Schema, value: Any) -> bool:
    if isinstance(schema, Union):
        return bool(schema.branches) and default_matches(schema.branches[0], value)
    if isinstance(schema, Primitive):
        return _primitive_default_matches(schema.type, value)
    if isinstance(schema, Enum):
        return value in schema.symbols
    if isinstance(schema, Fixed):
        return isinstance(value, str) and len(value) == schema.size
    if isinstance(schema, Array):
        return isinstance(value, list) and all(default_matches(schema.items, v) for v in value)
    if isinstance(schema, Map):
        return isinstance(value, dict) and all(
            default_matches(schema.values, v) for v in value.values()
        )
    if not isinstance(value, dict):
        return False
    return all(
        default_matches(f.type, value[f.name]) if f.name in value else f.has_default
        for f in schema.fields
    )


def _primitive_default_matches(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("int", "long"):
        bound = 2**31 if kind == "int" else 2**63
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)
