"""Decoding: one Avro file, its writer schema resolved to the reader schema, as Arrow."""

from avrolake.decode.arrow_types import arrow_schema, arrow_type
from avrolake.decode.avro_file import AvroFile, ReaderPlan, reader_plan
from avrolake.schema import member_name

__all__ = [
    "AvroFile",
    "ReaderPlan",
    "arrow_schema",
    "arrow_type",
    "member_name",
    "reader_plan",
]
