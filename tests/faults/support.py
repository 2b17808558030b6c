"""What the fault tests share: events made as the outbox makes them, raw publishing, reading a
topic back, the independent oracle of the figures, and service processes to SIGKILL.

The oracle: the figures a projection must hold are recomputed from scratch from the events
that were accepted (each counted once, by event id), with the pure fold of
`services.reporting.read.projector.fold`, and compared document by document with
`unit_months`. Simple
totals (how many voter contacts, how many voters) are also checked by plain counting, so the
fold itself is not the only judge.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel, TypeAdapter
from pymongo import AsyncMongoClient

from bench.common import differences as first_differences
from contracts import Decoded, Envelope, EventDraft, MeetingHeld, Source, decode_event
from contracts.meetings import Meeting
from contracts.signing import Signer
from contracts.timezone import VIETNAM_TZ
from deploy import soak
from deploy.soak import random_meeting, restartable_port
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics
from services.common.mongo import OPERATOR, credentials
from services.common.settings import Settings
from services.reporting.read.projector.fold import fold
from services.reporting.wiring import Reporting
from tests.conftest import eventually

PROVINCE = "12"  # Tỉnh Lai Châu (legacy era)
DISTRICTS = ("105", "106", "107")
MEETING = TypeAdapter(Meeting)
Snapshot = dict[tuple[str, str], dict[str, dict[str, int]]]


@functools.cache
def hierarchy() -> Hierarchy:
    return Hierarchy.load()


@functools.cache
def units() -> tuple[str, ...]:
    """Councils that record meetings in these tests: three districts, their communes, and the
    province itself (every event rolls up into 12)."""
    h = hierarchy()
    communes = [c.code for d in DISTRICTS for c in h.children(d, "legacy")]
    return (PROVINCE, *DISTRICTS, *communes)


def meeting_body(rng: random.Random, meeting_id: str) -> dict[str, Any]:
    """A random meeting of a kind every council level holds, in the first half of 2025."""
    return random_meeting(rng, meeting_id, "Hoạt động của HĐND", "Tổ đại biểu số 1")


class EventFactory:
    """`meeting.held` envelopes sealed and signed the way a meetings service's outbox does:
    one stream per (source, unit), sequences 1, 2, 3 … with no gaps."""

    def __init__(self, settings: Settings, instance: str = "faults", seed: int = 6) -> None:
        assert settings.keys_dir is not None
        self.signer = Signer.from_dir(settings.keys_dir)
        self.source = Source(service="meetings", instance=instance)
        self.rng = random.Random(seed)
        self.sequences: Counter[str] = Counter()
        self.made = 0

    def draft(self, unit: str, body: Mapping[str, Any]) -> EventDraft:
        meeting = MEETING.validate_python(body)
        return EventDraft(
            type=MeetingHeld.TYPE,
            version=MeetingHeld.VERSION,
            unit=unit,
            occurred_at=datetime.combine(meeting.held_on, time(12), tzinfo=VIETNAM_TZ),
            payload=MeetingHeld(meeting=meeting),
        )

    def drafts(self, count: int) -> list[EventDraft]:
        """Unsealed events, for an outbox to number and sign."""
        made = []
        for _ in range(count):
            self.made += 1
            unit = self.rng.choice(units())
            made.append(self.draft(unit, meeting_body(self.rng, f"f{self.made}")))
        return made

    def make(self, count: int) -> list[Envelope]:
        made = []
        for _ in range(count):
            self.made += 1
            unit = self.rng.choice(units())
            draft = self.draft(unit, meeting_body(self.rng, f"f{self.made}"))
            self.sequences[unit] += 1
            envelope = draft.seal(self.source, self.sequences[unit])
            lineage = hierarchy().lineage(unit, envelope.business_day)
            made.append(self.signer.sign(envelope, lineage))
        return made


async def publish(settings: Settings, topic: str, values: Sequence[Envelope | bytes]) -> None:
    """Put messages on a topic as a relay would (key = unit, type and version headers)."""
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.dead_letter])
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        futures = []
        for value in values:
            if isinstance(value, Envelope):
                raw, key = value.to_bytes(), value.unit.encode()
                headers = [(k, v.encode()) for k, v in value.headers().items()]
            else:
                raw, key, headers = value, b"12", []
            futures.append(await producer.send(topic, raw, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic`, partition by partition in offset order."""
    return await soak.read_topic(settings.kafka_bootstrap_servers, topic)


async def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[str, int]:
    return await soak.end_offsets(settings.kafka_bootstrap_servers, topics)


# ------------------------------------------------------------------------------- the oracle


def _nonzero(figures: Mapping[str, int]) -> dict[str, int]:
    return {k: int(v) for k, v in figures.items() if v}


def expected(values: Iterable[bytes | Envelope]) -> Snapshot:
    """unit_months as it must be: the accepted events, once each, folded from nothing."""
    events: dict[Any, Decoded[BaseModel]] = {}
    for value in values:
        decoded = decode_event(value.to_bytes() if isinstance(value, Envelope) else value)
        events.setdefault(decoded.envelope.event_id, decoded)
    result = fold(hierarchy(), events.values())
    assert result.duplicates == 0
    return {
        key: {"own": _nonzero(doc.own), "total": _nonzero(doc.total)}
        for key, doc in result.changes.items()
        if _nonzero(doc.total)
    }


def plain_totals(values: Iterable[bytes | Envelope]) -> dict[str, int]:
    """Province totals by plain counting of the accepted meetings, without the fold."""
    seen: dict[Any, dict[str, Any]] = {}
    for value in values:
        envelope = Envelope.model_validate_json(
            value.to_bytes() if isinstance(value, Envelope) else value
        )
        seen[envelope.event_id] = envelope.payload["meeting"]
    totals: Counter[str] = Counter()
    for meeting in seen.values():
        match meeting["kind"]:
            case "voter_contact":
                totals["voter_contacts"] += 1
                totals["voters_reached"] += meeting["voters_attending"]
                totals["voter_opinions_raised"] += meeting["opinions_raised"]
            case "citizen_reception":
                totals["citizen_receptions"] += 1
                totals["citizens_received"] += meeting["citizens_received"]
                totals["petitions_received"] += meeting["petitions_received"]
            case "standing_committee":
                totals["standing_committee_meetings"] += 1
    return dict(totals)


def differences(actual: Snapshot, wanted: Snapshot, limit: int = 5) -> list[str]:
    return first_differences(
        wanted, actual, lambda u, m, w, a: f"{u} {m}: has {a}, should have {w}", limit
    )


@dataclass
class Databases:
    """Read access to a test's reporting and meetings databases."""

    settings: Settings
    client: AsyncMongoClient[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.client = AsyncMongoClient(
            self.settings.mongodb_uri,
            tz_aware=True,
            serverSelectionTimeoutMS=30_000,
            **credentials(self.settings, OPERATOR),
        )

    @property
    def reporting(self) -> Any:
        return self.client[self.settings.database_for("reporting")]

    @property
    def meetings(self) -> Any:
        return self.client[self.settings.database_for("meetings")]

    async def projection(self) -> Snapshot:
        snapshot: Snapshot = {}
        async for doc in self.reporting["unit_months"].find():
            total = _nonzero(doc.get("total", {}))
            if total:
                own = _nonzero(doc.get("own", {}))
                snapshot[(doc["unit"], doc["month"])] = {"own": own, "total": total}
        return snapshot

    async def positions(self) -> dict[str, int]:
        """Next offset per topic-partition, as the projector stored it with its figures."""
        return {
            f"{d['topic']}:{d['partition']}": int(d["next_offset"])
            async for d in self.reporting["consumer_positions"].find()
        }

    async def outbox_values(self) -> list[bytes]:
        """The events the meetings service accepted: one outbox row per accepted write (its
        daily roots of the hash chains aside: they go to the audit topic)."""
        facts = {"event_type": {"$ne": "audit.root"}}
        rows = (
            self.meetings["outbox"].find(facts, {"value": 1}).sort([("created_at", 1), ("seq", 1)])
        )
        return [bytes(r["value"]) async for r in rows]

    async def province_totals(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        async for doc in self.reporting["unit_months"].find({"unit": PROVINCE}):
            totals.update(doc.get("total", {}))
        return _nonzero(totals)

    async def assert_exact(self, values: Sequence[bytes | Envelope]) -> None:
        """Every document of the projection equals the fold of the accepted events, and the
        province's totals equal plain counting."""
        actual, wanted = await self.projection(), expected(values)
        assert actual == wanted, differences(actual, wanted)
        totals = await self.province_totals()
        for name, value in plain_totals(values).items():
            assert totals.get(name, 0) == value, (name, totals.get(name), value)


@asynccontextmanager
async def databases(settings: Settings) -> AsyncIterator[Databases]:
    db = Databases(settings)
    try:
        yield db
    finally:
        await db.client.close()


async def wait_caught_up(settings: Settings, db: Databases, within: float = 90.0) -> None:
    """Until the positions stored with the figures reach the end of every fact partition."""
    ends = await end_offsets(settings, settings.topics.facts)

    async def caught_up() -> None:
        stored = await db.positions()
        behind = {k: (stored.get(k, 0), end) for k, end in ends.items() if stored.get(k, 0) < end}
        assert not behind, behind

    await eventually(caught_up, within=within, interval=0.2)


# ------------------------------------------------------------------------- service processes


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a service process exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_")}
    env.update(settings.environment())
    env.update(extra)
    return env


@dataclass
class ServiceProcess:
    """`python -m services.<name>` on a free loopback port, as production runs it."""

    name: str
    settings: Settings
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=restartable_port)
    process: subprocess.Popen[bytes] | None = None
    lives: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.lives += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}", "--port", str(self.port)],
                env=service_env(self.settings, **self.extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    async def healthy(self, within: float = 60.0) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:

            async def answers() -> None:
                assert self.process is not None and self.process.poll() is None, self.tail()
                try:
                    r = await client.get("/health")
                except httpx.HTTPError as exc:
                    raise AssertionError(str(exc)) from None
                assert r.status_code == 200

            await eventually(answers, within=within, interval=0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed or marked."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


# ------------------------------------------------------------------------------------- logs


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            self.events.append({"level": record.levelname.lower(), **record.msg})
        else:
            self.events.append({"level": record.levelname.lower(), "event": record.getMessage()})


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Structured log events of this process (attach after the apps configured logging)."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.events
    finally:
        root.removeHandler(handler)


@asynccontextmanager
async def running_reporting(
    settings: Settings, prepare: Callable[[Reporting], None] | None = None
) -> AsyncIterator[Reporting]:
    """A reporting service in this process: its projector and relay, no HTTP. `prepare` may
    wrap its parts before it starts."""
    reporting = Reporting.build(settings)
    if prepare is not None:
        prepare(reporting)
    await reporting.start()
    try:
        yield reporting
    finally:
        await reporting.stop()
