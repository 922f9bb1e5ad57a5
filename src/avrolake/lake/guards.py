"""Checks before anything is written: each of a run's three tables is where it should be.

A run writes three Delta tables (docs/table.md): the main table, its quarantine table and its
source ledger. Each must be a table of its own, of its own role, and a table avrolake creates
goes into an empty or new folder, never beside a user's files. The role of an existing table
is read from its columns, which each role has had since its first version.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
from deltalake import DeltaTable
from pyarrow import fs as pafs

from avrolake.errors import ConfigError
from avrolake.lake.table import TableRef
from avrolake.storage import Location, resolve

TableRole = Literal["main", "quarantine", "ledger"]
# Columns only a table of that role holds (docs/table.md, docs/ledger.md).
ROLE_MARKERS: dict[TableRole, frozenset[str]] = {
    "main": frozenset({"_source_file", "_run_id", "_writer_schema_fingerprint"}),
    "quarantine": frozenset({"error_kind", "quarantined_at"}),
    "ledger": frozenset({"status", "seq", "recorded_at"}),
}
_FLAG: dict[TableRole, str] = {
    "main": "--table",
    "quarantine": "--quarantine-table",
    "ledger": "--table (the ledger is <table>_ledger)",
}


def table_role(table: DeltaTable) -> TableRole | None:
    """The role whose marker columns the table holds (None: not an avrolake table)."""
    names = set(pa.schema(table.schema().to_arrow()).names)
    for role, markers in ROLE_MARKERS.items():
        if markers <= names:
            return role
    return None


def check_targets(ref: TableRef, loaded: DeltaTable | None = None) -> None:
    """Refuse, before any write, a run whose tables collide or sit in the wrong place.

    `loaded`: the main table as the caller loaded it (None: there is none yet, or load it).
    """
    places: dict[TableRole, str] = {
        "main": ref.uri,
        "quarantine": ref.quarantine_uri,
        "ledger": ref.ledger_uri,
    }
    for role in ("main", "ledger"):
        if _normal(ref.quarantine_uri) == _normal(places[role]):
            raise ConfigError(
                f"--quarantine-table {ref.quarantine_uri} is the run's {role} table; the main "
                "table, its quarantine table and its ledger must be three different tables "
                "(the quarantine table defaults to <table>_quarantine). Nothing was written."
            )
    exists: dict[TableRole, bool] = {}
    for role, uri in places.items():
        table = loaded if role == "main" and loaded is not None else _load(ref, uri)
        exists[role] = table is not None
        if table is None:
            _require_empty(resolve(uri, ref.s3), role)
            continue
        found = table_role(table)
        if found != role:
            what = f"avrolake's {found} table" if found else "a Delta table avrolake did not make"
            raise ConfigError(
                f"{_FLAG[role]} {uri} is {what}, not a {role} table; writing the run's {role} "
                "rows there would break it. Point it at a new location. Nothing was written."
            )
    if exists["ledger"] and not exists["main"]:
        # the main table is created before the ledger's first row: it was deleted or moved
        raise ConfigError(
            f"--table {ref.uri} does not exist, but its ledger {ref.ledger_uri} does: the table "
            "was deleted or moved. The ledger counts the files it recorded as done, so a run "
            "now would skip them and a new table would lack their rows. To land every file "
            f"again, delete {ref.ledger_uri} and {ref.quarantine_uri} as well; to keep the "
            "history, restore the table there. Nothing was written."
        )


def _normal(uri: str) -> str:
    """One spelling per place: no trailing slash, no empty or '.' segments."""
    scheme, _, rest = uri.rpartition("://")
    parts = [p for p in rest.split("/") if p not in ("", ".")]
    lead = "/" if rest.startswith("/") else ""
    return f"{scheme}://{lead}{'/'.join(parts)}" if scheme else lead + "/".join(parts)


def _load(ref: TableRef, uri: str) -> DeltaTable | None:
    return TableRef(uri, ref.quarantine_uri, ref.s3).load()


def _require_empty(place: Location, role: TableRole) -> None:
    """A table is created only in a new or empty folder."""
    info = place.fs.get_file_info(place.path)
    if info.type == pafs.FileType.File:
        raise ConfigError(
            f"{_FLAG[role]} {place.uri} is a file, not a folder: a Delta table is a folder. "
            "Choose another location. Nothing was written."
        )
    selector = pafs.FileSelector(place.path, recursive=False, allow_not_found=True)
    entries = sorted(i.base_name for i in place.fs.get_file_info(selector))
    if entries:
        shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        raise ConfigError(
            f"{_FLAG[role]} {place.uri} is a folder holding {count} that are not "
            f"a Delta table ({shown}); avrolake creates a {role} table only in a new or empty "
            "folder, never beside other files. Choose another location. Nothing was written."
        )
