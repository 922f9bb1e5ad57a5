#!/usr/bin/env bash
# Installs what the browser tier (pytest -m browser) needs on a Debian machine: headless
# Chromium from Debian's own package, and a font. Exits 3 (and changes nothing) when it cannot;
# the tier then skips with the reason, so .ci/run calls this before `make test`.
set -euo pipefail
if command -v chromium >/dev/null; then
    :
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "install_chromium: apt-get install chromium fonts-dejavu-core" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
    echo "install_chromium: chromium is missing and cannot be installed here (not root, or no apt-get)" >&2
    exit 3
fi
chromium --version
