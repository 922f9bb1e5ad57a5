"""A MemoryError while a file is read fails the run (Spark retries the task) and never
quarantines the file: the machine ran out, not the file. Before, it was caught with the
file's own errors and the file was quarantined as `conversion_error` (or `corrupt_data`,
raised from it in the decoder), a good file taken out of the table by memory pressure.

The MemoryError is raised in place of the decoder here (a real one needs a machine out of
memory); the run, the ledger and the table are real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import avrolake.ingest.together as together_module
import avrolake.ingest.worker as worker_module
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro
from tests.unit.one_subject import config

pytestmark = pytest.mark.unit

SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "v", "type": "long"}]}


def out_of_memory(*_: Any) -> Any:
    raise MemoryError


def classified_from_memory(*_: Any) -> Any:
    try:
        raise MemoryError("cannot allocate 1073741824 bytes")
    except MemoryError as exc:
        raise QuarantineError(QuarantineKind.CORRUPT_DATA, "record 3 cannot be decoded") from exc


@pytest.mark.parametrize("decode", [out_of_memory, classified_from_memory])
def test_out_of_memory_fails_the_run_and_the_next_run_lands_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decode: Any
) -> None:
    uri = write_avro(resolve(str(tmp_path / "raw")), "a.avro", SCHEMA, [{"v": 1}, {"v": 2}])
    settings = config(tmp_path, [SCHEMA])
    with monkeypatch.context() as patched:
        patched.setattr(worker_module, "_decode", decode)  # a file read alone
        patched.setattr(together_module, "decode_together", decode)  # small files together
        with pytest.raises(MemoryError) as info:
            run_ingest(settings, SerialRunner())
    assert str(info.value).startswith(f"out of memory while reading {uri} (")
    assert str(info.value).endswith(
        "); the file was not quarantined. Give the run more memory, or lower --split-mb or "
        "--max-block-mb, and run again"
    )
    assert not (tmp_path / "table_quarantine").exists()
    summary = run_ingest(settings, SerialRunner()).as_dict()
    assert (summary["files_ingested"], summary["files_quarantined"]) == (1, 0), summary
    assert sql(str(tmp_path / "table"), "SELECT v FROM t ORDER BY v") == [{"v": 1}, {"v": 2}]
