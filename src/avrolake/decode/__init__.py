"""Decoding: one Avro file, its writer schema resolved to the reader schema, as Arrow."""

from avrolake.decode.arrow_types import arrow_schema, arrow_type
from avrolake.decode.avro_file import AvroFile, ReaderPlan, decode_together, reader_plan
from avrolake.schema import member_name

__all__ = [
    "AvroFile",
    "ReaderPlan",
    "arrow_schema",
    "arrow_type",
    "decode_together",
    "member_name",
    "reader_plan",
]
