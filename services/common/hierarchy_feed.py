"""Following the hierarchy topic: every service derives the same units from the same events.

Each service starts from the dataset every service ships (vietnamadminunits, pinned) and
applies the `hierarchy.changed` events published by the registry (`hdnd hierarchy change`).
Changes are stored in the service's own database with the consumer positions, in one
transaction, so a restart rebuilds the same tree before serving. `unit.registered` events
(`hdnd hierarchy load`) are checked against the dataset: a mismatch means a service runs a
different dataset, which is dead-lettered with the difference as the reason.

The reporting service does not use this: its projector applies changes inside its own
transactions, because it must also move figures (services.reporting.read.projector.changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded, InvalidEvent
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.outbox import EventParked
from services.common.consumer import BatchConsumer, PositionStore, Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.pipeline import Consuming, Dispatch, Pipeline
from services.common.trust import check_registry_scope

log = get_logger()
# What an event does to the working copy of the tree: the changes it newly applied.
Step = Callable[[Hierarchy, Decoded[Any]], list[HierarchyChanged]]


class HierarchyFeed:
    """Keeps `hierarchy` (the service's own copy) in step with the hierarchy topic."""

    def __init__(
        self,
        context: Consuming,
        name: str,
        hierarchy: Hierarchy,
        db: AsyncDatabase[Document],
    ) -> None:
        self.hierarchy = hierarchy
        self.log = db["hierarchy_log"]
        self.positions = PositionStore(db["hierarchy_positions"])
        self.pipeline = Pipeline(context, self.positions)
        self.dispatch = Dispatch[Step](
            {HierarchyChanged: _changed, UnitRegistered: _registered, EventParked: _parked},
            otherwise=_foreign,
        )
        self.consumer = BatchConsumer(
            context.settings,
            name,
            [context.settings.topics.hierarchy],
            self.positions,
            self.handle,
            metrics=context.metrics,
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

    def _step(self, working: Hierarchy, event: Decoded[Any]) -> list[HierarchyChanged]:
        """What a trusted event does to `working`, once its registry may name its units."""
        check_registry_scope(working, event)
        return self.dispatch.of(event)(working, event)

    async def handle(self, records: Sequence[Record]) -> None:
        working = self.hierarchy.copy()
        new, letters = self.pipeline.judge(records, lambda event: self._step(working, event))

        async def work(session: AsyncClientSession) -> None:
            for change in new:
                await self.log.update_one(
                    {"_id": change.change_no},
                    {"$set": {"change": change.model_dump(mode="json")}},
                    upsert=True,
                    session=session,
                )

        await self.pipeline.commit(records, letters, work)
        self.hierarchy.adopt(working)
        for change in new:
            log.info(
                "hierarchy_change_followed",
                change_no=change.change_no,
                kind=change.change.kind,
                effective=change.effective.isoformat(),
                rejected=working.rejected().get(change.change_no),
            )


def _changed(working: Hierarchy, event: Decoded[HierarchyChanged]) -> list[HierarchyChanged]:
    return [event.payload] if working.apply([event.payload]) else []


def _registered(working: Hierarchy, event: Decoded[UnitRegistered]) -> list[HierarchyChanged]:
    reason = working.differs_from_dataset(event.payload)
    if reason:
        raise InvalidEvent(reason)
    return []


def _parked(working: Hierarchy, event: Decoded[EventParked]) -> list[HierarchyChanged]:
    return []  # the placeholder of a registry event the broker refused for good: nothing


def _foreign(working: Hierarchy, event: Decoded[Any]) -> list[HierarchyChanged]:
    raise InvalidEvent(f"{event.envelope.type} does not belong on this topic")
