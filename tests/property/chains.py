"""Seeded random schema chains (v1..vN, N = 2..4) that a registry at BACKWARD_TRANSITIVE accepts.

v1 is a random record; each next version evolves the latest by the specification's rules:
fields added with defaults (at any depth), fields removed, promotions, fields renamed with
aliases (aliases accumulate, so the latest reader reads every older writer), named types
renamed with aliases, enum symbols added or removed behind an enum default, nullable wraps
and union branches added, a logical type gained or lost on the same base type (`bytes` read
as a decimal, a `long` as a timestamp; resolution ignores logical types). Every version is
checked with avrolake's `check_compatibility` against every earlier one (a draw that fails is
drawn again); Avro Java's `SchemaCompatibility` checks them again in the test. `FEATURES`
switches rules and types on and off; `AVROLAKE_DIFF_FEATURES="+time,-interleave"` overrides
them for one run.
"""

from __future__ import annotations

import copy
import os
import random
from dataclasses import dataclass, field
from typing import Any

from avrolake.compatibility import check_compatibility
from avrolake.schema import parse_schema
from tests.property.chain_data import default_for
from tests.property.evolutions import PROMOTE, SYMBOLS, VALUE_CLASS

# True: generated in every run. False: known to fail on the code as it stands (see
# tests/property/test_java_differential.py for the failure each one shows).
FEATURES: dict[str, bool] = {
    "interleave": True,  # ingest and migrate between versions (else one ingest at the end)
    "add_field": True,  # fields added with defaults, at any depth
    "remove_field": True,  # fields removed from the reader
    "promote": True,  # int->long/float/double, long->float/double, float->double, string<->bytes
    "rename": True,  # fields renamed with aliases, at any depth
    "rename_type": True,  # records, enums and fixed renamed with aliases
    "enum_evolve": True,  # enum symbols added, removed behind an enum default
    "union_grow": True,  # T -> [null, T]; branches added to unions
    "union_multi": True,  # unions of null and two or more other types
    "empty_record": True,  # every field of a record removed
    "union_same_class": True,  # several numbers / records / strings / sequences in one union
    "union_logical": True,  # logical types as union branches beside other types
    "decimal": True,  # decimal on bytes and on fixed
    "decimal_default": True,  # decimal fields added with a default
    "uuid": True,  # uuid strings
    "time": True,  # time-millis, time-micros
    "nested_local_ts": True,  # local-timestamp-* below the top level (in records, arrays, maps)
    "recursive": True,  # a linked-list record
    "hostile": True,  # timestamps outside years 1..9999 (the file must be quarantined)
    "partitioned": True,  # some chains partition by a timestamp-micros field `ts`
    "fastavro_path": True,  # half the chains forced onto the fastavro decode path
    # A type gains or loses a logical type on the same base type. What it found is pinned by
    # unit tests: test_migrate_nested_kept's renamed cases, test_migrate_timestamp_unit, and
    # test_migrate_kept_column (seed 1129915 chain 93, seed 42 chain 282).
    "logical_evolve": True,
}
LOGICAL = {
    "date": "int", "timestamp-millis": "long", "timestamp-micros": "long",
    "local-timestamp-millis": "long", "local-timestamp-micros": "long",
}  # fmt: skip
TIME = {"time-millis": "int", "time-micros": "long"}
PRIMS = ["boolean", "int", "long", "float", "double", "string", "bytes"]


def features(environ: dict[str, str] | None = None) -> dict[str, bool]:
    out = dict(FEATURES)
    for item in (environ or dict(os.environ)).get("AVROLAKE_DIFF_FEATURES", "").split(","):
        item = item.strip()
        if item:
            name = item.lstrip("+-")
            if name not in out:
                raise ValueError(f"unknown feature {name!r}; known: {sorted(out)}")
            out[name] = not item.startswith("-")
    return out


def collect_names(doc: Any, names: dict[str, Any] | None = None) -> dict[str, Any]:
    names = {} if names is None else names
    if isinstance(doc, list):
        for branch in doc:
            collect_names(branch, names)
    elif isinstance(doc, dict):
        if doc["type"] in ("record", "enum", "fixed"):
            names[doc["name"]] = doc
        for f in doc.get("fields", []):
            collect_names(f["type"], names)
        for key in ("items", "values"):
            if key in doc:
                collect_names(doc[key], names)
    return names


def base_kind(doc: Any) -> str:
    if isinstance(doc, list):
        return "union"
    if isinstance(doc, str):
        return doc if doc in (*PRIMS, "null") else "record"  # a reference: a recursive record
    return str(doc["type"])


@dataclass
class Chain:
    versions: list[Any]
    partitioned: bool


@dataclass
class Gen:
    rng: random.Random
    feat: dict[str, bool]
    count: int = 0
    used: set[str] = field(default_factory=set)

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def chance(self, p: float, feature: str | None = None) -> bool:
        return (feature is None or self.feat[feature]) and self.rng.random() < p

    # ------------------------------------------------------------------ new types

    def type(self, depth: int) -> Any:
        kinds = ["prim"] * 6 + ["logical"] * 2 + ["enum", "fixed", "nullable"]
        if depth < 3:
            kinds += ["record", "record", "array", "map", "nullable"]
            kinds += ["union", "union"] if self.feat["union_multi"] else []
        if depth == 1 and self.feat["recursive"]:
            kinds.append("recursive")
        kind = self.rng.choice(kinds)
        if kind == "prim":
            return self.rng.choice(PRIMS)
        if kind == "logical":
            return self.logical(depth)
        if kind == "enum":
            symbols = self.rng.sample(SYMBOLS, self.rng.randint(1, 4))
            return {"type": "enum", "name": self.fresh("E"), "symbols": symbols}
        if kind == "fixed":
            return {"type": "fixed", "name": self.fresh("X"), "size": self.rng.randint(1, 4)}
        if kind == "nullable":
            inner = self.type(depth + 1)
            return ["null", inner] if base_kind(inner) != "union" else inner
        if kind == "record":
            return self.record(self.fresh("R"), self.rng.randint(1, 3), depth + 1)
        if kind == "array":
            return {"type": "array", "items": self.type(depth + 1)}
        if kind == "map":
            return {"type": "map", "values": self.type(depth + 1)}
        if kind == "recursive":
            name = self.fresh("L")
            link = {"name": "next", "type": ["null", name]}
            return {"type": "record", "name": name, "fields": [{"name": "v", "type": "int"}, link]}
        return self.union(depth)

    def logical(self, depth: int) -> Any:
        options = dict(LOGICAL)
        if depth > 1 and not self.feat["nested_local_ts"]:
            options = {k: v for k, v in options.items() if not k.startswith("local-")}
        if self.feat["time"]:
            options.update(TIME)
        choices = [*options, *(["uuid"] if self.feat["uuid"] else [])]
        choices += ["decimal"] * 2 if self.feat["decimal"] else []
        name = self.rng.choice(choices)
        if name == "uuid":
            return {"type": "string", "logicalType": "uuid"}
        if name == "decimal":
            precision = self.rng.randint(1, 18)
            doc = {"logicalType": "decimal", "precision": precision}
            doc["scale"] = self.rng.randint(0, precision)
            if self.rng.random() < 0.5:
                return {"type": "bytes", **doc}
            return {"type": "fixed", "name": self.fresh("D"), "size": 8, **doc}
        return {"type": options[name], "logicalType": name}

    def gains(self, base: str, depth: int) -> list[Any]:
        """The logical types on `base` a new version may give it (the generator's own)."""
        names = [n for n, b in LOGICAL.items() if b == base]
        if depth > 1 and not self.feat["nested_local_ts"]:
            names = [n for n in names if not n.startswith("local-")]
        names += [n for n, b in TIME.items() if b == base and self.feat["time"]]
        out: list[Any] = [{"type": base, "logicalType": n} for n in names]
        if base == "string" and self.feat["uuid"]:
            out.append({"type": "string", "logicalType": "uuid"})
        if base == "bytes" and self.feat["decimal"]:
            precision = self.rng.randint(1, 18)
            scale = self.rng.randint(0, precision)
            out.append({"type": "bytes", "logicalType": "decimal", "precision": precision,
                        "scale": scale})  # fmt: skip
        return out

    def record(self, name: str, count: int, depth: int) -> dict[str, Any]:
        fields = [{"name": self.fresh("f"), "type": self.type(depth)} for _ in range(count)]
        return {"type": "record", "name": name, "fields": fields}

    def union(self, depth: int) -> list[Any]:
        branches: list[Any] = []
        for _ in range(self.rng.randint(2, 3)):
            branch = self.type(depth + 1)
            if self.fits(branches, branch):
                branches.append(branch)
        while len(branches) < 2:
            branch = self.rng.choice(PRIMS)
            if self.fits(branches, branch):
                branches.append(branch)
        if self.rng.random() < 0.6:
            branches.insert(0 if self.rng.random() < 0.7 else len(branches), "null")
        return branches

    def fits(self, branches: list[Any], new: Any) -> bool:
        """Java's union rules (one branch per unnamed type) and the enabled features."""
        kind = base_kind(new)
        if kind in ("union", "null"):
            return False
        logical = [b for b in [*branches, new] if isinstance(b, dict) and "logicalType" in b]
        if logical and not self.feat["union_logical"]:
            return False
        named = kind in ("record", "enum", "fixed")
        kinds = [base_kind(b) for b in branches]
        if not named and kind in kinds:
            return False
        if self.feat["union_same_class"]:
            return True
        classes = {VALUE_CLASS[k] for k in kinds if k != "null"}
        return VALUE_CLASS[kind] not in classes

    # ------------------------------------------------------------------ evolution

    def evolve(self, doc: Any, depth: int) -> Any:
        kind = base_kind(doc)
        if kind == "union":
            return self.evolve_union(doc, depth)
        out = self.evolve_inner(doc, depth)
        if depth > 0 and self.chance(0.08, "union_grow"):
            return ["null", out]
        return out

    def evolve_inner(self, doc: Any, depth: int) -> Any:
        if isinstance(doc, str):
            gains = self.gains(doc, depth)
            if gains and self.chance(0.08, "logical_evolve"):
                return self.rng.choice(gains)
            if doc in PROMOTE and self.chance(0.25, "promote"):
                return self.rng.choice(PROMOTE[doc])
            return doc
        doc = copy.deepcopy(doc)
        kind = doc["type"]
        if "logicalType" in doc and self.chance(0.08, "logical_evolve"):
            if kind != "fixed":
                return kind
            return {k: v for k, v in doc.items() if k not in ("logicalType", "precision", "scale")}
        if kind == "fixed" and self.feat["decimal"] and self.chance(0.08, "logical_evolve"):
            digits = len(str(2 ** (8 * doc["size"] - 1))) - 1  # all of them fit the size
            precision = self.rng.randint(1, digits)
            scale = self.rng.randint(0, precision)
            return {**doc, "logicalType": "decimal", "precision": precision, "scale": scale}
        if kind in ("record", "enum", "fixed") and depth > 0 and self.chance(0.15, "rename_type"):
            doc["aliases"] = [doc["name"], *doc.get("aliases", [])]
            doc["name"] = self.fresh(doc["name"][0])
        if kind == "record":
            doc["fields"] = self.evolve_fields(doc["fields"], depth)
        elif kind == "enum" and self.feat["enum_evolve"]:
            self.evolve_enum(doc)
        elif kind == "array":
            doc["items"] = self.evolve(doc["items"], depth + 1)
        elif kind == "map":
            doc["values"] = self.evolve(doc["values"], depth + 1)
        return doc

    def evolve_enum(self, doc: dict[str, Any]) -> None:
        spare = [s for s in SYMBOLS if s not in doc["symbols"]]
        if spare and self.rng.random() < 0.3:
            doc["symbols"] = [*doc["symbols"], self.rng.choice(spare)]
        if len(doc["symbols"]) > 1 and self.rng.random() < 0.2:
            keep = doc.get("default", self.rng.choice(doc["symbols"]))
            gone = self.rng.choice([s for s in doc["symbols"] if s != keep])
            doc["symbols"] = [s for s in doc["symbols"] if s != gone]
            doc["default"] = keep

    def evolve_fields(self, fields: list[Any], depth: int) -> list[Any]:
        out = []
        for f in fields:
            if f["name"] == "ts" and depth == 0:
                out.append(f)
                continue
            keep_one = not self.feat["empty_record"] and len(out) == 0 and f is fields[-1]
            if self.chance(0.08, "remove_field") and not keep_one:
                continue
            new = {**f, "type": self.evolve(f["type"], depth + 1)}
            if self.chance(0.12, "rename"):
                new["aliases"] = [f["name"], *f.get("aliases", [])]
                new["name"] = self.fresh("f")
            if "default" in new:
                new["default"] = f["default"] if new["type"] == f["type"] else self.refit(new)
            out.append(new)
        if self.chance(0.3 if depth == 0 else 0.12, "add_field"):
            added = self.type(depth + 1)
            wanted = self.feat["decimal_default"] or "decimal" not in str(added)
            if wanted and not java_default_trouble(added):
                names = collect_names(added)
                default = default_for(added, names, self.rng)
                out.append({"name": self.fresh("f"), "type": added, "default": default})
        return out

    def refit(self, new: dict[str, Any]) -> Any:
        return default_for(new["type"], collect_names(new["type"]), self.rng)

    def evolve_union(self, branches: list[Any], depth: int) -> list[Any]:
        out: list[Any] = []
        for branch in branches:
            evolved = self.evolve_inner(branch, depth + 1)
            out.append(evolved if self.fits_evolved(out, evolved) else branch)
        if self.chance(0.2, "union_grow") and (self.feat["union_multi"] or len(out) < 2):
            extra = self.type(depth + 1)
            if self.fits([b for b in out if b != "null"], extra):
                out.append(extra)
        return out

    def fits_evolved(self, done: list[Any], new: Any) -> bool:
        kinds = [base_kind(b) for b in done]
        kind = base_kind(new)
        if kind not in ("record", "enum", "fixed") and kind in kinds:
            return False
        classes = {VALUE_CLASS[k] for k in kinds if k != "null"}
        return self.feat["union_same_class"] or kind == "null" or VALUE_CLASS[kind] not in classes


def java_default_trouble(doc: Any) -> bool:
    """A default Avro Java 1.12 cannot apply: a union whose first branch is an array or map
    ("AvroRuntimeException: Not an array" when it reads an older file), or a record default
    (when a later reader renames a field inside it by alias, Java's Schema.applyAliases
    renames the writer's field but not its default: "AvroTypeException: Invalid default")."""
    if isinstance(doc, dict) and doc["type"] == "record":
        return True
    if isinstance(doc, list):
        return base_kind(doc[0]) in ("array", "map") or any(java_default_trouble(b) for b in doc)
    if not isinstance(doc, dict):
        return False
    inner = [f["type"] for f in doc.get("fields", [])] + [doc.get("items"), doc.get("values")]
    return any(java_default_trouble(t) for t in inner if t is not None)


def compatible(reader: Any, writers: list[Any]) -> bool:
    try:
        parsed = parse_schema(reader)
        return all(not check_compatibility(parse_schema(w), parsed) for w in writers)
    except Exception:
        return False


def chain(seed: int, feat: dict[str, bool]) -> Chain:
    rng = random.Random(seed)
    gen = Gen(rng, feat)
    partitioned = gen.chance(0.25, "partitioned")
    first = gen.record("Row", rng.randint(1, 4), 1)
    if partitioned:
        ts = {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}}
        first["fields"].insert(0, ts)
    versions = [first]
    for _ in range(rng.randint(1, 3)):
        for _attempt in range(8):
            candidate = gen.evolve(versions[-1], 0)
            if compatible(candidate, versions):
                break
        else:
            candidate = copy.deepcopy(versions[-1])
        versions.append(candidate)
    return Chain(versions, partitioned)
