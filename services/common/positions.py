"""Records as a consumer reads them, and where it has read to: the next offset per
topic-partition, stored in MongoDB in the same transaction as what the records produced
(services.common.consumer reads from there; the handlers write there)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeAlias, TypedDict

from aiokafka.structs import ConsumerRecord, TopicPartition
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from services.common.mongo import Document

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class Positioned(Protocol):
    """Where a record was read: all PositionStore needs of one."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


class Where(TypedDict):
    """Where a record was read, under the keys every log line names it by."""

    topic: str
    partition: int
    offset: int


def where(record: Positioned) -> Where:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


class PositionStore:
    """Next offset to read per topic-partition, in the consumer's own database."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def load(self) -> dict[TopicPartition, int]:
        positions: dict[TopicPartition, int] = {}
        async for doc in self.collection.find():
            positions[TopicPartition(doc["topic"], doc["partition"])] = int(doc["next_offset"])
        return positions

    @staticmethod
    def updates(records: Sequence[Positioned]) -> list[UpdateOne]:
        """Writes that advance positions past `records`; go in the same transaction as the data."""
        last: dict[tuple[str, int], int] = {}
        for r in records:
            last[(r.topic, r.partition)] = max(last.get((r.topic, r.partition), -1), r.offset)
        return [
            UpdateOne(
                {"_id": f"{topic}:{partition}"},
                {
                    "$set": {"topic": topic, "partition": partition},
                    "$max": {"next_offset": offset + 1},
                },
                upsert=True,
            )
            for (topic, partition), offset in last.items()
        ]

    async def write(self, session: AsyncClientSession, records: Sequence[Positioned]) -> None:
        """Advance positions past `records` inside the transaction `session` runs."""
        updates = self.updates(records)
        if updates:
            await self.collection.bulk_write(updates, ordered=False, session=session)
