"""The storage-error translation layer (issue 18, point 6): each original error text, as
delta-rs, pyarrow and Spark word it here (ANSI codes included), becomes one plain sentence
that says what to set. The real errors are produced by the s3 and spark tiers
(tests/s3/test_bad_keys_s3.py, tests/spark/test_storage_errors.py); these pin the rules."""

from __future__ import annotations

import pytest

from avrolake.errors import StorageProblem
from avrolake.storage_errors import explain, strip_ansi

pytestmark = pytest.mark.unit
RED, RESET = "\x1b[31m", "\x1b[0m"
ENDPOINT = "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("original", "problem", "says"),
    [
        pytest.param(
            f"Kernel error -> Generic S3 error\n {RED}↳{RESET} error sending request\n"
            f"  {RED}↳{RESET} tcp connect error\n"
            f"   {RED}↳{RESET} Connection refused (os error 111)",
            StorageProblem.ENDPOINT, f"cannot connect to the S3 endpoint {ENDPOINT}",
            id="delta-rs-connection-refused",
        ),
        pytest.param(
            "When reading information for key 'raw/a.avro' in bucket 'b': AWS Error "
            "NETWORK_CONNECTION during HeadObject operation: curlCode: 7, Could not connect",
            StorageProblem.ENDPOINT, "Nothing was lost", id="pyarrow-outage-mid-run",
        ),
        pytest.param(
            f"Generic S3 error\n {RED}↳{RESET} 404 Not Found\n <?xml version=\"1.0\"?><Error>"
            "<Code>NoSuchBucket</Code><BucketName>logs-lake</BucketName></Error>",
            StorageProblem.BUCKET, "bucket 'logs-lake' does not exist", id="delta-rs-no-bucket",
        ),
        pytest.param(
            f"Generic S3 error\n {RED}↳{RESET} Error performing PUT "
            f"http://169.254.169.254/latest/api/token\n {RED}↳{RESET} 403 Forbidden",
            StorageProblem.CREDENTIALS, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            id="delta-rs-instance-metadata-403",
        ),
        pytest.param(
            "Generic delta kernel error: Expected contiguous commit files, but found gap",
            StorageProblem.BROKEN_LOG, "is missing a commit file", id="gap-in-the-delta-log",
        ),
        pytest.param(
            'Kernel error: Invalid table location: Path does not exist: "/data/t.txt/".',
            StorageProblem.NOT_A_FOLDER, "is not a folder a Delta table can be in",
            id="table-path-is-a-file",
        ),
        pytest.param(
            "PythonException: ... OSError: [Errno 28] No space left on device",
            StorageProblem.NO_SPACE, "free disk space", id="enospc-in-a-spark-task",
        ),
    ],
)  # fmt: skip
def test_a_storage_error_becomes_one_sentence_saying_what_to_set(
    original: str, problem: StorageProblem, says: str
) -> None:
    explained = explain(OSError(original), "s3://b/t", ENDPOINT)
    assert explained is not None
    assert explained.problem is problem
    assert says in str(explained)
    assert "\x1b" not in str(explained)
    assert "\x1b" not in explained.original  # kept for --debug, without colour codes
    assert explained.exit_code == 2


def test_an_error_that_is_no_storage_problem_is_left_alone() -> None:
    assert explain(ValueError("value 3 fits no branch of the union")) is None


def test_ansi_codes_are_stripped() -> None:
    assert strip_ansi(f"{RED}↳{RESET} 403 Forbidden\x1b[1;31mx\x1b[K") == "↳ 403 Forbidden" + "x"
