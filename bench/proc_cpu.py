"""CPU-seconds of a process tree, sampled from /proc (Linux), for whole-job measurements."""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int, float] | None:
    """(ppid, start time, cpu seconds) of a live process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    ppid, utime, stime, start = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[19])
    return ppid, start, (utime + stime) / TICKS


class TreeCpu:
    """Samples every descendant of `root` (minus `exclude` subtrees) until stopped.

    CPU a process spent after its last sample and before it exited is missed (at most one
    interval each); reused Python workers and executors live for the whole job.
    """

    def __init__(self, root: int, exclude: set[int], interval: float = 0.2) -> None:
        self.root, self.exclude, self.interval = root, exclude, interval
        self.seen: dict[tuple[int, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _descendants(self) -> dict[int, tuple[int, float]]:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (s := _stat(int(entry))) is not None:
                stats[int(entry)] = s
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        out, todo = {}, [c for c in children.get(self.root, []) if c not in self.exclude]
        while todo:
            pid = todo.pop()
            out[pid] = (stats[pid][1], stats[pid][2])
            todo += [c for c in children.get(pid, []) if c not in self.exclude]
        return out

    def sample(self) -> None:
        for pid, (start, cpu) in self._descendants().items():
            self.seen[(pid, start)] = max(cpu, self.seen.get((pid, start), 0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeCpu:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.seen.values())
