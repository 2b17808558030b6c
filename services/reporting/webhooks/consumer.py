"""The webhook consumer: turns each event of the facts topics into the deliveries its
subscriptions are owed, written with the batch's positions in one transaction.

Per batch: one read of the active subscriptions; records of types none of them names are
passed over unread (by their `event-type` header; the envelope's type decides for the rest);
the others are decoded and verified by the pipeline (a forged or unsigned record is nobody's
event and goes nowhere), held to coordination's rules on what a payload may name
(services.reporting.coordination.owners), and matched (services.reporting.webhooks.rules).
Deliveries are inserted once (`$setOnInsert` on the stable delivery id), so a redelivered
batch owes nothing twice. What breaks a rule is only skipped here (the projector, reading the
same topics, dead-letters it); a fault of this consumer's own step is dead-lettered here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded
from contracts.asyncapi import HEADER_TYPE
from contracts.signing import Lineage
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.pipeline import Consuming, Pipeline
from services.reporting.coordination import owners
from services.reporting.webhooks import rules
from services.reporting.webhooks.store import WebhookStore, delivery_doc

log = get_logger()


def header_type(record: Record) -> str | None:
    """The event type a record's header announces, if any."""
    for key, value in record.headers or ():
        if key == HEADER_TYPE:
            return bytes(value).decode(errors="replace")
    return None


class WebhookConsumer:
    def __init__(
        self,
        context: Consuming,
        store: WebhookStore,
        hierarchy: Hierarchy,
        lineage: Lineage,
        wake: Callable[[], None],
    ) -> None:
        self.store = store
        self.hierarchy = hierarchy
        self.lineage = lineage
        self.wake = wake
        self.pipeline = Pipeline(context, store.positions, dead_letters="faults")

    def subscriptions(self, docs: Sequence[Document]) -> list[tuple[Document, rules.Subscription]]:
        return [
            (
                doc,
                rules.Subscription(
                    doc["_id"],
                    rules.scope_of(doc["unit"], doc["era"], self.hierarchy.predecessors),
                    frozenset(doc["events"]),
                    doc["created_at"],
                ),
            )
            for doc in docs
        ]

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        subscribed = self.subscriptions(await self.store.active())
        wanted = {kind for _, s in subscribed for kind in s.events}
        candidates = [r for r in records if header_type(r) in (wanted | {None})]
        now = datetime.now(UTC)

        def owed(event: Decoded[BaseModel]) -> list[UpdateOne]:
            if event.envelope.type not in wanted:
                return []
            owners.check(self.lineage, event)
            event_id = str(event.envelope.event_id)
            body = event.envelope.to_bytes()
            return [
                self.store.upsert(
                    delivery_doc(rules.delivery_id(s.id, event_id), doc, event, body, now)
                )
                for doc, s in subscribed
                if rules.matches(s, event, self.lineage)
            ]

        writes, skipped = self.pipeline.judge(candidates, owed) if wanted else ([], [])
        for letter in skipped:
            log.debug("webhook_skipped", reason=letter.reason, offset=letter.record.offset)

        async def work(session: AsyncClientSession) -> None:
            await self.store.apply(session, writes)

        await self.pipeline.commit(records, skipped, work)
        if writes:
            self.wake()
            log.info(
                "webhook_batch",
                count=len(records),
                owed=len(writes),
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
            )
