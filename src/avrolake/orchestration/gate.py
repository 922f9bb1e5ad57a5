"""The schema gate: the registry must hold its compatibility levels before any Spark work."""

from __future__ import annotations

from pathlib import Path

from avrolake.errors import SchemaGateError
from avrolake.registry import Registry


def schema_gate(registry_dir: Path, subject: str | None = None) -> str:
    """Check the registry; return a one-line verdict, or raise naming every violation."""
    registry = Registry(registry_dir)
    subjects = [registry.resolve_subject(subject)] if subject else registry.require_subjects()
    problems = registry.gate(subject)
    if problems:
        raise SchemaGateError(
            f"schema registry {registry_dir} breaks its compatibility level; fix or remove the "
            "offending version before ingesting:\n  " + "\n  ".join(problems)
        )
    latest = ", ".join(f"{s} v{registry.latest(s).version}" for s in subjects)
    return f"registry ok: {latest}"
