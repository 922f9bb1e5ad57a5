"""The `clicks` subject of the unit tier: v1 -> v2 (alias rename, int -> long, enum, defaults)."""

from __future__ import annotations

from typing import Any

TS_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}

# v1 -> v2: `page` renamed to `url` (alias), `dwell` int -> long, a new enum symbol,
# a nested record field with a default, a new top-level field with a default.
V1: dict[str, Any] = {
    "type": "record",
    "name": "Click",
    "namespace": "io.example.clicks",
    "fields": [
        {"name": "ts", "type": TS_MILLIS},
        {"name": "page", "type": "string"},
        {"name": "dwell", "type": "int"},
        {
            "name": "device",
            "type": {"type": "enum", "name": "Device", "symbols": ["DESKTOP", "MOBILE"]},
        },
        {
            "name": "geo",
            "type": {
                "type": "record",
                "name": "Geo",
                "fields": [{"name": "country", "type": "string"}],
            },
        },
    ],
}
V2: dict[str, Any] = {
    "type": "record",
    "name": "Click",
    "namespace": "io.example.clicks",
    "fields": [
        {"name": "ts", "type": TS_MILLIS},
        {"name": "url", "aliases": ["page"], "type": "string"},
        {"name": "dwell", "type": "long"},
        {
            "name": "device",
            "type": {
                "type": "enum",
                "name": "Device",
                "symbols": ["DESKTOP", "MOBILE", "TABLET"],
                "default": "DESKTOP",
            },
        },
        {
            "name": "geo",
            "type": {
                "type": "record",
                "name": "Geo",
                "fields": [
                    {"name": "country", "type": "string"},
                    {"name": "city", "type": ["null", "string"], "default": None},
                ],
            },
        },
        {"name": "referrer", "type": "string", "default": "direct"},
    ],
}
