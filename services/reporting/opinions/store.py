"""`opinion_index`: the voter opinions the similar-opinions index is built from (record.py
says what a document holds), and the consumer's positions beside them.

A batch of events is folded into the documents it touches, read in the batch's transaction,
and each changed document is written whole (`apply`); the consumer writes its positions in the
same transaction, so a batch read again changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded
from services.common.consumer import PositionStore
from services.common.mongo import Document
from services.reporting.opinions.record import (
    COLLECTION,
    erased,
    opinion_after,
    opinion_key,
)


@dataclass(frozen=True, slots=True)
class Erasure:
    """An opinion's text erased (from a `personal_data.erased` event): its document's id."""

    key: str


Change = Decoded[Any] | Erasure


def key_of(change: Change) -> str:
    if isinstance(change, Erasure):
        return change.key
    return opinion_key(change.envelope.unit, change.payload.opinion_id)


class OpinionIndexStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.opinions = db[COLLECTION]
        self.positions = PositionStore(db[f"{COLLECTION}_positions"])

    async def apply(self, session: AsyncClientSession, changes: Sequence[Change]) -> int:
        """Fold `changes` (in order) into the documents they touch; how many changed."""
        if not changes:
            return 0
        keys = sorted({key_of(c) for c in changes})
        cursor = self.opinions.find({"_id": {"$in": keys}}, session=session)
        docs: dict[str, Document] = {d["_id"]: d async for d in cursor}
        changed: set[str] = set()
        for change in changes:
            key = key_of(change)
            before = docs.get(key)
            if isinstance(change, Erasure):
                after: Document | None = erased(before, key)
            else:
                after = opinion_after(before, change)
            if after is not before and after is not None:
                docs[key] = after
                changed.add(key)
        writes = [ReplaceOne({"_id": key}, docs[key], upsert=True) for key in sorted(changed)]
        if writes:
            await self.opinions.bulk_write(writes, ordered=False, session=session)
        return len(writes)

    async def every(self) -> AsyncIterator[Document]:
        """Every document, without the event ids (what the index is built from)."""
        async for doc in self.opinions.find({}, {"events": 0}):
            yield doc

    async def find(self, keys: Iterable[str]) -> dict[str, Document]:
        cursor = self.opinions.find({"_id": {"$in": list(keys)}}, {"events": 0})
        return {d["_id"]: d async for d in cursor}

    async def watch(self, resume_after: Mapping[str, Any] | None) -> AsyncChangeStream[Document]:
        """The collection's changes from now (or from `resume_after`), each with the document
        as it is when the change is read (deleted ones: none)."""
        return await self.opinions.watch(full_document="updateLookup", resume_after=resume_after)
