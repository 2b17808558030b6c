"""Reporting's MongoDB: the unit × month projection, stream positions, consumed offsets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.common.consumer import PositionStore, Record
from services.common.mongo import Document
from services.reporting.projector import Fold, StreamPosition


class ProjectionStore:
    """`unit_months`: one document per unit and month with `own` and `total` counters."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.unit_months = db["unit_months"]
        self.streams = db["stream_positions"]
        self.positions = PositionStore(db["consumer_positions"])

    async def create_indexes(self) -> None:
        await self.unit_months.create_index(
            [("unit", ASCENDING), ("month", ASCENDING)], unique=True
        )
        await self.unit_months.create_index([("parent", ASCENDING), ("month", ASCENDING)])

    async def load_streams(
        self, names: Iterable[str], session: AsyncClientSession | None = None
    ) -> dict[str, StreamPosition]:
        found = self.streams.find({"_id": {"$in": sorted(set(names))}}, session=session)
        return {
            d["_id"]: StreamPosition(d["applied_through"], set(d.get("ahead", [])))
            async for d in found
        }

    async def apply(
        self, session: AsyncClientSession, fold: Fold, records: Sequence[Record]
    ) -> None:
        """Write a folded batch: figures, stream positions and offsets, all or nothing."""
        updates = [
            UpdateOne(
                {"_id": f"{unit}:{month}"},
                {
                    "$setOnInsert": {
                        "unit": unit,
                        "month": month,
                        "level": doc.level,
                        "parent": doc.parent,
                    },
                    "$inc": {
                        **{f"own.{k}": v for k, v in doc.own.items() if v},
                        **{f"total.{k}": v for k, v in doc.total.items() if v},
                    },
                },
                upsert=True,
            )
            for (unit, month), doc in fold.changes.items()
        ]
        if updates:
            await self.unit_months.bulk_write(updates, ordered=False, session=session)
        stream_updates = [
            UpdateOne(
                {"_id": name},
                {"$set": {"applied_through": p.applied_through, "ahead": sorted(p.ahead)}},
                upsert=True,
            )
            for name, p in fold.streams.items()
        ]
        if stream_updates:
            await self.streams.bulk_write(stream_updates, ordered=False, session=session)
        offsets = self.positions.updates(records)
        if offsets:
            await self.positions.collection.bulk_write(offsets, ordered=False, session=session)
