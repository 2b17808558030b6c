"""The intake consumer: reads the meetings topic and opens the voter opinions and petitions
raised (which ones, the pure rules of services.oversight.intake decide).

Each batch runs through the consumer pipeline (services.common.pipeline): decoded and
verified, refused records dead-lettered before the transaction. Then one transaction, in the
order of the records, opens the new items, makes the items of corrected meetings follow their
corrections (withdrawn, moved, reopened), writes their events to the outbox and stores the
consumer's positions, so a redelivered voter contact opens nothing twice (an item id already
tracked is never opened again, even with positions lost) and a redelivered correction changes
nothing (each is followed once).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, InvalidEvent
from contracts.meetings import MeetingCorrected, MeetingHeld
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Dispatch, Pipeline
from services.oversight.intake import Correction, Opening, plan, reconcile
from services.oversight.items import ItemStore, new_item

log = get_logger()
Step = Opening | Correction


class Intake:
    """The oversight service's consumer of the meetings topic."""

    def __init__(
        self,
        context: Consuming,
        items: ItemStore,
        hierarchy: Hierarchy,
        notify: Callable[[], None],
    ) -> None:
        self.items = items
        self.hierarchy = hierarchy
        self.served = context.settings.units
        self.notify = notify  # wakes the outbox relay after a batch that wrote events
        self.pipeline = Pipeline(context, items.positions)
        self.dispatch = Dispatch[Callable[[Decoded[BaseModel]], list[Step]]](
            {MeetingHeld: self._plan, MeetingCorrected: self._plan}, otherwise=lambda _: []
        )

    def _plan(self, event: Decoded[BaseModel]) -> list[Step]:
        try:
            return plan(event, self.hierarchy, self.served)
        except ValidationError as exc:  # an item oversight cannot track must not stop it
            raise InvalidEvent(f"cannot open its items: {exc.errors()[0]}") from exc

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        planned, refused = self.pipeline.judge(records, lambda e: self.dispatch.of(e)(e))

        async def work(session: AsyncClientSession) -> Counter[str]:
            done: Counter[str] = Counter()
            for step in planned:
                if isinstance(step, Opening):
                    done["opened" if await self._open(session, step) else "already_open"] += 1
                else:
                    done.update(await self._follow(session, step))
            return done

        done = await self.pipeline.commit(records, refused, work)
        if done.total() - done["already_open"] - done["already_followed"]:
            self.notify()
        log.info(
            "intake_batch",
            count=len(records),
            opened=done["opened"],
            already_open=done["already_open"],
            withdrawn=done["withdrawn"],
            moved=done["moved"],
            reopened=done["reopened"],
            already_followed=done["already_followed"],
            refused=len(refused),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    async def _open(self, session: AsyncClientSession, o: Opening) -> bool:
        opening = o.draft.payload.model_dump(mode="json")
        doc = new_item(o.item_id, o.unit, "received", o.day, opening)
        return await self.items.open_unless_open(session, o.collection, doc, o.draft) is not None

    async def _follow(self, session: AsyncClientSession, c: Correction) -> Counter[str]:
        """Make the items of a corrected meeting follow it, once per correction."""
        done: Counter[str] = Counter()
        if await self.items.correction_applied(session, c.event_id):
            done["already_followed"] += 1
            return done
        tracked = await self.items.of_meeting(session, c.unit, c.meeting_id)
        new, changes = reconcile(c, tracked)
        for o in new:
            done["opened" if await self._open(session, o) else "already_open"] += 1
        for change in changes:
            replace = None
            if change.opening is not None:
                o = change.opening
                replace = new_item(
                    o.item_id, o.unit, "received", o.day, o.draft.payload.model_dump(mode="json")
                )
            await self.items.follow_correction(
                session,
                change.collection,
                change.item_id,
                change.kind,
                change.draft,
                change.fields,
                c.event_id,
                replace,
            )
            done[change.kind] += 1
        await self.items.remember_correction(session, c.event_id, c.unit, c.meeting_id)
        return done
