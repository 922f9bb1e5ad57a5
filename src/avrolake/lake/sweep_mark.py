"""The sweep's mark: the greatest source path the ledger holds under a source
(docs/ledger.md#the-sweep). A `new` sweep lists only the keys after it.

Read cheaply: the ledger's files carry `path` statistics in the Delta log (truncated, so a
file's `min` is a prefix of its smallest path, never above it). The greatest such `min`
inside the source is a floor the answer is at or above, and the query reads only the files
whose paths reach above it: the newest runs' appends, not the whole ledger.
"""

from __future__ import annotations

import pyarrow as pa

from avrolake.lake.ledger import Ledger
from avrolake.lake.table import query_arrow


def sweep_mark(ledger: Ledger, source_uri: str) -> str | None:
    """The greatest path the ledger holds below `source_uri` (a folder; None: none yet).

    Paths of every status count (landed, quarantined, duplicate, released): each is a key a
    run has listed. A ledger missing the rows of a run that died after its commit gives a
    lower mark, so a sweep lists more, never less.
    """
    table = ledger.load()
    if table is None:
        return None
    low = source_uri.rstrip("/") + "/"
    high = low[:-1] + "0"  # "0" follows "/": every path below the folder sorts before it
    floor = low
    actions = pa.table(table.get_add_actions(flatten=True))
    if actions.num_rows and "min.path" in actions.column_names:
        inside = [m for m in actions["min.path"].to_pylist() if m is not None and low <= m < high]
        floor = max(inside, default=low)
    rows = query_arrow(
        table, f"SELECT MAX(path) AS m FROM t WHERE path >= {_literal(floor)} "
        f"AND path < {_literal(high)}",
    ).to_pylist()  # fmt: skip
    return rows[0]["m"] if rows and rows[0]["m"] is not None else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
