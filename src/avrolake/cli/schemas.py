"""`avrolake schemas check|list|show|diff`: the registry for CI gates and for people."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from avrolake.config import registry_from_env
from avrolake.registry import Registry
from avrolake.registry.diff import diff_records


def register(commands: Any) -> None:
    group = commands.add_parser(
        "schemas",
        help="inspect and check the schema registry",
        description="The registry on disk (<registry>/<subject>/v<N>.avsc): check every "
        "subject against its compatibility level (a CI gate), list, show and diff versions.",
    )
    sub = group.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")

    def add(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        cmd: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument(
            "--registry",
            type=Path,
            default=registry_from_env(os.environ),
            help="registry directory (default: $AVROLAKE_REGISTRY or ./schemas)",
        )
        cmd.set_defaults(run=run)
        return cmd

    check = add(
        "check", "check every subject's versions against its compatibility level", run_check
    )
    check.add_argument("--subject", help="check one subject only (default: every subject)")
    check.add_argument("--json", action="store_true", help="print a JSON report")
    listing = add("list", "list subjects, versions, levels and fingerprints", run_list)
    listing.add_argument("--json", action="store_true", help="print JSON")
    show = add("show", "print one version of a subject", run_show)
    show.add_argument("subject", help="the subject: one folder of the registry")
    show.add_argument("--version", type=int, help="version number (default: latest)")
    show.add_argument("--canonical", action="store_true", help="print the Parsing Canonical Form")
    diff = add("diff", "what changed between two versions of a subject", run_diff)
    diff.add_argument("subject", help="the subject: one folder of the registry")
    diff.add_argument("old", type=int, help="older version number")
    diff.add_argument("new", type=int, help="newer version number")


def run_check(args: argparse.Namespace) -> int:
    registry = Registry(args.registry)  # a missing path: "unusable registry", exit 2
    subjects = [registry.resolve_subject(args.subject)] if args.subject else []
    subjects = subjects or registry.require_subjects()  # none: "unusable registry", exit 2
    report: dict[str, Any] = {"compatible": True, "subjects": {}}
    for subject in subjects:
        level = registry.level(subject)
        violations = registry.check(subject)
        report["subjects"][subject] = {
            "level": level.name,
            "versions": len(registry.versions(subject)),
            "violations": [v.as_dict() for v in violations],
        }
        report["compatible"] = report["compatible"] and not violations
        if not args.json:
            count = len(registry.versions(subject))
            verdict = "ok" if not violations else f"{len(violations)} violation(s)"
            print(f"{subject}: {count} version(s), level {level.name}: {verdict}")
            for v in violations:
                print(f"  {v.describe()}")
    if args.json:
        print(json.dumps(report))
    return 0 if report["compatible"] else 1


def run_list(args: argparse.Namespace) -> int:
    registry = Registry(args.registry)
    rows: list[dict[str, Any]] = [
        {
            "subject": s,
            "level": registry.level(s).name,
            "versions": [
                {"version": v.version, "fingerprint": v.fingerprint} for v in registry.versions(s)
            ],
        }
        for s in registry.subjects()
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        print(f"{row['subject']}  ({row['level']})")
        for v in row["versions"]:
            print(f"  v{v['version']}  fingerprint {v['fingerprint']}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    registry = Registry(args.registry)
    version = (
        registry.version(args.subject, args.version)
        if args.version
        else registry.latest(args.subject)
    )
    print(version.canonical if args.canonical else json.dumps(version.doc, indent=2))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    registry = Registry(args.registry)
    old = registry.version(args.subject, args.old)
    new = registry.version(args.subject, args.new)
    changes = diff_records(old.schema, new.schema)
    print(f"{args.subject} v{args.old} -> v{args.new}: {len(changes)} change(s)")
    for change in changes:
        print(f"  {change}")
    return 0
