"""Benchmark: one worker process's CPU per 1M records and per small file, against the floor.

    .venv/bin/python bench/worker_cost.py                      # 12 x 100,000 records, 2,000 x 100
    .venv/bin/python bench/worker_cost.py --files 60 --small 10000 --rounds 3
    .venv/bin/python bench/worker_cost.py --profile large      # cProfile of the worker path

Everything is measured in THIS process with `time.process_time()` (CPU-s of every thread of
the process, so a loaded machine changes wall time, not the figures), interleaved over rounds:

- floor: polars-avro `read_avro` (its own inflate) -> `to_arrow` -> `pq.write_table` snappy,
  file by file (the one-process floor of issue 22);
- worker: `run_group` (ingest/worker.py), what one Spark Python task runs: every file
  decoded, proven exact, resolved, written as Parquet with Delta statistics. The groups and
  the worker context are those `run_ingest` plans for a fresh table (captured from the run);
- small: the same two on files of 100 records (CPU per file).

Input: mixed log_event v1/v2/v3 records (deflate), written once by `avrolake generate` to
`--data` (kept between runs). Results: bench/results/worker_cost.{json,md} (`--out`).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.util
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars_avro  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from avrolake.config import Backfill, IngestConfig  # noqa: E402
from avrolake.decode import AvroFile, reader_plan  # noqa: E402
from avrolake.generate import GenerateSpec, generate  # noqa: E402
from avrolake.ingest import SourceFile, WorkerContext, run_group  # noqa: E402
from avrolake.ingest.job import run_ingest  # noqa: E402
from avrolake.ingest.worker import Landed, Outcome  # noqa: E402
from avrolake.registry import Registry  # noqa: E402
from avrolake.storage import resolve  # noqa: E402

REGISTRY = ROOT / "schemas"


class Capture:
    """A TaskRunner that runs nothing: it keeps the groups and context run_ingest planned."""

    def __init__(self) -> None:
        self.groups: list[list[SourceFile]] = []
        self.ctx: WorkerContext | None = None

    def prepare(self, work_bytes: int) -> None:
        return None

    def parallelism(self) -> int:
        return 2

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        self.groups, self.ctx = groups, ctx
        return [o for g in groups for o in run_group(g, ctx)]


def make_data(folder: Path, files: int, records: int, seed: int) -> Path:
    """`files` mixed-version files of `records` each, written once and kept."""
    done = folder / f"{files}x{records}-s{seed}"
    if not (done / ".complete").exists():
        shutil.rmtree(done, ignore_errors=True)
        spec = GenerateSpec(files=files, records=records, seed=seed, hours=1)
        generate(Registry(REGISTRY).versions("log_event"), resolve(str(done)), spec)
        (done / ".complete").write_text("")
    return done


def capture(source: Path, table: Path) -> Capture:
    """Plan (and land once, checking every file lands) a fresh table from `source`."""
    runner = Capture()
    config = IngestConfig(
        source=str(source),
        table=str(table),
        run_id="bench",
        started_at=dt.datetime.now(dt.UTC),
        registry=REGISTRY,
        subject="log_event",
        settle_seconds=0,
        backfill=Backfill(),
        sweep=True,
    )
    run_ingest(config, runner)
    return runner


def cpu(work: Callable[[], Any]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def worker_pass(runner: Capture) -> int:
    assert runner.ctx is not None
    records = 0
    for group in runner.groups:
        for outcome in run_group(group, runner.ctx):
            assert isinstance(outcome, Landed), outcome
            records += outcome.records
    return records


def floor_pass(source: Path, out: Path) -> int:
    records = 0
    for i, path in enumerate(sorted(source.rglob("*.avro"))):
        table = polars_avro.read_avro(path).to_arrow()
        pq.write_table(table, out / f"{i}.parquet", compression="snappy")
        records += table.num_rows
    return records


def decode_pass(source: Path, reader: str) -> int:
    """Decode only (no Parquet): avrolake's native path (framing, ISA-L inflate, polars-avro
    on null-codec blocks, exactness checks, resolution), polars-avro's `read_avro` (its own
    inflate, no checks), or DataFusion's Avro reader (if installed; not a dependency)."""
    plan = reader_plan(Registry(REGISTRY), "log_event")
    records = 0
    for path in sorted(source.rglob("*.avro")):
        if reader == "avrolake":
            with path.open("rb") as stream:
                records += sum(t.num_rows for t in AvroFile(stream, plan).tables())
        elif reader == "polars-avro":
            records += polars_avro.read_avro(path).height
        else:
            from datafusion import SessionContext  # type: ignore[import-not-found]

            records += sum(b.num_rows for b in SessionContext().read_avro(str(path)).collect())
    return records


def readers(args: argparse.Namespace) -> dict[str, list[float]]:
    """Decode CPU-s per 1M records of each reader, interleaved over the rounds."""
    source = make_data(args.data, args.files, args.records, 1)
    names = ["avrolake", "polars-avro"]
    if importlib.util.find_spec("datafusion") is not None:
        names.append("datafusion")
    million = args.files * args.records / 1e6
    out: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.rounds):
        for name in names:
            out[name].append(cpu(lambda n=name: decode_pass(source, n)) / million)
    return out


def by_version(args: argparse.Namespace) -> dict[str, float]:
    """avrolake's decode rate (k records per CPU-s) per writer version, after a warm pass:
    what the large-file gap (issue 22) is made of."""
    source = make_data(args.data, args.files, args.records, 1)
    plan = reader_plan(Registry(REGISTRY), "log_event")
    seconds: dict[str, float] = {}
    records: dict[str, int] = {}
    for warm in (True, False):
        for path in sorted(source.rglob("*.avro")):
            with path.open("rb") as stream:
                avro = AvroFile(stream, plan)
                start = time.process_time()
                n = sum(t.num_rows for t in avro.tables())
                spent = time.process_time() - start
            if not warm:
                key = f"v{avro.writer_version}"
                seconds[key] = seconds.get(key, 0.0) + spent
                records[key] = records.get(key, 0) + n
    return {k: records[k] / seconds[k] / 1e3 for k in sorted(seconds)}


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    large = make_data(args.data, args.files, args.records, 1)
    small = make_data(args.data, args.small, 100, 2)
    runners = {
        name: capture(src, work / f"t-{name}") for name, src in [("large", large), ("small", small)]
    }
    rounds: list[dict[str, float]] = []
    for r in range(args.rounds):
        row: dict[str, float] = {}
        for name, source in (("large", large), ("small", small)):
            out = work / f"floor-{name}-{r}"
            out.mkdir()
            row[f"floor_{name}"] = cpu(lambda s=source, o=out: floor_pass(s, o))
            row[f"worker_{name}"] = cpu(lambda n=name: worker_pass(runners[n]))
        rounds.append(row)
        print(json.dumps({"round": r + 1, **{k: round(v, 3) for k, v in row.items()}}), flush=True)
    million = args.files * args.records / 1e6
    return {
        "input": {"large": f"{args.files} x {args.records}", "small": f"{args.small} x 100"},
        "rounds": rounds,
        "per_1m": {k: [r[f"{k}_large"] / million for r in rounds] for k in ("floor", "worker")},
        "per_small_file_ms": {
            k: [1000 * r[f"{k}_small"] / args.small for r in rounds] for k in ("floor", "worker")
        },
    }


def profile(args: argparse.Namespace, work: Path) -> None:
    files, records = (args.small, 100) if args.profile == "small" else (args.files, args.records)
    source = make_data(args.data, files, records, 2 if args.profile == "small" else 1)
    runner = capture(source, work / "t")
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(worker_pass, runner)
    stats = pstats.Stats(profiler).sort_stats("tottime")
    stats.print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "avrolake-wc")
    parser.add_argument("--profile", choices=("large", "small"))
    parser.add_argument("--versions-only", action="store_true", help="only the gap by version")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="avrolake-wc-"))
    try:
        if args.profile:
            profile(args, work)
            return 0
        if args.versions_only:
            print(json.dumps(by_version(args)))
            return 0
        results = measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["k_records_per_cpu_s_by_version"] = by_version(args)
    print(
        "decode by writer version, k records per CPU-s:",
        results["k_records_per_cpu_s_by_version"],
    )
    results["decode_per_1m"] = readers(args)
    for name, values in results["decode_per_1m"].items():
        print(f"decode only, {name}: {[round(v, 3) for v in values]} CPU-s per 1M records")
    for key in ("per_1m", "per_small_file_ms"):
        floor, worker = results[key]["floor"], results[key]["worker"]
        print(
            f"{key}: floor {[round(v, 3) for v in floor]} worker {[round(v, 3) for v in worker]} "
            f"ratio {[round(w / f, 2) for w, f in zip(worker, floor, strict=True)]} "
            f"(median {statistics.median(worker) / statistics.median(floor):.2f}x)"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
