"""bench/cost.py's fit and report: slope (CPU-s per 1M records) and intercept (fixed CPU-s)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.speed import machine


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares (slope, intercept) of CPU-s over millions of records."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0
    return slope, my - slope * mx


def fits(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per tool: the fit over every round's points, and each round's own two-point fit."""
    out: dict[str, Any] = {}
    mixed = [r for r in runs if r["case"] == "mixed"]
    for tool in dict.fromkeys(r["tool"] for r in mixed):
        mine = [r for r in mixed if r["tool"] == tool]
        points = [(r["records"] / 1e6, r["cpu_s"]) for r in mine]
        if len({x for x, _ in points}) < 2:
            continue
        rounds = {}
        for rnd in sorted({r["round"] for r in mine}):
            rounds[rnd] = fit([(r["records"] / 1e6, r["cpu_s"]) for r in mine if r["round"] == rnd])
        out[tool] = {"all": fit(points), "rounds": rounds}
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def lines_for_fit(f: dict[str, Any]) -> list[str]:
    lines = ["| tool | per 1M records (slope), CPU-s | fixed (intercept), CPU-s | per round "
             "(slope / intercept) |", "|---|---|---|---|"]  # fmt: skip
    for tool, v in f.items():
        per_round = "; ".join(f"r{k}: {s:.2f} / {i:.2f}" for k, (s, i) in v["rounds"].items())
        lines.append(f"| {tool} | {v['all'][0]:.2f} | {v['all'][1]:.2f} | {per_round} |")
    if "avrolake" in f:
        s, i = f["avrolake"]["all"]
        for other in (t for t in ("jvm", "floor", "baseline") if t in f):
            so, io = f[other]["all"]
            lines.append(f"| avrolake / {other} | {_ratio(s, so)} | {_ratio(i, io)} | |")
    return lines


def lines_for_runs(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| round | case | records | tool | CPU-s | wall s |", "|---|---|---|---|---|---|"]
    for r in runs:
        case = f"{r['files']:,} {r['case']} files" if r["case"] != "mixed" else "mixed"
        lines.append(
            f"| {r['round']} | {case} | {r['records']:,} | {r['tool']} | {r['cpu_s']} | "
            f"{r['wall_s']} |"
        )
    return lines


def lines_for_small(runs: list[dict[str, Any]], case: str = "small") -> list[str]:
    small = [r for r in runs if r["case"] == case]
    if not small:
        return []
    title = {"small": "Small files", "tiny": f"A tiny run ({small[0]['files']} files)"}[case]
    lines = ["", f"{title} (CPU-s per round):", ""]
    for rnd in sorted({r["round"] for r in small}):
        cpu = {r["tool"]: r["cpu_s"] for r in small if r["round"] == rnd}
        ratios = [
            f"avrolake / {other} {_ratio(cpu['avrolake'], cpu[other])}"
            for other in ("jvm", "baseline")
            if {"avrolake", other} <= cpu.keys()
        ]
        lines.append(f"- round {rnd}: {cpu}; {'; '.join(ratios)}")
    return lines


def report(results: dict[str, Any], out: Path) -> None:
    results["machine"] = machine()
    results["fit"] = fits(results["runs"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "cost.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    m = results["machine"]
    load = [[round(x, 1) for x in results.get(k) or ()] for k in ("load_before", "load_after")]
    lines = [
        f"# What a user pays: avrolake, Spark's JVM Avro source, the one-process floor "
        f"({results['date']})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, Python {m['python']}, "
        f"pyspark {m['pyspark']}, polars-avro {m['polars-avro']}, deltalake {m['deltalake']}, "
        f"pyarrow {m['pyarrow']}. Load average (1, 5, 15 min) before {load[0]}, after {load[1]}.",
        "CPU-s = user+system seconds of every process of the run (JVMs, Python workers).",
        *(
            [f"`baseline`: avrolake at {results['baseline']}, run side by side with the others."]
            if results.get("baseline")
            else []
        ),
        "",
        *lines_for_fit(results["fit"]),
        *lines_for_small(results["runs"]),
        *lines_for_small(results["runs"], "tiny"),
        "",
        "Every run, in the order it ran:",
        "",
        *lines_for_runs(results["runs"]),
        "",
        "Reproduce: `.venv/bin/python bench/cost.py` (environment switches in its docstring).",
        "",
    ]
    (out / "cost.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> int:
    """Rebuild cost.{json,md} from the JSON lines bench/cost.py printed (a run cut short).

    .venv/bin/python -m bench.cost_report LOG [OUT] [NOTE]
    """
    import sys

    log, out = Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "bench/results")
    runs = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    results = {"date": sys.argv[3] if len(sys.argv) > 3 else "from the log", "runs": runs}
    report(results, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
