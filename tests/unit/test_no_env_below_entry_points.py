"""Architecture rules checked on the source text.

Only entry points read the environment (the CLI, the `avrolake` Spark data source and the
Airflow plugin); the
library below them takes every setting as an argument. And the library knows no subject by
name: only the demo generator may mention the demo subject.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from avrolake.spark.session import LAUNCHER_JAVA_OPTIONS, spark_environment
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "src" / "avrolake"
# relative to the package; the Airflow plugin is loaded by Airflow's API server, like a CLI;
# Spark starts the Python daemon of a local master as a `python -m` process
ENTRY_POINTS = (
    "cli/",
    "spark/source.py",
    "spark/daemon.py",
    "orchestration/airflow_plugin.py",
)
ENV_NAMES = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
MUTATORS = frozenset({"setdefault", "update", "pop", "popitem", "clear", "__setitem__"})


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def below_entry_points() -> list[Path]:
    return [p for p in modules() if not relative(p).startswith(ENTRY_POINTS)]


def environment_reads(source: str) -> list[int]:
    """The lines where a module reaches the process environment through `os`."""
    tree = ast.parse(source)
    os_names = {"os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ENV_NAMES or a.name == "*" for a in node.names):
                found.append(node.lineno)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ENV_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            found.append(node.lineno)
    return sorted(found)


def reads_in(path: Path) -> list[str]:
    return [f"{relative(path)}:{line}" for line in environment_reads(path.read_text("utf-8"))]


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param("import os\nx = os.environ['A']\n", [2], id="os_environ"),
        pytest.param("import os\nx = os.environ.get('A')\n", [2], id="os_environ_get"),
        pytest.param("import os\nx = os.getenv('A')\n", [2], id="os_getenv"),
        pytest.param("import os as o\nx = o.getenv('A')\n", [2], id="aliased_os"),
        pytest.param("from os import environ\nx = environ.get('A')\n", [1], id="from_os"),
        pytest.param("from os import *\n", [1], id="star_import"),
        pytest.param("import os\nos.putenv('A', 'b')\n", [2], id="os_putenv"),
        pytest.param("def f(environ):\n    return environ.get('A')\n", [], id="a_parameter"),
        pytest.param("import os\nx = os.path.join('a')\n", [], id="os_path"),
    ],
)
def test_scan_finds_every_way_to_reach_the_environment(source: str, lines: list[int]) -> None:
    assert environment_reads(source) == lines


def test_scan_finds_the_environment_reads_of_the_entry_points() -> None:
    """The scan is not blind: the data source's reads of os.environ (registry, S3, the
    workers' Python) are found."""
    assert len(reads_in(PACKAGE / "spark" / "source.py")) == 3
    assert reads_in(PACKAGE / "cli" / "ingest.py") != []


def test_below_the_entry_points_no_module_reads_the_environment() -> None:
    assert [read for path in below_entry_points() for read in reads_in(path)] == []


def test_spark_session_module_does_not_import_os() -> None:
    tree = ast.parse((PACKAGE / "spark" / "session.py").read_text(encoding="utf-8"))
    imported = [
        a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
        if a.name == "os" or (isinstance(node, ast.ImportFrom) and node.module == "os")
    ]
    assert imported == []


def test_spark_session_only_writes_into_a_mapping_it_is_given() -> None:
    """Every mutation in spark/session.py is of a parameter of the function doing it."""
    tree = ast.parse((PACKAGE / "spark" / "session.py").read_text(encoding="utf-8"))
    writes: list[tuple[str, str, bool]] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        params = {a.arg for a in [*function.args.args, *function.args.kwonlyargs]}
        for node in ast.walk(function):
            target: ast.expr | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in MUTATORS:
                    target = node.func.value
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                target = node.value
            if isinstance(target, ast.Name):
                writes.append((function.name, target.id, target.id in params))
            elif target is not None:
                writes.append((function.name, ast.unparse(target), False))
    assert writes != []
    assert [w for w in writes if not w[2]] == []


def test_spark_environment_fills_only_the_mapping_passed_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "PYSPARK_PYTHON",
        "PYSPARK_DRIVER_PYTHON",
        "SPARK_LOCAL_IP",
        "SPARK_LAUNCHER_OPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    environ = {"PYSPARK_PYTHON": "/already/set"}
    spark_environment(environ, "local[2]", "/venv/bin/python")
    assert environ == {
        "PYSPARK_PYTHON": "/already/set",
        "PYSPARK_DRIVER_PYTHON": "/venv/bin/python",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LAUNCHER_OPTS": LAUNCHER_JAVA_OPTIONS,
    }
    assert dict(os.environ) == before


def test_spark_environment_binds_no_local_ip_for_a_cluster_master() -> None:
    environ: dict[str, str] = {}
    spark_environment(environ, "spark://master:7077", "/venv/bin/python")
    assert environ == {
        "PYSPARK_PYTHON": "/venv/bin/python",
        "PYSPARK_DRIVER_PYTHON": "/venv/bin/python",
        "SPARK_LAUNCHER_OPTS": LAUNCHER_JAVA_OPTIONS,
    }


def test_spark_environment_under_spark_submit_leaves_the_launcher_alone() -> None:
    environ: dict[str, str] = {}
    spark_environment(environ, None, "/venv/bin/python")
    assert "SPARK_LAUNCHER_OPTS" not in environ


# -- the demo subject -------------------------------------------------------------------------

DEMO_SUBJECT = "log_event"
SUBJECT_FREE = ("src", "jobs", "dags")
DEMO_ONLY = ROOT / "src" / "avrolake" / "generate"


def subject_free_files() -> list[Path]:
    files = []
    for top in SUBJECT_FREE:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.is_relative_to(DEMO_ONLY):
                continue
            files.append(path)
    return files


def test_the_scan_covers_jobs_and_dags() -> None:
    scanned = {p.relative_to(ROOT).parts[0] for p in subject_free_files()}
    assert scanned == {"src", "jobs", "dags"}


def test_only_the_generator_names_the_demo_subject() -> None:
    mentions = [
        p.relative_to(ROOT).as_posix()
        for p in subject_free_files()
        if DEMO_SUBJECT.encode() in p.read_bytes()
    ]
    assert mentions == []
