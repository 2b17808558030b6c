"""Dead letters for operators: list, show and re-drive the dead-letter topic (`hdnd dlq`).

A consumer that refuses an event (services.common.deadletter) puts it on
`<prefix>hdnd.deadletter` with the original bytes, key and headers, plus `dlq-reason`,
`dlq-topic`, `dlq-partition`, `dlq-offset` and `dlq-service`. A dead letter is named by its own
place on that topic, `partition:offset` (e.g. `2:17`).

Re-driving publishes letters back to their original topic with their original key and headers
(without the dlq-* ones, plus `redriven-from`) once the operator has fixed the cause. Every
re-drive is recorded in `<database prefix>_ops.redriven` keyed by the letter, before it is
published, so a letter is re-driven once. The consumers count an event once whatever happens
(per-stream sequence numbers), so even a letter re-driven twice by hand never double counts.
A letter that fails again simply comes back as a new dead letter with its reason.

Reads assign partitions by hand (no consumer group) and handle one fetched batch at a time,
so memory stays bounded however long the topic is (noida-db ignores fetch size limits).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from contracts.timezone import VIETNAM_TZ
from services.common.kafka import client_options, partitions_of
from services.common.mongo import Document, connect
from services.common.settings import Settings

REDRIVEN_FROM = "redriven-from"
# A claim older than this whose publish was never confirmed was interrupted: take it over.
CLAIM_LEASE = timedelta(minutes=2)
READ_BATCH = 500


class DeadLetterError(Exception):
    """An operator's request that cannot be carried out; the message says why."""


@dataclass(frozen=True, slots=True, order=True)
class LetterId:
    """A dead letter's place on the dead-letter topic, written `partition:offset`."""

    partition: int
    offset: int

    @classmethod
    def parse(cls, text: str) -> LetterId:
        match = re.fullmatch(r"\s*(\d+):(\d+)\s*", text)
        if match is None:
            raise DeadLetterError(f"{text!r} is not a dead-letter id (partition:offset, e.g. 2:17)")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.partition}:{self.offset}"


@dataclass(frozen=True, slots=True)
class Letter:
    """One dead letter, with what its headers and (if it parses) its envelope say."""

    id: LetterId
    at: datetime
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    event_type: str | None = None
    event_version: int | None = None
    unit: str | None = None

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> Letter:
        value = record.value or b""
        headers = tuple((k, v or b"") for k, v in record.headers)
        found = {k: v.decode(errors="replace") for k, v in headers}
        envelope = _json_object(value)
        event_type = envelope.get("type", found.get("event-type"))
        version = envelope.get("version", found.get("event-version"))
        return cls(
            id=LetterId(record.partition, record.offset),
            at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
            key=record.key,
            value=value,
            headers=headers,
            event_type=str(event_type) if event_type is not None else None,
            event_version=int(str(version)) if str(version).isdigit() else None,
            unit=str(envelope["unit"]) if "unit" in envelope else None,
        )

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode(errors="replace")
        return None

    @property
    def reason(self) -> str:
        return self.header("dlq-reason") or "(no reason recorded)"

    @property
    def origin(self) -> tuple[str, int, int] | None:
        """(topic, partition, offset) the event was refused at, if the headers say."""
        topic, partition, offset = (
            self.header(f"dlq-{k}") for k in ("topic", "partition", "offset")
        )
        if not topic or not (partition or "").isdigit() or not (offset or "").isdigit():
            return None
        return topic, int(partition or 0), int(offset or 0)

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the event had before it was dead-lettered (no dlq-*, no old trace)."""
        return [(k, v) for k, v in self.headers if not k.startswith("dlq-") and k != REDRIVEN_FROM]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which letters an operation is about: all of those matching every given criterion."""

    ids: frozenset[LetterId] = frozenset()
    reason: str | None = None  # case-insensitive substring of the reason
    since: datetime | None = None  # dead-lettered at or after

    def matches(self, letter: Letter) -> bool:
        return (
            (not self.ids or letter.id in self.ids)
            and (self.reason is None or self.reason.casefold() in letter.reason.casefold())
            and (self.since is None or letter.at >= self.since)
        )


class Progress(Protocol):
    """What a long operation reports: how many letters it will scan, then each batch."""

    def start(self, total: int) -> None: ...

    def advance(self, scanned: int) -> None: ...


class Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, scanned: int) -> None:
        pass


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30m`, `2h`, `7d` ago, or an ISO date / date-time (Vietnam time unless it says)."""
    now = now or datetime.now(UTC)
    relative = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[relative[2]]
        return now - timedelta(**{unit: int(relative[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DeadLetterError(
            f"--since {text!r}: use 30m, 2h, 7d, 2025-06-01 or 2025-06-01T08:00+07:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM_TZ)


def _json_object(value: bytes) -> dict[str, Any]:
    """The JSON object in a letter's bytes, or an empty one: a letter may hold anything."""
    try:
        parsed = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- reading the topic ------------------------------------------------------------------------


@asynccontextmanager
async def topic_reader(
    settings: Settings, client_id: str = "hdnd-dlq"
) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer that reads partitions it is assigned by hand (no group, no commits)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=1024 * 1024,
        **client_options(settings),
    )
    try:
        await consumer.start()
        yield consumer
    finally:
        await consumer.stop()


async def offset_ranges(
    consumer: AIOKafkaConsumer, topic: str, selection: Selection
) -> dict[TopicPartition, tuple[int, int]]:
    """[first, end) offsets per partition that may hold selected records, as of now."""
    if topic not in await consumer.topics():
        return {}
    partitions = await partitions_of(consumer, [topic])
    firsts = await consumer.beginning_offsets(partitions)
    ends = await consumer.end_offsets(partitions)
    ranges = {tp: (firsts[tp], ends[tp]) for tp in partitions}
    if selection.since is not None:
        ms = int(selection.since.timestamp() * 1000)
        found = await consumer.offsets_for_times({tp: ms for tp in partitions})
        for tp, at in found.items():
            ranges[tp] = (ends[tp], ends[tp]) if at is None else (at.offset, ends[tp])
    if selection.ids:
        for tp, (first, end) in list(ranges.items()):
            wanted = [i.offset for i in selection.ids if i.partition == tp.partition]
            ranges[tp] = (max(first, min(wanted)), min(end, max(wanted) + 1)) if wanted else (0, 0)
    return {tp: r for tp, r in ranges.items() if r[0] < r[1]}


async def record_batches(
    consumer: AIOKafkaConsumer,
    ranges: dict[TopicPartition, tuple[int, int]],
    progress: Progress,
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Every record in `ranges`, at most READ_BATCH at a time, in offset order within each
    partition; the caller drops each batch."""
    progress.start(sum(end - first for first, end in ranges.values()))
    if not ranges:
        return
    consumer.assign(list(ranges))
    for tp, (first, _) in ranges.items():
        consumer.seek(tp, first)
    reading, idle = set(ranges), 0
    while reading:
        fetched = await consumer.getmany(*reading, timeout_ms=500, max_records=READ_BATCH)
        batch = [
            r
            for tp, records in sorted(fetched.items())
            for r in records
            if r.offset < ranges[tp][1]
        ]
        for tp in list(reading):
            if await consumer.position(tp) >= ranges[tp][1]:
                reading.discard(tp)
                consumer.pause(tp)
        idle = 0 if batch else idle + 1
        if idle > 60:  # ~30 s without a record although the broker said there are more
            topics = ", ".join(sorted({tp.topic for tp in reading}))
            raise DeadLetterError(f"{topics} stopped answering before its end")
        if batch:
            progress.advance(len(batch))
            yield batch


async def read_letters(
    settings: Settings,
    selection: Selection = Selection(),
    progress: Progress | None = None,
    found: set[LetterId] | None = None,
) -> AsyncGenerator[list[Letter], None]:
    """Batches of the selected dead letters, oldest first within each partition; `found`
    collects the ids asked for that exist, whether or not they match the rest."""
    async with topic_reader(settings) as consumer:
        ranges = await offset_ranges(consumer, settings.topics.dead_letter, selection)
        async for records in record_batches(consumer, ranges, progress or Silent()):
            letters = [Letter.from_record(r) for r in records]
            if found is not None:
                found.update(x.id for x in letters if x.id in selection.ids)
            chosen = [letter for letter in letters if selection.matches(letter)]
            if chosen:
                yield chosen


# -- what was re-driven -----------------------------------------------------------------------


class RedriveLog:
    """`<prefix>_ops.redriven`: one document per re-driven letter, written before publishing
    (state `publishing`) and confirmed after the broker's ack (state `redriven`)."""

    def __init__(self, settings: Settings) -> None:
        self.client = connect(settings, app_name="hdnd-dlq")
        self.collection = self.client[settings.database_for("ops")]["redriven"]
        self.topic = settings.topics.dead_letter

    def key(self, letter_id: LetterId) -> str:
        return f"{self.topic}:{letter_id}"

    async def close(self) -> None:
        await self.client.close()

    async def find(self, ids: Iterable[LetterId]) -> dict[LetterId, Document]:
        by_key = {self.key(i): i for i in ids}
        cursor = self.collection.find({"_id": {"$in": list(by_key)}})
        return {by_key[d["_id"]]: d async for d in cursor}

    async def claim(self, letters: Sequence[Letter], run: str) -> list[Letter]:
        """Claim `letters` for this run; returns those claimed. A letter re-driven before is
        not; one whose earlier run stopped before the broker's ack is taken over."""
        if not letters:
            return []
        now = datetime.now(UTC)
        docs = [
            {
                "_id": self.key(letter.id),
                "dead_letter_topic": self.topic,
                "letter": str(letter.id),
                "reason": letter.reason,
                "topic": (letter.origin or ("?",))[0],
                "state": "publishing",
                "run": run,
                "claimed_at": now,
            }
            for letter in letters
        ]
        taken: set[int] = set()
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            taken = {int(e["index"]) for e in errors}
        claimed = [letter for i, letter in enumerate(letters) if i not in taken]
        if not taken:
            return claimed
        stale = {
            "_id": {"$in": [docs[i]["_id"] for i in taken]},
            "state": "publishing",
            "claimed_at": {"$lt": now - CLAIM_LEASE},
        }
        interrupted = {d["_id"] async for d in self.collection.find(stale, {"_id": 1})}
        for i in sorted(taken):
            if docs[i]["_id"] in interrupted:
                retaken = await self.collection.update_one(
                    {**stale, "_id": docs[i]["_id"]}, {"$set": {"run": run, "claimed_at": now}}
                )
                if retaken.modified_count:  # unless another run took it over just now
                    claimed.append(letters[i])
        return claimed

    async def confirm(self, published: Sequence[tuple[Letter, Any]]) -> None:
        if not published:
            return
        now = datetime.now(UTC)
        await self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": self.key(letter.id)},
                    {
                        "$set": {
                            "state": "redriven",
                            "redriven_at": now,
                            "to_partition": meta.partition,
                            "to_offset": meta.offset,
                        }
                    },
                )
                for letter, meta in published
            ],
            ordered=False,
        )


# -- operations -------------------------------------------------------------------------------


@dataclass
class Listing:
    letters: list[Letter]  # the newest `limit` matching letters, oldest first
    matching: int
    redriven: dict[LetterId, Document]


async def list_letters(
    settings: Settings, selection: Selection = Selection(), limit: int = 50
) -> Listing:
    """The newest `limit` dead letters matching `selection`, with their re-drive records."""
    newest: deque[Letter] = deque(maxlen=max(limit, 0))
    matching = 0
    async for letters in read_letters(settings, selection):
        matching += len(letters)
        newest.extend(letters)
    shown = sorted(newest, key=lambda letter: (letter.at, letter.id))
    log = RedriveLog(settings)
    try:
        redriven = await log.find(letter.id for letter in shown) if shown else {}
    finally:
        await log.close()
    return Listing(shown, matching, redriven)


async def get_letter(settings: Settings, letter_id: LetterId) -> tuple[Letter, Document | None]:
    """One dead letter and its re-drive record, if any."""
    found = [
        x
        async for letters in read_letters(settings, Selection(ids=frozenset([letter_id])))
        for x in letters
    ]
    if not found:
        raise DeadLetterError(f"no dead letter {letter_id} on {settings.topics.dead_letter}")
    log = RedriveLog(settings)
    try:
        return found[0], (await log.find([letter_id])).get(letter_id)
    finally:
        await log.close()


@dataclass
class RedriveOutcome:
    redriven: list[tuple[LetterId, str, int, int]] = field(default_factory=list)  # → topic, p, o
    already: list[LetterId] = field(default_factory=list)  # re-driven before: left alone
    no_origin: list[LetterId] = field(default_factory=list)  # headers do not say where from
    missing: list[LetterId] = field(default_factory=list)  # ids asked for that do not exist
    unmatched: list[LetterId] = field(default_factory=list)  # ids whose reason/time differ
    would: list[LetterId] = field(default_factory=list)  # a dry run's selection


async def redrive(
    settings: Settings,
    selection: Selection,
    *,
    everything: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RedriveOutcome:
    """Publish the selected letters back to their original topics, once each.

    Refuses an empty selection unless `everything`: re-driving the whole topic by accident
    would replay every refusal at once.
    """
    if not (selection.ids or selection.reason or everything):
        raise DeadLetterError("say which letters: IDs, --reason TEXT, or --all")
    outcome = RedriveOutcome()
    seen: set[LetterId] = set()
    found: set[LetterId] = set()
    run = uuid.uuid4().hex
    log = RedriveLog(settings)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="hdnd-dlq",
        enable_idempotence=True,
        acks="all",
        **client_options(settings),
    )
    try:
        await producer.start()
        batches = read_letters(settings, selection, progress, found)
        async with aclosing(batches):
            async for letters in batches:
                seen.update(x.id for x in letters)
                outcome.no_origin += [x.id for x in letters if x.origin is None]
                letters = [x for x in letters if x.origin is not None]
                if dry_run:
                    done = await log.find(x.id for x in letters)
                    outcome.already += [x.id for x in letters if x.id in done]
                    outcome.would += [x.id for x in letters if x.id not in done]
                    continue
                # Claim before publishing: whatever happens next, no other run sends these.
                claimed = await log.claim(letters, run)
                claimed_ids = {x.id for x in claimed}
                outcome.already += [x.id for x in letters if x.id not in claimed_ids]
                published = await _publish(producer, claimed)
                await log.confirm(published)
                outcome.redriven += [
                    (x.id, meta.topic, meta.partition, meta.offset) for x, meta in published
                ]
    finally:
        await producer.stop()
        await log.close()
    outcome.missing = sorted(selection.ids - found)
    outcome.unmatched = sorted(found - seen)
    return outcome


async def _publish(
    producer: AIOKafkaProducer, letters: Sequence[Letter]
) -> list[tuple[Letter, Any]]:
    """Send a batch in order, then wait for every ack (order per key is kept: one partition)."""
    futures = []
    for letter in letters:
        topic = (letter.origin or ("",))[0]
        headers = [*letter.original_headers(), (REDRIVEN_FROM, str(letter.id).encode())]
        futures.append(await producer.send(topic, letter.value, key=letter.key, headers=headers))
    metas = await asyncio.gather(*futures)
    return list(zip(letters, metas, strict=True))
