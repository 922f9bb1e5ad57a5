"""Benchmark: the checks beside the headline (bench/cost.py measures what a user pays).

    .venv/bin/python bench/speed.py                 # 12 files x 100,000 records, 2 GB file
    .venv/bin/python bench/speed.py --records 20000 --files 4 --big-gb 0 --sources 300

Input: mixed log_event v1/v2/v3 records, deflate, written by `avrolake generate` to local disk.
  (a)  native floor: decode + resolve to Arrow in this process (CPU-s; records/s per core),
       after one warm-up pass (imports); (a') the same on the fastavro path (2 files)
  (b)  `avrolake ingest --master local[2]` end to end into a fresh Delta table
  (c)  Spark's JVM Avro source in the pyspark wheel (`avroSchema` = v3), written as Parquet
  (b) and (c) are whole runs, as a user pays them: the slope and intercept of each, beside
  the one-process floor, are bench/cost.py's (bench/results/cost.md, the headline). This
  file once subtracted an idle Spark start from each side; that is not what a user pays.
  (e)  planning_seconds of a run of 12 new files against an empty table and against a table
       with --sources landed source files (goal: within 2x)
  (f)  one --big-gb GB file, ingested with --split-mb 128: tasks, peak Python worker RSS
  (g)  1,000 small files of 1,200 records: Parquet files per partition
CPU = user+system seconds of every process of the run (JVMs, Python workers), from /proc.
Results go to bench/results/speed.{json,md}. Not part of the test run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avrolake.decode import AvroFile, reader_plan  # noqa: E402
from avrolake.decode.container import Container, encode_long  # noqa: E402
from avrolake.registry import Registry  # noqa: E402
from bench.proc_cpu import TreeCpu  # noqa: E402

BIN = Path(sys.executable).parent
REGISTRY = ROOT / "schemas"
SPARK_AVRO = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[2]").getOrCreate()
df = (spark.read.format("org.apache.spark.sql.avro.AvroFileFormat")
      .option("avroSchema", open(sys.argv[3]).read()).load(sys.argv[1]))
df.write.mode("overwrite").parquet(sys.argv[2])
print(spark.read.parquet(sys.argv[2]).count())
spark.stop()
"""


class PeakRss:
    """The highest resident set (VmHWM) of any Python worker process (pyspark.daemon and
    the workers it forks) in the tree, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                    if b"pyspark.daemon" not in cmd and b"pyspark.worker" not in cmd:
                        continue
                    for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    with TreeCpu(os.getpid(), set()) as tree, PeakRss() as rss:
        start = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{result.stderr[-3000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(tree.cpu_seconds, 2),
        "peak_worker_rss_mb": round(rss.peak_kb / 1024, 1),
        "stdout": result.stdout,
    }


def generate(out: Path, files: int, records: int, seed: int, hours: int = 1) -> None:
    subprocess.run(
        [str(BIN / "avrolake"), "generate", "--registry", str(REGISTRY), "--subject", "log_event",
         "--out", str(out),
         "--files", str(files), "--records", str(records), "--codec", "deflate",
         "--seed", str(seed), "--hours", str(hours)],
        check=True, capture_output=True,
    )  # fmt: skip


def ingest(source: Path, table: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    cmd = [str(BIN / "avrolake"), "ingest", "--source", str(source), "--table", str(table),
           "--registry", str(REGISTRY), "--subject", "log_event", "--master", "local[2]",
           "--settle-seconds", "0",
           "--json", *extra]  # fmt: skip
    measured = run(cmd, env)
    measured["summary"] = json.loads(measured.pop("stdout").strip().splitlines()[-1])
    return measured


def files_per_partition(table: Path) -> dict[str, int]:
    import pyarrow as pa
    from deltalake import DeltaTable

    adds = pa.table(DeltaTable(str(table)).get_add_actions(flatten=True)).to_pylist()
    counts: dict[str, int] = {}
    for add in adds:
        key = str(add.get("partition.event_date"))
        counts[key] = counts.get(key, 0) + 1
    return counts


def floor(raw: Path) -> dict[str, Any]:
    plan = reader_plan(Registry(REGISTRY), "log_event")
    files = sorted(raw.rglob("*.avro"))

    def measure(p: Any, chosen: list[Path]) -> dict[str, Any]:
        start, records, paths = time.process_time(), 0, {}
        for f in chosen:
            with f.open("rb") as stream:
                avro = AvroFile(stream, p)
                records += sum(t.num_rows for t in avro.tables())
                for path, n in avro.records_by_path.items():
                    paths[path] = paths.get(path, 0) + n
        cpu = time.process_time() - start
        return {"records": records, "cpu_s": round(cpu, 3),
                "records_per_s_core": int(records / cpu), "records_by_path": paths}  # fmt: skip

    # warm-up: imports, and each writer version's route (resolver), once per process
    measure(plan, [next(f for f in files if f"-v{v}-" in f.name) for v in (1, 2, 3)])
    native = measure(plan, files)
    oracle = measure(dataclasses.replace(plan, decoder="fastavro"), files[:2])
    return {"native": native, "fastavro": oracle}


def big_file(path: Path, seed_file: Path, gigabytes: float) -> int:
    """One container of about `gigabytes` GB: the blocks of a generated file, repeated under
    its header (a container's blocks may repeat as long as the sync marker is the header's)."""
    with seed_file.open("rb") as stream:
        container = Container(stream, 64 * 2**20)
        header = container.header
        blocks = [(b.count, b.data) for b in container.blocks()]
    import zlib

    framed = []
    for count, data in blocks:
        packed = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = packed.compress(bytes(data)) + packed.flush()
        framed.append(encode_long(count) + encode_long(len(raw)) + raw + header.sync)
    unit = b"".join(framed)
    per_unit = sum(c for c, _ in blocks)
    repeats = max(1, int(gigabytes * 1e9 // len(unit)))
    with seed_file.open("rb") as stream:
        head = stream.read(header.size)
    with path.open("wb") as out:
        out.write(head)
        for _ in range(repeats):
            out.write(unit)
    return repeats * per_unit


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    versions = {p: metadata.version(p) for p in ("pyspark", "polars-avro", "deltalake", "pyarrow")}
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per file")
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--big-gb", type=float, default=2.0, help="size of (f); 0 skips it")
    parser.add_argument("--sources", type=int, default=10_000, help="landed sources for (e)")
    parser.add_argument("--small-files", type=int, default=1000, help="files for (g); 0 skips")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "AVROLAKE_SETTLE_SECONDS": "0"}
    work = Path(tempfile.mkdtemp(prefix="avrolake-speed-"))
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine()}
    try:
        raw = work / "raw"
        generate(raw, args.files, args.records, seed=7)
        total = args.files * args.records
        size = sum(f.stat().st_size for f in raw.rglob("*.avro"))
        results["input"] = {"files": args.files, "records": total, "bytes": size}
        print("input:", results["input"], flush=True)
        results["a_floor"] = floor(raw)
        print("(a)", results["a_floor"], flush=True)
        b = ingest(raw, work / "lake" / "b", env)
        b["files_per_partition"] = files_per_partition(work / "lake" / "b")
        results["b_ingest"] = b
        print("(b)", {k: v for k, v in b.items() if k != "summary"}, flush=True)
        schema = work / "v3.avsc"
        schema.write_text((REGISTRY / "log_event" / "v3.avsc").read_text())
        script = work / "spark_avro.py"
        script.write_text(SPARK_AVRO)
        c = run([sys.executable, str(script), str(raw), str(work / "c.parquet"), str(schema)], env)
        c["rows"] = int(c.pop("stdout").strip().splitlines()[-1])
        results["c_spark_avro"] = c
        print("(c)", c, flush=True)
        if args.sources:
            results["e_planning"] = planning(work, env, args.sources)
            print("(e)", results["e_planning"], flush=True)
        if args.small_files:
            small = work / "small"
            generate(small, args.small_files, 1200, seed=11, hours=1)
            g = ingest(small, work / "lake" / "g", env)
            results["g_small_files"] = {
                "files": args.small_files,
                "wall_s": g["wall_s"],
                "records": g["summary"]["records_written"],
                "files_per_partition": files_per_partition(work / "lake" / "g"),
            }
            print("(g)", results["g_small_files"], flush=True)
        if args.big_gb:
            big = work / "big" / "dt=2026-01-01" / "hour=00"
            big.mkdir(parents=True)
            records = big_file(big / "big.avro", sorted(raw.rglob("*v3*.avro"))[0], args.big_gb)
            size = (big / "big.avro").stat().st_size
            f = ingest(work / "big", work / "lake" / "f", env, "--split-mb", "128")
            f.update(bytes=size, records=records, splits=-(-size // (128 * 2**20)))
            f["landed"] = f["summary"]["records_written"]
            results["f_big_file"] = f
            print("(f)", {k: v for k, v in f.items() if k != "summary"}, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args.out)
    return 0


def planning(work: Path, env: dict[str, str], sources: int) -> dict[str, Any]:
    """planning_seconds over the same source folder (so the same listing): first against an
    empty table (the run that lands the sources), then, with 12 new files, against the
    table holding them."""
    many = work / "many"
    batch = max(1, sources // 10)
    for i in range(10):
        generate(many / f"b{i}", batch, 5, seed=100 + i, hours=24)
    landed = work / "lake" / "e"
    empty = ingest(many, landed, env, "--split-mb", "1024")["summary"]
    generate(many / "fresh", 12, 1000, seed=999)
    full = ingest(many, landed, env)["summary"]
    return {
        "landed_sources": empty["files_ingested"],
        "listed_files": (empty["files_seen"], full["files_seen"]),
        "empty_table_s": empty["planning_seconds"],
        "landed_table_s": full["planning_seconds"],
        "ratio": round(full["planning_seconds"] / max(empty["planning_seconds"], 1e-3), 2),
        "new_files_landed": full["files_ingested"],
        "skipped": full["files_skipped"],
    }


def report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    m, a = results["machine"], results["a_floor"]
    b, c = results["b_ingest"], results["c_spark_avro"]
    n = results["input"]["records"]
    lines = [
        f"# avrolake vs Spark's JVM Avro reader ({results['date']})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, Python {m['python']}, "
        f"pyspark {m['pyspark']}, polars-avro {m['polars-avro']}, deltalake {m['deltalake']}, "
        f"pyarrow {m['pyarrow']}; {m['platform']}.",
        f"Input: {results['input']['files']} files, {n:,} records, "
        f"{results['input']['bytes'] / 1e6:.1f} MB (deflate), log_event v1/v2/v3 mixed, local "
        "disk. CPU = user+system seconds of every process of the run (JVMs, Python workers).",
        "",
        "Whole runs, what a user pays; the fixed and per-record costs are bench/cost.py's "
        "(cost.md).",
        "",
        "| run | CPU s | records/s per core | wall s | notes |",
        "|---|---|---|---|---|",
        f"| (a) native decode + resolve, 1 process | {a['native']['cpu_s']} | "
        f"{a['native']['records_per_s_core']:,} | | {a['native']['records_by_path']} |",
        f"| (a') fastavro decode + resolve, 2 files | {a['fastavro']['cpu_s']} | "
        f"{a['fastavro']['records_per_s_core']:,} | | {a['fastavro']['records_by_path']} |",
        f"| (b) `avrolake ingest`, local[2] | {b['cpu_s']} | {int(n / b['cpu_s']):,} | "
        f"{b['wall_s']} | {b['summary']['records_by_decode_path']}; Parquet files per "
        f"partition {b['files_per_partition']}; peak worker RSS {b['peak_worker_rss_mb']} MB |",
        f"| (c) Spark JVM Avro → Parquet, local[2] | {c['cpu_s']} | {int(n / c['cpu_s']):,} | "
        f"{c['wall_s']} | {c['rows']:,} rows |",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
        f"| (a) native floor ≥ 1,000,000 records/s per core | "
        f"{a['native']['records_per_s_core']:,} | {a['native']['records_per_s_core'] >= 1e6} |",
    ]
    if "e_planning" in results:
        e = results["e_planning"]
        lines.append(
            f"| (e) planning with {e['landed_sources']:,} landed sources ≤ 2 x empty table | "
            f"{e['landed_table_s']} s vs {e['empty_table_s']} s = {e['ratio']}x | "
            f"{e['ratio'] <= 2} |"
        )
    if "f_big_file" in results:
        f = results["f_big_file"]
        lines.append(
            f"| (f) {f['bytes'] / 1e9:.2f} GB file in {f['splits']} splits, peak worker RSS "
            f"< 1 GB | {f['peak_worker_rss_mb']} MB; {f['landed']:,} of {f['records']:,} "
            f"records; {f['cpu_s']} CPU s, {f['wall_s']} s wall | "
            f"{f['peak_worker_rss_mb'] < 1024 and f['landed'] == f['records']} |"
        )
    if "g_small_files" in results:
        g = results["g_small_files"]
        worst = max(g["files_per_partition"].values())
        lines.append(
            f"| (g) {g['files']:,} small files: ≤ 4 Parquet files per partition | "
            f"{g['files_per_partition']} | {worst <= 4} |"
        )
    lines += ["", "Reproduce: `.venv/bin/python bench/speed.py`", ""]
    (out / "speed.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
