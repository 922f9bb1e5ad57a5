"""The invariant: a landed table equals Avro Java's read of every source file (issue 17).

For each generated schema chain (tests/property/chains.py: 2..4 versions a registry at
BACKWARD_TRANSITIVE accepts; Avro Java's SchemaCompatibility must agree), the versions are
registered one by one in a fresh registry; files of random data (edge values included, union
branches chosen by the data) are written under each version and landed by `run_ingest`
(SerialRunner, real local Delta tables), with `avrolake migrate` when the reader changes a
column's type (and, with the `interleave` feature, ingests between versions). At the end the
table, read with delta-rs's QueryBuilder, must hold for every source file exactly the rows
Avro Java (tests/oracle/AvroOracle.java, one JVM for all chains) reads from it with the
latest reader schema, typed by docs/table.md, or, when Java's values hold a timestamp or date
outside the years 1..9999, the file must be in the quarantine table and nowhere else. A chain
whose latest reader is recursive or has a record with no fields must be refused by the gate
(UnlandableSchemaError). Disagreements of a named known gap (KNOWN_GAPS, docs/table.md) are
printed and counted but fail only with AVROLAKE_DIFF_STRICT=1.

AVROLAKE_DIFF_SEED (default: a fresh seed every run, printed first, so every CI run tries
chains no run tried before; a failure prints the command that reproduces each failing chain
with its seed. Findings of earlier seeds are pinned by unit tests, e.g. seed 266998382268363
chain 384, a kept column beside rows read again, by tests/unit/test_migrate_reread.py),
AVROLAKE_DIFF_CHAINS (500),
AVROLAKE_DIFF_ONLY (one chain index), AVROLAKE_DIFF_FEATURES ("+time,-hostile": see
chains.FEATURES).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

import avrolake.ingest.job as job_module
from avrolake.cli import main as cli_main
from avrolake.config import IngestConfig
from avrolake.errors import SchemaMigrationRequiredError, UnlandableSchemaError
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.registry.landable import landing_problems
from avrolake.schema import Record, parse_schema
from tests.fixtures.lake import sql
from tests.property.avro_write import container
from tests.property.chain_data import Values
from tests.property.chains import Chain, chain, collect_names, features
from tests.property.java_oracle import Oracle
from tests.property.typed import hostile, typed

pytestmark = pytest.mark.property
HOSTILE_KINDS = {"corrupt_data", "conversion_error", "event_time_hostile"}
SUBJECT = "diff"


@dataclass
class Case:
    index: int
    seed: int
    chain: Chain
    root: Path
    files: list[tuple[int, Path]] = field(default_factory=list)  # (version, staged file)
    decoder: str = "auto"
    actions: list[str] = field(default_factory=list)
    died: str | None = None
    refused: bool = False  # the last ingest refused the reader (UnlandableSchemaError)
    early: set[str] = field(default_factory=set)  # files an ingest saw under an older reader
    ledger: dict[str, str] | None = None  # source -> its ledger state, once read

    def landed_path(self, staged: Path) -> Path:
        return (self.root / "raw" / staged.name).resolve()


def settings() -> tuple[int, int, int | None, dict[str, bool]]:
    asked = os.environ.get("AVROLAKE_DIFF_SEED") or "fresh"
    seed = int.from_bytes(os.urandom(6), "big") if asked == "fresh" else int(asked)
    count = int(os.environ.get("AVROLAKE_DIFF_CHAINS", "500"))
    only = os.environ.get("AVROLAKE_DIFF_ONLY")
    return seed, count, int(only) if only else None, features()


def make_case(index: int, master: int, root: Path, feat: dict[str, bool]) -> Case:
    seed = random.Random(f"{master}/{index}").getrandbits(48)
    case = Case(index, seed, chain(seed, feat), root / f"c{index}")
    rng = random.Random(seed + 1)
    case.decoder = "fastavro" if feat["fastavro_path"] and rng.random() < 0.5 else "auto"
    staged = case.root / "staged"
    staged.mkdir(parents=True)
    for version, doc in enumerate(case.chain.versions, 1):
        values = Values(rng, collect_names(doc), hostile=feat["hostile"])
        for n in range(rng.randint(1, 2)):
            records = [values.value(doc) for _ in range(rng.choice([0, 1, 2, 3, 4]))]
            if case.chain.partitioned:  # ts in range, unless a hostile value was drawn
                for r in records:
                    r["ts"] = r["ts"] if rng.random() < 0.1 else rng.randint(0, 2**50)
            data = container(doc, records, codec=rng.choice(["null", "deflate"]),
                             per_block=rng.randint(1, 3))  # fmt: skip
            path = staged / f"v{version}-{n}.avro"
            path.write_bytes(data)
            case.files.append((version, path))
    return case


def ask_java(oracle: Oracle, case: Case) -> None:
    versions = case.chain.versions
    for r in range(1, len(versions)):
        for w in range(r):
            oracle.compat(f"{case.index}/compat/{r}/{w}", versions[r], versions[w])
    for _, path in case.files:
        oracle.read(f"{case.index}/read/{path.name}", versions[-1], path)


# ---------------------------------------------------------------------------- landing


def ingest(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    config = IngestConfig(
        source=str(case.root / "raw"), table=str(case.root / "table"), run_id="r",
        started_at=job_module.dt.datetime(2026, 1, 1, tzinfo=job_module.dt.UTC),
        registry=case.root / "registry", settle_seconds=0,
    )  # fmt: skip
    case.refused = False
    with monkeypatch.context() as patch:
        if case.decoder == "fastavro":
            plain = job_module.reader_plan
            patch.setattr(
                job_module, "reader_plan", lambda *a: replace(plain(*a), decoder="fastavro")
            )
        try:
            run_ingest(replace(config, run_id=f"r{len(case.actions)}"), SerialRunner())
            case.actions.append("ingest")
        except UnlandableSchemaError:  # a recursive or empty reader record: the gate refuses
            case.actions.append("ingest(refused)")
            case.refused = True
        except SchemaMigrationRequiredError:
            migrate(case)
            run_ingest(replace(config, run_id=f"r{len(case.actions)}"), SerialRunner())
            case.actions.append("ingest")


KEPT_NESTED_REFUSAL = "the stored values of these kept nested fields cannot be placed"


def migrate(case: Case) -> None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        rc = cli_main(["migrate", "--table", str(case.root / "table"),
                       "--registry", str(case.root / "registry")])  # fmt: skip
    case.actions.append(f"migrate(rc={rc})")
    said = [line for line in errors.getvalue().splitlines() if "error:" in line]
    if rc != 0 and any(KEPT_NESTED_REFUSAL in line for line in said):
        # A documented refusal (docs/table.md, "Kept nested fields"): a source read again
        # whose stored rows hold kept nested values. Do what its message says: drop the
        # fields the reader removed (a fresh read with the latest reader has none of them).
        with contextlib.redirect_stderr(errors):
            rc = cli_main(["migrate", "--table", str(case.root / "table"), "--registry",
                           str(case.root / "registry"), "--drop-removed-columns"])  # fmt: skip
        case.actions.append(f"migrate(drop-removed, rc={rc})")
        said = [line for line in errors.getvalue().splitlines() if "error:" in line][1:]
    if rc != 0:
        raise RuntimeError(f"migrate exited {rc}: {' '.join(said)[:450]}")


def land(case: Case, feat: dict[str, bool], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(case.seed + 2)
    subject = case.root / "registry" / SUBJECT
    subject.mkdir(parents=True)
    partition = {"partition_field": "ts" if case.chain.partitioned else ""}
    (subject / "table.json").write_text(json.dumps(partition))
    (case.root / "raw").mkdir()
    try:
        for version, doc in enumerate(case.chain.versions, 1):
            (subject / f"v{version}.avsc").write_text(json.dumps(doc))
            for v, path in case.files:
                if v == version:
                    shutil.copy2(path, case.landed_path(path))
            if feat["interleave"] and rng.random() < 0.6:
                if version < len(case.chain.versions):
                    case.early |= {p.name for v, p in case.files if v <= version}
                ingest(case, monkeypatch)
        ingest(case, monkeypatch)
    except Exception as exc:  # a run that dies is a finding, reported with the chain
        case.died = f"{[*case.actions, 'died']}: {type(exc).__name__}: {exc}"[:600]


# ---------------------------------------------------------------------------- comparing


def table_rows(case: Case) -> tuple[dict[str, list[Any]], dict[str, list[str]], list[str]]:
    table = case.root / "table"
    rows: dict[str, list[Any]] = {}
    quarantined: dict[str, list[str]] = {}
    columns: list[str] = []
    if (table / "_delta_log").exists():
        for row in sql(str(table), "SELECT * FROM t"):
            rows.setdefault(row["_source_file"], []).append(row)
            columns = list(row)
    if (case.root / "table_quarantine" / "_delta_log").exists():
        query = "SELECT path, error_kind, message FROM t"
        for q in sql(str(case.root / "table_quarantine"), query):
            reason = f"{q['error_kind']}: {q['message'][:160]}"
            quarantined.setdefault(q["path"], []).append(reason)
    return rows, quarantined, columns


def compare(case: Case, oracle: Oracle, counts: Counter[str]) -> list[str]:
    """Every disagreement of one chain, one line each (the first in full)."""
    versions = case.chain.versions
    problems = []
    for r in range(1, len(versions)):
        for w in range(r):
            answer = oracle.result(f"{case.index}/compat/{r}/{w}")
            if not answer.get("compatible"):
                problems.append(f"checkers disagree: Java says v{r + 1} cannot read v{w + 1}: "
                                f"{answer.get('message') or answer.get('error')}")  # fmt: skip
    if case.died:
        return [*problems, f"run died: {case.died}"]
    reader = parse_schema(versions[-1])
    assert isinstance(reader, Record)
    unlandable = landing_problems(reader)
    if unlandable or case.refused:
        counts["refused_chains"] += bool(unlandable)
        if not (unlandable and case.refused):
            problems.append(f"the gate refused the reader: {case.refused}, landing problems "
                            f"{[p.message[:80] for p in unlandable]}")  # fmt: skip
        return problems
    try:
        rows, quarantined, _ = table_rows(case)
    except OverflowError as exc:  # one chain's finding, not the end of the comparison
        return [*problems, f"the table holds a timestamp or date outside the years 1..9999 "
                f"(read back: {exc})"]  # fmt: skip
    for version, staged in case.files:
        counts["files"] += 1
        answer = oracle.result(f"{case.index}/read/{staged.name}")
        problems += file_problems(case, staged, version, answer, rows, quarantined, counts)
    return problems


def file_problems(
    case: Case, staged: Path, version: int, answer: dict[str, Any],
    rows: dict[str, list[Any]], quarantined: dict[str, list[str]], counts: Counter[str],
) -> list[str]:  # fmt: skip
    """One source file: landed as Java reads it, or quarantined where Java's values hold
    one no table can (or Java cannot read it at all). Its state is the ledger's newest row
    (a file quarantined under an older reader may land later, and the reverse)."""
    reader = parse_schema(case.chain.versions[-1])
    path = str(case.landed_path(staged))
    where = f"file {staged.name} (v{version}{', early' if staged.name in case.early else ''})"
    got_rows = rows.get(path, [])
    state = ledger_states(case).get(path)
    kinds = quarantined.get(path, []) if state == "quarantined" else []
    if "error" in answer:  # no value exists (empty bytes read as a decimal)
        counts["java_unreadable_files"] += 1
        if got_rows or not kinds:
            return [f"{where}: Avro Java cannot read it ({answer['error'][:120]}) but landed "
                    f"{len(got_rows)} rows, ledger state {state}"]  # fmt: skip
        return []
    want = answer["rows"]
    if any(hostile(reader, row) for row in want):
        counts["hostile_files"] += 1
        if got_rows or not {k.split(":")[0] for k in kinds} & HOSTILE_KINDS:
            return [f"{where}: holds a value to quarantine (a timestamp/date past 1..9999, bad "
                    f"UTF-8) but landed {len(got_rows)} rows, quarantined {kinds}"]  # fmt: skip
        return []
    if kinds:
        return [f"{where}: a valid file was quarantined as {kinds}"]
    assert isinstance(reader, Record)
    got = [typed(reader, {f.name: row.get(f.name) for f in reader.fields}) for row in got_rows]
    counts["rows"] += len(want)
    return diff_rows(where, want, got)


def ledger_states(case: Case) -> dict[str, str]:
    """Each source's state: the status of its newest ledger row."""
    if case.ledger is None:
        case.ledger = {}
        ledger = case.root / "table_ledger"
        if (ledger / "_delta_log").exists():
            for row in sql(str(ledger), "SELECT path, status FROM t ORDER BY seq, recorded_at"):
                case.ledger[row["path"]] = row["status"]
    return case.ledger


def canonical(row: Any) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def diff_rows(where: str, want: list[Any], got: list[Any]) -> list[str]:
    """Rows equal as a multiset, else the first Java row no table row equals, shown beside
    the table row that agrees with it on the most columns (rows may come back reordered)."""
    if len(want) != len(got):
        return [f"{where}: Avro Java reads {len(want)} rows, the table holds {len(got)}"]
    left = sorted(map(canonical, got))
    if sorted(map(canonical, want)) == left:
        return []
    for i, a in enumerate(want):
        if canonical(a) in left:
            left.remove(canonical(a))
            continue
        b = max(got, key=lambda row: sum(row.get(k) == v for k, v in a.items()))
        column = next((k for k in a if a[k] != b.get(k)), "?")
        return [f"{where}: row {i} column {column}: Avro Java {canonical(a.get(column))} "
                f"!= table {canonical(b.get(column))}"]  # fmt: skip
    return [f"{where}: the table holds a row twice"]


# Disagreements avrolake does not resolve yet, each named (docs/table.md, "Known gaps"): they
# are printed and counted, and fail the test only with AVROLAKE_DIFF_STRICT=1. None today: the
# earlier ones (bytes -> string over non-UTF-8 bytes, integers rounded into a float, files
# quarantined or landed under an older reader, an enum symbol restored, empty bytes as a
# decimal) are closed by migrate reading such rows again from their sources and by the
# ledger retrying reader-decided quarantines (tests/unit/test_migrate_reread.py).
KNOWN_GAPS: dict[str, list[tuple[str, ...]]] = {}  # name: alternatives, each all substrings


def known_gap(problem: str) -> str | None:
    """The known gap a disagreement belongs to, or None."""
    for name, alternatives in KNOWN_GAPS.items():
        if any(all(part in problem for part in parts) for parts in alternatives):
            return name
    return None


def problem_class(problem: str) -> str:
    """A short name for a disagreement, to count them by kind."""
    gap = known_gap(problem)
    if gap:
        return gap
    text = problem.split(": ", 1)[-1] if problem.startswith("file ") else problem
    if text.startswith("run died"):
        return "run died: " + text.split("'died']: ", 1)[-1].split(":")[0]
    if text.startswith("a valid file was quarantined"):
        return "valid file quarantined: " + text.split("['", 1)[-1][:60]
    if "Avro Java" in text and "member_" in text and '!= table {"member_' in text:
        return "union branch differs"
    if text.startswith("row "):
        return "value differs"
    return text[:50]


def report(seed: int, feat: dict[str, bool], failures: list[tuple[Case, list[str]]]) -> str:
    switches = ",".join(f"{'+' if on else '-'}{k}" for k, on in feat.items())
    lines = [f"{len(failures)} chain(s) disagree with Avro Java (seed {seed})."]
    for case, problems in failures[:8]:
        lines.append(
            f"\n-- chain {case.index} (decoder {case.decoder}, actions {case.actions}): reproduce "
            f"with\n   AVROLAKE_DIFF_SEED={seed} AVROLAKE_DIFF_ONLY={case.index} "
            f"AVROLAKE_DIFF_FEATURES={switches} .venv/bin/pytest "
            f"tests/property/test_java_differential.py -k equals_avro_java -q"
        )
        lines += [f"   {p}" for p in problems[:3]]
        if case is failures[0][0]:
            lines += [f"   v{n}: {json.dumps(doc)}" for n, doc in enumerate(case.chain.versions, 1)]
    return "\n".join(lines)


def test_table_equals_avro_java_on_generated_chains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed, count, only, feat = settings()
    strict = os.environ.get("AVROLAKE_DIFF_STRICT") == "1"  # known gaps fail the test too
    with capsys.disabled():  # the seed is in every run's log, passed or failed
        print(f"\nAVROLAKE_DIFF_SEED={seed} chains={count} only={only}")  # noqa: T201
    print(f"features={feat}")  # noqa: T201
    started = time.monotonic()
    indexes = [only] if only is not None else list(range(count))
    cases = [make_case(i, seed, tmp_path, feat) for i in indexes]
    oracle = Oracle(tmp_path)
    for case in cases:
        ask_java(oracle, case)
    oracle.start()
    for case in cases:
        land(case, feat, monkeypatch)
    counts: Counter[str] = Counter()
    found: list[tuple[Case, list[str]]] = []
    for case in cases:
        problems = compare(case, oracle, counts)
        counts[f"decoder_{case.decoder}"] += 1
        counts["versions"] += len(case.chain.versions)
        counts["migrations"] += sum(a.startswith("migrate(rc") for a in case.actions)
        counts["kept_nested_dropped"] += sum("drop-removed" in a for a in case.actions)
        counts["known_gap_chains"] += any(known_gap(p) for p in problems)
        if problems:
            found.append((case, problems))
    failures = [(c, ps) for c, ps in found if strict or not all(known_gap(p) for p in ps)]
    print(f"{len(cases)} chains in {time.monotonic() - started:.1f}s: {dict(counts)}")  # noqa: T201
    classes = Counter(problem_class(p) for _, problems in found for p in problems)
    for name, n in classes.most_common():
        print(f"  {n:4d} x {name}")  # noqa: T201
    for case, problems in found:
        for p in problems:
            print(f"  chain {case.index} ({case.decoder}): {p[:300]}")  # noqa: T201
    assert not failures, report(seed, feat, failures)
    assert len(cases) == count or only is not None
