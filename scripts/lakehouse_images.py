"""The lakehouse images: the Debian base, the four builds, their sizes (used by lakehouse.py).

Where the Dockerfiles' base image cannot be pulled (no registry reachable, as on our build
machines), it is made with debootstrap and slimmed the way Debian's official -slim images
are: no docs, man pages or locales, no apt lists or caches, and dpkg told to keep it so.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from lakehouse_engine import ROOT, Engine, step

BASE = "docker.io/library/debian:bookworm-slim"
IMAGES = {
    "localhost/avrolake-spark:0.1.0": ("docker/Dockerfile", "spark"),
    "localhost/avrolake-airflow:0.1.0": ("docker/Dockerfile", "airflow"),
    "localhost/avrolake-s3-dev:0.1.0": ("docker/dev/s3.Dockerfile", None),
    "localhost/avrolake-postgres-dev:0.1.0": ("docker/dev/postgres.Dockerfile", None),
}
# What dpkg leaves out of every later install in the base (as in Debian's official -slim).
DPKG_EXCLUDES = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""
CLEAN = '{ "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };'
APT_CLEAN = (f"DPkg::Post-Invoke {CLEAN}\nAPT::Update::Post-Invoke {CLEAN}\n"
             'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')  # fmt: skip
SLIM_RM = ["usr/share/man", "usr/share/info", "usr/share/groff", "usr/share/lintian",
           "usr/share/linda", "usr/share/locale", "var/lib/apt/lists", "var/cache/apt",
           "var/log", "var/cache/debconf"]  # fmt: skip


def base_image(engine: Engine) -> None:
    if engine.image_exists(BASE):
        step(f"base image {BASE} present")
        return
    if engine.call(["pull", BASE], quiet=True).returncode == 0:
        step(f"base image {BASE} pulled")
        return
    step(f"{BASE} cannot be pulled: debootstrap bookworm (minbase, slimmed) -> import")
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / "rootfs"
        engine.check(["debootstrap", "--variant=minbase", "bookworm", str(rootfs),
                      "http://deb.debian.org/debian"], tool=True)  # fmt: skip
        slim(rootfs)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        engine.check(["import", "-", BASE], stdin=tar.stdout)
        tar.wait()


def slim(rootfs: Path) -> None:
    (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text(DPKG_EXCLUDES)
    (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text(APT_CLEAN)
    for rel in SLIM_RM:
        subprocess.run(["rm", "-rf", str(rootfs / rel)], check=True)
        (rootfs / rel).mkdir(parents=True, exist_ok=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir()
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
    doc = rootfs / "usr/share/doc"
    subprocess.run(
        ["find", str(doc), "-type", "f", "!", "-name", "copyright", "-delete"], check=True
    )


def build_images(engine: Engine, ca_bundle: Path) -> None:
    """Build the four images, then drop the build stages they leave behind (dangling), unless
    AVROLAKE_KEEP_BUILD_STAGES=1 keeps them as a layer cache for the next build."""
    secret = ["--secret", f"id=ca_bundle,src={ca_bundle}"] if ca_bundle.is_file() else []
    for name, (dockerfile, target) in IMAGES.items():
        step(f"{engine.name} build {name}")
        cmd = ["build", *engine.build_flags, *secret, "-f", dockerfile, "-t", name,
               *(["--target", target] if target else []), "."]  # fmt: skip
        if engine.call(cmd).returncode != 0:
            raise SystemExit(f"failed: {engine.name} {' '.join(cmd)}")
    if os.environ.get("AVROLAKE_KEEP_BUILD_STAGES") != "1":
        engine.call(["image", "prune", "-f"], quiet=True)


def print_sizes(engine: Engine) -> dict[str, int]:
    step("image sizes")
    sizes = {}
    for name in IMAGES:
        out = engine.check(["image", "inspect", name, "--format", "{{.Size}}"]).stdout.strip()
        sizes[name] = int(out)
        print(f"   {name:<40} {int(out) / 1e6:>6.0f} MB")
    return sizes


__all__ = ["BASE", "IMAGES", "ROOT", "base_image", "build_images", "print_sizes"]
