"""`avrolake generate --out URI …`: realistic mixed-version log files, some broken on request."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from avrolake.config import registry_from_env
from avrolake.generate import CODECS, GenerateSpec, generate
from avrolake.registry import Registry
from avrolake.registry.source_layout import PRESET_NAMES
from avrolake.storage import S3Options, resolve


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "generate",
        help="write realistic mixed-version Avro log files (and broken ones)",
        description="Write seeded, mixed-version Avro log files for demos, tests and benchmarks.",
    )
    cmd.add_argument("--out", required=True, help="local directory or s3://bucket/prefix")
    cmd.add_argument(
        "--registry",
        type=Path,
        default=registry_from_env(os.environ),
        help="registry directory whose versions are written (default: $AVROLAKE_REGISTRY or "
        "./schemas)",
    )
    cmd.add_argument("--subject", help="subject to write (default: the registry's only one)")
    cmd.add_argument("--versions", help="comma-separated versions to mix (default: all)")
    cmd.add_argument("--files", type=int, default=6, help="good files to write (default 6)")
    cmd.add_argument("--records", type=int, default=1000, help="records per file (default 1000)")
    cmd.add_argument(
        "--seed", type=int, default=42, help="the same seed writes the same bytes (default 42)"
    )
    cmd.add_argument(
        "--codec", choices=CODECS, default="deflate", help="Avro block codec (default deflate)"
    )
    cmd.add_argument("--corrupt", type=int, default=0, help="broken files to add (default 0)")
    cmd.add_argument(
        "--hours",
        type=int,
        default=3,
        help="spread files round-robin over this many hourly folders of the layout from "
        "2026-01-01T00:00Z (default 3)",
    )
    cmd.add_argument(
        "--layout",
        choices=PRESET_NAMES,
        default="hive",
        help="name files as this producer does: hive (dt=/hour= folders, the default), "
        "kafka-connect, kafka-connect-time (Kafka Connect's S3 sink), flink (FileSink), none",
    )
    cmd.add_argument("--topic", help="the topic in Kafka Connect names (default: the subject)")
    cmd.add_argument(
        "--in-progress",
        action="store_true",
        help="also leave one hidden in-progress file (.part-….inprogress.<uuid>), as a "
        "producer does while it writes; rename it to finish it",
    )
    cmd.add_argument("--json", action="store_true", help="print a JSON report as the last line")
    cmd.set_defaults(run=run)


def parse_versions(text: str | None, available: list[int]) -> list[int]:
    if not text:
        return available
    try:
        wanted = [int(v.strip().lstrip("v")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--versions takes numbers like 1,2,3; got {text!r}") from None
    missing = [v for v in wanted if v not in available]
    if missing:
        raise ValueError(f"--versions names {missing}, but the registry has {available}")
    return wanted


def run(args: argparse.Namespace) -> int:
    registry = Registry(args.registry)
    subject = registry.resolve_subject(args.subject)
    versions = registry.versions(subject)
    numbers = parse_versions(args.versions, [v.version for v in versions])
    chosen = [registry.version(subject, n) for n in numbers]
    spec = GenerateSpec(
        files=args.files,
        records=args.records,
        seed=args.seed,
        codec=args.codec,
        corrupt=args.corrupt,
        hours=args.hours,
        layout=args.layout,
        topic=args.topic or None,
        in_progress=args.in_progress,
    )

    def progress(done: int, total: int) -> None:
        if total >= 20 and (done % max(1, total // 10) == 0 or done == total):
            print(f"generate: {done}/{total} files", file=sys.stderr)

    report = generate(chosen, resolve(args.out, S3Options.from_env(os.environ)), spec, progress)
    summary = report.as_dict()
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"wrote {summary['files_written']} file(s) to {args.out}")
        print(f"records by writer version: {summary['records_by_writer_version']}")
        for path in report.files:
            if path.corruption:
                print(f"  corrupt ({path.corruption.value}): {path.path}")
        for hidden in report.in_progress:
            print(f"  in progress (hidden until renamed): {hidden}")
    return 0
