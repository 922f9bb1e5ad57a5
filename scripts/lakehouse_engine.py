"""Which container engine runs the local lakehouse, and how to call it.

Docker where a Docker daemon answers (`docker compose`), else podman (podman-compose from the
project's venv: Debian's podman 4.3 has no `podman compose`). AVROLAKE_ENGINE=docker|podman
chooses. Both get the same compose files and the same container names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "avrolake"
NETWORK = f"{PROJECT}_default"
EngineName = Literal["docker", "podman"]


def step(text: str) -> None:
    print(f"== {text}", flush=True)


@dataclass(frozen=True)
class Engine:
    name: EngineName
    compose_cmd: tuple[str, ...]
    files: tuple[str, ...]  # compose files, in order

    @property
    def compose(self) -> list[str]:
        return [*self.compose_cmd, "-p", PROJECT, *(a for f in self.files for a in ("-f", f))]

    @property
    def dev_images(self) -> bool:
        return "compose.podman.yaml" in self.files

    @property
    def build_flags(self) -> list[str]:
        return ["--format", "docker", "--pull=never"] if self.name == "podman" else []

    def container(self, service: str) -> str:
        sep = "_" if self.name == "podman" else "-"
        return f"{PROJECT}{sep}{service}{sep}1"

    def call(
        self, args: list[str], quiet: bool = False, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        out = subprocess.DEVNULL if quiet else None
        return subprocess.run([self.name, *args], cwd=ROOT, text=True, stdout=out, stderr=out,
                              check=False, **kwargs)  # fmt: skip

    def check(
        self, args: list[str], tool: bool = False, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run `engine ARGS` (or ARGS itself with tool=True); its output, or SystemExit."""
        cmd = args if tool else [self.name, *args]
        result = subprocess.run(
            cmd, cwd=ROOT, text=True, capture_output=True, check=False, **kwargs
        )
        if result.returncode != 0:
            raise SystemExit(
                f"failed: {' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def image_exists(self, name: str) -> bool:
        return self.call(["image", "inspect", name], quiet=True).returncode == 0


def _docker_works() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    )


def detect() -> Engine:
    wanted = os.environ.get("AVROLAKE_ENGINE", "")
    if wanted == "docker" or (not wanted and _docker_works()):
        name: EngineName = "docker"
        compose: tuple[str, ...] = ("docker", "compose")
    elif shutil.which("podman"):
        name, compose = "podman", (sys.executable, "-m", "podman_compose")
    else:
        raise SystemExit("no container engine: run `sudo bash scripts/install_podman.sh` "
                         "(podman, runc, debootstrap) or install Docker")  # fmt: skip
    probe = Engine(name, compose, ("compose.yaml",))
    return Engine(
        name,
        compose,
        ("compose.yaml", *(("compose.podman.yaml",) if use_dev_images(probe) else ())),
    )


def use_dev_images(engine: Engine) -> bool:
    """The dev S3 and Postgres images (compose.podman.yaml) where the public ones cannot be had.

    AVROLAKE_DEV_IMAGES=1|0 decides; unset, they are used when MinIO's or Postgres's image is
    neither present nor pullable.
    """
    choice = os.environ.get("AVROLAKE_DEV_IMAGES", "auto")
    if choice in ("0", "1"):
        return choice == "1"
    public = [os.environ.get("MINIO_IMAGE", "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z"),
              os.environ.get("POSTGRES_IMAGE", "docker.io/library/postgres:16-bookworm")]  # fmt: skip
    return not all(
        engine.image_exists(i) or engine.call(["pull", i], quiet=True).returncode == 0
        for i in public
    )
