"""Random, realistic Avro data for any schema; log-event fields get log-like values."""

from __future__ import annotations

import decimal
import random
import string
from collections.abc import Callable
from typing import Any

from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

SERVICES = ("checkout", "payments", "search", "auth", "inventory", "email")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "ap-south-1")
LEVEL_WEIGHTS = {"DEBUG": 20, "INFO": 60, "WARN": 12, "ERROR": 7, "FATAL": 1}
MESSAGES = (
    "GET /api/v1/orders/{n} 200",
    "POST /api/v1/cart/{n}/items 201",
    "cache miss for key user:{n}",
    "retrying upstream call (attempt {a} of 3)",
    "payment {n} authorised",
    "slow query took {n} ms",
    "connection reset by peer; reconnecting",
    "user {n} logged in",
)

Hint = Callable[[random.Random, int], Any]


def _message(rng: random.Random, _ts: int) -> str:
    return rng.choice(MESSAGES).format(n=rng.randint(1, 99_999), a=rng.randint(1, 3))


def _latency(rng: random.Random, _ts: int) -> int:
    return max(1, int(rng.lognormvariate(3.5, 0.9)))


HINTS: dict[str, Hint] = {
    "timestamp": lambda _rng, ts: ts,
    "service": lambda rng, _ts: rng.choice(SERVICES),
    "service_name": lambda rng, _ts: rng.choice(SERVICES),
    "message": _message,
    "trace_id": lambda rng, _ts: f"{rng.getrandbits(128):032x}",
    "latency_ms": _latency,
    "hostname": lambda rng, _ts: f"{rng.choice(SERVICES)}-{rng.randint(1, 12):02d}",
    "ip": lambda rng, _ts: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    "region": lambda rng, _ts: rng.choice(REGIONS),
    "tags": lambda rng, _ts: {
        "env": rng.choice(("prod", "staging")),
        "release": f"1.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
    },
}


def random_datum(schema: Schema, rng: random.Random, ts: int, name: str = "") -> Any:
    """One value valid for `schema`; `ts` (epoch millis) feeds timestamp fields."""
    if isinstance(schema, Union):
        return _union(schema, rng, ts, name)
    if name in HINTS and not isinstance(schema, Record | Enum) and not _is_timestamp(schema):
        return HINTS[name](rng, ts)
    if isinstance(schema, Record):
        return {f.name: random_datum(f.type, rng, ts, f.name) for f in schema.fields}
    if isinstance(schema, Enum):
        weights = [LEVEL_WEIGHTS.get(s, 5) for s in schema.symbols]
        return rng.choices(schema.symbols, weights=weights)[0]
    if isinstance(schema, Array):
        return [random_datum(schema.items, rng, ts) for _ in range(rng.randint(0, 3))]
    if isinstance(schema, Map):
        return {_word(rng): random_datum(schema.values, rng, ts) for _ in range(rng.randint(0, 3))}
    if isinstance(schema, Fixed | Primitive) and schema.decimal is not None:
        return _decimal(schema.decimal.precision, schema.decimal.scale, rng)
    if isinstance(schema, Fixed):
        return rng.randbytes(schema.size)
    return _primitive(schema, rng, ts)


def _decimal(precision: int, scale: int, rng: random.Random) -> decimal.Decimal:
    """A value with at most `precision` digits (random bytes would overflow it), at most
    12 of them non-zero so that small fixed sizes hold it too."""
    digits = min(precision, 12)
    unscaled = rng.randint(-(10**digits) + 1, 10**digits - 1)
    return decimal.Decimal(unscaled).scaleb(-scale)


def _union(schema: Union, rng: random.Random, ts: int, name: str) -> Any:
    non_null = [b for b in schema.branches if not (isinstance(b, Primitive) and b.type == "null")]
    if len(non_null) < len(schema.branches) and (not non_null or rng.random() < 0.3):
        return None
    return random_datum(rng.choice(non_null), rng, ts, name)


def _word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8)))


_PER_MILLI = {"millis": 1, "micros": 1_000, "nanos": 1_000_000}


def _is_timestamp(schema: Schema) -> bool:
    logical = schema.logical if isinstance(schema, Primitive) else None
    return bool(logical and logical.startswith(("timestamp", "local-timestamp")))


def _primitive(schema: Primitive, rng: random.Random, ts: int) -> Any:
    kind = schema.type
    if schema.logical and schema.logical.startswith(("timestamp", "local-timestamp")):
        return ts * _PER_MILLI[schema.logical.rsplit("-", 1)[1]]
    values: dict[str, Callable[[], Any]] = {
        "null": lambda: None,
        "boolean": lambda: rng.random() < 0.5,
        "int": lambda: rng.randint(-(2**31), 2**31 - 1),
        "long": lambda: rng.randint(-(2**63), 2**63 - 1),
        "float": lambda: float(rng.randint(-1000, 1000)) / 4,
        "double": lambda: rng.uniform(-1e6, 1e6),
        "bytes": lambda: rng.randbytes(rng.randint(0, 16)),
        "string": lambda: _word(rng),
    }
    return values[kind]()
