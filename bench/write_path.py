"""The write path on a report-deadline morning: many secretaries posting at once.

    python -m bench.write_path [--requests 3000] [--clients 16,128] [--workers 1,2]

On one private stack (or KAFKA_BOOTSTRAP_SERVERS + MONGODB_URI), the same meetings of every
unit of Tỉnh Lai Châu (`bench.data`), each path in the same run:

1. direct (the baseline): the meetings service's decision and its one transaction (meeting +
   stream sequence + signed outbox row) called in this process, `--concurrency` at a time,
   with PyMongo's command monitoring on: the commands a write sends, the time spent waiting
   for them, and the CPU this process spends per write;
2. HTTP: `uvicorn --workers W` serving the meetings app on a loopback port (each worker its
   own MongoDB pool, none of them relaying: HDND_RELAY=false), driven by `--clients`
   keep-alive connections from a separate load process; accepted writes (201) per second,
   p50/p99;
3. end to end: one outbox relay runs in this process while the load runs; every accepted
   write's event must reach the topic (checked: the topic holds exactly the accepted count),
   and how long after the last 201 it got there.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from rich.table import Table

from bench.api import MEETING, bench_relay, topic_size
from bench.common import (
    PROVINCE,
    Outcome,
    arguments,
    bench_settings,
    bench_token,
    cleanup,
    console,
    percentile,
    progress,
    run_on_servers,
)
from bench.data import Work, council_work
from contracts import Envelope
from deploy.local import Endpoints, free_port
from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.domain import RecordMeeting, record_meeting
from services.meetings.wiring import Meetings


@dataclass(frozen=True)
class Options:
    requests: int = 3_000  # per run
    clients: tuple[int, ...] = (16, 128)
    workers: tuple[int, ...] = (1, 2)
    concurrency: int = 16  # of the direct baseline
    timeout: float = 300.0


@dataclass
class Run:
    label: str
    accepted: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    on_topic_after: float | None = None  # seconds after the last 201 until all were on the topic
    note: str = ""
    cpu_ms: float | None = None  # CPU of the writing process(es) per accepted write

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000 if self.latencies else 0.0


class Commands(monitoring.CommandListener):
    """What the direct path sends to MongoDB: commands by name and the time awaiting them."""

    def __init__(self) -> None:
        self.on = False
        self.count: Counter[str] = Counter()
        self.micros = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on:
            self.count[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if self.on:
            self.micros += event.duration_micros

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if self.on:
            self.micros += event.duration_micros


# --------------------------------------------------------------------------- the load process


def _load(port: int, token: str, bodies: list[tuple[str, bytes]], clients: int, out: Any) -> None:
    """In its own process: `clients` keep-alive connections, each posting in turn. A Ctrl-C
    is the benchmark's to handle (it ends this process), not this one's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out.put(asyncio.run(_drive(port, token, bodies, clients)))


async def _drive(
    port: int, token: str, bodies: list[tuple[str, bytes]], clients: int
) -> tuple[list[float], dict[int, int], float, float]:
    todo = iter(bodies)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    last_ok = [0.0]

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for path, body in todo:
                head = (
                    f"POST {path} HTTP/1.1\r\nhost: meetings\r\nauthorization: Bearer {token}\r\n"
                    f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
                )
                started = time.perf_counter()
                writer.write(head.encode() + body)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                done = time.perf_counter()
                statuses[status] += 1
                if status == 201:
                    latencies.append(done - started)
                    last_ok[0] = time.time()
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, dict(statuses), time.perf_counter() - started, last_ok[0]


# --------------------------------------------------------------------------- the paths


async def direct(
    service: Meetings, listener: Commands, work: Sequence[Work], concurrency: int
) -> tuple[Run, str]:
    """The decision and the transaction in this process; what a write costs without HTTP."""
    run = Run(f"direct (in process, {concurrency} in flight)")
    meetings = [(w.unit, MEETING.validate_python(w.body)) for w in work]
    queue = iter(meetings)
    await service.runtime.ensure_topics()
    await service.store.create_indexes()
    await service.runtime.start(relay=False)

    async def writer() -> None:
        for unit, meeting in queue:
            draft = record_meeting(
                RecordMeeting(unit=unit, meeting=meeting),
                service.hierarchy,
                service.settings.units,
                today=service.today(),
            )

            async def tx(session: AsyncClientSession, draft: Any = draft) -> Envelope:
                return await service.store.record(session, draft)

            started = time.perf_counter()
            await service.runtime.write(tx)
            run.latencies.append(time.perf_counter() - started)

    listener.on = True
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    listener.on = False
    run.accepted = len(run.latencies)
    n = max(1, run.accepted)
    commands = ", ".join(f"{k} {v / n:.1f}" for k, v in listener.count.most_common())
    waited = listener.micros / n / 1000
    run.cpu_ms = cpu / n * 1000
    breakdown = (
        f"a direct write sends {sum(listener.count.values()) / n:.1f} commands ({commands}); "
        f"their round trips add up to {waited:.2f} ms per write (overlapping across the "
        f"{concurrency} in flight); this process spends {cpu / n * 1000:.2f} ms of CPU per write, "
        f"so one process tops out near {1 / (cpu / n) if cpu else 0:,.0f} writes/s"
    )
    return run, breakdown


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_")}
    env.update(settings.environment())
    env["HDND_RELAY"] = "false"  # the bench's one relay publishes; workers only write
    return env


async def _serve(settings: Settings, workers: int) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "uvicorn", "--factory", "services.meetings.app:create_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--no-access-log"),
        env=_environment(settings),
    )
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    await asyncio.sleep(1.0 * workers)  # every worker up, not just the first
                    return process, port
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    process.terminate()
    await process.wait()
    raise TimeoutError("uvicorn did not answer /health")


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process `pid` and its descendants have used so far (Linux
    /proc): the uvicorn workers' part of each write, whatever else the machine runs."""
    total, tick, pids = 0.0, os.sysconf("SC_CLK_TCK"), [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # ended meanwhile
            continue
    return total


async def http(
    settings: Settings, token: str, work: Sequence[Work], workers: int, clients: int
) -> Run:
    run = Run(f"HTTP {workers} worker{'s' * (workers > 1)}, {clients} clients")
    bodies = [(f"/units/{w.unit}/meetings", json.dumps(w.body).encode()) for w in work]
    server, port = await _serve(settings, workers)
    meetings = Meetings.build(settings)
    relay = await bench_relay(meetings, settings)
    before = await topic_size(settings)
    relay.start()
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    load = context.Process(target=_load, args=(port, token, bodies, clients, out))
    try:
        with progress() as bar:
            task = bar.add_task(run.label, total=len(bodies))
            cpu = _cpu_seconds(server.pid)
            load.start()
            while load.is_alive() and out.empty():
                await asyncio.sleep(0.1)
                bar.update(task, completed=relay.status.published)
            if out.empty():  # it ended unanswered: a Ctrl-C as it started, which goes on here
                await asyncio.sleep(0.1)
                raise RuntimeError(f"the load process exited ({load.exitcode}) without results")
            latencies, statuses, run.seconds, last_ok = out.get(timeout=60)
            run.latencies, run.statuses = latencies, Counter(statuses)
            run.accepted = len(latencies)
            cpu = _cpu_seconds(server.pid) - cpu
            run.cpu_ms = cpu / max(1, run.accepted) * 1000
            deadline = time.monotonic() + 120
            while await topic_size(settings) - before < run.accepted:
                if time.monotonic() > deadline:
                    raise TimeoutError("the relay did not publish every accepted write")
                await asyncio.sleep(0.02)
                bar.update(task, completed=relay.status.published)
            run.on_topic_after = max(0.0, time.time() - last_ok)
            on_topic = await topic_size(settings) - before
            if on_topic != run.accepted:
                run.note = f"{on_topic:,} events on the topic for {run.accepted:,} accepted"
    finally:
        if load.is_alive():  # its answer is in (or a Ctrl-C came): nothing left to post
            load.terminate()
        load.join(timeout=10)
        await relay.stop()
        await meetings.runtime.stop()  # its own relay never ran
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
    return run


async def run(endpoints: Endpoints, keys_dir: Path, options: Options) -> Outcome:
    outcome = Outcome()
    hierarchy = Hierarchy.load()
    token = bench_token(PROVINCE, "secretary")
    console.rule("[bold]The write path: many secretaries posting at once")
    console.print(
        f"{options.requests:,} POST /units/{{unit}}/meetings per run, units of Tỉnh Lai Châu; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    runs: list[Run] = []
    seed = 0

    def fresh(n: int) -> list[Work]:
        nonlocal seed
        seed += 1
        return list(council_work(hierarchy, n, seed=seed, tag=f"w{seed}"))

    settings = bench_settings(endpoints, keys_dir, "direct")
    listener = Commands()
    monitoring.register(listener)  # for clients created from now on: the direct service's
    service = Meetings.build(settings)
    try:
        work = fresh(options.requests)
        base, breakdown = await direct(service, listener, work, options.concurrency)
        runs.append(base)
    finally:
        await service.stop()
        await cleanup(settings)
    for workers in options.workers:
        for clients in options.clients:
            settings = bench_settings(endpoints, keys_dir, f"w{workers}c{clients}")
            try:
                result = await http(settings, token, fresh(options.requests), workers, clients)
            finally:
                await cleanup(settings)
            runs.append(result)
            refused = sum(n for s, n in result.statuses.items() if s != 201)
            if refused or result.note:
                outcome.failures.append(
                    f"{result.label}: {dict(result.statuses)} {result.note}".strip()
                )
    console.print(report(runs, base.rate))
    console.print(f"[dim]{breakdown}")
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    return outcome


def report(runs: Sequence[Run], baseline: float) -> Table:
    table = Table(title="Accepted writes, HTTP → outbox → Kafka", title_justify="left")
    columns = ("path", "accepted/s", "× direct", "p50 ms", "p99 ms", "CPU ms/write", "on Kafka")
    for column in (*columns, "note"):
        table.add_column(column, justify="left" if column in ("path", "note") else "right")
    for r in runs:
        after = "" if r.on_topic_after is None else f"{r.on_topic_after * 1000:,.0f} ms after"
        table.add_row(
            r.label,
            f"{r.rate:,.0f}",
            f"{r.rate / baseline:.2f}×" if baseline else "",
            f"{r.p(50):.1f}",
            f"{r.p(99):.1f}",
            "" if r.cpu_ms is None else f"{r.cpu_ms:.2f}",
            after,
            r.note,
        )
    return table


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = arguments("bench.write_path", __doc__)
    d = Options()
    parser.add_argument("--requests", type=int, default=d.requests, help="per run")
    parser.add_argument("--clients", type=_numbers, default=d.clients, help="e.g. 16,128")
    parser.add_argument("--workers", type=_numbers, default=d.workers, help="e.g. 1,2")
    parser.add_argument("--concurrency", type=int, default=d.concurrency, help="direct path")
    args = parser.parse_args(argv)
    if args.requests < 1 or not args.clients or not args.workers:
        parser.error("--requests, --clients and --workers must be positive")
    return Options(args.requests, args.clients, args.workers, args.concurrency)


def main(argv: Sequence[str] | None = None) -> int:
    return run_on_servers(run, parse(argv))


if __name__ == "__main__":
    sys.exit(main())
