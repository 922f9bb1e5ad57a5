"""The schema registry on disk: `<root>/<subject>/v<N>.avsc` and `<root>/<subject>/compatibility`.

Versions are immutable once released; the latest version is a subject's default reader
schema. Every version is identified by the CRC-64-AVRO fingerprint of its Parsing
Canonical Form, so a writer schema found in a file header maps back to its version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, to_parsing_canonical_form

from avrolake.compatibility import CompatibilityLevel, LevelViolation, check_level
from avrolake.config import NO_OVERRIDE, PartitionOverride
from avrolake.errors import RegistryError, UnlandableSchemaError
from avrolake.registry.landable import LandingProblem, landing_problems
from avrolake.registry.source_layout import SourceLayout, layout_from_settings
from avrolake.registry.table_settings import (
    TableSettings,
    read_settings_file,
    resolve_table_settings,
)
from avrolake.schema import Record, Schema, parse_schema
from avrolake.schema.avsc import read_schema_json

DEFAULT_LEVEL = CompatibilityLevel.BACKWARD_TRANSITIVE
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")
_SUBJECT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")


def canonical_form(doc: Any) -> str:
    """The specification's Parsing Canonical Form of a schema given as decoded JSON."""
    return str(to_parsing_canonical_form(doc))


def schema_fingerprint(doc: Any) -> str:
    """CRC-64-AVRO of the Parsing Canonical Form, as 16 hex digits (little-endian bytes)."""
    return str(fingerprint(canonical_form(doc), "CRC-64-AVRO"))


@dataclass(frozen=True)
class SchemaVersion:
    subject: str
    version: int
    path: Path
    doc: Any
    schema: Schema

    @cached_property
    def canonical(self) -> str:
        return canonical_form(self.doc)

    @cached_property
    def fingerprint(self) -> str:
        return schema_fingerprint(self.doc)


@dataclass(frozen=True)
class SubjectViolation:
    """A version breaks its subject's level, or (the latest) cannot land in Delta."""

    version: int
    violation: LevelViolation | LandingProblem

    def describe(self) -> str:
        if isinstance(self.violation, LandingProblem):
            problem = self.violation
            return f"v{self.version} cannot land in Delta: {problem.kind.value}: {problem.message}"
        return self.violation.describe(self.version)

    def as_dict(self) -> dict[str, Any]:
        """`schemas check --json`: a landing problem has no other version, direction "delta"."""
        if isinstance(self.violation, LandingProblem):
            return {
                "version": self.version,
                "against_version": None,
                "direction": "delta",
                **self.violation.as_dict(),
            }
        return {
            "version": self.version,
            "against_version": self.violation.against_version,
            "direction": self.violation.direction,
            **self.violation.incompatibility.as_dict(),
        }


class Registry:
    """Read-only view of a registry directory."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise RegistryError(
                f"unusable registry {root}: it does not exist or is not a directory; "
                "pass --registry DIR pointing at <DIR>/<subject>/v<N>.avsc files"
            )
        self.root = root
        self._versions: dict[str, list[SchemaVersion]] = {}

    def subjects(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _has_versions(p))

    def require_subjects(self) -> list[str]:
        """The subjects, or a RegistryError saying why a registry with none is unusable."""
        subjects = self.subjects()
        if subjects:
            return subjects
        hint = (
            f"it looks like the folder of one subject ({self.root.name}): pass its parent"
            if _has_versions(self.root)
            else "it holds no <subject>/v<N>.avsc files"
        )
        raise RegistryError(
            f"unusable registry {self.root}: no subjects; {hint}. A registry is a folder of "
            "subjects, each a folder of v1.avsc, v2.avsc, …"
        )

    def gate(self, subject: str | None = None) -> list[str]:
        """Every registered version that breaks its subject's level, as one line each, for
        `subject` (checked) or every subject (at least one)."""
        subjects = [self.resolve_subject(subject)] if subject else self.require_subjects()
        return [f"{name}: {v.describe()}" for name in subjects for v in self.check(name)]

    def resolve_subject(self, subject: str | None) -> str:
        """`subject` itself (checked), or the registry's only subject when None."""
        if subject is not None:
            _check_subject_name(subject)
            return subject
        subjects = self.subjects()
        if len(subjects) != 1:
            raise RegistryError(
                f"registry {self.root} holds {len(subjects)} subjects "
                f"({', '.join(subjects) or 'none'}); name one with --subject"
            )
        return subjects[0]

    def reader(self, subject: str) -> SchemaVersion:
        """The subject's reader schema: its latest version, which must be a record a Delta
        table can hold (registry/landable.py)."""
        latest = self.latest(subject)
        if not isinstance(latest.schema, Record):
            raise RegistryError(
                f"the reader schema of {subject!r} ({latest.path}) must be a record, "
                f"not {latest.schema.type}"
            )
        problems = landing_problems(latest.schema)
        if problems:
            raise UnlandableSchemaError(
                subject, latest.version, [f"{p.kind.value}: {p.message}" for p in problems]
            )
        return latest

    def table_settings(
        self, subject: str, override: PartitionOverride = NO_OVERRIDE
    ) -> TableSettings:
        """How the subject's table is partitioned: command line > table.json > derived."""
        reader = self.reader(subject).schema
        assert isinstance(reader, Record)
        stored = read_settings_file(self.root / subject)
        return resolve_table_settings(subject, reader, stored, override)

    def source_layout(
        self, subject: str, layout: str | None = None, files: str | None = None
    ) -> SourceLayout:
        """Where the subject's producer puts its files: `layout`/`files` (the command line)
        over table.json's "source" over the `hive` preset (docs/registry.md)."""
        return layout_from_settings(read_settings_file(self.root / subject), layout, files)

    def versions(self, subject: str) -> list[SchemaVersion]:
        if subject not in self._versions:
            self._versions[subject] = self._load(subject)
        return self._versions[subject]

    def version(self, subject: str, number: int) -> SchemaVersion:
        for version in self.versions(subject):
            if version.version == number:
                return version
        raise RegistryError(f"subject {subject!r} has no version {number} in {self.root}")

    def latest(self, subject: str) -> SchemaVersion:
        return self.versions(subject)[-1]

    def level(self, subject: str) -> CompatibilityLevel:
        path = self.root / subject / "compatibility"
        if not path.exists():
            return DEFAULT_LEVEL
        try:
            return CompatibilityLevel.parse(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RegistryError(f"{path}: {exc}") from exc

    def version_of_fingerprint(self, subject: str, fp: str) -> int | None:
        """The registered version whose canonical form has this fingerprint, if any."""
        for version in self.versions(subject):
            if version.fingerprint == fp:
                return version.version
        return None

    def check(self, subject: str) -> list[SubjectViolation]:
        """Check every version against the earlier ones under the subject's level, and the
        latest (the reader) for what a Delta table cannot hold."""
        level = self.level(subject)
        versions = self.versions(subject)
        latest = versions[-1]
        violations: list[SubjectViolation] = []
        if isinstance(latest.schema, Record):
            violations += [
                SubjectViolation(latest.version, p) for p in landing_problems(latest.schema)
            ]
        for i, version in enumerate(versions):
            earlier = [(v.version, v.schema) for v in versions[:i]]
            violations += [
                SubjectViolation(version.version, v)
                for v in check_level(level, version.schema, earlier)
            ]
        return violations

    def _load(self, subject: str) -> list[SchemaVersion]:
        _check_subject_name(subject)
        directory = self.root / subject
        if not directory.is_dir() or not _has_versions(directory):
            known = ", ".join(self.subjects()) or "none"
            raise RegistryError(
                f"subject {subject!r} not found in registry {self.root} (subjects: {known})"
            )
        numbered = sorted(
            (int(m.group(1)), p) for p in directory.iterdir() if (m := _VERSION_FILE.match(p.name))
        )
        expected = list(range(1, len(numbered) + 1))
        if [n for n, _ in numbered] != expected:
            found = ", ".join(f"v{n}" for n, _ in numbered)
            raise RegistryError(
                f"subject {subject!r} in {self.root} must number its versions v1, v2, … "
                f"without gaps; found {found}"
            )
        return [_load_version(subject, n, p) for n, p in numbered]


def _check_subject_name(subject: str) -> None:
    if not _SUBJECT.match(subject) or ".." in subject:
        raise RegistryError(
            f"subject {subject!r} is not a valid subject name: use letters, digits, '_', '-' "
            "and '.', not starting with '.' (a subject is a folder inside the registry)"
        )


def _has_versions(directory: Path) -> bool:
    return any(_VERSION_FILE.match(p.name) for p in directory.iterdir())


def _load_version(subject: str, number: int, path: Path) -> SchemaVersion:
    doc = read_schema_json(path)
    return SchemaVersion(subject, number, path, doc, parse_schema(doc, source=str(path)))
