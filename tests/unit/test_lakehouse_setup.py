"""The compose lakehouse's setup files agree with each other and docs/lakehouse.md."""

from __future__ import annotations

import re
import sys

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.unit
PAUSED = "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"


def paused_in_compose() -> str:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return str(compose["x-airflow-env"][PAUSED])


def paused_in_makefile() -> str:
    match = re.search(rf"{PAUSED}=(\w+)", (ROOT / "Makefile").read_text())
    return match.group(1) if match else "unset (Airflow's default: True)"


def paused_in_airflow_image() -> str:
    match = re.search(rf"{PAUSED}=(\w+)", (ROOT / "docker" / "Dockerfile").read_text())
    return match.group(1) if match else "unset"


SETUPS = [paused_in_compose, paused_in_makefile, paused_in_airflow_image]


@pytest.mark.parametrize("where", SETUPS, ids=[f.__name__ for f in SETUPS])
def test_dags_start_paused_in_every_airflow_setup(where: object) -> None:
    assert where() == "True"  # type: ignore[operator]


def test_compose_publishes_the_spark_master_for_host_drivers() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert "127.0.0.1:7077:7077" in compose["services"]["spark-master"]["ports"]


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        ("software/amazon/awssdk/services/s3/S3Client.class", True),
        ("software/amazon/awssdk/services/sts/StsClient.class", True),
        ("software/amazon/awssdk/services/ssooidc/SsoOidcClient.class", True),
        ("software/amazon/awssdk/services/ec2/Ec2Client.class", False),
        ("software/amazon/awssdk/services/s3outposts/X.class", False),
        ("software/amazon/awssdk/core/SdkBytes.class", True),
        ("software/amazon/awssdk/thirdparty/jackson/core/JsonParser.class", True),
        ("META-INF/MANIFEST.MF", True),
    ],
    ids=["s3", "sts", "sso-oidc", "ec2-out", "s3outposts-out", "core", "thirdparty", "manifest"],
)
def test_slim_aws_bundle_keeps_only_the_services_s3a_calls(entry: str, kept: bool) -> None:
    sys.path.insert(0, str(ROOT / "docker"))
    import slim_aws_bundle

    assert slim_aws_bundle.kept(entry) is kept
