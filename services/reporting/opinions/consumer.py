"""The consumer that keeps `opinion_index` (store.py): opinions and their steps from the
oversight topic, erasures of their texts from the reporting topic.

Only the event types it keeps are read: a record whose `event-type` header names another is
passed over undecoded (the projector reads everything anyway), so this second reader of the
topics costs what the opinions cost. What it reads goes through the consumer pipeline (decoded,
its signer checked against its unit); a record refused there is skipped here and dead-lettered
by the projector, which reads the same topics. An event reaches only opinions of its own unit
(their documents are keyed by it), and an erasure only those of its unit or below. The writes
and the positions commit in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded
from contracts.privacy import PersonalDataErased
from contracts.versioning import event_type
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Pipeline
from services.reporting.opinions.record import COLLECTION, OPINION_EVENTS, unit_of_key
from services.reporting.opinions.store import Change, Erasure, OpinionIndexStore

log = get_logger()
KEPT: tuple[type[BaseModel], ...] = (*OPINION_EVENTS, PersonalDataErased)
READ = frozenset(event_type(m) for m in KEPT)


def claimed_type(record: Record) -> str | None:
    """The type a record's header says it carries (None without one: then it is read)."""
    for name, value in record.headers or ():
        if name == "event-type":
            return bytes(value).decode(errors="replace")
    return None


def within(hierarchy: Hierarchy, unit: str, scope: str) -> bool:
    """Whether `unit` is `scope` or below it, in either era (an erasure reaches both)."""
    return unit == scope or any(
        hierarchy.find(unit, era) is not None
        and hierarchy.find(scope, era) is not None
        and hierarchy.is_within(unit, scope, era)
        for era in ("2025", "legacy")
    )


class OpinionIndexConsumer:
    def __init__(self, context: Consuming, store: OpinionIndexStore, hierarchy: Hierarchy) -> None:
        self.store = store
        self.hierarchy = hierarchy
        # refused by a rule: skipped here, dead-lettered by the projector; a fault of this
        # consumer's own step: dead-lettered here
        self.pipeline = Pipeline(context, store.positions, dead_letters="faults")

    def changes_of(self, event: Decoded[BaseModel]) -> list[Change]:
        payload = event.payload
        if not isinstance(payload, PersonalDataErased):
            return [event] if isinstance(payload, OPINION_EVENTS) else []
        scope = event.envelope.unit
        return [
            Erasure(f.document_id)
            for f in payload.fields
            if (f.database, f.collection, f.path) == ("reporting", COLLECTION, "text")
            and within(self.hierarchy, unit_of_key(f.document_id), scope)
        ]

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        wanted = [r for r in records if claimed_type(r) in READ or claimed_type(r) is None]
        changes, refused = self.pipeline.judge(wanted, self.changes_of)

        async def work(session: AsyncClientSession) -> int:
            return await self.store.apply(session, changes)

        written = await self.pipeline.commit(records, refused, work)
        log.info(
            "opinion_index_batch",
            count=len(records),
            read=len(wanted),
            written=written,
            refused=len(refused),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
