"""Benchmark: what a user pays. CPU-seconds of the whole process tree per run, fitted as a
fixed cost (intercept) and a cost per 1M records (slope), for three ways to land the same files:

  avrolake  `avrolake ingest --master local[2]` into a fresh Delta table
  jvm       Spark's JVM Avro source (`avroSchema` = the latest version) -> Parquet, local[2]
  floor     one Python process: polars-avro decodes each file, pyarrow writes snappy Parquet
            (no schema resolution, no table: the least any Python-side tool can pay)

    .venv/bin/python bench/cost.py                       # 1.2M and 6M records, 2 rounds
    AVROLAKE_BENCH_SIZES=2000,4000 AVROLAKE_BENCH_PER_FILE=1000 \\
      AVROLAKE_BENCH_SMALL=20x10 AVROLAKE_BENCH_ROUNDS=1 .venv/bin/python bench/cost.py --out /tmp/c

Input: mixed log_event v1/v2/v3 records (deflate, AVROLAKE_BENCH_PER_FILE per file) from
`avrolake generate`; the smaller size is the first files of the larger one (hard links).
Every round runs every tool at every size, interleaved (round 1: size 1 avrolake, jvm, floor;
size 2 ...), then the small-files case (avrolake, jvm). Every round is reported; the fit
uses every point (least squares), and each round's own two-point fit is shown too. Last in each
round, the tiny case: a run with little new (AVROLAKE_BENCH_TINY files of records, default
2x1000), what an hourly run often pays, whole (avrolake, jvm).
CPU = user+system seconds of every process of the run (JVMs, Python workers; bench/proc_cpu.py).

With AVROLAKE_BENCH_BASELINE=<git ref> (or --baseline), a fourth tool, `baseline`, runs the
same `avrolake ingest` from that commit's src/ (exported to a temporary folder, run with this
venv and this checkout's .jars/), interleaved with the others, so that "before" and "after"
are measured side by side in one run.

Environment switches (each also a flag): AVROLAKE_BENCH_SIZES (records, comma-separated),
AVROLAKE_BENCH_PER_FILE, AVROLAKE_BENCH_ROUNDS, AVROLAKE_BENCH_SMALL (FILESxRECORDS, 0 skips),
AVROLAKE_BENCH_TINY (FILESxRECORDS, 0 skips), AVROLAKE_BENCH_TOOLS, AVROLAKE_BENCH_DATA
(keep generated inputs there between runs).
Results go to bench/results/cost.{json,md}. Not part of the test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cost_report import report  # noqa: E402
from bench.proc_cpu import TreeCpu  # noqa: E402

BIN = Path(sys.executable).parent
REGISTRY = ROOT / "schemas"
TOOLS = ("avrolake", "jvm", "floor")
JVM = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[2]").getOrCreate()
df = (spark.read.format("org.apache.spark.sql.avro.AvroFileFormat")
      .option("avroSchema", open(sys.argv[3]).read()).load(sys.argv[1]))
df.write.mode("overwrite").parquet(sys.argv[2])
spark.stop()
"""
FLOOR = """
import sys
from pathlib import Path
import polars_avro
import pyarrow.parquet as pq
out = Path(sys.argv[2])
out.mkdir(parents=True)
for i, f in enumerate(sorted(Path(sys.argv[1]).rglob("*.avro"))):
    pq.write_table(polars_avro.read_avro(f).to_arrow(), out / f"{i}.parquet", compression="snappy")
"""


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """CPU-s of the process tree the command starts, and its wall time."""
    with TreeCpu(os.getpid(), set()) as tree:
        start = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{result.stderr[-3000:]}")
    return {"cpu_s": round(tree.cpu_seconds, 2), "wall_s": round(wall, 2), "out": result.stdout}


def generate(out: Path, files: int, records: int, seed: int) -> None:
    if out.exists() and len(list(out.rglob("*.avro"))) == files:
        return  # kept from an earlier run (AVROLAKE_BENCH_DATA)
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [str(BIN / "avrolake"), "generate", "--registry", str(REGISTRY), "--subject", "log_event",
         "--out", str(out),
         "--files", str(files), "--records", str(records), "--codec", "deflate",
         "--seed", str(seed), "--hours", "1"],
        check=True, capture_output=True,
    )  # fmt: skip


def first_files(source: Path, out: Path, count: int) -> None:
    """The first `count` files of `source`, hard-linked into `out` in the same layout."""
    shutil.rmtree(out, ignore_errors=True)
    for f in sorted(source.rglob("*.avro"), key=_index)[:count]:
        target = out / f.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, target)


def _index(f: Path) -> tuple[str, str]:
    """Generated files in the order they were written (their names end in -<index>), so that
    the first ones mix the writer versions as the whole set does."""
    return f.stem.rsplit("-", 1)[-1], str(f)


def export_baseline(ref: str, work: Path) -> Path:
    """The src/ of commit `ref`, in a folder beside a link to this checkout's .jars/ (the
    Delta jars and the class-data-sharing archive: avrolake finds them next to src/)."""
    folder = work / "baseline"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / ".jars").symlink_to(ROOT / ".jars", target_is_directory=True)
    return folder / "src"


def run_tool(tool: str, source: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """One run of one tool over `source`, into a fresh output under `work`."""
    out = Path(tempfile.mkdtemp(prefix=f"{tool}-", dir=work))
    try:
        if tool in ("avrolake", "baseline"):
            cmd = [str(BIN / "avrolake"), "ingest", "--source", str(source), "--table",
                   str(out / "t"), "--registry", str(REGISTRY), "--subject", "log_event",
                   "--master", "local[2]",
                   "--settle-seconds", "0", "--json"]  # fmt: skip
            if tool == "baseline":  # that commit's package first on the path (workers too)
                cmd[0:1] = [sys.executable, "-m", "avrolake"]
                env = {**env, "PYTHONPATH": str(work / "baseline" / "src")}
            measured = measure(cmd, env)
            summary = json.loads(measured.pop("out").strip().splitlines()[-1])
            measured["records"] = summary["records_written"]
            return measured
        script = work / f"{tool}.py"
        script.write_text(JVM if tool == "jvm" else FLOOR)
        cmd = [sys.executable, str(script), str(source), str(out / "p"), str(work / "v3.avsc")]
        measured = measure(cmd, env)
        measured.pop("out")
        measured["records"] = parquet_rows(out / "p")
        return measured
    finally:
        shutil.rmtree(out, ignore_errors=True)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in path.rglob("*.parquet"))


def settings(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=env.get("AVROLAKE_BENCH_SIZES", "1200000,6000000"))
    parser.add_argument(
        "--per-file", type=int, default=int(env.get("AVROLAKE_BENCH_PER_FILE", "100000"))
    )
    parser.add_argument("--rounds", type=int, default=int(env.get("AVROLAKE_BENCH_ROUNDS", "2")))
    parser.add_argument("--small", default=env.get("AVROLAKE_BENCH_SMALL", "10000x100"))
    parser.add_argument("--tiny", default=env.get("AVROLAKE_BENCH_TINY", "2x1000"))
    parser.add_argument("--tools", default=env.get("AVROLAKE_BENCH_TOOLS", ",".join(TOOLS)))
    parser.add_argument("--data", type=Path, default=env.get("AVROLAKE_BENCH_DATA") or None)
    parser.add_argument("--baseline", default=env.get("AVROLAKE_BENCH_BASELINE") or None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    return parser.parse_args(argv)


def inputs(
    args: argparse.Namespace, data: Path
) -> tuple[dict[int, Path], dict[str, tuple[Path, int, int]]]:
    """Folders of each size (the smaller ones hard-linked from the largest); the small-files
    and tiny cases: {case: (folder, files, records per file)}."""
    sizes = sorted(int(s) for s in args.sizes.split(","))
    files = -(-sizes[-1] // args.per_file)
    full = data / f"mixed-{files}x{args.per_file}"
    generate(full, files, args.per_file, seed=7)
    folders = {}
    for size in sizes:
        folders[size] = data / f"n{size}"
        first_files(full, folders[size], -(-size // args.per_file))
    cases = {}
    for case, spec, seed in (("small", args.small, 11), ("tiny", args.tiny, 13)):
        if spec not in ("", "0"):
            count, records = (int(x) for x in spec.split("x"))
            cases[case] = (data / f"{case}-{count}x{records}", count, records)
            generate(cases[case][0], count, records, seed=seed)
    return folders, cases


def main(argv: list[str] | None = None) -> int:
    args = settings(argv)
    tools = [t for t in args.tools.split(",") if t]
    if args.baseline:
        tools.append("baseline")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "AVROLAKE_SETTLE_SECONDS": "0"}
    work = Path(tempfile.mkdtemp(prefix="avrolake-cost-"))
    data = args.data or work / "data"
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "load_before": os.getloadavg(),
        "runs": [],
    }
    try:
        (work / "v3.avsc").write_text((REGISTRY / "log_event" / "v3.avsc").read_text())
        if args.baseline:
            export_baseline(args.baseline, work)
            results["baseline"] = args.baseline
        folders, cases = inputs(args, data)
        for r in range(1, args.rounds + 1):
            for size, folder in folders.items():
                for tool in tools:
                    results["runs"].append(one(r, tool, "mixed", size, folder, work, env))
            for case, (folder, count, records) in cases.items():
                for tool in (t for t in tools if t != "floor"):
                    run = one(r, tool, case, count * records, folder, work, env)
                    results["runs"].append({**run, "files": count})
        results["load_after"] = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args.out)
    return 0


def one(
    r: int, tool: str, case: str, size: int, folder: Path, work: Path, env: dict[str, str]
) -> dict[str, Any]:
    measured = run_tool(tool, folder, work, env)
    if measured["records"] != size:
        raise RuntimeError(f"{tool} landed {measured['records']} of {size} records")
    run = {"round": r, "tool": tool, "case": case, "records": size, **measured}
    print(json.dumps(run), flush=True)
    return run


if __name__ == "__main__":
    sys.exit(main())
