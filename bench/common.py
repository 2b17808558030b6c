"""What both benchmarks share: servers, isolated settings, cleanup, timing and printing.

Every benchmark runs against real servers: the environment's (`KAFKA_BOOTSTRAP_SERVERS` and
`MONGODB_URI`, both set) or a private local stack (noida-db and mongod from PyPI) on free
loopback ports with fresh data in a temporary directory, stopped at the end. Each run uses
its own database and topic prefix and removes them afterwards, so it can share servers with
anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import functools
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from contracts import Actor, Decoded, EventDraft, MeetingHeld, Source
from contracts.keys import generate_keys
from contracts.signing import Signer
from contracts.timezone import VIETNAM_TZ
from deploy.interrupts import shielded, stops_on_ctrl_c
from deploy.local import Endpoints, LocalStack, external_endpoints, free_port
from deploy.mongo_users import grant_databases
from services.common.hierarchy import Hierarchy
from services.common.kafka import partitions_of
from services.common.logging import configure_logging
from services.common.mongo import connect, redacted
from services.common.settings import Settings
from services.reporting.identity.keys import IssuerKeys, standalone_issuer

console = Console()

OptionsT = TypeVar("OptionsT")
V = TypeVar("V")

PROVINCE = "12"  # Tỉnh Lai Châu: 8 district-level units and 106 communes until 2025-06-30
MONTHS = range(1, 7)  # 2025 H1, under the three-level administration
INSTANCE = "instance"  # in a benchmark's key folder: the keys the services under test hold


@contextlib.contextmanager
def servers() -> Iterator[Endpoints]:
    """The environment's servers, or a private local stack that is stopped on exit. A Ctrl-C
    stops the benchmark at any moment, the stack with it, and says so (exit status 130)."""
    with (
        stops_on_ctrl_c("the benchmark is cut short: no figures", console.print),
        _servers() as endpoints,
    ):
        yield endpoints


def memory_dir(spare: int = 8 << 30) -> str | None:
    """Where the private broker keeps its data: in memory (/dev/shm) when there is room for
    it, else beside mongod's (`BENCH_BROKER_ON_DISK=1`: beside mongod's, as before).

    noida-db holds its topics in memory and saves them by rewriting one file with all of them
    (1.4 GB in the traced harness, 2.6 GB after a 1 M-event run), then syncing it: seconds of
    a core, then the whole file written back in about a second, again and again while
    anything is produced. On the one disk of these machines that write-back held mongod's
    journal commits for up to 0.8 s, and so the projector's flushes; a 1.4 GB `dd
    conv=fsync` beside a live projector gave the same (freshness p99 1.0-1.9 s). Apache Kafka
    appends to its segments and leaves writing them back to the OS a little at a time, so the
    benchmarks keep the emulator's file off the disk that mongod's journal is on.

    A file in /dev/shm is RAM that nothing can swap out, so both the tmpfs and the memory
    still available must have `spare` bytes (8 GB) to spare. A run killed with SIGKILL leaves
    its directory there (`rm -rf /dev/shm/hdnd-bench-kafka-*`)."""
    if os.environ.get("BENCH_BROKER_ON_DISK") == "1":  # to measure what the write-back costs
        return None
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    return str(shm) if min(shutil.disk_usage(shm).free, memory_available()) > spare else None


def memory_available() -> int:
    """Bytes of memory Linux can still give without swapping (0 where it does not say)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


_broker_file = "the environment's broker"


def broker_file() -> str:
    """Where this run's broker keeps its file, as `servers` chose it, for the report."""
    return _broker_file


@contextlib.contextmanager
def _servers() -> Iterator[Endpoints]:
    external = external_endpoints()
    if external is not None:
        console.print(
            f"[dim]servers from the environment: {external.kafka_bootstrap}, "
            f"{redacted(external.mongodb_uri)}[/dim]"
        )
        yield external
        return
    global _broker_file
    memory = memory_dir()
    _broker_file = "broker's file in memory" if memory else "broker's file on disk"
    with (
        tempfile.TemporaryDirectory(prefix="hdnd-bench-") as scratch,
        tempfile.TemporaryDirectory(prefix="hdnd-bench-kafka-", dir=memory) as kafka,
    ):
        # mongod with 1 GB of cache, as compose's (MONGO_CACHE_GB), not the 0.25 of tests and
        # `make run`: a 1 M-event projection's working set outgrows 0.25 GB (300k events:
        # mongod's CPU per event 74 → 62 µs with 1 GB; the peers use the same server).
        stack = LocalStack(
            base_dir=Path(scratch),
            kafka_port=free_port(),
            mongo_port=free_port(),
            mongo_cache_gb=1.0,
            kafka_dir=Path(kafka),
        )
        started = time.perf_counter()
        with console.status("starting noida-db and mongod on free loopback ports…"):
            try:
                endpoints = stack.up()
            except BaseException:
                with shielded():
                    stack.down()
                raise
        console.print(
            f"[dim]private stack up in {time.perf_counter() - started:.1f} s: "
            f"kafka {endpoints.kafka_bootstrap}, mongodb {endpoints.mongodb_uri}[/dim]"
        )
        try:
            yield endpoints
        finally:
            with shielded(), console.status("stopping the private stack…"):
                stack.down()


@contextlib.contextmanager
def signing_keys(units: Sequence[str] = (PROVINCE,)) -> Iterator[Path]:
    """Throw-away key pairs for provinces, each of which signs for every unit below it: all
    of them for the events a benchmark writes as those instances would, and in `instance/`
    only PROVINCE's, for the services under test (an instance holds the private keys of the
    units it serves and no others; see bench_settings)."""
    with tempfile.TemporaryDirectory(prefix="hdnd-bench-keys-") as scratch:
        directory = Path(scratch)
        generate_keys(directory, units)
        (directory / INSTANCE / "private").mkdir(parents=True)
        shutil.copy2(directory / "private" / f"{PROVINCE}.pem", directory / INSTANCE / "private")
        yield directory


BENCH_ISSUER = "hdnd-bench"


@functools.cache
def bench_issuer() -> IssuerKeys:
    """The benchmarks' token issuer: a key of their own, its JWKS given to the services."""
    directory = Path(tempfile.mkdtemp(prefix="hdnd-bench-issuer-"))
    atexit.register(shutil.rmtree, directory, True)
    return standalone_issuer(directory)


def bench_token(unit: str | None, role: str, user: str = "bench") -> str:
    return bench_issuer().issue(
        issuer=BENCH_ISSUER,
        audience="hdnd",
        subject=user,
        unit=unit,
        role=role,
        ttl=timedelta(hours=2),
    )


def bench_settings(endpoints: Endpoints, keys_dir: Path, name: str, **overrides: Any) -> Settings:
    """Settings with a database and topic prefix of their own (nothing shared, nothing reused)."""
    tag = f"bench{os.getpid()}{name}{random.randrange(16**6):06x}"
    configure_logging("bench", "warning")
    grant_databases(endpoints, tag)  # the services' MongoDB users, on this run's databases
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": endpoints.kafka_bootstrap,
        "mongodb_uri": endpoints.mongodb_uri,
        "mongodb_secrets_dir": endpoints.mongodb_secrets_dir,
        "database_prefix": tag,
        "topic_prefix": f"{tag}.",
        "topic_partitions": 6,
        "instance": "bench",
        "idle_backoff_ms": 50,
        "relay_poll_ms": 50,
        "log_level": "warning",
        "units": [],
        "keys_dir": keys_dir / INSTANCE,
        "public_keys_dir": keys_dir / "public",
        "token_jwks_file": bench_issuer().directory / "jwks.json",
        "token_issuer": BENCH_ISSUER,
        "issuer_url": "http://127.0.0.1:9",  # no issuer: nothing is revoked
    }
    values.update(overrides)
    return Settings(**values)


async def run_topics(admin: AIOKafkaAdminClient, settings: Settings) -> list[str]:
    """The topics of this run (its topic prefix): what `trim` empties and `cleanup` deletes."""
    return [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]


async def trim(settings: Settings) -> int:
    """Delete every record the run's topics hold so far (Kafka's DeleteRecords, up to each
    partition's end); how many. Call it only once the consumers timed after it have read all
    of it (peers: hdnd's projector, caught up). Apache Kafka's cost per event does not depend
    on what it retains; noida-db's does: while anything is produced it rewrites its whole
    store, and after a 1 M-event fold that took a whole core (of 2) for longer than the
    10-second freshness window. The projection and the processes that built it are kept as
    they are; only what the broker holds shrinks, as if retention had removed it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            ours = await run_topics(admin, settings)
            partitions = await partitions_of(consumer, ours)
            ends = await consumer.end_offsets(partitions) if partitions else {}
            starts = await consumer.beginning_offsets(partitions) if partitions else {}
            wanted = {tp: RecordsToDelete(end) for tp, end in ends.items() if end > starts[tp]}
            if wanted:
                await admin.delete_records(wanted)
            return sum(ends[tp] - starts[tp] for tp in wanted)
        finally:
            await admin.close()
    finally:
        await consumer.stop()


async def cleanup(settings: Settings) -> None:
    """Drop the run's databases and delete its topics (matters on shared, external servers)."""
    client: AsyncMongoClient[dict[str, Any]] = connect(settings, "hdnd-bench-cleanup")
    try:
        for name in await client.list_database_names():
            if name.startswith(f"{settings.database_prefix}_"):
                await client.drop_database(name)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        ours = await run_topics(admin, settings)
        if ours:
            with contextlib.suppress(Exception):
                await admin.delete_topics(ours)
    finally:
        await admin.close()


def operator_client(app: Any, settings: Settings, user: str) -> httpx.AsyncClient:
    """An HTTP client of the reporting `app` over ASGI, with an operator's token (reads all)."""
    token = bench_token(None, "operator", user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://reporting",
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def arguments(module: str, doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, its module docstring as the help."""
    return argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def progress() -> Progress:
    """A progress display; each task's description is its label."""
    return Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(fast: float, slow: float) -> float:
    return fast / slow if slow > 0 else math.inf


def ratio_text(value: float) -> str:
    return f"{value:,.0f}×" if value >= 10 else f"{value:,.2f}×"


Message = tuple[bytes, bytes, list[tuple[str, bytes]]]  # value, key, headers


def message(event: Decoded[BaseModel]) -> Message:
    envelope = event.envelope
    headers = [(k, v.encode()) for k, v in envelope.headers().items()]
    return envelope.to_bytes(), envelope.unit.encode(), headers


async def publish(
    settings: Settings, messages: Iterator[Message], total: int, label: str, rate: float = 0
) -> list[float]:
    """Produce to the meetings topic, at `rate` per second if given; returns send times."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=0 if rate else 10,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    sent: list[float] = []
    try:
        with progress() as bar:
            task = bar.add_task(label, total=total)
            pending: list[asyncio.Future[Any]] = []
            started = time.perf_counter()
            for value, key, headers in messages:
                if rate:
                    delay = started + len(sent) / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent.append(time.perf_counter())
                topic = settings.topics.meetings
                pending.append(await producer.send(topic, value, key=key, headers=headers))
                if len(pending) >= (50 if rate else 5_000):
                    await asyncio.gather(*pending)
                    bar.advance(task, len(pending))
                    pending.clear()
            await asyncio.gather(*pending)
            bar.advance(task, len(pending))
    finally:
        await producer.stop()
    return sent


@dataclass
class Row:
    """One line of the summary table."""

    bench: str
    measured: str
    rate: float
    unit: str
    baseline: str = ""
    baseline_rate: float | None = None
    note: str = ""


@dataclass
class Outcome:
    """What one benchmark found: summary rows, and whether its correctness checks held."""

    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def run_on_servers(
    run: Callable[[Endpoints, Path, OptionsT], Coroutine[Any, Any, Outcome]], options: OptionsT
) -> int:
    """Run one benchmark on the servers with throw-away signing keys; the exit status says
    whether its checks held."""
    with servers() as endpoints, signing_keys() as keys_dir:
        outcome = asyncio.run(run(endpoints, keys_dir, options))
    return 0 if outcome.ok else 1


def differences(
    expected: Mapping[tuple[str, str], V],
    actual: Mapping[tuple[str, str], V],
    say: Callable[[str, str, V | None, V | None], str],
    limit: int,
) -> list[str]:
    """The first `limit` (unit, month) keys whose values differ, each as `say(unit, month,
    expected, actual)` words it, and how many more there are."""
    diffs = [
        say(unit, month, expected.get((unit, month)), actual.get((unit, month)))
        for unit, month in sorted(set(expected) | set(actual))
        if expected.get((unit, month)) != actual.get((unit, month))
    ]
    return diffs[:limit] + ([f"… {len(diffs) - limit} more"] if len(diffs) > limit else [])


def meeting_held(
    source: Source,
    sequence: int,
    unit: str,
    body: dict[str, Any],
    day: date,
    signer: Signer | None = None,
    hierarchy: Hierarchy | None = None,
    actor: Actor | None = None,
) -> Decoded[BaseModel]:
    """A `meeting.held` sealed as a meetings service's outbox seals it (at noon of the day
    held, done by `actor`), and signed for the unit's lineage when there is a signer."""
    payload = MeetingHeld.model_validate({"meeting": body})
    envelope = EventDraft(
        type=MeetingHeld.TYPE,
        version=MeetingHeld.VERSION,
        unit=unit,
        occurred_at=datetime.combine(day, clock(12), tzinfo=VIETNAM_TZ),
        payload=payload,
        actor=actor,
    ).seal(source, sequence)
    if signer is not None:
        assert hierarchy is not None, "signing needs the unit's lineage"
        envelope = signer.sign(envelope, hierarchy.lineage(unit, day))
    return Decoded(envelope, payload)
