"""What the outboxes of this deployment's services hold, read from their databases: rows
waiting to be published, and rows parked because the broker refused them for good
(services.common.parking). `hdnd outbox` prints it (deploy.cli.outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.common.mongo import Document, connect
from services.common.settings import SERVICE_PORTS, Settings

# Every service that writes through an outbox: the three services and the hierarchy registry.
SERVICES: tuple[str, ...] = (*SERVICE_PORTS, "hierarchy")


@dataclass(frozen=True, slots=True)
class OutboxState:
    service: str
    pending: int
    oldest_pending: datetime | None
    parked: int


@dataclass(frozen=True, slots=True)
class Parked:
    """A parked row as `hdnd outbox parked` shows it (the event's bytes stay in the database)."""

    service: str
    event_id: str
    event_type: str
    stream: str
    sequence: int
    topic: str
    size_bytes: int
    parked_at: datetime
    reason: str
    placeholder_id: str


async def states(settings: Settings, services: Sequence[str] = SERVICES) -> list[OutboxState]:
    """Pending and parked rows of each service's outbox."""
    client = connect(settings, app_name="hdnd-outbox")
    try:
        found = []
        for service in services:
            db = client[settings.database_for(service)]
            oldest = await db["outbox"].find_one({"sent": False}, sort=[("created_at", 1)])
            found.append(
                OutboxState(
                    service,
                    await db["outbox"].count_documents({"sent": False}),
                    oldest["created_at"] if oldest else None,
                    await db["outbox_parked"].count_documents({}),
                )
            )
        return found
    finally:
        await client.close()


async def parked_rows(
    settings: Settings, services: Sequence[str] = SERVICES, limit: int = 50
) -> list[Parked]:
    """The rows parked in each service's outbox, oldest first, at most `limit` a service."""
    client = connect(settings, app_name="hdnd-outbox")
    try:
        found: list[Parked] = []
        for service in services:
            collection = client[settings.database_for(service)]["outbox_parked"]
            cursor = collection.find({}, {"value": 0}).sort("parked_at", 1).limit(limit)
            found += [_parked(service, doc) async for doc in cursor]
        return found
    finally:
        await client.close()


def _parked(service: str, doc: Document) -> Parked:
    return Parked(
        service=service,
        event_id=str(doc["_id"]),
        event_type=str(doc["event_type"]),
        stream=str(doc["stream"]),
        sequence=int(doc["seq"]),
        topic=str(doc["topic"]),
        size_bytes=int(doc["size_bytes"]),
        parked_at=doc["parked_at"],
        reason=str(doc["reason"]),
        placeholder_id=str(doc["placeholder_id"]),
    )
