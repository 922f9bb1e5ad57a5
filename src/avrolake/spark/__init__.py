"""Spark: the session, the ingest tasks (mapInArrow), and the `avrolake` Python data source."""
