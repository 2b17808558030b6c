"""Following the hierarchy topic: every service derives the same units from the same events.

Each service starts from the dataset every service ships (vietnamadminunits, pinned) and
applies the `hierarchy.changed` events published by the registry (`hdnd hierarchy change`).
Changes are stored in the service's own database with the consumer positions, in one
transaction, so a restart rebuilds the same tree before serving. `unit.registered` events
(`hdnd hierarchy load`) are checked against the dataset: a mismatch means a service runs a
different dataset, which is dead-lettered with the difference as the reason.

The reporting service does not use this: its projector applies changes inside its own
transactions, because it must also move figures (services.reporting.handlers.apply_change).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import InvalidEvent, decode_event
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.signing import Verifier
from services.common.consumer import BatchConsumer, PositionStore, Record
from services.common.deadletter import DeadLetter
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction

if TYPE_CHECKING:
    from services.common.runtime import Runtime

log = get_logger()


class HierarchyFeed:
    """Keeps `hierarchy` (the service's own copy) in step with the hierarchy topic."""

    def __init__(
        self,
        runtime: Runtime,
        hierarchy: Hierarchy,
        db: AsyncDatabase[Document],
        verifier: Verifier | None,
    ) -> None:
        self.runtime = runtime
        self.hierarchy = hierarchy
        self.log = db["hierarchy_log"]
        self.positions = PositionStore(db["hierarchy_positions"])
        self.verifier = verifier
        self.consumer = BatchConsumer(
            runtime.settings,
            f"{runtime.service}-hierarchy",
            [runtime.settings.topics.hierarchy],
            self.positions,
            self.handle,
        )

    async def restore(self) -> None:
        """Apply the changes this service already took, before it serves anything."""
        changes = [
            HierarchyChanged.model_validate(d["change"])
            async for d in self.log.find().sort("_id", ASCENDING)
        ]
        if changes:
            working = self.hierarchy.copy()
            working.apply(changes)
            self.hierarchy.adopt(working)
            log.info("hierarchy_restored", changes=len(changes))

    async def handle(self, records: Sequence[Record]) -> None:
        working = self.hierarchy.copy()
        letters: list[DeadLetter] = []
        new: list[HierarchyChanged] = []
        for record in records:
            try:
                event = decode_event(record.value or b"")
                if self.verifier is not None:
                    self.verifier.check(event.envelope)
                payload = event.payload
                if isinstance(payload, HierarchyChanged):
                    if working.apply([payload]):
                        new.append(payload)
                elif isinstance(payload, UnitRegistered):
                    reason = working.differs_from_dataset(payload)
                    if reason:
                        raise InvalidEvent(reason)
                else:
                    raise InvalidEvent(f"{event.envelope.type} does not belong on this topic")
            except (InvalidEvent, ValueError) as exc:
                letters.append(DeadLetter(record, str(exc)))

        async def work(session: AsyncClientSession) -> None:
            for change in new:
                await self.log.update_one(
                    {"_id": change.change_no},
                    {"$set": {"change": change.model_dump(mode="json")}},
                    upsert=True,
                    session=session,
                )
            updates = self.positions.updates(records)
            if updates:
                await self.positions.collection.bulk_write(updates, session=session)

        # Before the transaction: PyMongo runs it again on a transient error, and the letters
        # must go out once (acknowledged before the positions move past them).
        await self.runtime.dead_letter(letters)
        await in_transaction(self.runtime.mongo, work)
        self.hierarchy.adopt(working)
        for change in new:
            log.info(
                "hierarchy_change_followed",
                change_no=change.change_no,
                kind=change.change.kind,
                effective=change.effective.isoformat(),
                rejected=working.rejected().get(change.change_no),
            )
