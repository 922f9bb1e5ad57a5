"""One bad entry never blocks a listing (issue 18, point 4): each odd entry of a local source
is listed with its problem, every other file is listed as it is, and links out of the source
are never followed. A quarantine reason never quotes the file's bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from avrolake.errors import QuarantineKind
from avrolake.storage import Listed, resolve
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def listed(root: Path) -> dict[str, str | None]:
    return {Path(i.path).name: i.problem for i in resolve(str(root)).list_files(".avro")}


def test_a_self_referencing_link_is_listed_as_link_loop_beside_the_good_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "good.avro").write_bytes(b"x")
    (tmp_path / "loop.avro").symlink_to(tmp_path / "loop.avro")
    assert listed(tmp_path) == {"good.avro": None, "loop.avro": "link_loop"}


def test_a_link_out_of_the_source_is_listed_as_outside_link_and_never_followed(
    tmp_path: Path,
) -> None:
    source, outside = tmp_path / "raw", tmp_path / "elsewhere"
    source.mkdir()
    outside.mkdir()
    (outside / "secret.avro").write_bytes(b"root:SECRET")
    (source / "good.avro").write_bytes(b"x")
    (source / "inside.avro").symlink_to(source / "good.avro")
    (source / "escape.avro").symlink_to(outside / "secret.avro")
    found = resolve(str(source)).list_files(".avro")
    assert {Path(i.path).name: (i.problem, i.size) for i in found} == {
        "escape.avro": ("outside_link", None),  # size unread: never followed
        "good.avro": (None, 1),
        "inside.avro": (None, 1),  # a link within the source is a file of the source
    }


def test_a_pipe_is_listed_as_not_a_file_and_never_opened(tmp_path: Path) -> None:
    (tmp_path / "good.avro").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe.avro")  # opening it would block the task for ever
    assert listed(tmp_path) == {"good.avro": None, "pipe.avro": "not_a_file"}


LIST_AS_UNPRIVILEGED = """
import json, sys
from avrolake.storage import resolve
print(json.dumps([[i.path, i.problem] for i in resolve(sys.argv[1]).list_files(".avro")]))
"""


def test_a_folder_that_cannot_be_listed_is_listed_as_unlistable_and_the_walk_goes_on(
    tmp_path: Path,
) -> None:
    """Root reads every folder, so the listing runs without the two capabilities that let
    it (setpriv drops them from the bounding set): permission bits apply, as for any user."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's read-anything capability")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.avro").write_bytes(b"x")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.avro").write_bytes(b"x")
    locked.chmod(0)
    try:
        result = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable,
             "-c", LIST_AS_UNPRIVILEGED, str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        [str(tmp_path / "a" / "good.avro"), None],
        [str(locked), "unlistable"],
    ]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        pytest.param("b/logs/../escape.avro", "unreadable_key", id="dot-dot"),
        pytest.param("b/logs/a/../b.avro", "unreadable_key", id="inner-dot-dot"),
        pytest.param("b/logs/./c.avro", "unreadable_key", id="dot"),
        pytest.param("b/logs//d.avro", "unreadable_key", id="empty-segment"),
        pytest.param("b/logs/..e.avro", None, id="dots-inside-a-name-are-fine"),
        pytest.param("b/logs/f.avro", None, id="plain-key"),
    ],
)
def test_s3_keys_no_client_can_read_exactly_are_listed_as_unreadable_key(
    key: str, problem: str | None
) -> None:
    from avrolake.storage import _key_problem

    assert _key_problem(key) == problem


def test_every_listing_problem_has_a_reason_and_a_kind() -> None:
    from avrolake.storage import PROBLEMS

    kinds = {Listed("p", None, None, k).problem for k in PROBLEMS}
    assert kinds == {
        QuarantineKind.BAD_NAME,
        QuarantineKind.DANGLING_LINK,
        QuarantineKind.LINK_LOOP,
        QuarantineKind.OUTSIDE_LINK,
        QuarantineKind.UNLISTABLE,
        QuarantineKind.NOT_A_FILE,
        QuarantineKind.UNREADABLE_KEY,
    }


@pytest.mark.parametrize(
    ("message", "quoted", "shown"),
    [
        pytest.param(
            "file starts with b'root', not the Avro magic b'Obj\\x01': not an Avro file",
            False,
            "file starts with <4 bytes not shown>, not the Avro magic b'Obj\\x01': not an "
            "Avro file",
            id="magic-bytes-hidden-format-constant-kept",
        ),
        pytest.param(
            'a metadata key is not UTF-8: b"\\xff\\xfeab"',
            False,
            "a metadata key is not UTF-8: <4 bytes not shown>",
            id="header-key-bytes-hidden",
        ),
        pytest.param(
            "ArrowInvalid: Could not convert 'hunter2' with type str",
            True,
            "ArrowInvalid: Could not convert <value not shown> with type str",
            id="library-error-values-hidden",
        ),
    ],
)
def test_a_quarantine_reason_never_quotes_file_content(
    message: str, quoted: bool, shown: str
) -> None:
    from avrolake.ingest.redact import without_content

    assert without_content(message, quoted=quoted) == shown
