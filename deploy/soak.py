"""`make soak` (`python -m deploy.soak`): minutes of random faults while council offices keep
recording meetings over HTTP, then proof that nothing was lost and nothing counted twice.

It starts its own private stack (noida-db and mongod on free loopback ports, in a temporary
directory) and the meetings and reporting services as separate processes, then, while
writers post meetings at a steady rate (retrying each with its own meeting_id until the
service says it has it, as a careful client does), it injects a random fault every few
seconds: SIGKILL of a service process, a broker restart, a mongod restart, duplicate
publishes (the relay made to send rows again, or raw copies of outbox rows), and poison
messages. At the end it lets everything drain and checks the invariants:

- every write a client saw accepted is stored, nothing is stored that was not sent, and the
  outbox holds exactly one event per stored write, all of them relayed;
- the projection equals, document by document, the events accepted folded from scratch;
- the province's figures over the HTTP API equal the plain count of the stored meetings;
- on the topic, each unit's events come in sequence order (copies only after originals);
- every poison message reached the dead-letter topic; no process died on its own.

Exit status 0 when all hold, 1 when one does not (the work directory is kept for its logs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from contracts import Envelope, EventDraft, MeetingHeld, Source, decode_event
from contracts.signing import generate_keys
from contracts.timezone import VIETNAM_TZ
from deploy.local import LocalStack, free_port
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics, partitions_of
from services.common.settings import Settings
from services.reporting.fold import fold

PROVINCE = "12"  # Tỉnh Lai Châu: 8 districts, ~100 communes in the legacy era
HOST = "127.0.0.1"
FAULTS: dict[str, int] = {  # name → weight
    "kill_meetings": 3,
    "kill_reporting": 3,
    "restart_broker": 2,
    "restart_mongod": 2,
    "duplicate_publish": 2,
    "poison": 2,
}
console = Console()
Snapshot = dict[tuple[str, str], dict[str, dict[str, int]]]


def restartable_port(host: str = HOST) -> int:
    """A free port for a server that will be stopped and started again on it: below the
    kernel's ephemeral range, so the port cannot be handed out meanwhile to anyone asking
    for a free one (`bind(("", 0))`, as test suites on the same machine do), and our server
    finds it free again when it comes back."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    return free_port(host)


@dataclass
class Service:
    """One service process on a loopback port; restarted by the soak, never by itself."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=restartable_port)
    process: subprocess.Popen[bytes] | None = None
    expected_down: bool = False
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", f"services.{self.name}"),
                    *("--host", HOST, "--port", str(self.port)),
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    async def healthy(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise RuntimeError(f"{self.name} exited; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /health within {within:.0f} s")


@dataclass
class Fault:
    at: float
    name: str
    detail: str
    seconds: float


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Writes:
    """What the clients sent and what the service told them."""

    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id → unit, body
    accepted: set[str] = field(default_factory=set)
    retries: int = 0
    refused: list[str] = field(default_factory=list)


class Soak:
    def __init__(self, minutes: float, seed: int, rate: float, keep: bool) -> None:
        self.minutes = minutes
        self.seed = seed
        self.rng = random.Random(seed)
        self.rate = rate
        self.keep = keep
        self.work = Path(tempfile.mkdtemp(prefix="hdnd-soak-"))
        self.stack = LocalStack(
            base_dir=self.work / "stack",
            kafka_port=restartable_port(),
            mongo_port=restartable_port(),
        )
        self.hierarchy = Hierarchy.load()
        self.units = [PROVINCE] + [
            u.code for u in self.hierarchy.descendants(PROVINCE, "legacy") if u.level != "province"
        ]
        self.secret = secrets.token_urlsafe(48)
        self.settings = Settings(
            kafka_bootstrap_servers=self.stack.kafka_bootstrap,
            mongodb_uri=self.stack.mongodb_uri,
            database_prefix="soak",
            topic_partitions=3,
            instance="soak",
        )
        self.writes = Writes()
        self.faults: list[Fault] = []
        self.poison: list[bytes] = []
        self.violations: list[str] = []
        self.started = time.monotonic()
        self.services: dict[str, Service] = {}

    # ------------------------------------------------------------------------- setup

    def _env(self, keys: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_")}
        return env | {
            "KAFKA_BOOTSTRAP_SERVERS": self.stack.kafka_bootstrap,
            "MONGODB_URI": self.stack.mongodb_uri,
            "HDND_DATABASE_PREFIX": "soak",
            "HDND_TOPIC_PARTITIONS": "3",
            "HDND_INSTANCE": "soak",
            "HDND_UNITS": PROVINCE,
            "HDND_KEYS_DIR": str(keys),
            "HDND_JWT_SECRET": self.secret,
            "HDND_IDLE_BACKOFF_MS": "100",
            "HDND_CONSUMER_BATCH": "200",
            "HDND_LOG_LEVEL": "info",
        }

    async def setup(self) -> None:
        console.print(f"[bold]hdnd soak[/] seed={self.seed} minutes={self.minutes} in {self.work}")
        await asyncio.to_thread(self.stack.start_kafka)
        await asyncio.to_thread(self.stack.start_mongo)
        keys = self.work / "keys"
        generate_keys(keys, [PROVINCE])
        (self.work / "logs").mkdir()
        env = self._env(keys)
        for name in ("meetings", "reporting"):
            service = Service(name, env, self.work / "logs" / f"{name}.log")
            self.services[name] = service
            service.start()
        for service in self.services.values():
            await service.healthy()
        await ensure_topics(self.settings, [*self.settings.topics.facts, self._dlq])
        console.print(
            f"broker {self.stack.kafka_bootstrap}, mongod {self.stack.mongodb_uri}, "
            + ", ".join(f"{s.name} {s.url}" for s in self.services.values())
        )

    @property
    def _dlq(self) -> str:
        return self.settings.topics.dead_letter

    def token(self, role: str = "secretary") -> str:
        from services.common.auth import issue_token

        return issue_token(self.secret, unit=PROVINCE, role=role, user="soak")  # type: ignore[arg-type]

    # ------------------------------------------------------------------------- writers

    def _meeting(self, n: int) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        day = (date(2025, 1, 1) + timedelta(days=rng.randrange(178))).isoformat()
        common: dict[str, Any] = {
            "meeting_id": f"soak-{self.seed}-{n}",
            "title": "Hoạt động HĐND",
            "held_on": day,
        }
        kind = rng.choice(("voter_contact", "voter_contact", "citizen_reception", "standing"))
        if kind == "voter_contact":
            body = common | {
                "kind": "voter_contact",
                "timing": rng.choice(("before_session", "after_session")),
                "delegate_group": "Tổ đại biểu số 3",
                "voters_attending": rng.randrange(1, 300),
                "opinions_raised": rng.randrange(0, 20),
            }
        elif kind == "citizen_reception":
            body = common | {
                "kind": "citizen_reception",
                "reception_type": rng.choice(("periodic", "ad_hoc")),
                "citizens_received": rng.randrange(1, 50),
                "petitions_received": rng.randrange(0, 10),
            }
        else:
            body = common | {"kind": "standing_committee", "meeting_type": "regular"}
        return rng.choice(self.units), body

    async def _post(self, client: httpx.AsyncClient, unit: str, body: dict[str, Any]) -> None:
        """Retry with the same meeting_id until the service says it has it."""
        self.writes.sent[body["meeting_id"]] = (unit, body)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                r = await client.post(f"/units/{unit}/meetings", json=body)
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code in (200, 201):
                self.writes.accepted.add(body["meeting_id"])
                return
            if r is not None and r.status_code < 500:
                self.writes.refused.append(f"{r.status_code} {r.text[:200]}")
                return
            self.writes.retries += 1
            await asyncio.sleep(0.3)

    async def writers(self, stop: asyncio.Event, workers: int = 4) -> None:
        counter = iter(range(10**9))
        headers = {"Authorization": f"Bearer {self.token()}"}
        meetings = self.services["meetings"]

        async def worker() -> None:
            async with httpx.AsyncClient(base_url=meetings.url, headers=headers, timeout=30) as c:
                while not stop.is_set():
                    unit, body = self._meeting(next(counter))
                    await self._post(c, unit, body)
                    await asyncio.sleep(workers / self.rate)

        await asyncio.gather(*(worker() for _ in range(workers)))

    # ------------------------------------------------------------------------- faults

    async def faults_loop(self, stop: asyncio.Event, progress: Callable[[str], None]) -> None:
        names, weights = list(FAULTS), list(FAULTS.values())
        await _sleep_or(stop, 5)
        while not stop.is_set():
            name = self.rng.choices(names, weights)[0]
            progress(name)
            started = time.monotonic()
            run: Callable[[], Awaitable[str]] = getattr(self, f"_{name}")
            detail = await run()
            self.faults.append(
                Fault(started - self.started, name, detail, time.monotonic() - started)
            )
            await _sleep_or(stop, self.rng.uniform(5, 12))

    async def _kill(self, name: str) -> str:
        service = self.services[name]
        service.expected_down = True
        service.kill()
        down = self.rng.uniform(0, 2)
        await asyncio.sleep(down)
        service.start()
        await service.healthy()
        service.expected_down = False
        return f"SIGKILL, restarted after {down:.1f} s (life {service.starts})"

    async def _kill_meetings(self) -> str:
        return await self._kill("meetings")

    async def _kill_reporting(self) -> str:
        return await self._kill("reporting")

    async def _restart_broker(self) -> str:
        await asyncio.to_thread(self.stack.stop_kafka)
        down = self.rng.uniform(0, 6)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.stack.start_kafka)
        return f"stopped {down:.1f} s"

    async def _restart_mongod(self) -> str:
        await asyncio.to_thread(self.stack.stop_mongo)
        down = self.rng.uniform(0, 3)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.stack.start_mongo)
        return f"stopped {down:.1f} s"

    async def _duplicate_publish(self) -> str:
        async with self._mongo() as client:
            outbox = client[self.settings.database_for("meetings")]["outbox"]
            sent = await outbox.count_documents({"sent": True})
            if sent == 0:
                return "nothing relayed yet"
            n = self.rng.randint(1, min(200, sent))
            recent = outbox.find({"sent": True}, {"_id": 1}).sort("created_at", -1).limit(n)
            ids = [d["_id"] async for d in recent]
            if self.rng.random() < 0.5:
                await outbox.update_many({"_id": {"$in": ids}}, {"$set": {"sent": False}})
                return f"{len(ids)} relayed rows marked unsent: the relay sends them again"
            rows = await outbox.find({"_id": {"$in": ids}}).to_list()
        copies = self.rng.randint(1, 2)
        await self._publish(
            [(bytes(r["value"]), r["key"], r["headers"]) for r in rows for _ in range(copies)]
        )
        return f"{len(rows)} outbox rows published {copies} more time(s) by hand"

    async def _poison(self) -> str:
        kinds = ["garbage", "unsigned", "unknown_version", "unknown_unit"]
        chosen = [self.rng.choice(kinds) for _ in range(self.rng.randint(1, 4))]
        values = [self._poison_value(kind, i) for i, kind in enumerate(chosen)]
        await self._publish([(v, PROVINCE, {}) for v in values])
        self.poison += values
        return ", ".join(chosen)

    def _poison_value(self, kind: str, i: int) -> bytes:
        if kind == "garbage":
            return f"not an event {secrets.token_hex(4)}".encode()
        unit = "99999" if kind == "unknown_unit" else PROVINCE
        draft = EventDraft(
            type=MeetingHeld.TYPE,
            version=99 if kind == "unknown_version" else MeetingHeld.VERSION,
            unit=PROVINCE,
            occurred_at=datetime(2025, 3, 3, 12, tzinfo=VIETNAM_TZ),
            payload=MeetingHeld.model_validate(
                {
                    "meeting": {
                        "kind": "standing_committee",
                        "meeting_type": "regular",
                        "title": "poison",
                        "held_on": "2025-03-03",
                        "meeting_id": f"poison-{secrets.token_hex(4)}",
                    }
                }
            ),
        )
        envelope = draft.seal(Source(service="poison", instance=f"p{i}"), 1)
        return envelope.model_copy(update={"unit": unit}).to_bytes()

    async def _publish(self, messages: list[tuple[bytes, str, dict[str, str]]]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.kafka_bootstrap, enable_idempotence=True
        )
        for _ in range(60):  # the broker may be restarting
            try:
                await producer.start()
                break
            except Exception:
                await asyncio.sleep(1)
        try:
            futures = [
                await producer.send(
                    self.settings.topics.meetings,
                    value,
                    key=key.encode(),
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
                for value, key, headers in messages
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    @contextlib.asynccontextmanager
    async def _mongo(self) -> Any:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.stack.mongodb_uri, serverSelectionTimeoutMS=60_000
        )
        try:
            yield client
        finally:
            await client.close()

    async def watch_processes(self, stop: asyncio.Event) -> None:
        """A service that dies without being killed is a violation; restart it and go on."""
        while not stop.is_set():
            for service in self.services.values():
                if not service.expected_down and not service.alive():
                    code = service.process.returncode if service.process else None
                    self.violations.append(f"{service.name} exited on its own (code {code})")
                    service.start()
                    with contextlib.suppress(RuntimeError):
                        await service.healthy()
            await _sleep_or(stop, 1)

    # ------------------------------------------------------------------------- the run

    async def run(self) -> int:
        try:
            await self.setup()
            await self.soak()
            await self.settle()
            checks = await self.check()
        except BaseException:
            self.keep = True
            raise
        finally:
            self.teardown()
        return self.report(checks)

    async def soak(self) -> None:
        stop = asyncio.Event()
        total = self.minutes * 60
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("/"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("soak", total=total, status="")
            last = {"fault": "-"}

            def note(name: str) -> None:
                last["fault"] = name

            jobs = [
                asyncio.create_task(self.writers(stop)),
                asyncio.create_task(self.faults_loop(stop, note)),
                asyncio.create_task(self.watch_processes(stop)),
            ]
            self.started = time.monotonic()
            while (elapsed := time.monotonic() - self.started) < total:
                progress.update(
                    task,
                    completed=elapsed,
                    status=f"accepted {len(self.writes.accepted)}  faults {len(self.faults)}"
                    f"  now: {last['fault']}",
                )
                for job in jobs:
                    if job.done() and job.exception() is not None:
                        raise job.exception()  # type: ignore[misc]
                await asyncio.sleep(0.5)
            stop.set()
            progress.update(task, completed=total, status="stopping writers and faults …")
            await asyncio.gather(*jobs)

    async def settle(self) -> None:
        """Everything up, the outbox drained, the projector at the end of every partition."""
        await asyncio.to_thread(self.stack.start_kafka)
        await asyncio.to_thread(self.stack.start_mongo)
        for service in self.services.values():
            if not service.alive():
                service.start()
            await service.healthy()
        console.print("settling: waiting for the outbox to drain and the projector to catch up")
        deadline = time.monotonic() + 300
        async with self._mongo() as client:
            outbox = client[self.settings.database_for("meetings")]["outbox"]
            while await outbox.count_documents({"sent": False}):
                if time.monotonic() > deadline:
                    raise RuntimeError("the outbox did not drain within 5 minutes")
                await asyncio.sleep(0.5)
            ends = await self._ends(self.settings.topics.facts)
            positions = client[self.settings.database_for("reporting")]["consumer_positions"]
            while True:
                stored = {
                    f"{d['topic']}:{d['partition']}": d["next_offset"]
                    async for d in positions.find()
                }
                if all(stored.get(k, 0) >= end for k, end in ends.items()):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError("the projector did not catch up within 5 minutes")
                await asyncio.sleep(0.5)

    async def _ends(self, topics: Any) -> dict[str, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.stack.kafka_bootstrap, group_id=None)
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, topics)
            ends = await consumer.end_offsets(partitions)
            return {f"{tp.topic}:{tp.partition}": n for tp, n in ends.items()}
        finally:
            await consumer.stop()

    async def _read(self, topic: str) -> list[bytes]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.stack.kafka_bootstrap, group_id=None)
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, [topic])
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            by_partition: dict[TopicPartition, list[bytes]] = defaultdict(list)
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                    by_partition[tp] += [r.value or b"" for r in records if r.offset < ends[tp]]
            return [v for tp in partitions for v in by_partition[tp]]
        finally:
            await consumer.stop()

    # ------------------------------------------------------------------------- checks

    async def check(self) -> list[Check]:
        checks: list[Check] = []

        def check(name: str, ok: bool, detail: str) -> None:
            checks.append(Check(name, ok, detail))

        async with self._mongo() as client:
            meetings_db = client[self.settings.database_for("meetings")]
            stored = {d["_id"] async for d in meetings_db["meetings"].find({}, {"_id": 1})}
            rows = await meetings_db["outbox"].find({}, {"value": 1, "sent": 1}).to_list()
            projection = await self._projection(client)
        accepted, sent = self.writes.accepted, set(self.writes.sent)
        lost = accepted - stored
        check(
            "every accepted write is stored",
            not lost,
            f"{len(accepted)} accepted, {len(lost)} missing",
        )
        check(
            "nothing stored that no client sent",
            stored <= sent,
            f"{len(stored)} stored, {len(stored - sent)} unknown",
        )
        events = [decode_event(bytes(r["value"])) for r in rows]
        in_outbox = Counter(e.payload.meeting.meeting_id for e in events)  # type: ignore[attr-defined]
        check(
            "one outbox event per stored write, all relayed",
            set(in_outbox) == stored
            and all(n == 1 for n in in_outbox.values())
            and all(r["sent"] for r in rows),
            f"{len(rows)} events for {len(stored)} writes, "
            f"{sum(not r['sent'] for r in rows)} unsent",
        )
        wanted = _snapshot_of_fold(fold(self.hierarchy, events))
        diffs = [k for k in set(wanted) | set(projection) if wanted.get(k) != projection.get(k)]
        check(
            "projection = accepted events folded from scratch",
            not diffs,
            f"{len(projection)} unit-month documents, {len(diffs)} differ"
            + (f" (e.g. {sorted(diffs)[:3]})" if diffs else ""),
        )
        summary = await self._province_summary()
        plain = _plain_totals(self.writes.sent[i][1] for i in stored)
        wrong = {k: (summary.get(k, 0), v) for k, v in plain.items() if summary.get(k, 0) != v}
        check(
            "province figures over HTTP = plain count of the meetings",
            not wrong,
            ", ".join(f"{k} {v}" for k, v in sorted(plain.items()))
            + (f"; wrong (api, count): {wrong}" if wrong else ""),
        )
        on_topic = await self._read(self.settings.topics.meetings)
        order_ok, duplicates, streams = _in_order_per_stream(on_topic)
        check(
            "each unit's events on the topic in sequence order",
            order_ok,
            f"{len(on_topic)} messages, {streams} streams, {duplicates} duplicate copies "
            "(dropped by the projector)",
        )
        letters = set(await self._read(self._dlq))
        missing = [p for p in self.poison if p not in letters]
        check(
            "every poison message dead-lettered",
            not missing,
            f"{len(self.poison)} poison, {len(missing)} not in {self._dlq}",
        )
        check(
            "no service died on its own, no write refused",
            not self.violations and not self.writes.refused,
            "; ".join(self.violations + self.writes.refused[:3]) or "none",
        )
        return checks

    async def _projection(self, client: AsyncMongoClient[dict[str, Any]]) -> Snapshot:
        snapshot: Snapshot = {}
        async for doc in client[self.settings.database_for("reporting")]["unit_months"].find():
            total = _nonzero(doc.get("total", {}))
            if total:
                snapshot[(doc["unit"], doc["month"])] = {
                    "own": _nonzero(doc.get("own", {})),
                    "total": total,
                }
        return snapshot

    async def _province_summary(self) -> dict[str, int]:
        reporting = self.services["reporting"]
        headers = {"Authorization": f"Bearer {self.token('viewer')}"}
        async with httpx.AsyncClient(base_url=reporting.url, headers=headers, timeout=30) as c:
            r = await c.get(f"/units/{PROVINCE}/summary", params={"period": "2025-H1"})
            r.raise_for_status()
            figures: dict[str, int] = r.json()["figures"]
            return figures

    # ------------------------------------------------------------------------- the end

    def teardown(self) -> None:
        for service in self.services.values():
            service.stop()
        with contextlib.suppress(Exception):
            self.stack.down()

    def report(self, checks: list[Check]) -> int:
        did = Table(title="What the soak did", show_lines=False)
        for column in ("at", "fault", "detail", "took"):
            did.add_column(column)
        for f in self.faults:
            did.add_row(f"{f.at:6.1f} s", f.name, f.detail, f"{f.seconds:.1f} s")
        console.print(did)
        counts = Counter(f.name for f in self.faults)
        console.print(
            f"{len(self.faults)} faults ({', '.join(f'{n} {k}' for k, n in counts.items())}); "
            f"{len(self.writes.sent)} meetings sent, {len(self.writes.accepted)} accepted, "
            f"{self.writes.retries} retried requests, {len(self.poison)} poison messages"
        )
        table = Table(title="What it checked")
        for column in ("invariant", "", "detail"):
            table.add_column(column)
        for c in checks:
            table.add_row(c.name, "[green]ok" if c.ok else "[bold red]VIOLATED", c.detail)
        console.print(table)
        failed = [c for c in checks if not c.ok]
        if failed or self.keep:
            console.print(f"logs and data kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        if failed:
            console.print(f"[bold red]{len(failed)} invariant(s) violated[/]")
            return 1
        console.print("[bold green]all invariants hold[/]")
        return 0


def _nonzero(figures: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in figures.items() if v}


def _snapshot_of_fold(result: Any) -> Snapshot:
    return {
        key: {"own": _nonzero(doc.own), "total": _nonzero(doc.total)}
        for key, doc in result.changes.items()
        if _nonzero(doc.total)
    }


def _plain_totals(bodies: Any) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for m in bodies:
        if m["kind"] == "voter_contact":
            totals.update(
                voter_contacts=1,
                voters_reached=m["voters_attending"],
                voter_opinions_raised=m["opinions_raised"],
            )
        elif m["kind"] == "citizen_reception":
            totals.update(
                citizen_receptions=1,
                citizens_received=m["citizens_received"],
                petitions_received=m["petitions_received"],
            )
        else:
            totals.update(standing_committee_meetings=1)
    return dict(totals)


def _in_order_per_stream(values: list[bytes]) -> tuple[bool, int, int]:
    firsts: dict[str, list[int]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    duplicates = 0
    for value in values:
        try:
            envelope = Envelope.model_validate_json(value)
        except ValueError:
            continue  # poison
        if envelope.source.service == "poison":
            continue
        key = (envelope.stream, envelope.sequence)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        firsts[envelope.stream].append(envelope.sequence)
    ok = all(seqs == list(range(1, len(seqs) + 1)) for seqs in firsts.values())
    return ok, duplicates, len(firsts)


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long faults run")
    parser.add_argument("--seed", type=int, default=None, help="repeat a schedule")
    parser.add_argument("--rate", type=float, default=15.0, help="meetings posted per second")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(datetime.now(UTC).timestamp()) % 100_000
    soak = Soak(args.minutes, seed, args.rate, args.keep)
    return asyncio.run(soak.run())


if __name__ == "__main__":
    sys.exit(main())
