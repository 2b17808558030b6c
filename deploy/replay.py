"""After a restore: catch up with the topics, so nothing this instance already published
collides with what it records next.

A backup is older than the topics. Between the backup and the wipe the instance went on
publishing: each stream (service, instance, unit) handed out sequence numbers that the
restored `outbox_sequences` counters know nothing of, and consumers drop an event whose
(stream, sequence) they already applied, so a counter handing them out again would make new
records vanish from the figures. And the documents of those records (meetings, tracked items,
tasks, filings) were only in the wiped databases.

`catch_up` reads every topic the instance publishes on from the beginning, keeps the records
that claim to come from this instance (a service of it, under one of the instance names that
service used: `source`), and trusts them only as a consumer would: a valid signature by a unit
allowed to sign for the record's unit, and a unit this instance serves, under the hierarchy
changes the restored services had followed (a record trusted only under a change published
after the backup is skipped too: restore a backup taken after the change). Others are counted
as skipped and change nothing. Then:

- each stream's counter moves to the highest sequence the topics hold for it (`$max`);
- the events beyond the restored counters are applied to the documents again, oldest first,
  through the services' own store code (deploy/replay_own.py), with the events they had: no
  event is published again, no new event is made. Consumers' positions stay as restored, so
  they read on from where the backup left them and find these records already there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded, InvalidEvent, decode_event
from contracts.chain import link_of
from contracts.hierarchy import HierarchyChanged
from contracts.keys import KeyRing
from contracts.meetings import MeetingCorrected
from contracts.signing import Verifier
from services.common.hierarchy import Hierarchy
from services.common.kafka import make_consumer, partitions_of
from services.common.mongo import Document
from services.common.recording import serves
from services.common.settings import Settings
from services.common.trust import check_registry_scope, lineage_of

ROLES = ("meetings", "oversight", "reporting", "hierarchy")  # the topics services publish on
BATCH = 2000
Names = dict[str, set[str]]  # service → the instance names its events carry in `source`


async def topic_ends(settings: Settings) -> dict[str, dict[int, int]]:
    """Where each existing topic the instance publishes on ends now: role → partition → end."""
    consumer = make_consumer(settings, "hdnd-backup-probe")
    await consumer.start()
    try:
        return await _ends(consumer, settings)
    finally:
        await consumer.stop()


async def _ends(consumer: AIOKafkaConsumer, settings: Settings) -> dict[str, dict[int, int]]:
    existing = await consumer.topics()
    out: dict[str, dict[int, int]] = {}
    for role in ROLES:
        name = getattr(settings.topics, role)
        if name in existing:
            ends = await consumer.end_offsets(await partitions_of(consumer, [name]))
            out[role] = {tp.partition: int(end) for tp, end in ends.items()}
    return out


@dataclass
class Scanned:
    """This instance's trusted records on the topics."""

    highest: dict[str, dict[str, int]] = field(default_factory=dict)  # service → stream → seq
    links: dict[str, str] = field(default_factory=dict)  # stream → what its next envelope's prev is
    after: list[Decoded[BaseModel]] = field(default_factory=list)  # beyond the restored counters
    skipped: int = 0  # claiming this instance, not trusted
    corrections: set[str] = field(default_factory=set)  # ids of every meeting.corrected


class _Trust:
    """What a consumer would accept: signed by a unit allowed to, for a unit served here,
    under the hierarchy changes the restored services had followed."""

    def __init__(self, settings: Settings, hierarchy: Hierarchy) -> None:
        self.hierarchy = hierarchy
        self.served = settings.units
        self.verifier = None
        if settings.require_signatures:
            assert settings.public_keys is not None  # restore refused to start otherwise
            self.verifier = Verifier(KeyRing(settings.public_keys), lineage_of(self.hierarchy))

    def check(self, decoded: Decoded[BaseModel]) -> None:
        envelope = decoded.envelope
        if self.verifier is not None:
            self.verifier.check(envelope)
            check_registry_scope(self.hierarchy, decoded)
        if not serves(self.hierarchy, envelope.unit, envelope.business_day, self.served):
            raise InvalidEvent(f"unit {envelope.unit} is not served by this instance")


async def scan(
    settings: Settings, names: Names, restored: dict[str, dict[str, int]], hierarchy: Hierarchy
) -> Scanned:
    """Read the topics once, from the beginning to where they end now."""
    trust = _Trust(settings, hierarchy)
    found = Scanned()
    consumer = make_consumer(settings, "hdnd-restore-scan")
    await consumer.start()
    try:
        ends = {
            TopicPartition(getattr(settings.topics, role), p): end
            for role, parts in (await _ends(consumer, settings)).items()
            for p, end in parts.items()
            if end > 0
        }
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        while ends:
            fetched = await consumer.getmany(*ends, timeout_ms=500, max_records=BATCH)
            for tp, records in fetched.items():
                for record in records:
                    if record.offset < ends[tp]:
                        _take(record.value or b"", names, restored, trust, found)
            for tp in list(ends):
                if await consumer.position(tp) >= ends[tp]:
                    del ends[tp]
                    consumer.pause(tp)
    finally:
        await consumer.stop()
    found.after.sort(key=lambda d: (d.envelope.recorded_at, d.envelope.stream, d.envelope.sequence))
    return found


def _take(
    value: bytes, names: Names, restored: dict[str, dict[str, int]], trust: _Trust, found: Scanned
) -> None:
    try:
        claimed: Document = orjson.loads(value)
        source = claimed["source"]
        if claimed.get("type") == MeetingCorrected.TYPE:
            found.corrections.add(str(claimed["event_id"]))
        if source["instance"] not in names.get(source["service"], ()):
            return
        decoded = decode_event(value)
        trust.check(decoded)
    except (InvalidEvent, orjson.JSONDecodeError, KeyError, TypeError):
        if _claims(value, names):
            found.skipped += 1
        return
    envelope = decoded.envelope
    service, stream, seq = envelope.source.service, envelope.stream, envelope.sequence
    streams = found.highest.setdefault(service, {})
    if seq >= streams.get(stream, 0):
        found.links[stream] = link_of(envelope)  # the chain goes on from the newest
    streams[stream] = max(streams.get(stream, 0), seq)
    if seq > restored.get(service, {}).get(stream, 0):
        found.after.append(decoded)


def _claims(value: bytes, names: Names) -> bool:
    """Whether an untrusted record names this instance as its source."""
    try:
        source = orjson.loads(value).get("source") or {}
        return str(source.get("instance")) in names.get(str(source.get("service")), ())
    except (orjson.JSONDecodeError, AttributeError):
        return False


async def _followed(dbs: Iterable[AsyncDatabase[Document]]) -> Hierarchy:
    """The hierarchy with the changes the restored services had followed (their
    `hierarchy_log`, services.common.hierarchy_feed)."""
    changes = {
        d["_id"]: HierarchyChanged.model_validate(d["change"])
        for db in dbs
        async for d in db["hierarchy_log"].find()
    }
    hierarchy = Hierarchy.load().copy()
    hierarchy.apply([changes[n] for n in sorted(changes)])
    return hierarchy


@dataclass(frozen=True, slots=True)
class CaughtUp:
    counters: int
    replayed: int
    skipped: int
    numbers: int
    failed: list[str]


async def catch_up(
    settings: Settings,
    client: AsyncMongoClient[Document],
    services: Sequence[str],
    instances: Iterable[str],
    *,
    replay_own: bool = True,
) -> CaughtUp:
    """Move the restored counters past the topics and, unless told not to, write again the
    documents of what this instance recorded after the backup. The instance names of each
    service are those its restored counters name, and `instances`."""
    from deploy.replay_own import OwnDocuments

    dbs = {s: client[settings.database_for(s)] for s in services}
    restored = {
        s: {d["_id"]: int(d["seq"]) async for d in dbs[s]["outbox_sequences"].find()}
        for s in services
    }
    names = {s: {stream.split("/")[1] for stream in restored[s]} | set(instances) for s in services}
    scanned = await scan(settings, names, restored, await _followed(dbs.values()))
    counters = 0
    for service, streams in scanned.highest.items():
        for stream, top in streams.items():
            if top > restored[service].get(stream, 0):
                # The head moves with its hash, so the next envelope chains on from the
                # newest one on the topic (contracts.chain), not from the backup's.
                await dbs[service]["outbox_sequences"].update_one(
                    {"_id": stream},
                    {"$max": {"seq": top}, "$set": {"hash": scanned.links[stream]}},
                    upsert=True,
                )
                counters += 1
    if not replay_own:
        return CaughtUp(counters, 0, scanned.skipped, 0, [])
    own = OwnDocuments(client, settings, scanned.corrections)
    done = await own.replay(scanned.after)
    return CaughtUp(counters, done.replayed, scanned.skipped, done.numbers, done.failed)
