#!/usr/bin/env bash
# Installs what `make lakehouse-test` needs on a Debian machine: podman with runc, and
# debootstrap for the local base image. Exits 3 (and changes nothing) when it cannot.
set -euo pipefail
if command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null; then
    :
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "install_podman: apt-get install podman runc debootstrap" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
else
    echo "install_podman: podman, runc and debootstrap are missing and cannot be installed here" >&2
    exit 3
fi
# No Docker daemon here: podman with runc, and no default ulimits (the sandbox refuses them).
conf=/etc/containers/containers.conf
if [ "$(id -u)" = "0" ] && ! grep -qs 'runtime = "runc"' "$conf"; then
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$conf"
fi
podman --version
