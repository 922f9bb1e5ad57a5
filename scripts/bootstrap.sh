#!/usr/bin/env bash
# Installs what `make demo` and `make test` need on a fresh machine:
# Java 17+ (Spark's JVM), uv (pinned), and the project's locked virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8

have_java() {
    command -v java >/dev/null 2>&1 || return 1
    local major
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    [ -n "$major" ] && [ "$major" -ge 17 ]
}

# The JDK, not only the JRE: tests compile the Avro Java oracle (tests/oracle/) with javac.
if ! have_java || ! command -v javac >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Java 17 (openjdk-17-jdk-headless) with apt-get" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
    else
        echo "bootstrap: a Java 17+ JDK is required (Spark runs on the JVM; tests use javac)." >&2
        echo "  Install it (e.g. 'sudo apt-get install openjdk-17-jdk-headless') and re-run." >&2
        exit 1
    fi
fi

uv_version() { "$@" --version 2>/dev/null | cut -d' ' -f2; }
if [ "$(uv_version uv)" = "$UV_VERSION" ]; then
    UV=(uv)
else
    UV=(python3 -m uv)
    if [ "$(uv_version "${UV[@]}")" != "$UV_VERSION" ]; then
        echo "bootstrap: installing uv $UV_VERSION with pip" >&2
        python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    fi
fi

# Never download a Python: use the machine's 3.11, and only the versions in uv.lock.
export UV_PYTHON_DOWNLOADS=never
# --compile-bytecode: every Spark task and CLI call starts Python processes that import
# pyspark, pyarrow and avrolake; without .pyc files (PYTHONDONTWRITEBYTECODE=1, read-only
# installs) each one compiles them again (bench/speed.py measures the whole job).
"${UV[@]}" sync --frozen --all-extras --python 3.11 --compile-bytecode
# The project itself is an editable install (not compiled by uv): stale .pyc files are
# simply recompiled on import, so this is safe while editing.
.venv/bin/python -m compileall -q src
# The Delta jars Spark sessions load (jars.lock, sha256-checked) into .jars/: fetched once,
# verified and kept afterwards, so runs and tests need no network.
python3 scripts/fetch_jars.py
# The driver JVM's class-data-sharing archive (.jars/cds/, built once, kept afterwards): the
# sessions avrolake starts map Spark's classes from it instead of loading them again, about
# a third of the driver's start CPU (bench/results/fixed_cost.md). Without it they start as
# before.
.venv/bin/python scripts/build_cds.py 2>/dev/null \
    || echo "bootstrap: no class-data-sharing archive; Spark sessions start without one" >&2
