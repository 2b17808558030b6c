"""The coordination consumer: keeps this instance's copy of what other instances published on
the reporting topic, so each level sees the other's actions over HTTP.

- declarations and filed reports of every unit (the stocks and "missing" reports of a summary
  need the whole subtree);
- proposals addressed to a unit served (the inbox) or raised by one, and their answers.

Every write is an idempotent upsert, applied with the batch's Kafka positions in one MongoDB
transaction: a redelivered batch changes nothing. Events this consumer cannot decode or trust,
or that would touch a document of a unit their signer may not sign for (owners.check), are
skipped here; the projector, which reads the same topic and applies the same rules,
dead-letters them. An answer changes a proposal only if its unit is the one addressed or
above it (the store keeps who may answer with the proposal). An event this consumer's own
step fails on is dead-lettered here (the projector took it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from contracts import Decoded
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalRaised,
    ReportFiled,
)
from services.common.deadletter import DeadLetter
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.pipeline import Consuming
from services.common.recording import serves
from services.common.trust import lineage_of
from services.reporting.coordination import owners
from services.reporting.coordination.store import CoordinationStore
from services.reporting.upserts import UpsertConsumer, Write

log = get_logger()


class CoordinationConsumer(UpsertConsumer[CoordinationStore]):
    def __init__(self, context: Consuming, store: CoordinationStore, hierarchy: Hierarchy) -> None:
        self.hierarchy = hierarchy
        self.served = context.settings.units
        self.lineage = lineage_of(hierarchy)
        # Records refused by a rule are only skipped: the projector dead-letters them. What
        # fails here alone (a fault of this consumer's own step) is dead-lettered here.
        super().__init__(
            context,
            store,
            {
                CouncilDelegatesDeclared: self._declared,
                CouncilStaffDeclared: self._declared,
                ReportFiled: self._filed,
                ProposalRaised: self._raised,
                ProposalAnswered: self._answered,
            },
        )

    def writes_for(self, event: Decoded[BaseModel]) -> list[Write]:
        """What one trusted event changes in this instance's coordination documents, read
        from its payload in the current version (upcast), never the wire shape."""
        owners.check(self.lineage, event)
        return super().writes_for(event)

    def _declared(self, event: Decoded[BaseModel]) -> list[Write]:
        return [("declarations", self.store.declaration_upsert(event))]

    def _filed(self, event: Decoded[BaseModel]) -> list[Write]:
        return [("filings", self.store.filing_upsert(event))]

    def _raised(self, event: Decoded[Any]) -> list[Write]:
        raised: ProposalRaised = event.payload
        if self._ours(event, raised.to_unit):
            answerers = owners.answerers(self.lineage, raised.to_unit, raised.raised_on)
            return [("proposals", self.store.raised_upsert(event, answerers))]
        return []

    def _answered(self, event: Decoded[Any]) -> list[Write]:
        answered: ProposalAnswered = event.payload
        if self._ours(event, answered.raised_by):
            return [("proposals", self.store.answered_upsert(event))]
        return []

    def _ours(self, event: Decoded[BaseModel], other: str) -> bool:
        """Whether the event's unit or `other` is one this instance serves."""
        day = event.envelope.business_day
        return any(
            serves(self.hierarchy, u, day, self.served) for u in (event.envelope.unit, other)
        )

    def skipped(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            log.debug("coordination_skipped", reason=letter.reason, offset=letter.record.offset)
