"""Package exports imported on first use (PEP 562), so that importing one module of a
package does not import all of it.

A Spark worker unpickles its task, which imports `avrolake.ingest.worker`; Python runs
`avrolake/ingest/__init__.py` first, and an `__init__` that imported what it re-exports
would load the whole job (the planner, migrate, delta-rs) into every worker, about
0.1 CPU-s each for nothing it runs (bench/results/fixed_cost.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that imports, on first use, the submodule
    (`modules`' key, relative to the package) that defines each name listed under it."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
