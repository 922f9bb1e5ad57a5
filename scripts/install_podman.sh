#!/usr/bin/env bash
# Installs what `make lakehouse-up` and `make lakehouse-test` need on a Debian machine where no
# Docker daemon answers: podman with runc, debootstrap for the local base image, and the
# containers.conf podman needs here. Exits 3 (and changes nothing) when it cannot.
set -euo pipefail
if [ -z "${AVROLAKE_ENGINE:-}" ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    docker --version
    exit 0
fi
if [ "${AVROLAKE_ENGINE:-podman}" = "docker" ]; then
    echo "install_podman: AVROLAKE_ENGINE=docker, but no Docker daemon answers" >&2
    exit 3
fi
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
