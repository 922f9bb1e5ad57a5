"""What a run does not pay for: pyspark compiled again from its zip in every Python worker,
and pandas imported by pyarrow only to ask whether Python objects are pandas objects
(avrolake.spark.daemon, avrolake.spark.lean; bench/results/fixed_cost.md)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from avrolake.spark.daemon import prefer_installed

pytestmark = pytest.mark.unit

VERSION = '__version__: str = "9.9.0"\n'


def installed(site: Path, package: str, version: str) -> None:
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    (site / package / "version.py").write_text(version)


def zipped(path: Path, package: str, version: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/version.py", version)
    return str(path)


def test_a_zip_of_the_installed_version_goes_last_and_any_other_entry_stays(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site-packages"
    installed(site, "pyspark", VERSION)
    installed(site, "py4j", '__version__ = "0.10.9.9"\n')
    same = zipped(tmp_path / "lib" / "pyspark.zip", "pyspark", VERSION)
    other = zipped(tmp_path / "lib" / "py4j-0.10.9.8-src.zip", "py4j", '__version__ = "0.10.9.8"\n')
    gone = str(tmp_path / "nowhere" / "pyspark.zip")
    path = [str(tmp_path), same, other, gone, str(site)]

    assert prefer_installed(path) == [str(tmp_path), other, gone, str(site), same]


def test_a_zip_stays_first_when_its_package_is_not_installed_elsewhere(tmp_path: Path) -> None:
    spark_zip = zipped(tmp_path / "lib" / "pyspark.zip", "pyspark", VERSION)
    path = [spark_zip, str(tmp_path / "empty-site")]

    assert prefer_installed(path) == path


def test_a_zip_of_another_version_stays_first(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    installed(site, "pyspark", '__version__: str = "4.1.0"\n')
    spark_zip = zipped(tmp_path / "lib" / "pyspark.zip", "pyspark", VERSION)

    assert prefer_installed([spark_zip, str(site)]) == [spark_zip, str(site)]


def test_the_venvs_own_zips_go_last() -> None:
    """The pip-installed pyspark ships the zips Spark puts on its workers' path; both hold
    the installed versions."""
    import pyspark

    lib = Path(pyspark.__file__).parent / "python" / "lib"
    zips = [str(lib / "pyspark.zip"), *map(str, sorted(lib.glob("py4j-*-src.zip")))]
    assert len(zips) == 2
    site = [p for p in sys.path if p.endswith("site-packages")]

    assert prefer_installed([*zips, *site]) == [*site, *zips]


PROBE = """
import sys
{before}
from avrolake.spark.lean import skip_pandas_probe
skip_pandas_probe()
import pyarrow as pa
table = pa.Table.from_pylist([{{"a": 1}}])
print("pandas imported:", "pandas" in sys.modules)
frame = table.to_pandas()
print("to_pandas:", list(frame["a"]), "pandas imported:", "pandas" in sys.modules)
import pandas as pd
print(pa.Array.from_pandas(pd.Series(pd.Categorical(["x", "y"]))).type)
"""


def run_python(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_pyarrow_converts_python_objects_without_importing_pandas_and_to_pandas_still_works() -> (
    None
):
    assert run_python(PROBE.format(before="")) == [
        "pandas imported: False",
        "to_pandas: [1] pandas imported: True",
        "dictionary<values=string, indices=int8, ordered=0>",
    ]


def test_the_probe_is_left_alone_once_pandas_is_imported() -> None:
    assert run_python(PROBE.format(before="import pandas")) == [
        "pandas imported: True",
        "to_pandas: [1] pandas imported: True",
        "dictionary<values=string, indices=int8, ordered=0>",
    ]
