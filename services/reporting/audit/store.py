"""`audit_roots`: every root received, one document each, and the code over a day's roots.

A root is stored as its event says it (the heads it lists, its root hash) with the units of
those heads (`units`), so the roots covering a unit's area on a day are one indexed query, and
with the hash of its own envelope (`link`: what the next day's root names as `prev`). Writes
are idempotent upserts, applied with the consumer's positions in one transaction.

The verification code (mã kiểm chứng) over a set of roots is the SHA-256 of one line per root,
`<audit stream> <day> <part> <root>\\n`, sorted: anyone holding the roots the API lists can
recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded
from contracts.audit import AuditRoot
from contracts.chain import link_of
from services.common.consumer import PositionStore
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document


def verification_code(roots: Iterable[Document]) -> str:
    """SHA-256 (hex) over the roots: one line each, `<stream> <day> <part> <root>`, sorted."""
    lines = sorted(f"{r['stream']} {r['day']} {r['part']} {r['root']}\n" for r in roots)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def covered_units(hierarchy: Hierarchy, unit: str) -> list[str]:
    """The unit and every unit below it, in each era it names a unit in: whose streams a
    report of the unit is built on."""
    found = {unit}
    for era in ("legacy", "2025"):
        if hierarchy.find(unit, era) is not None:
            found.update(u.code for u in hierarchy.descendants(unit, era))
    return sorted(found)


def root_doc(event: Decoded[AuditRoot]) -> Document:
    envelope, root = event.envelope, event.payload
    return {
        "day": root.day.isoformat(),
        "unit": envelope.unit,
        "source": envelope.source.model_dump(),
        "stream": envelope.stream,
        "sequence": envelope.sequence,
        "part": root.part,
        "parts": root.parts,
        "as_of": root.as_of,
        "root": root.root,
        "streams": [h.model_dump() for h in root.streams],
        "units": sorted({h.unit for h in root.streams}),
        "link": link_of(envelope),
    }


class AuditRootStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.roots = db["audit_roots"]
        self.positions = PositionStore(db["audit_positions"])

    async def create_indexes(self) -> None:
        await self.roots.create_index([("day", ASCENDING), ("units", ASCENDING)])

    @staticmethod
    def upsert(event: Decoded[AuditRoot]) -> UpdateOne:
        return UpdateOne(
            {"_id": str(event.envelope.event_id)},
            {"$set": root_doc(event), "$setOnInsert": {"received_at": datetime.now(UTC)}},
            upsert=True,
        )

    async def apply(self, session: AsyncClientSession, writes: Sequence[UpdateOne]) -> None:
        if writes:
            await self.roots.bulk_write(list(writes), ordered=False, session=session)

    async def of_day(self, day: date, units: Sequence[str]) -> list[dict[str, Any]]:
        """The roots of `day` listing a stream of one of `units`, by audit stream and part."""
        cursor = self.roots.find(
            {"day": day.isoformat(), "units": {"$in": list(units)}}, {"units": 0}
        ).sort([("stream", ASCENDING), ("part", ASCENDING)])
        return [doc async for doc in cursor]
