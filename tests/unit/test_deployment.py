"""A subject's deployment from table.json: its table, quarantine table, schedule and source
prefix, resolved against the roots (docs/registry.md#deployment)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.cli.ingest import _targets, add_ingest_arguments
from avrolake.config import DeploymentRoots
from avrolake.errors import EXIT_USAGE, DeploymentError
from avrolake.registry.deployment import deployed_subjects, deployment_from, stored_deployment
from tests.conftest import REPO_REGISTRY

pytestmark = pytest.mark.unit
ROOTS = DeploymentRoots("s3://raw", "s3://lake/")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, ("s3://raw/orders", "s3://lake/orders", None, "0 * * * *")),
        (
            {"table": "shop/orders", "source": {"prefix": "topics/orders"}},
            ("s3://raw/topics/orders", "s3://lake/shop/orders", None, "0 * * * *"),
        ),
        (
            {"table": "s3://other/o", "quarantine_table": "bad/o", "schedule": "@daily"},
            ("s3://raw/orders", "s3://other/o", "s3://lake/bad/o", "0 0 * * *"),
        ),
        (
            {"table": "/data/o", "source": {"prefix": "file:///in/o"}, "schedule": "5 */2 * * *"},
            ("file:///in/o", "/data/o", None, "5 */2 * * *"),
        ),
        ({"schedule": None}, ("s3://raw/orders", "s3://lake/orders", None, None)),
    ],
    ids=[
        "defaults-are-the-subject-under-each-root-hourly",
        "relative-table-and-prefix-go-under-the-roots",
        "absolute-table-kept-relative-quarantine-under-the-lake-root-preset-expanded",
        "absolute-paths-kept-cron-kept",
        "null-schedule-is-not-scheduled",
    ],
)
def test_deployment_resolves_against_the_roots(
    stored: dict[str, Any], expected: tuple[str, str, str | None, str | None]
) -> None:
    d = deployment_from("orders", stored).resolve(ROOTS)
    assert (d.source, d.table, d.quarantine_table, d.schedule) == expected


@pytest.mark.parametrize(
    ("stored", "key", "says"),
    [
        ({"schedule": "hourly"}, "schedule", "is not a cron expression of 5 fields"),
        ({"schedule": 3600}, "schedule", "is not a cron expression of 5 fields"),
        ({"table": ""}, "table", "must be a non-empty path or URI"),
        ({"table": "../elsewhere"}, "table", "a relative location may not use '..'"),
        ({"source": "topics/orders"}, "source", "must be a JSON object"),
    ],
    ids=[
        "word-schedule",
        "number-schedule",
        "empty-table",
        "table-escaping-the-root",
        "bad-source",
    ],
)
def test_a_malformed_deployment_names_the_subject_and_key(
    stored: dict[str, Any], key: str, says: str
) -> None:
    with pytest.raises(DeploymentError, match=says) as caught:
        deployment_from("orders", stored)
    assert (caught.value.subject, caught.value.key) == ("orders", key)


def test_a_relative_location_without_its_root_names_the_variable_to_set() -> None:
    stored = deployment_from("orders", {"table": "s3://lake/orders"})
    with pytest.raises(DeploymentError, match="set AVROLAKE_RAW_ROOT") as caught:
        stored.resolve(DeploymentRoots(raw=None, lake=None))
    assert caught.value.key == "source.prefix"


def test_deployed_subjects_are_those_with_a_table_json(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        shutil.copytree(REPO_REGISTRY / "log_event", tmp_path / name)
    (tmp_path / "b" / "table.json").unlink()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "table.json").write_text("{}")  # no versions: not a subject
    assert deployed_subjects(tmp_path) == ["a", "c"]
    assert deployed_subjects(REPO_REGISTRY) == ["log_event", "orders"]


def test_the_repo_registry_deploys_log_event_and_orders_in_two_layouts() -> None:
    log_event = stored_deployment(REPO_REGISTRY, "log_event")
    orders = stored_deployment(REPO_REGISTRY, "orders")
    assert (log_event.table, log_event.source_prefix) == ("logs", "logs")
    assert (orders.table, orders.source_prefix) == ("orders", "topics/orders")
    layouts = [
        json.loads((REPO_REGISTRY / s / "table.json").read_text())["source"]["layout"]
        for s in ("log_event", "orders")
    ]
    assert layouts == ["hive", "kafka-connect-time"]


def parse(argv: list[str]) -> Any:
    import argparse

    parser = argparse.ArgumentParser()
    add_ingest_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ("/raw/topics/orders", "/lake/orders", None)),
        (["--source", "/elsewhere"], ("/elsewhere", "/lake/orders", None)),
        (["--table", "/t", "--quarantine-table", "/q"], ("/raw/topics/orders", "/t", "/q")),
        (["--source", "/s", "--table", "/t"], ("/s", "/t", None)),
    ],
    ids=["both-from-the-deployment", "source-given", "table-given", "both-given"],
)
def test_ingest_takes_what_is_not_given_from_the_subjects_deployment(
    argv: list[str], expected: tuple[str, str, str | None]
) -> None:
    args = parse(["--registry", str(REPO_REGISTRY), "--subject", "orders", *argv])
    env = {"AVROLAKE_RAW_ROOT": "/raw", "AVROLAKE_LAKE_ROOT": "/lake"}
    assert _targets(args, env) == expected


def test_ingest_without_source_and_no_root_is_a_usage_error_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AVROLAKE_RAW_ROOT", raising=False)
    monkeypatch.setenv("AVROLAKE_LAKE_ROOT", "/lake")
    argv = ["ingest", "--registry", str(REPO_REGISTRY), "--subject", "orders"]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "deployment of subject 'orders': source.prefix: 'topics/orders' is relative" in err
    assert "set AVROLAKE_RAW_ROOT" in err
