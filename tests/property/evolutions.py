"""Hypothesis strategies: a random writer schema and a reader evolved from it.

The reader is made the way people evolve schemas (promote a type, add a field with or
without a default, rename with or without an alias, add or drop enum symbols, wrap a
type in a union, drop a union branch, resize a fixed…), so both compatible and
incompatible pairs come up often. Writer unions hold at most one branch per Python
value class, so the branch fastavro writes a value with is never ambiguous.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

PRIMS = ["boolean", "int", "long", "float", "double", "bytes", "string"]
PROMOTE = {
    "int": ["long", "float", "double"],
    "long": ["float", "double"],
    "float": ["double"],
    "string": ["bytes"],
    "bytes": ["string"],
}
# Python value class of each writer-union branch kind: one branch per class. bytes and
# arrays share one: fastavro writes a bytes value to the first branch it validates for, and
# bytes validates as an array of ints (docs/fastavro-notes.md).
VALUE_CLASS = {
    "null": "none",
    "boolean": "number",
    "int": "number",
    "long": "number",
    "float": "number",
    "double": "number",
    "string": "str",
    "enum": "str",
    "bytes": "seq",
    "fixed": "seq",
    "record": "dict",
    "map": "dict",
    "array": "seq",
}
SYMBOLS = ["A", "B", "C", "D", "E"]
MAX_DEPTH = 3


@dataclass
class Names:
    count: int = 0
    defined: dict[str, str] = field(default_factory=dict)  # name -> kind

    def new(self, kind: str) -> str:
        self.count += 1
        name = f"T{self.count}"
        self.defined[name] = kind
        return name


def kind_of(doc: Any, names: dict[str, str]) -> str:
    if isinstance(doc, list):
        return "union"
    if isinstance(doc, dict):
        return str(doc["type"])
    return names.get(doc, doc)


def defines_names(doc: Any) -> bool:
    if isinstance(doc, list):
        return any(defines_names(b) for b in doc)
    if not isinstance(doc, dict):
        return False
    if doc["type"] in ("record", "enum", "fixed"):
        return True
    return defines_names(doc.get("items")) or defines_names(doc.get("values"))


# ---------------------------------------------------------------- writer schemas


@st.composite
def writer_schema(draw: st.DrawFn) -> tuple[Any, dict[str, str]]:
    names = Names()
    fields = [
        {"name": f"f{i}", "type": draw(writer_type(names, 1))}
        for i in range(draw(st.integers(1, 4)))
    ]
    if draw(st.integers(0, 5)) == 0:
        fields.append({"name": "chain", "type": recursive_record(names, draw)})
    return {"type": "record", "name": names.new("record"), "fields": fields}, names.defined


def recursive_record(names: Names, draw: st.DrawFn) -> Any:
    name = names.new("record")
    link = draw(st.sampled_from([["null", name], {"type": "array", "items": name}, [name, "null"]]))
    return {
        "type": "record",
        "name": name,
        "fields": [
            {"name": "v", "type": draw(st.sampled_from(PRIMS))},
            {"name": "next", "type": link},
        ],
    }


@st.composite
def writer_type(draw: st.DrawFn, names: Names, depth: int) -> Any:
    kinds = ["prim", "prim", "prim", "enum", "fixed"]
    if depth < MAX_DEPTH:
        kinds += ["record", "array", "map", "union", "union"]
    if any(k == "record" for k in names.defined.values()):
        kinds.append("ref")
    kind = draw(st.sampled_from(kinds))
    if kind == "prim":
        return draw(st.sampled_from(PRIMS))
    if kind == "ref":
        return draw(st.sampled_from(sorted(n for n, k in names.defined.items() if k == "record")))
    if kind == "enum":
        symbols = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True))
        return {"type": "enum", "name": names.new("enum"), "symbols": symbols}
    if kind == "fixed":
        return {"type": "fixed", "name": names.new("fixed"), "size": draw(st.integers(1, 4))}
    if kind == "record":
        count = draw(st.integers(1, 3))
        fields = [
            {"name": f"f{i}", "type": draw(writer_type(names, depth + 1))} for i in range(count)
        ]
        return {"type": "record", "name": names.new("record"), "fields": fields}
    if kind == "array":
        return {"type": "array", "items": draw(writer_type(names, depth + 1))}
    if kind == "map":
        return {"type": "map", "values": draw(writer_type(names, depth + 1))}
    return draw(writer_union(names, depth))


@st.composite
def writer_union(draw: st.DrawFn, names: Names, depth: int) -> list[Any]:
    branches: list[Any] = ["null"] if draw(st.booleans()) else []
    classes = {"none"} if branches else set()
    for _ in range(draw(st.integers(1, 3))):
        saved = dict(names.defined)
        branch = draw(writer_type(names, depth + 1))
        cls = VALUE_CLASS[kind_of(branch, names.defined)] if not isinstance(branch, list) else None
        if cls is None or cls in classes:
            names.defined = saved  # the branch is dropped, and the names it defined with it
            continue
        classes.add(cls)
        branches.append(branch)
    fallbacks = [("none", "null"), ("number", "int"), ("str", "string")]
    for cls, branch in fallbacks:
        if len(branches) >= 2:
            break
        if cls not in classes:
            classes.add(cls)
            branches.append(branch)
    return branches


# ---------------------------------------------------------------- reader evolution


@dataclass
class Evolve:
    draw: st.DrawFn
    names: dict[str, str]  # writer name -> kind
    renamed: dict[str, str] = field(default_factory=dict)  # writer name -> reader name
    fresh: int = 0

    def choose(self, weights: dict[str, int]) -> str:
        options = [k for k, w in weights.items() for _ in range(w)]
        return str(self.draw(st.sampled_from(options)))

    def new_name(self) -> str:
        self.fresh += 1
        return f"R{self.fresh}"

    def rename(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Decide a named type's reader name once; references follow."""
        out = dict(doc)
        how = self.choose({"keep": 6, "alias": 2, "plain": 1})
        if how != "keep":
            out["name"] = self.new_name()
            if how == "alias":
                out["aliases"] = [doc["name"]]
        self.renamed[doc["name"]] = out["name"]
        return out

    def identity(self, doc: Any) -> Any:
        """The writer doc with reader names applied, otherwise unchanged."""
        if isinstance(doc, str):
            return self.renamed.get(doc, doc)
        if isinstance(doc, list):
            return [self.identity(b) for b in doc]
        out = copy.deepcopy(doc)
        if out["type"] in ("record", "enum", "fixed"):
            out["name"] = self.renamed.setdefault(doc["name"], doc["name"])
        if out["type"] == "record":
            out["fields"] = [{**f, "type": self.identity(f["type"])} for f in doc["fields"]]
        if out["type"] == "array":
            out["items"] = self.identity(doc["items"])
        if out["type"] == "map":
            out["values"] = self.identity(doc["values"])
        return out

    def evolve(self, doc: Any, depth: int = 0) -> Any:
        if isinstance(doc, list):
            return self.union(doc, depth)
        if isinstance(doc, str) and doc in self.names:
            return self.renamed.get(doc, doc)
        evolved = self.evolve_inner(doc, depth)
        if not isinstance(evolved, list) and kind_of(evolved, self.names) != "null":
            wrap = self.choose({"no": 8, "null_first": 1, "null_last": 1})
            if wrap == "null_first":
                return ["null", evolved]
            if wrap == "null_last":
                return [evolved, "null"]
        return evolved

    def evolve_inner(self, doc: Any, depth: int) -> Any:
        if isinstance(doc, str) and doc in self.names:
            return self.renamed.get(doc, doc)
        if isinstance(doc, str):
            return self.primitive(doc)
        kind = doc["type"]
        if kind == "record":
            return self.record(doc, depth)
        if kind == "enum":
            return self.enum(doc)
        if kind == "fixed":
            out = self.rename(doc)
            if self.choose({"keep": 5, "resize": 1}) == "resize":
                out["size"] = doc["size"] + 1
            return out
        key = "items" if kind == "array" else "values"
        if not defines_names(doc[key]) and self.choose({"keep": 9, "swap": 1}) == "swap":
            other = "map" if kind == "array" else "array"
            return {
                "type": other,
                ("values" if other == "map" else "items"): self.identity(doc[key]),
            }
        return {"type": kind, key: self.evolve(doc[key], depth + 1)}

    def primitive(self, prim: str) -> str:
        how = self.choose({"keep": 6, "promote": 3 if prim in PROMOTE else 0, "change": 1})
        if how == "promote":
            return str(self.draw(st.sampled_from(PROMOTE[prim])))
        if how == "change":
            return str(self.draw(st.sampled_from([p for p in [*PRIMS, "null"] if p != prim])))
        return prim

    def enum(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = self.rename(doc)
        symbols = list(doc["symbols"])
        how = self.choose({"keep": 4, "add": 2, "drop": 2, "drop_with_default": 2})
        if how == "add":
            symbols += [s for s in SYMBOLS if s not in symbols][:1]
        elif how.startswith("drop") and len(symbols) > 1:
            symbols.pop(self.draw(st.integers(0, len(symbols) - 1)))
            if how == "drop_with_default":
                out["default"] = symbols[0]
        out["symbols"] = symbols
        return out

    def record(self, doc: dict[str, Any], depth: int) -> dict[str, Any]:
        out = self.rename(doc)
        fields: list[dict[str, Any]] = []
        for f in doc["fields"]:
            how = self.choose({"keep": 8, "drop": 1, "alias": 1, "rename": 1})
            if how == "drop" and not defines_names(f["type"]):
                continue
            new = {"name": f["name"], "type": self.evolve(f["type"], depth + 1)}
            if how == "alias":
                new = {**new, "name": f"{f['name']}_v2", "aliases": [f["name"]]}
            elif how == "rename":
                new = {**new, "name": f"{f['name']}_x"}
            fields.append(new)
        for i in range(self.draw(st.integers(0, 1))):
            fields.append(self.added_field(f"added{i}"))
        if not any(defines_names(f["type"]) for f in fields) and self.draw(st.booleans()):
            fields = self.draw(st.permutations(fields))
        out["fields"] = fields
        return out

    def added_field(self, name: str) -> dict[str, Any]:
        kind, default = self.draw(
            st.sampled_from(
                [
                    ("int", 7),
                    ("long", -3),
                    ("string", "dflt"),
                    ("double", 1.5),
                    ("boolean", True),
                    (["null", "string"], None),
                    ({"type": "array", "items": "int"}, [1, 2]),
                    ({"type": "map", "values": "long"}, {"k": 5}),
                ]
            )
        )
        if self.draw(st.integers(0, 3)) == 0:
            return {"name": name, "type": kind}  # no default: incompatible
        return {"name": name, "type": kind, "default": default}

    def union(self, branches: list[Any], depth: int) -> Any:
        how = self.choose({"evolve": 6, "drop": 2, "reverse": 1, "collapse": 1})
        removable = [i for i, b in enumerate(branches) if not defines_names(b)]
        if how == "collapse" and all(not defines_names(b) for b in branches):
            return self.evolve_inner(self.draw(st.sampled_from(branches)), depth)
        if how == "drop" and removable and len(branches) > 2:
            drop = self.draw(st.sampled_from(removable))
            branches = [b for i, b in enumerate(branches) if i != drop]
        evolved = [
            self.evolve_inner(b, depth + 1) if not isinstance(b, list) else b for b in branches
        ]
        if not self.valid_union(evolved):
            evolved = [self.identity(b) for b in branches]
        if how == "reverse" and not any(defines_names(b) for b in evolved):
            return list(reversed(evolved))
        return evolved

    def valid_union(self, branches: list[Any]) -> bool:
        keys = []
        for b in branches:
            if isinstance(b, list):
                return False
            kind = kind_of(b, self.names)
            named = isinstance(b, dict) and kind in ("record", "enum", "fixed")
            keys.append(
                b["name"]
                if named
                else (b if isinstance(b, str) and b in self.renamed.values() else kind)
            )
        return len(keys) == len(set(keys))


@st.composite
def evolutions(draw: st.DrawFn) -> tuple[Any, Any]:
    writer, names = draw(writer_schema())
    reader = Evolve(draw, names).evolve_inner(writer, 0)
    return writer, reader
