"""Rewrite jars in place without the native libraries of platforms the images never run on.

    python3 slim_native_jars.py JAR [JAR ...]

zstd-jni, snappy-java and lz4-java each carry a native library for a dozen operating systems
and CPUs (macOS, Windows, FreeBSD, AIX, s390x, riscv64, ...). The images are Linux on x86_64
or aarch64: the libraries for those two stay, every other one goes (about 8 MB of jars), and
the classes and metadata are copied as they are. A jar without such libraries is left alone.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

NATIVE = re.compile(r"\.(so|dylib|dll|a|jnilib)$")
# e.g. linux/amd64/libzstd-jni.so, org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so
KEPT_PLATFORM = re.compile(r"(^|/)linux/(amd64|x86_64|aarch64)/[^/]+$", re.IGNORECASE)


def kept(name: str) -> bool:
    return not NATIVE.search(name) or KEPT_PLATFORM.search(name) is not None


def slim(jar: Path) -> int:
    """Rewrite `jar` without the natives of other platforms; the bytes saved."""
    with zipfile.ZipFile(jar) as src:
        if all(kept(info.filename) for info in src.infolist()):
            return 0
        tmp = jar.with_suffix(".slim")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                if kept(info.filename):
                    out.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    before = jar.stat().st_size
    tmp.replace(jar)
    return before - jar.stat().st_size


def main(jars: list[str]) -> int:
    for jar in jars:
        saved = slim(Path(jar))
        sys.stdout.write(f"{jar}: {saved / 1e6:.1f} MB of other platforms' natives removed\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
