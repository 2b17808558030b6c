"""The consumer of the audit topic: keeps every root an instance of its area published.

A root speaks for streams, so it is held to what its envelope may say (the pipeline checked
that its signer may sign for its unit): every stream it lists is one of its own instance's
(`<service>/<instance>/…` for a root of `<service>-audit`), of a unit its signer may sign for
(that day, or before the reform for a legacy unit). What fails is a dead letter with the
reason (this is the topic's only consumer). Batched; the roots and the positions are written
in one transaction, so a redelivered batch changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, InvalidEvent
from contracts.audit import AuditRoot, strangers
from contracts.signing import Lineage
from services.common.consumer import Record
from services.common.hierarchy import REFORM_DATE
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Dispatch, Pipeline
from services.reporting.audit.store import AuditRootStore

log = get_logger()


def refusal(lineage: Lineage, event: Decoded[AuditRoot]) -> str | None:
    """Why the root may not speak for the streams it lists; None if it may."""
    envelope, root = event.envelope, event.payload
    foreign = strangers(envelope.source, root)
    if foreign:
        return f"the root lists streams not of its instance: {', '.join(foreign[:3])}"
    signer = envelope.signature.unit if envelope.signature else None
    before = REFORM_DATE - timedelta(days=1)
    for head in root.streams:
        chains = [lineage(head.unit, d) for d in (root.day, before)]
        if signer is not None and not any(signer in chain for chain in chains if chain):
            return f"signer {signer} may not vouch for stream {head.stream} (unit {head.unit})"
    return None


class AuditRootConsumer:
    def __init__(self, context: Consuming, store: AuditRootStore, lineage: Lineage) -> None:
        self.store = store
        self.lineage = lineage
        self.pipeline = Pipeline(context, store.positions)
        self.dispatch = Dispatch[Callable[[Decoded[Any]], list[UpdateOne]]](
            {AuditRoot: self._root}, otherwise=lambda _: []
        )

    def _root(self, event: Decoded[AuditRoot]) -> list[UpdateOne]:
        reason = refusal(self.lineage, event)
        if reason is not None:
            raise InvalidEvent(reason)
        return [self.store.upsert(event)]

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        writes, refused = self.pipeline.judge(records, lambda e: self.dispatch.of(e)(e))

        async def work(session: AsyncClientSession) -> None:
            await self.store.apply(session, writes)

        await self.pipeline.commit(records, refused, work)
        log.info(
            "audit_roots_batch",
            count=len(records),
            kept=len(writes),
            refused=len(refused),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
