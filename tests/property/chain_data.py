"""Random values for a writer schema document, with the edge values that break converters.

Union values are `Branch(index, value)` (tests/property/avro_write.py), so the branch written
is chosen here, not guessed from the value. `default_for` gives a JSON default of a type.
"""

from __future__ import annotations

import math
import random
import uuid
from decimal import Decimal
from typing import Any

from tests.property.avro_write import Branch

INT_EDGES = [0, -1, 1, 2**31 - 1, -(2**31)]
LONG_EDGES = [2**31, 2**53 + 1, -(2**63), 2**63 - 1, -(2**31) - 1, 0]
FLOAT_EDGES: list[Any] = [
    math.nan, 0.0, -0.0, math.inf, -math.inf, 0.1, 16777217.0, 3.4028234663852886e38,
    b"\x01\x00\xc0\x7f",  # a NaN with a payload, as raw bytes
]  # fmt: skip
DOUBLE_EDGES: list[Any] = [
    math.nan, 0.0, -0.0, math.inf, -math.inf, 0.1, 1e300, float(2**53 + 1), 5e-324,
]  # fmt: skip
STRINGS = ["", "é", "日本語", "🙂", "a\u0000b", "x" * 40, "Zürich ∑"]
KEYS = ["", "k", "é", "🙂", "k2", "KEY"]
# Years 1..9999, the range Delta holds (docs/table.md).
MIN_DAYS, MAX_DAYS = -719162, 2932896
MIN_MICROS, MAX_MICROS = -62135596800000000, 253402300799999999
HOSTILE_MICROS = [-(2**63), 2**63 - 1, MAX_MICROS + 1]


class Values:
    def __init__(self, rng: random.Random, names: dict[str, Any], *, hostile: bool) -> None:
        self.rng = rng
        self.names = names
        self.hostile = hostile

    def edge(self, edges: list[Any]) -> Any | None:
        return self.rng.choice(edges) if self.rng.random() < 0.35 else None

    def value(self, doc: Any, depth: int = 0) -> Any:  # noqa: C901 - one switch over kinds
        rng = self.rng
        if isinstance(doc, str) and doc in self.names:
            doc = self.names[doc]
        if isinstance(doc, list):
            index = rng.randrange(len(doc))
            if depth > 6 and "null" in doc:  # a recursive type ends
                index = doc.index("null")
            return Branch(index, self.value(doc[index], depth + 1))
        kind = doc if isinstance(doc, str) else doc["type"]
        logical = doc.get("logicalType") if isinstance(doc, dict) else None
        if logical:
            return self.logical(doc, logical)
        if kind == "null":
            return None
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "int":
            edge = self.edge(INT_EDGES)
            return edge if edge is not None else rng.randint(-1000, 1000)
        if kind == "long":
            edge = self.edge(LONG_EDGES)
            return edge if edge is not None else rng.randint(-(2**40), 2**40)
        if kind in ("float", "double"):
            edge = self.edge(FLOAT_EDGES if kind == "float" else DOUBLE_EDGES)
            return edge if edge is not None else rng.uniform(-1e6, 1e6)
        if kind == "string":
            return self.text()
        if kind == "bytes":
            return rng.randbytes(rng.choice([0, 1, 3, 8]))
        if kind == "enum":
            return rng.choice(doc["symbols"])
        if kind == "fixed":
            return rng.randbytes(doc["size"])
        if kind == "record":
            self.names[doc["name"]] = doc
            return {f["name"]: self.value(f["type"], depth + 1) for f in doc["fields"]}
        count = rng.choice([0, 0, 1, 2, 3]) if depth < 6 else 0
        if kind == "array":
            return [self.value(doc["items"], depth + 1) for _ in range(count)]
        keys = rng.sample(KEYS, count)
        return {k: self.value(doc["values"], depth + 1) for k in keys}

    def text(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(STRINGS)
        return "".join(self.rng.choices("abcXYZ09 ", k=self.rng.randint(0, 6)))

    def logical(self, doc: dict[str, Any], logical: str) -> Any:
        rng = self.rng
        if logical == "date":
            return rng.choice([MIN_DAYS, MAX_DAYS, 0, rng.randint(MIN_DAYS, MAX_DAYS)])
        if logical.endswith("-millis") and "timestamp" in logical:
            if self.hostile and rng.random() < 0.1:
                return rng.choice(HOSTILE_MICROS)
            return rng.choice([MIN_MICROS // 1000, MAX_MICROS // 1000, 0, rng.randint(0, 2**42)])
        if logical.endswith("-micros") and "timestamp" in logical:
            if self.hostile and rng.random() < 0.1:
                return rng.choice(HOSTILE_MICROS)
            return rng.choice([MIN_MICROS, MAX_MICROS, 0, rng.randint(0, 2**52)])
        if logical == "time-millis":
            return rng.choice([0, 86399999, rng.randint(0, 86399999)])
        if logical == "time-micros":
            return rng.choice([0, 86399999999, rng.randint(0, 86399999999)])
        if logical == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        assert logical == "decimal", logical
        return decimal_value(rng, doc["precision"], doc["scale"])


def decimal_value(rng: random.Random, precision: int, scale: int) -> Decimal:
    top = 10**precision - 1
    unscaled = rng.choice([0, 1, -1, top, -top, rng.randint(-top, top)])
    return Decimal(unscaled).scaleb(-scale)


def default_for(doc: Any, names: dict[str, Any], rng: random.Random) -> Any:
    """A JSON default of the type (a union's default is of its first branch)."""
    if isinstance(doc, str) and doc in names:
        doc = names[doc]
    if isinstance(doc, list):
        return default_for(doc[0], names, rng)
    kind = doc if isinstance(doc, str) else doc["type"]
    logical = doc.get("logicalType") if isinstance(doc, dict) else None
    if logical == "decimal":
        value = decimal_value(rng, doc["precision"], doc["scale"])
        size = doc.get("size")
        raw = int(value.scaleb(doc["scale"])).to_bytes(size or 8, "big", signed=True)
        return raw.decode("latin-1")
    if logical == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    simple = {
        "null": None,
        "boolean": rng.random() < 0.5,
        "int": rng.choice([7, -(2**31), 2**31 - 1]),
        "long": rng.choice([-3, 2**53 + 1, -(2**63)]) if not logical else rng.randint(0, 2**40),
        "float": rng.choice([1.5, 0.1, -0.0]),
        "double": rng.choice([1.5, 0.1, 1e300, -0.0]),
        "string": rng.choice(STRINGS),
        "bytes": rng.choice(["", "\u00ff\u0000a"]),
    }
    if kind in simple:
        if logical == "date" or (logical or "").startswith("time-"):
            return rng.randint(0, 86399)
        return simple[kind]
    if kind == "enum":
        return rng.choice(doc["symbols"])
    if kind == "fixed":
        return "".join(chr(rng.randrange(256)) for _ in range(doc["size"]))
    if kind == "record":
        return {f["name"]: default_for(f["type"], names, rng) for f in doc["fields"]}
    if kind == "array":
        return [default_for(doc["items"], names, rng) for _ in range(rng.randint(0, 2))]
    return {k: default_for(doc["values"], names, rng) for k in rng.sample(KEYS, rng.randint(0, 2))}
