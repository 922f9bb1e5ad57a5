"""Benchmark: the ingest job against the floor of its design, on the same files, in ONE run.

    .venv/bin/python bench/ingest_throughput.py --records 3000000 --files 30

Writes N mixed-version Avro files (v1/v2/v3) to a local S3 server (moto, its own process),
then measures on those files:
  (a) floor   - fastavro decode + resolve to Arrow in this one process (per core: CPU time)
  (b) local   - `avrolake ingest` end to end on local[2], Delta table in the same S3 server
  (c) cluster - jobs/ingest_logs.py by spark-submit on a standalone master + 2 workers
It prints records/s and MB/s (wall clock), CPU-seconds per million records, and the
CPU ratios (b)/(a) and (c)/(a); results go to bench/results/ingest_throughput.{json,md}.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avrolake.decode import AvroFile, ReaderPlan, reader_plan  # noqa: E402
from avrolake.generate import GenerateSpec, generate  # noqa: E402
from avrolake.registry import Registry  # noqa: E402
from avrolake.storage import S3Options, resolve  # noqa: E402
from bench.proc_cpu import TreeCpu  # noqa: E402

BIN = Path(sys.executable).parent
# Throwaway credentials for the benchmark's own local S3 server.
KEY, SECRET = "bench", "bench-secret"


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def start_s3() -> tuple[subprocess.Popen[bytes], S3Options]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc, S3Options(f"http://127.0.0.1:{port}", "us-east-1", KEY, SECRET)


def floor(plan: ReaderPlan, uri: str, s3: S3Options) -> dict[str, float]:
    """(a): decode + resolve to Arrow, in this process, one file after the other."""
    location = resolve(uri, s3)
    files = location.list_files(".avro")
    start_wall, start_cpu, records = time.perf_counter(), time.process_time(), 0
    for info in files:
        with location.fs.open_input_file(info.path) as stream:
            for table in AvroFile(stream, plan).tables():
                records += table.num_rows
    return {
        "records": records,
        "wall_s": time.perf_counter() - start_wall,
        "cpu_s": time.process_time() - start_cpu,
    }


def run_measured(cmd: list[str], env: dict[str, str], exclude: set[int]) -> dict[str, Any]:
    with TreeCpu(os.getpid(), exclude) as tree:
        start = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{result.stderr[-3000:]}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "records": summary["records_written"],
        "wall_s": wall,
        "cpu_s": tree.cpu_seconds,
        "summary": summary,
    }


def start_cluster(env: dict[str, str], work: Path) -> tuple[list[subprocess.Popen[bytes]], str]:
    port, ui = free_port(), free_port()
    klass = str(BIN / "spark-class")
    procs = [
        subprocess.Popen(
            [
                klass,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(ui),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    master = f"spark://127.0.0.1:{port}"
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    klass,
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    "2g",
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(work / f"w{i}"),
                    master,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
                if json.load(r)["aliveworkers"] >= 2:
                    return procs, master
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError("standalone cluster did not come up")


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=3_000_000)
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--codec", default="deflate")
    parser.add_argument("--skip-cluster", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    registry = Registry(ROOT / "schemas")
    plan = reader_plan(registry, "log_event")
    s3_proc, s3 = start_s3()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": s3.endpoint_url or "",
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "us-east-1",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    results: dict[str, Any] = {"machine": machine(), "date": dt.date.today().isoformat()}
    try:
        s3.filesystem(allow_bucket_creation=True).create_dir("bench")
        raw = "s3://bench/raw"
        spec = GenerateSpec(
            files=args.files, records=args.records // args.files, seed=1, codec=args.codec, hours=6
        )
        print(f"generating {args.files} files x {spec.records} records ...", flush=True)
        generate(registry.versions("log_event"), resolve(raw, s3), spec)
        input_bytes = sum(f.size for f in resolve(raw, s3).list_files(".avro"))
        results["input"] = {
            "files": args.files,
            "records": spec.records * args.files,
            "bytes": input_bytes,
            "codec": args.codec,
        }
        print("(a) floor ...", flush=True)
        results["a_floor"] = floor(plan, raw, s3)
        print("(b) local[2] ...", flush=True)
        results["b_local"] = run_measured(
            [
                sys.executable,
                "-m",
                "avrolake",
                "ingest",
                "--source",
                raw,
                "--table",
                "s3://bench/local",
                "--master",
                "local[2]",
                "--registry",
                str(ROOT / "schemas"),
                "--subject",
                "log_event",
                "--json",
            ],
            env,
            {s3_proc.pid},
        )
        if not args.skip_cluster:
            print("(c) standalone cluster ...", flush=True)
            work = Path("/tmp/avrolake-bench-cluster")
            procs, master = start_cluster(env, work)
            try:
                results["c_cluster"] = run_measured(
                    [
                        str(BIN / "spark-submit"),
                        "--master",
                        master,
                        "--conf",
                        "spark.executor.memory=1g",
                        str(ROOT / "jobs" / "ingest_logs.py"),
                        "--source",
                        raw,
                        "--table",
                        "s3://bench/cluster",
                        "--registry",
                        str(ROOT / "schemas"),
                        "--subject",
                        "log_event",
                        "--json",
                    ],
                    env,
                    {s3_proc.pid},
                )
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(timeout=30)
    finally:
        s3_proc.terminate()
        s3_proc.wait(timeout=30)
    report(results, args.out)
    return 0


def report(results: dict[str, Any], out: Path) -> None:
    mb = results["input"]["bytes"] / 1e6
    a_cpu = results["a_floor"]["cpu_s"]
    lines = [
        "| run | records | wall s | records/s | MB/s | CPU s | CPU s per M records "
        "| CPU ratio to (a) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in (
        ("a_floor", "(a) fastavro floor, 1 process"),
        ("b_local", "(b) job, local[2]"),
        ("c_cluster", "(c) job, standalone 2 workers"),
    ):
        if key not in results:
            continue
        r = results[key]
        r["records_per_s"] = r["records"] / r["wall_s"]
        r["mb_per_s"] = mb / r["wall_s"]
        r["cpu_s_per_million"] = r["cpu_s"] / (r["records"] / 1e6)
        r["cpu_ratio_to_floor"] = r["cpu_s"] / a_cpu
        lines.append(
            f"| {label} | {r['records']:,} | {r['wall_s']:.1f} | {r['records_per_s']:,.0f} | "
            f"{r['mb_per_s']:.1f} | {r['cpu_s']:.1f} | {r['cpu_s_per_million']:.1f} | "
            f"{r['cpu_ratio_to_floor']:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_throughput.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    m, i = results["machine"], results["input"]
    (out / "ingest_throughput.md").write_text(
        f"# Ingest throughput ({results['date']})\n\n"
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"{m['os']}.\nInput: {i['files']} files, {i['records']:,} records, "
        f"{i['bytes'] / 1e6:.1f} MB "
        f"({i['codec']}), log_event v1/v2/v3 mixed, in a local moto S3 server (its own process, "
        "not counted).\nCPU = user+system seconds of every process of the run (JVMs, Python "
        "workers), sampled from /proc every 0.2 s.\n\n" + table + "\n\n"
        "Reproduce: `.venv/bin/python bench/ingest_throughput.py --records 3000000 --files 30`\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
