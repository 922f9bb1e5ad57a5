"""Fetch the jars pinned in jars.lock into the project-local cache .jars/<group>/, checking
each file's sha256. A jar already there with the right sum is kept: after the first run, no
network is needed. A download with a wrong sum is deleted and fails the run.

    python3 scripts/fetch_jars.py                 # the `delta` group (make setup)
    python3 scripts/fetch_jars.py --group s3a     # the cluster's s3a:// jars (690 MB)

Stdlib only: it runs before the virtual environment exists. AVROLAKE_MAVEN_REPO overrides
the repository (default Maven Central), e.g. a company mirror.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "jars.lock"
CACHE = ROOT / ".jars"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


@dataclass(frozen=True)
class Jar:
    group: str
    coordinate: str  # groupId:artifactId:version
    sha256: str

    @property
    def file_name(self) -> str:
        _, artifact, version = self.coordinate.split(":")
        return f"{artifact}-{version}.jar"

    def url(self, repository: str) -> str:
        group_id, artifact, version = self.coordinate.split(":")
        path = f"{group_id.replace('.', '/')}/{artifact}/{version}/{self.file_name}"
        return f"{repository.rstrip('/')}/{path}"


def read_lock(lock: Path = LOCK) -> list[Jar]:
    jars = []
    for line in lock.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            group, coordinate, sha256 = line.split()
            jars.append(Jar(group, coordinate, sha256.lower()))
    return jars


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(jar: Jar, cache: Path, repository: str) -> str:
    """'kept' or 'fetched'; raises SystemExit on a sum that does not match."""
    target = cache / jar.group / jar.file_name
    if target.is_file() and sha256_of(target) == jar.sha256:
        return "kept"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with (
        urllib.request.urlopen(jar.url(repository), timeout=120) as response,
        partial.open("wb") as out,
    ):
        shutil.copyfileobj(response, out, 1 << 20)
    actual = sha256_of(partial)
    if actual != jar.sha256:
        partial.unlink()
        raise SystemExit(
            f"fetch_jars: {jar.coordinate}: sha256 {actual} != {jar.sha256} pinned in jars.lock"
        )
    partial.replace(target)
    return "fetched"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", action="append", help="lock group(s) (default: delta)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    groups = set(args.group or ["delta"])
    repository = os.environ.get("AVROLAKE_MAVEN_REPO") or MAVEN_CENTRAL
    wanted = [j for j in read_lock() if j.group in groups]
    if not wanted:
        raise SystemExit(f"fetch_jars: no jars in groups {sorted(groups)} in {LOCK}")
    for jar in wanted:
        outcome = fetch(jar, args.cache, repository)
        print(f"fetch_jars: {outcome} {jar.coordinate} -> .jars/{jar.group}/{jar.file_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
