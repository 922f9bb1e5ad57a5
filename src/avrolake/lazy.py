"""Package exports imported on first use (PEP 562), so that importing one module of a
package does not import all of it.

A Spark worker unpickles its task, which imports `avrolake.ingest.worker`; Python runs
`avrolake/ingest/__init__.py` first, and an `__init__` that imported what it re-exports
would load the whole job (the planner, migrate, delta-rs) into every worker, about
0.1 CPU-s each for nothing it runs (bench/results/fixed_cost.md).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's `__getattr__` and `__dir__` for `package`: the first imports, on first use,
    the submodule (`modules`' key, relative to the package) that defines each name listed
    under it; the second lists those names with the module's own (tab completion, `dir`)."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
