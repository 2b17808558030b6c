"""Where the CPU went while a part of a benchmark ran: this process, its worker processes,
mongod and the broker, read from /proc (Linux; elsewhere nothing is shown)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def _seconds(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid -> (name, parent pid, CPU seconds so far) of every process we may read."""
    out: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        out[int(entry.name)] = (name, parent, _seconds(stat))
    return out


class CpuSplit:
    """`start()`, run the part, `stop()`; then `shares()` says each kind's CPU in cores."""

    def __init__(self) -> None:
        self.before: dict[int, tuple[str, int, float]] = {}
        self.after: dict[int, tuple[str, int, float]] = {}
        self.wall = 0.0

    def start(self) -> None:
        self.before, self.wall = _processes(), time.perf_counter()

    def stop(self) -> None:
        self.after, self.wall = _processes(), time.perf_counter() - self.wall

    def _kind(self, pid: int, name: str, parent: int) -> str:
        if pid == os.getpid():
            return "consumer process"
        if parent == os.getpid() and name.startswith("python"):
            return "worker processes"
        if name.startswith("mongod"):
            return "mongod"
        if name.startswith(("noida", "java", "kafka")):
            return "broker"
        return "other"

    def shares(self) -> dict[str, float]:
        """CPU seconds per wall second (1.0 = one core busy) of each kind."""
        used: dict[str, float] = {}
        for pid, (name, parent, seconds) in self.after.items():
            spent = seconds - self.before.get(pid, (name, parent, 0.0))[2]
            if spent > 0:
                kind = self._kind(pid, name, parent)
                used[kind] = used.get(kind, 0.0) + spent
        return (
            {k: v / self.wall for k, v in sorted(used.items(), key=lambda kv: -kv[1])}
            if self.wall
            else {}
        )

    def text(self, events: int) -> str:
        parts = [
            f"{kind} {cores:.2f} cores ({cores * self.wall / events * 1e6:,.0f} µs/event)"
            for kind, cores in self.shares().items()
            if kind != "other" or cores > 0.05
        ]
        return "; ".join(parts)
