"""Webhooks' documents in reporting's database.

- `webhook_subscriptions`: one per subscription: its unit and era, the URL, the event types it
  names, its secret (kept to sign with; shown once, at creation), whether it is active, who
  made it and when.
- `webhook_deliveries`: one per (subscription, event), `_id` the stable delivery id, written by
  the consumer in the transaction that moves its positions (so a redelivered batch adds
  none): `pending` (due at `next_at`), `delivered`, or `failed` (dead-lettered after the last
  try, or its subscription disabled) until redriven; each try in `attempts` (the last 20).
  The event's bytes wait in `body` until delivered, then go: a delivered row keeps no copy.
  Delivered rows are deleted after HDND_OUTBOX_RETENTION_DAYS, as published outbox rows are.
- `webhook_positions`: the consumer's Kafka positions.

A sender claims due deliveries by moving their `next_at` past a lease and tagging them with
its claim: one that dies mid-try leaves them due again when the lease ends, and an outcome is
written only under the claim that tried.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from bson import Binary
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.common.consumer import PositionStore
from services.common.mongo import Document

State = Literal["pending", "delivered", "failed"]
STATES: tuple[State, ...] = ("pending", "delivered", "failed")
KEPT_ATTEMPTS = 20


def delivery_doc(
    delivery: str, subscription: Document, event: Any, body: bytes, now: datetime
) -> Document:
    """A new delivery of `event` (its envelope) to `subscription`, due at once."""
    envelope = event.envelope
    return {
        "_id": delivery,
        "subscription": subscription["_id"],
        "unit": subscription["unit"],
        "event_id": str(envelope.event_id),
        "event_type": envelope.type,
        "event_unit": envelope.unit,
        "state": "pending",
        "tries": 0,
        "created_at": now,
        "next_at": now,
        "body": Binary(body),
        "attempts": [],
    }


def shown(delivery: Document) -> Document:
    """A delivery as the API and the CLI show it: without the event's bytes or the claim."""
    return {
        "id": delivery["_id"],
        **{k: v for k, v in delivery.items() if k not in ("_id", "body", "claim")},
    }


class WebhookStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.subscriptions = db["webhook_subscriptions"]
        self.deliveries = db["webhook_deliveries"]
        self.positions = PositionStore(db["webhook_positions"])

    async def create_indexes(self) -> None:
        await self.subscriptions.create_index([("active", ASCENDING)])
        await self.deliveries.create_index([("state", ASCENDING), ("next_at", ASCENDING)])
        await self.deliveries.create_index(
            [("subscription", ASCENDING), ("created_at", DESCENDING)]
        )
        await self.deliveries.create_index([("claim", ASCENDING)], sparse=True)

    # -- subscriptions --------------------------------------------------------------------------

    async def active(self) -> list[Document]:
        return [doc async for doc in self.subscriptions.find({"active": True})]

    async def subscription(self, subscription_id: str) -> Document | None:
        return await self.subscriptions.find_one({"_id": subscription_id})

    async def all_subscriptions(self) -> list[Document]:
        return [doc async for doc in self.subscriptions.find().sort("created_at", ASCENDING)]

    async def by_ids(self, ids: Sequence[str]) -> dict[str, Document]:
        return {doc["_id"]: doc async for doc in self.subscriptions.find({"_id": {"$in": ids}})}

    async def set_active(self, subscription_id: str, active: bool) -> Document | None:
        return await self.subscriptions.find_one_and_update(
            {"_id": subscription_id},
            {"$set": {"active": active}},
            return_document=ReturnDocument.AFTER,
        )

    async def counts(self, subscription_id: str) -> dict[str, int]:
        """How many deliveries of the subscription are in each state."""
        found: dict[str, int] = {state: 0 for state in STATES}
        pipeline: list[Document] = [
            {"$match": {"subscription": subscription_id}},
            {"$group": {"_id": "$state", "n": {"$sum": 1}}},
        ]
        async for row in await self.deliveries.aggregate(pipeline):
            found[row["_id"]] = row["n"]
        return found

    # -- deliveries -----------------------------------------------------------------------------

    @staticmethod
    def upsert(doc: Document) -> UpdateOne:
        """Insert a delivery unless it exists: a redelivered event changes nothing."""
        return UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)

    async def apply(self, session: AsyncClientSession, writes: Sequence[UpdateOne]) -> None:
        if writes:
            await self.deliveries.bulk_write(list(writes), ordered=False, session=session)

    async def listed(self, subscription_id: str, state: State | None, limit: int) -> list[Document]:
        query: Document = {"subscription": subscription_id}
        if state is not None:
            query["state"] = state
        cursor = self.deliveries.find(query, {"body": 0, "claim": 0})
        return [shown(d) async for d in cursor.sort("created_at", DESCENDING).limit(limit)]

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Document]:
        """Up to `limit` pending deliveries due by `now`, claimed for `lease`."""
        due = self.deliveries.find({"state": "pending", "next_at": {"$lte": now}}, {"_id": 1})
        ids = [d["_id"] async for d in due.sort("next_at", ASCENDING).limit(limit)]
        if not ids:
            return []
        claim = uuid.uuid4().hex
        await self.deliveries.update_many(
            {"_id": {"$in": ids}, "state": "pending", "next_at": {"$lte": now}},
            {"$set": {"next_at": now + lease, "claim": claim}},
        )
        return [d async for d in self.deliveries.find({"claim": claim})]

    async def outcome(
        self, delivery: Document, attempt: Document, state: State, next_at: datetime | None
    ) -> None:
        """Record one try of a claimed delivery: delivered (its body dropped), pending again
        at `next_at`, or failed."""
        changes: Document = {"$set": {"state": state}, "$inc": {"tries": 1}}
        changes["$push"] = {"attempts": {"$each": [attempt], "$slice": -KEPT_ATTEMPTS}}
        changes["$unset"] = {"claim": ""}
        if state == "delivered":
            changes["$set"]["delivered_at"] = attempt["at"]
            changes["$unset"]["body"] = ""
        if next_at is not None:
            changes["$set"]["next_at"] = next_at
        await self.deliveries.update_one(
            {"_id": delivery["_id"], "claim": delivery["claim"]}, changes
        )

    async def prune(self, before: datetime) -> int:
        """Delete the deliveries delivered before `before` (they keep no event, only that it
        was delivered); how many. Failed ones wait for a redrive."""
        done = await self.deliveries.delete_many(
            {"state": "delivered", "delivered_at": {"$lt": before}}
        )
        return done.deleted_count

    async def redrive(self, subscription_id: str, delivery: str | None, now: datetime) -> int:
        """Make the subscription's failed deliveries (or the one named) due again, with
        fresh tries; how many."""
        query: Document = {"subscription": subscription_id, "state": "failed"}
        if delivery is not None:
            query["_id"] = delivery
        result = await self.deliveries.update_many(
            query, {"$set": {"state": "pending", "next_at": now, "tries": 0}}
        )
        return result.modified_count
