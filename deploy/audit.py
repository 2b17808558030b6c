"""`hdnd audit verify`: recompute every hash chain from the topics and the service databases,
and name the first record that differs, per stream.

What is read, in this order:
1. the audit topic: each instance's daily roots (contracts.audit), chained like any stream;
   what each root says of a stream (a sequence and its hash) is kept to be checked;
2. the topics of events (facts and hierarchy; `--topic`): every record is decoded, its
   signature checked (contracts.signing: registered key, who may sign for the unit, under the
   hierarchy the registry recorded) and fitted to its stream's chain (contracts.chain: next
   sequence, `prev` = the link of the one before, or a copy of a record already read); a
   record a root speaks of must have the hash the root says;
3. each service database's `outbox` rows (they keep the envelope's bytes), stream by stream
   in sequence order: signature, their own chain, and the record published for the same
   stream and sequence, which must be the same envelope; `outbox_parked`: a parked envelope
   must be the one its stand-in names.

A topic cannot be edited in place: who holds a key can only append (a second record for a
sequence already published, a record whose `prev` does not follow). A database can be edited:
a row then no longer verifies, no longer matches what was published, or breaks the next row's
`prev`. Each finding names where (`topic partition:offset`, `database/collection/_id`) and why.

Memory stays bounded by what is kept per record (contracts.chain.Chains: 8 bytes and an
offset), not by the records: each fetched batch is read and released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from contracts import Decoded, Envelope, InvalidEvent, decode_event
from contracts.audit import AuditRoot, strangers
from contracts.chain import DIGEST, Chains, link_of
from contracts.keys import KeyRing
from contracts.signing import Verifier
from deploy.dlq import (
    READ_BATCH,
    Progress,
    Selection,
    Silent,
    offset_ranges,
    record_batches,
    topic_reader,
)
from deploy.outbox import SERVICES
from deploy.registry import recorded_hierarchy
from services.common.mongo import Document, connect
from services.common.settings import Settings
from services.common.trust import lineage_of

Check = Callable[[Envelope], str | None]  # why an envelope's signature is refused, or None


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """The first record of a stream (in one place) that differs, and why."""

    stream: str
    where: str
    reason: str


@dataclass
class Verified:
    findings: list[Finding]
    records: int = 0
    rows: int = 0
    streams: int = 0
    roots: int = 0
    signatures: bool = True  # False: no public keys, signatures were not checked


def audit_topics(settings: Settings) -> list[str]:
    """The topics `hdnd audit verify` reads by default: every topic of events."""
    topics = settings.topics
    return [topics.audit, *topics.facts, topics.hierarchy]


@dataclass
class Audit:
    """The checks, fed one record or row at a time (pure: no I/O). `whole`: the topics were
    read from their beginning, so what they lack is missing, not merely unread."""

    check: Check | None = None
    whole: bool = True
    published: Chains = field(default_factory=Chains)
    stored: dict[str, Chains] = field(default_factory=dict)  # per database
    homes: dict[str, str] = field(default_factory=dict)  # stream -> "topic partition"
    claims: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    found: dict[tuple[str, str], Finding] = field(default_factory=dict)
    records: int = 0
    rows: int = 0
    roots: int = 0

    def _note(self, scope: str, stream: str, where: str, reasons: Sequence[str | None]) -> None:
        said = "; ".join(r for r in reasons if r)
        if said and (scope, stream) not in self.found:
            self.found[(scope, stream)] = Finding(stream, where, said)

    def _read(self, value: bytes, scope: str, where: str) -> Decoded[BaseModel] | None:
        try:
            return decode_event(value)
        except InvalidEvent as exc:
            self._note(scope, "(unreadable)", where, [f"cannot be read: {exc}"])
            return None

    def record(self, value: bytes | None, topic: str, partition: int, offset: int) -> None:
        """One record of a topic, in offset order within its partition."""
        self.records += 1
        where = f"{topic} {partition}:{offset}"
        event = self._read(value or b"", f"{topic} {partition}", where)
        if event is None:
            return
        envelope = event.envelope
        self.homes.setdefault(envelope.stream, f"{topic} {partition}")
        reasons = [self._signature(envelope), self.published.take(envelope, where, offset)]
        if isinstance(event.payload, AuditRoot):
            reasons.append(self._root(envelope, event.payload, where))
        claim = self.claims.pop((envelope.stream, envelope.sequence), None)
        if claim is not None and claim[0] != link_of(envelope):
            reasons.append(f"not the hash the root at {claim[1]} names for it")
        self._note("topic", envelope.stream, where, reasons)

    def _signature(self, envelope: Envelope) -> str | None:
        return self.check(envelope) if self.check is not None else None

    def _root(self, envelope: Envelope, root: AuditRoot, where: str) -> str | None:
        """Keep what the root says of each stream; why it may not say it, if so."""
        self.roots += 1
        foreign = strangers(envelope.source, root)
        if foreign:
            return f"the root lists streams not of its instance: {', '.join(foreign[:3])}"
        for head in root.streams:
            self.claims[(head.stream, head.sequence)] = (head.hash, where)
        return None

    def row(self, database: str, row: Document) -> None:
        """One outbox row of `database`, in (stream, sequence) order."""
        self.rows += 1
        where = f"{database}/outbox/{row['_id']}"
        event = self._read(bytes(row["value"]), database, where)
        if event is None:
            return
        envelope = event.envelope
        chains = self.stored.setdefault(database, Chains(gaps=True))
        reasons = [self._signature(envelope), chains.take(envelope, where)]
        reasons.append(self._as_published(envelope, bool(row.get("sent"))))
        self._note(database, envelope.stream, where, reasons)

    def _as_published(self, envelope: Envelope, sent: bool) -> str | None:
        known = self.published.streams.get(envelope.stream)
        recalled = known.recalled(envelope.sequence) if known else None
        if recalled is None:
            before = known is not None and envelope.sequence < known.base
            if sent and self.whole and not before:
                return "marked sent, but no record of it was read on the topics"
            return None
        digest, offset = recalled
        if digest != bytes.fromhex(link_of(envelope))[:DIGEST]:
            home = self.homes.get(envelope.stream, "the topic")
            return f"the stored row differs from the published record ({home}:{offset})"
        return None

    def parked(self, database: str, row: Document) -> None:
        """One `outbox_parked` row: the envelope its stand-in (same stream, sequence) names."""
        where = f"{database}/outbox_parked/{row['_id']}"
        event = self._read(bytes(row["value"]), database, where)
        if event is None:
            return
        envelope = event.envelope
        known = self.stored.get(database, Chains()).streams.get(envelope.stream)
        recalled = known.recalled(envelope.sequence) if known else None
        if recalled is not None and recalled[0] != bytes.fromhex(link_of(envelope))[:DIGEST]:
            reason = "not the envelope its stand-in (event.parked) names"
            self._note(f"{database} parked", envelope.stream, where, [reason])

    def finish(self) -> list[Finding]:
        """Every finding, with what the roots say of records the topics do not hold."""
        if self.whole:
            for (stream, sequence), (_, where) in sorted(self.claims.items()):
                reason = f"the root at {where} names sequence {sequence}, which the topics lack"
                self._note("topic", stream, where, [reason])
        return sorted(self.found.values())


async def signature_check(settings: Settings) -> Check | None:
    """The consumers' rule of who may sign what (contracts.signing), under the hierarchy the
    registry recorded; None when there are no public keys to check with."""
    if settings.public_keys is None:
        return None
    client = connect(settings, app_name="hdnd-audit")
    try:
        hierarchy = await recorded_hierarchy(client[settings.database_for("hierarchy")])
    finally:
        await client.close()
    verifier = Verifier(KeyRing(settings.public_keys), lineage_of(hierarchy))

    def check(envelope: Envelope) -> str | None:
        try:
            verifier.check(envelope)
        except InvalidEvent as exc:
            return str(exc)
        return None

    return check


async def verify(
    settings: Settings,
    topics: Sequence[str] = (),
    since: datetime | None = None,
    progress: Progress | None = None,
) -> Verified:
    """Every chain of `topics` (default: every topic of events) and of the services'
    outboxes, read from `since` (default: the beginning)."""
    progress = progress or Silent()
    chosen = list(topics) or audit_topics(settings)
    check = await signature_check(settings)
    audit = Audit(check, whole=since is None)
    client = connect(settings, app_name="hdnd-audit")
    try:
        async with topic_reader(settings, client_id="hdnd-audit") as consumer:
            ranges = {t: await offset_ranges(consumer, t, Selection(since=since)) for t in chosen}
            progress.start(sum(e - f for r in ranges.values() for f, e in r.values()))
            for topic in sorted(chosen, key=lambda t: t != settings.topics.audit):  # roots first
                async for batch in record_batches(consumer, ranges[topic], Silent()):
                    for r in batch:
                        audit.record(r.value, r.topic, r.partition, r.offset)
                    progress.advance(len(batch))
                    await asyncio.sleep(0)  # a Ctrl-C is seen between batches
        query = _row_query(chosen, since)
        for service in SERVICES:
            db = client[settings.database_for(service)]
            cursor = db["outbox"].find(query).sort([("stream", 1), ("seq", 1)])
            async for row in cursor.allow_disk_use(True):
                audit.row(db.name, row)
                if audit.rows % READ_BATCH == 0:
                    await asyncio.sleep(0)  # a Ctrl-C is seen within a cursor's batch too
            async for row in db["outbox_parked"].find(query):
                audit.parked(db.name, row)
    finally:
        await client.close()
    findings = audit.finish()
    streams = len(audit.published.streams)
    return Verified(findings, audit.records, audit.rows, streams, audit.roots, check is not None)


def _row_query(topics: Sequence[str], since: datetime | None) -> Document:
    """Which outbox rows to check: those of the topics read, written from `since`."""
    query: Document = {"topic": {"$in": list(topics)}}
    if since is not None:
        query["created_at"] = {"$gte": since}
    return query
