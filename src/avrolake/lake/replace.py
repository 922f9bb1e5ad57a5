"""Replacing the rows of a source file that changed after it landed (docs/ledger.md).

The ledger records which data files hold each landed source's rows. When those files hold
that source's rows only (a large source has files of its own) and are all still in the
table, the run's one commit removes them and adds the new ones: readers see the old rows or
the new, never both or neither. When they do not (small sources share files, and compaction
or `migrate` rewrites files together), the source's rows are first deleted by predicate in
a commit of their own, which rewrites the shared files without them; if the run dies before
its commit, the next run finds the file changed again and lands it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.lake.columns import SOURCE_FILE
from avrolake.lake.ledger import LedgerEntry

log = logging.getLogger(__name__)


def old_files_of(
    table: DeltaTable,
    replacing: Mapping[str, LedgerEntry],
    holders: Mapping[str, int],
) -> dict[str, list[str]]:
    """{source: its data files to remove in the run's commit}, deleting by predicate first
    for sources whose recorded files are gone from the table or shared with other sources
    (`holders`: how many sources landed now hold rows in each of their files, from
    `Ledger.holders`).

    A source that changed after it landed has its old rows removed whatever it became:
    landed again, quarantined, or a duplicate of another file (docs/ledger.md)."""
    if not replacing:
        return {}
    live = set(pa.table(table.get_add_actions(flatten=False)).column("path").to_pylist())
    removes: dict[str, list[str]] = {}
    for source, entry in sorted(replacing.items()):
        files = list(entry.data_files)
        if all(f in live and holders.get(f, 0) <= 1 for f in files):
            removes[source] = files
            continue
        quoted = source.replace("'", "''")
        log.warning(
            "%s changed after it landed and its rows share data files with other sources; "
            "deleting them by predicate before the run's commit",
            source,
        )
        table.delete(predicate=f"\"{SOURCE_FILE}\" = '{quoted}'")
        removes[source] = []
    if any(not files for files in removes.values()):
        table.update_incremental()
    return removes
