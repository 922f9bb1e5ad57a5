"""The deployment as a DAG task sees it when it runs: table.json plus the roots of the run.

The DAG files read the registry (which subjects, their schedules) at parse time, and the
roots only when a task runs: the Airflow Variables `avrolake_raw_root` / `avrolake_lake_root`
(rendered by Jinja; '' when unset), else the worker's `AVROLAKE_RAW_ROOT` /
`AVROLAKE_LAKE_ROOT`, else the local demo's folders (docs/configuration.md#airflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from avrolake.config import DeploymentRoots
from avrolake.registry.deployment import Deployment, stored_deployment


def run_time_roots(
    raw: str, lake: str, environ: Mapping[str, str], fallback: DeploymentRoots
) -> DeploymentRoots:
    """The Variables' roots ('' = unset), else the environment's, else `fallback`'s."""
    env = DeploymentRoots.from_env(environ)
    return DeploymentRoots(
        raw or env.raw or fallback.raw,
        lake or env.lake or fallback.lake,
    )


def demo_roots(demo_dir: str) -> DeploymentRoots:
    """The local demo's roots: <demo>/raw and <demo>/lake."""
    return DeploymentRoots(f"{demo_dir.rstrip('/')}/raw", f"{demo_dir.rstrip('/')}/lake")


def run_time_deployment(registry: Path, subject: str, roots: DeploymentRoots) -> Deployment:
    return stored_deployment(registry, subject).resolve(roots)
