"""Apache Avro Java as a test oracle: `tests/oracle/AvroOracle.java`, compiled once per source.

The helper is compiled with the JDK's `javac` against the Avro and Jackson jars in the pyspark
wheel, into a cache keyed by the source's hash (`.cache/avro-oracle/<hash>/`, ignored by git).
One JVM answers many jobs: every file read with a reader schema, every compatibility check.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyspark

SOURCE = Path(__file__).resolve().parents[1] / "oracle" / "AvroOracle.java"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "avro-oracle"
JARS = ("avro-1", "jackson-core-", "jackson-databind-", "jackson-annotations-", "slf4j-api-")


class OracleUnavailable(Exception):
    pass


def classpath() -> list[str]:
    jars = Path(pyspark.__file__).parent / "jars"
    found = [str(j) for prefix in JARS for j in sorted(jars.glob(f"{prefix}*.jar"))]
    if len(found) < len(JARS):
        raise OracleUnavailable(f"the Avro/Jackson jars are not all in {jars}")
    return found


def compiled() -> Path:
    """The folder of AvroOracle.class, compiling it once per source hash."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = CACHE / digest
    if (target / "AvroOracle.class").exists():
        return target
    javac = shutil.which("javac")
    if javac is None:
        raise OracleUnavailable("no javac: install a JDK (scripts/bootstrap.sh does)")
    building = CACHE / f"{digest}.tmp"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    subprocess.run(
        [javac, "-nowarn", "-d", str(building), "-cp", ":".join(classpath()), str(SOURCE)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


class Oracle:
    """Collects jobs, runs them in one JVM (`start`), and hands the answers back by id."""

    def __init__(self, folder: Path) -> None:
        self.jobs = folder / "jobs.jsonl"
        self.answers = folder / "answers.jsonl"
        self.lines: list[str] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.results: dict[str, Any] = {}

    def read(self, job_id: str, reader: Any, file: Path) -> None:
        self._add({"id": job_id, "op": "read", "reader": reader, "file": str(file)})

    def compat(self, job_id: str, reader: Any, writer: Any) -> None:
        self._add({"id": job_id, "op": "compat", "reader": reader, "writer": writer})

    def _add(self, job: dict[str, Any]) -> None:
        self.lines.append(json.dumps(job))

    def start(self) -> None:
        """Launch the JVM in the background: the caller lands tables meanwhile."""
        self.jobs.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        classes = str(compiled())
        java = shutil.which("java") or "java"
        with self.answers.open("wb") as out:
            self.process = subprocess.Popen(
                [java, "-Xss16m", "-cp", ":".join([classes, *classpath()]), "AvroOracle",
                 str(self.jobs)],
                stdout=out, stderr=subprocess.PIPE,
            )  # fmt: skip

    def result(self, job_id: str) -> Any:
        if self.process is not None:
            _, err = self.process.communicate(timeout=600)
            if self.process.returncode != 0:
                raise OracleUnavailable(f"AvroOracle failed: {err.decode(errors='replace')}")
            self.process = None
            for line in self.answers.read_text(encoding="utf-8").splitlines():
                answer = json.loads(line)
                self.results[answer["id"]] = answer
        return self.results[job_id]
