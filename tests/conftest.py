"""Fixtures shared by every tier."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.fixtures.s3", "tests.fixtures.lake", "tests.fixtures.cluster"]

# Tests write their source files moments before they ingest them: no settle time for the CLI,
# the DAGs and spark-submit (they read it from the environment). Tests of the settle time
# itself pass --settle-seconds / settle_seconds explicitly.
os.environ["AVROLAKE_SETTLE_SECONDS"] = "0"

ROOT = Path(__file__).resolve().parent.parent
# The repository's registry: two deployed subjects, log_event and orders (docs/registry.md).
REPO_REGISTRY = ROOT / "schemas"


def _log_event_registry() -> Path:
    """A registry holding the shipped log_event subject alone (a link to schemas/log_event):
    the tests written for it rely on it being the registry's only subject."""
    root = Path(tempfile.mkdtemp(prefix="avrolake-log-event-registry-"))
    (root / "log_event").symlink_to(REPO_REGISTRY / "log_event", target_is_directory=True)
    return root


SHIPPED_REGISTRY = _log_event_registry()
# ...and the default of every command that takes --registry, in this process and in the
# processes tests start (spark-submit, airflow), unless a test names another.
os.environ["AVROLAKE_REGISTRY"] = str(SHIPPED_REGISTRY)


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped registry."""
    target = tmp_path / "schemas"
    shutil.copytree(SHIPPED_REGISTRY, target)
    return target


def v3_without_service_alias() -> dict[str, Any]:
    """v3 with the alias that lets service_name read v1/v2's `service` removed."""
    doc = json.loads((SHIPPED_REGISTRY / "log_event" / "v3.avsc").read_text())
    for field in doc["fields"]:
        field.pop("aliases", None)
    return doc  # type: ignore[no-any-return]
