"""Transactional outbox: events are written with the data that caused them, then relayed.

A write and its events commit in one MongoDB transaction (`Outbox.append`), so an accepted
write can never lose its event and an event never describes a write that did not happen.
The relay (services.common.relay) publishes pending rows in stream order and marks them
sent; a row the broker refuses for good is parked here (`Outbox.park`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Actor, Envelope, EventDraft, Source
from contracts.signing import Lineage, Signer
from services.common.group_commit import Deferred, Later
from services.common.heads import StreamHeads
from services.common.limits import check_event_size
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction
from services.common.parking import placeholder_of

log = get_logger()


class Outbox:
    """The `outbox` and `outbox_sequences` collections of one service database."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        source: Source,
        signer: Signer | None = None,
        lineage: Lineage | None = None,
        max_event_bytes: int | None = None,
    ) -> None:
        self.rows = db["outbox"]
        self.sequences = db["outbox_sequences"]
        self.heads = StreamHeads(self.sequences)
        self.parked = db["outbox_parked"]
        self.source = source
        self.signer = signer
        self.lineage = lineage
        self.max_event_bytes = max_event_bytes
        self.later = Later()  # what a group's transactions defer to their end

    async def create_indexes(self) -> None:
        await self.rows.create_index(
            [("created_at", ASCENDING), ("seq", ASCENDING)],
            name="pending",
            partialFilterExpression={"sent": False},
        )

    async def append(
        self,
        session: AsyncClientSession,
        topic: str,
        drafts: Sequence[EventDraft],
        actor: Actor | None = None,
    ) -> list[Envelope]:
        """Seal `drafts` with their stream sequence and store them; call inside a transaction.
        Each is done by `actor` unless it names who did it already (EventDraft.by).

        The stream's head (sequence and last hash, services.common.heads) moves in the same
        transaction, so a stream has no gaps, each envelope names the hash of the one before
        (`prev`) with no fork, and a concurrent writer to the same unit waits (write conflict
        → retry) rather than reorders.
        An envelope over `max_event_bytes` refuses the whole write (EventTooLarge: the
        transaction aborts, nothing is written).
        """
        now = datetime.now(UTC)

        def seal(draft: EventDraft, sequence: int, prev: str) -> tuple[Envelope, str]:
            envelope = draft.by(actor).seal(self.source, sequence, recorded_at=now, prev=prev)
            message = envelope.signed_bytes()  # signed and hashed: serialized once
            return self._signed(envelope, message), hashlib.sha256(message).hexdigest()

        later = self.later.of(session)  # a group's transaction: heads and rows at its end

        def stream(draft: EventDraft) -> str:
            return self.source.stream(draft.unit)

        if later is None:
            sealed = await self.heads.seal(session, drafts, stream, seal)
        else:
            sealed = await self.heads.seal_later(session, drafts, stream, seal, later.moves)
        rows = [_row(envelope, topic, now) for envelope in sealed]
        if self.max_event_bytes is not None:
            for row, envelope in zip(rows, sealed, strict=True):
                check_event_size(row["value"], envelope.payload, self.max_event_bytes)
        if later is None:
            await self.rows.insert_many(rows, session=session)
        else:
            later.rows.extend(rows)
        return sealed

    async def insert_record(
        self, session: AsyncClientSession, collection: AsyncCollection[Document], doc: Document
    ) -> None:
        """Insert a new record (a document with its own unique id, written with its events)
        in the caller's transaction; in a group's, at the group's end with the others of its
        collection (DuplicateKeyError then refuses the group, which is retried one by one)."""
        later = self.later.of(session)
        if later is None:
            await collection.insert_one(doc, session=session)
        else:
            later.insert(collection, doc)

    async def flush(self, session: AsyncClientSession, deferred: Deferred) -> None:
        """Write what a group's transaction deferred (services.common.group_commit)."""
        await self.later.flush(session, deferred, self.heads, self.rows)

    def _signed(self, envelope: Envelope, message: bytes | None = None) -> Envelope:
        if self.signer is None:
            return envelope
        lineage = self.lineage(envelope.unit, envelope.business_day) if self.lineage else None
        return self.signer.sign(envelope, lineage or (envelope.unit,), message)

    async def pending_count(self) -> int:
        return await self.rows.count_documents({"sent": False})

    async def park(self, row: Document, reason: str) -> Envelope | None:
        """Move the pending `row` to `outbox_parked` with `reason` and put its signed
        placeholder in its place, in one transaction; the placeholder, or None if the row is
        no longer pending."""
        placeholder = self._signed(placeholder_of(row, reason))
        parked = {**row, "reason": reason, "parked_at": datetime.now(UTC)}
        parked |= {"size_bytes": len(row["value"]), "placeholder_id": str(placeholder.event_id)}

        async def work(session: AsyncClientSession) -> bool:
            gone = await self.rows.delete_one({"_id": row["_id"], "sent": False}, session=session)
            if gone.deleted_count == 0:
                return False
            await self.parked.insert_one(parked, session=session)
            # where the parked row stood in the pending order: nothing of its stream overtakes
            await self.rows.insert_one(
                _row(placeholder, row["topic"], row["created_at"]), session=session
            )
            return True

        done = await in_transaction(self.rows.database.client, work)
        return placeholder if done else None

    async def parked_count(self) -> int:
        return await self.parked.count_documents({})

    async def pending(self, limit: int) -> list[Document]:
        cursor = self.rows.find({"sent": False}).sort([("created_at", 1), ("seq", 1)])
        return await cursor.limit(limit).to_list()

    async def mark_sent(self, ids: Sequence[Any]) -> None:
        if ids:
            await self.rows.update_many(
                {"_id": {"$in": list(ids)}},
                {"$set": {"sent": True, "sent_at": datetime.now(UTC)}},
            )


def _row(envelope: Envelope, topic: str, now: datetime) -> Document:
    return {
        "_id": str(envelope.event_id),
        "stream": envelope.stream,
        "seq": envelope.sequence,
        "topic": topic,
        "key": envelope.unit,
        "headers": envelope.headers(),
        "value": Binary(envelope.to_bytes()),
        "event_type": envelope.type,
        "created_at": now,
        "sent": False,
    }
