"""Errors a user of avrolake can see. Each names what was wrong and what to do."""

from __future__ import annotations


class AvrolakeError(Exception):
    """Base class of every error avrolake raises on purpose."""


class SchemaParseError(AvrolakeError):
    """An .avsc document is not a valid Avro schema."""

    def __init__(self, message: str, *, source: str, path: str) -> None:
        self.message = message
        self.source = source
        self.path = path
        super().__init__(f"{source}: invalid Avro schema at {path}: {message}")


class RegistryError(AvrolakeError):
    """The on-disk registry is missing, malformed or asked for something it lacks."""


class StorageError(AvrolakeError):
    """A source or destination URI could not be reached or written."""
