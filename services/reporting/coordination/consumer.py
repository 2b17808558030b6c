"""The coordination consumer: keeps this instance's copy of what other instances published on
the reporting topic, so each level sees the other's actions over HTTP.

- declarations and filed reports of every unit (the stocks and "missing" reports of a summary
  need the whole subtree);
- proposals addressed to a unit served (the inbox) or raised by one, and their answers.

Every write is an idempotent upsert, applied with the batch's Kafka positions in one MongoDB
transaction: a redelivered batch changes nothing. Events this consumer cannot decode or trust
are skipped here; the projector, which reads the same topic, dead-letters them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, InvalidEvent, decode_event
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalRaised,
    ReportFiled,
)
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import in_transaction
from services.common.recording import serves
from services.common.runtime import Runtime
from services.reporting.coordination.store import CoordinationStore

log = get_logger()


class CoordinationConsumer:
    def __init__(self, runtime: Runtime, store: CoordinationStore, hierarchy: Hierarchy) -> None:
        self.runtime = runtime
        self.store = store
        self.hierarchy = hierarchy
        self.served = runtime.settings.units
        self.verifier = runtime.verifier()

    def writes_for(self, event: Decoded[BaseModel]) -> list[tuple[str, UpdateOne]]:
        """What one trusted event changes in this instance's coordination documents, read
        from its payload in the current version (upcast), never the wire shape."""
        envelope, payload, store = event.envelope, event.payload, self.store
        if isinstance(payload, CouncilDelegatesDeclared | CouncilStaffDeclared):
            return [("declarations", store.declaration_upsert(event))]
        if isinstance(payload, ReportFiled):
            return [("filings", store.filing_upsert(event))]
        if isinstance(payload, ProposalRaised):
            ours = (envelope.unit, payload.to_unit)
            if any(serves(self.hierarchy, u, envelope.business_day, self.served) for u in ours):
                return [("proposals", store.raised_upsert(event))]
        if isinstance(payload, ProposalAnswered):
            ours = (envelope.unit, payload.raised_by)
            if any(serves(self.hierarchy, u, envelope.business_day, self.served) for u in ours):
                return [("proposals", store.answered_upsert(event))]
        return []

    async def handle(self, records: Sequence[Record]) -> None:
        writes: list[tuple[str, UpdateOne]] = []
        for record in records:
            try:
                event = decode_event(record.value or b"")
                if self.verifier is not None:
                    self.verifier.check(event.envelope)
            except InvalidEvent as exc:
                log.debug("coordination_skipped", reason=str(exc), offset=record.offset)
                continue
            writes.extend(self.writes_for(event))

        async def work(session: AsyncClientSession) -> None:
            await self.store.apply(session, writes)
            offsets = self.store.positions.updates(records)
            if offsets:
                await self.store.positions.collection.bulk_write(
                    offsets, ordered=False, session=session
                )

        await in_transaction(self.runtime.mongo, work)
