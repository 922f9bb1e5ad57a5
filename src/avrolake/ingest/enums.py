"""Enum symbols an older reader replaced by its default, which a new reader has again.

The table holds what its recorded reader read. Where that reader lacked a symbol the writer
wrote, it stored the reader's default instead; a new reader with the symbol reads it as
written, so a stored value equal to that default is ambiguous: `migrate` reads such rows
again from their sources (lake/reread.py).
"""

from __future__ import annotations

from avrolake.compatibility.rules import names_match
from avrolake.schema import Array, Enum, Fixed, Map, Record, Schema, Union


def lost_default(older: tuple[Enum, ...], writer: Schema | None, reader: Enum) -> str | None:
    """The default the older reader (its enums: `older`) stored for written symbols it
    lacked, when `reader` has one of them again; else None."""
    if not isinstance(writer, Enum):
        return None
    old = next((e for e in older if names_match(writer, e)), None)
    if old is None or old.default is None:
        return None
    lacked = set(writer.symbols) - set(old.symbols)
    return old.default if lacked & set(reader.symbols) else None


def enums_of(schema: Schema | None) -> tuple[Enum, ...]:
    """Every enum a schema holds, at any depth (each named type once)."""
    found: dict[str, Enum] = {}
    seen: set[str] = set()

    def walk(node: Schema) -> None:
        if isinstance(node, Record | Enum | Fixed):
            if node.fullname in seen:
                return
            seen.add(node.fullname)
        if isinstance(node, Enum):
            found[node.fullname] = node
        elif isinstance(node, Record):
            for f in node.fields:
                walk(f.type)
        elif isinstance(node, Array):
            walk(node.items)
        elif isinstance(node, Map):
            walk(node.values)
        elif isinstance(node, Union):
            for b in node.branches:
                walk(b)

    if schema is not None:
        walk(schema)
    return tuple(found.values())
