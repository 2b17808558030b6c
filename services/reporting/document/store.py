"""What reporting keeps about report documents, in its own database (`hdnd_reporting`).

- `report_numbers`: the number ("Số: 05/BC-HĐND") of each unit's report on each period, and
  one counter per unit and year. A report gets the next number of its unit in the year its
  report is due (the 2025 year report, due in January 2026, is numbered in 2026) when it is
  filed, in one transaction with the counter, and keeps it: every document generated after
  prints the same number. Reading a report never allocates one (a viewer, or the level above
  browsing, would consume numbers): before filing it prints the number blank. Numbers start
  at 1 each year.
- `report_texts`: sections II (tồn tại, hạn chế) and III (phương hướng, nhiệm vụ) as the
  secretary typed them, per unit and period, and optionally the number from the office's own
  register, which then replaces the allocated one.
- `report_documents`: the exact bytes of the document attached to a filed report, with their
  SHA-256, so the level above downloads exactly what was filed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bson.binary import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.asynchronous.mongo_client import AsyncMongoClient

from services.common.mongo import Document, in_transaction
from services.reporting.document.model import Texts


@dataclass(frozen=True, slots=True)
class Attached:
    """A generated document as filed."""

    unit: str
    period: str
    report_id: str
    number: str
    filename: str
    media_type: str
    content: bytes
    dated: date

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class ReportDocumentStore:
    def __init__(self, client: AsyncMongoClient[Document], db: AsyncDatabase[Document]) -> None:
        self.client = client
        self.numbers = db["report_numbers"]
        self.texts = db["report_texts"]
        self.documents = db["report_documents"]

    async def number_of(self, unit: str, period: str) -> int | None:
        """The number the report got when it was filed; None before (reads only)."""
        found = await self.numbers.find_one({"_id": f"{unit}:{period}"})
        return None if found is None else int(found["number"])

    async def allocate_number(self, unit: str, period: str, year: int) -> int:
        """The report's number, allocated from the unit's counter of `year` the first time
        (when it is filed); a filing retried keeps it."""
        key = f"{unit}:{period}"
        if (found := await self.number_of(unit, period)) is not None:
            return found

        async def allocate(session: AsyncClientSession) -> int:
            again = await self.numbers.find_one({"_id": key}, session=session)
            if again is not None:  # a concurrent request allocated it first
                return int(again["number"])
            counter = await self.numbers.find_one_and_update(
                {"_id": f"counter:{unit}:{year}"},
                {"$inc": {"last": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            assert counter is not None  # upserted
            number = int(counter["last"])
            await self.numbers.insert_one(
                {"_id": key, "unit": unit, "period": period, "year": year, "number": number},
                session=session,
            )
            return number

        return await in_transaction(self.client, allocate)

    async def texts_of(self, unit: str, period: str) -> tuple[Texts, int | None]:
        """Sections II and III as saved (None where never saved), and the register number."""
        doc = await self.texts.find_one({"_id": f"{unit}:{period}"})
        if doc is None:
            return Texts(), None
        return Texts(doc.get("shortcomings"), doc.get("directions")), doc.get("number")

    async def save_texts(
        self, unit: str, period: str, texts: Texts, number: int | None, by: str | None
    ) -> None:
        await self.texts.update_one(
            {"_id": f"{unit}:{period}"},
            {
                "$set": {
                    "unit": unit,
                    "period": period,
                    "shortcomings": texts.shortcomings,
                    "directions": texts.directions,
                    "number": number,
                    "updated_by": by,
                    "updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def attach(self, session: AsyncClientSession, doc: Attached) -> None:
        """Keep the filed document, in the filing's transaction."""
        await self.documents.insert_one(
            {
                "_id": f"{doc.unit}:{doc.period}",
                "unit": doc.unit,
                "period": doc.period,
                "report_id": doc.report_id,
                "number": doc.number,
                "filename": doc.filename,
                "media_type": doc.media_type,
                "dated": doc.dated.isoformat(),
                "sha256": doc.sha256,
                "size": len(doc.content),
                "content": Binary(doc.content),
                "attached_at": datetime.now(UTC),
            },
            session=session,
        )

    async def attached(self, unit: str, period: str) -> dict[str, Any] | None:
        return await self.documents.find_one({"_id": f"{unit}:{period}"})
