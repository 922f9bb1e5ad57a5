"""Imports that pyspark and pyarrow make on a run's critical path for nothing the ingest uses.

Both are measured in bench/results/fixed_cost.md:
- pyspark registers py4j converters for numpy scalars and arrays whose checks import
  `pyspark.testing.utils` on the first call into the JVM that passes an argument. That
  module imports pandas, google.rpc and probes a dozen test packages: about 0.6 CPU-s of the
  driver, every run. `lean_numpy_converters` swaps them for ones with the same answers that
  import nothing.
- pyarrow imports pandas (0.25-0.5 CPU-s) the first time it converts Python objects, only
  to ask whether they are pandas objects. `skip_pandas_probe` lets it ask once, with pandas
  unimportable, in a process that converts no pandas objects; pyarrow then takes Python
  objects as Python objects. An explicit pandas conversion (`Table.to_pandas`) still imports
  pandas and works. Only for processes that run avrolake's code alone: the `avrolake ingest`
  process, and the Python workers of a Spark context the run itself started (SparkRunner:
  its holder owns the context, and stops it when the run ends).
"""

from __future__ import annotations

import sys
from typing import Any


def lean_numpy_converters() -> None:
    """Replace pyspark's numpy scalar and array py4j converters by ones that answer the same
    without importing pyspark.testing.utils (a numpy value exists only once numpy is
    imported)."""
    from py4j import protocol  # type: ignore[import-untyped]
    from pyspark.sql.types import NumpyArrayConverter, NumpyScalarConverter

    class LeanNumpyArrayConverter(NumpyArrayConverter):
        def can_convert(self, obj: Any) -> bool:
            numpy = sys.modules.get("numpy")
            return numpy is not None and isinstance(obj, numpy.ndarray) and obj.ndim == 1

    class LeanNumpyScalarConverter(NumpyScalarConverter):
        def can_convert(self, obj: Any) -> bool:
            numpy = sys.modules.get("numpy")
            return numpy is not None and isinstance(obj, numpy.generic)

    lean = {
        NumpyArrayConverter: LeanNumpyArrayConverter,
        NumpyScalarConverter: LeanNumpyScalarConverter,
    }
    protocol.INPUT_CONVERTER[:] = [
        lean[type(c)]() if type(c) in lean else c for c in protocol.INPUT_CONVERTER
    ]


def skip_pandas_probe() -> None:
    """Have pyarrow note that pandas is absent before its first conversion of Python objects
    (call it before other threads start); nothing when pandas is already imported."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    refuse = _RefusePandas()
    sys.meta_path.insert(0, refuse)  # `import pandas` now fails
    try:
        pa.array([0])  # pyarrow's one probe for pandas, answered "absent"
    finally:
        sys.meta_path.remove(refuse)


class _RefusePandas:
    """A meta path finder under which pandas cannot be imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not imported here", name=name)
