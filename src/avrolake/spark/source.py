"""`spark.read.format("avrolake")`: raw Avro files of mixed writer versions as one DataFrame.

Each file is read with its own writer schema and resolved to the subject's latest reader
schema; rows carry the metadata columns the Delta table has. The path is listed with the
subject's source layout, exactly as `avrolake ingest` lists it (`Registry.source_layout`,
`list_source`): the `layout`/`files` options over table.json's "source" over `hive`. Files
outside the layout are not read (a warning counts them); hidden and in-progress files are
never listed; a layout matching no file of a non-empty path raises LayoutMismatchError when
the read is planned, before any task runs. Input partitions are planned from the listed
files (one per large file, small files grouped).

    from avrolake.spark.source import register
    register(spark)
    df = (spark.read.format("avrolake")
          .option("path", "s3://raw/events").option("registry", "schemas")
          .option("subject", "my_subject").option("mode", "DROPMALFORMED").load())

Options: path (required), registry (default $AVROLAKE_REGISTRY or ./schemas), subject
(default: the registry's only subject), layout and files (default: the subject's table.json
"source"; what `avrolake ingest --layout/--files` take), mode, batchSize. mode FAILFAST
(default) stops on an unreadable file; DROPMALFORMED skips it with a warning (the ingest job
quarantines instead). The read has no time range: every file of the layout under the path.

Like the CLI, this is an entry point: S3 settings come from the driver's standard AWS_*
variables, read once when the read is planned, and travel to the tasks with the plan.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

from avrolake.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_TASK_BYTES,
    DEFAULT_READ_PARALLELISM,
    Backfill,
    registry_from_env,
)
from avrolake.decode import AvroFile, ReaderPlan, reader_plan
from avrolake.errors import QuarantineError
from avrolake.ingest import SourceFile, list_source, log_outside, plan_groups
from avrolake.ingest.worker import with_metadata
from avrolake.lake import METADATA_FIELDS
from avrolake.registry import Registry, SourceLayout
from avrolake.spark.session import use_worker_python
from avrolake.storage import PROBLEMS, S3Options, resolve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilesPartition(InputPartition):
    files: tuple[SourceFile, ...]


class AvrolakeDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "avrolake"

    def _subject(self) -> tuple[Registry, str]:
        option = self.options.get("registry")
        registry = Registry(Path(option) if option else registry_from_env(os.environ))
        return registry, registry.resolve_subject(self.options.get("subject"))

    def _plan(self) -> ReaderPlan:
        registry, subject = self._subject()
        batch_size = int(self.options.get("batchsize", DEFAULT_BATCH_SIZE))
        return reader_plan(registry, subject, batch_size)

    def schema(self) -> Any:
        from pyspark.sql.pandas.types import from_arrow_schema

        fields = [*self._plan().data_schema, *METADATA_FIELDS]
        return from_arrow_schema(pa.schema(fields))

    def reader(self, schema: Any) -> DataSourceReader:
        if "path" not in self.options:
            raise ValueError(
                'the avrolake source needs .option("path", "s3://bucket/prefix or a dir")'
            )
        registry, subject = self._subject()
        # the layout `avrolake ingest` lists with: the options (its --layout/--files) over
        # the subject's table.json "source", over the hive preset
        layout = registry.source_layout(
            subject, self.options.get("layout"), self.options.get("files")
        )
        return AvrolakeReader(
            self._plan(),
            self.options["path"],
            self.options.get("mode", "FAILFAST").upper(),
            S3Options.from_env(os.environ),
            layout,
        )


class AvrolakeReader(DataSourceReader):
    def __init__(
        self, plan: ReaderPlan, path: str, mode: str, s3: S3Options, layout: SourceLayout
    ) -> None:
        if mode not in ("FAILFAST", "DROPMALFORMED"):
            raise ValueError(f"mode must be FAILFAST or DROPMALFORMED, not {mode!r}")
        self.plan, self.path, self.mode, self.s3 = plan, path, mode, s3
        self.layout = layout
        self.read_at = dt.datetime.now(dt.UTC)

    def partitions(self) -> list[FilesPartition]:
        """Planned on the driver: a layout matching no file of a non-empty prefix raises
        LayoutMismatchError here, before any task runs."""
        listing = list_source(resolve(self.path, self.s3), Backfill(), self.layout)
        log_outside(listing.outside, self.layout)
        # whole files: DROPMALFORMED skips a bad file, never part of one
        groups = plan_groups(
            listing.files, DEFAULT_READ_PARALLELISM, DEFAULT_MAX_TASK_BYTES, split=False
        )
        return [FilesPartition(tuple(g)) for g in groups]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        assert isinstance(partition, FilesPartition)
        fs = resolve(self.path, self.s3).fs
        for source in partition.files:
            try:
                if source.problem is not None:  # listed, never opened (docs/table.md)
                    raise QuarantineError(source.problem, PROBLEMS[source.problem])
                with fs.open_input_file(source.path) as stream:
                    avro = AvroFile(stream, self.plan)
                    for table in avro.tables():
                        meta = with_metadata(table, avro, source, "", self.read_at)
                        yield from meta.to_batches()
            except QuarantineError as exc:
                if self.mode == "FAILFAST":
                    raise ValueError(
                        f"{source.uri}: {exc} (use mode DROPMALFORMED to skip it)"
                    ) from exc
                log.warning("skipping %s: %s", source.uri, exc)


def register(spark: Any) -> None:
    """Make `spark.read.format("avrolake")` available in this session.

    Its Python workers run the interpreter that has avrolake, this one (`sys.executable`),
    unless the user chose one (PYSPARK_PYTHON or spark.pyspark.python): Spark's own default,
    `python3` from PATH, lacks avrolake when the venv is not activated.
    """
    use_worker_python(spark, os.environ, sys.executable)
    spark.dataSource.register(AvrolakeDataSource)
