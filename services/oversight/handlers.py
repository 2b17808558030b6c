"""The intake: consumes the meetings topic and opens the voter opinions and petitions raised.

Each batch is decoded and verified like the reporting projector does; refused records go to the
dead-letter topic (before the transaction, so a transaction run again after a transient error
publishes none twice). Then one transaction, in the order of the records, opens the new items,
makes the items of corrected meetings follow their corrections (withdrawn, moved, reopened),
writes their events to the outbox and stores the consumer's positions, so a redelivered voter
contact opens nothing twice (an item id already tracked is never opened again, even with
positions lost) and a redelivered correction changes nothing (each is followed once).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import InvalidEvent, decode_event
from services.common.consumer import Record
from services.common.deadletter import DeadLetter
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import in_transaction
from services.common.runtime import Runtime
from services.oversight.intake import Correction, Opening, plan, reconcile
from services.oversight.items import ItemStore, new_item

log = get_logger()


class Intake:
    def __init__(self, runtime: Runtime, items: ItemStore, hierarchy: Hierarchy) -> None:
        self.runtime = runtime
        self.items = items
        self.hierarchy = hierarchy
        self.verifier = runtime.verifier()

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        planned: list[Opening | Correction] = []
        refused: list[DeadLetter] = []
        for record in records:
            try:
                event = decode_event(record.value or b"")
                if self.verifier is not None:
                    self.verifier.check(event.envelope)
                planned.extend(plan(event, self.hierarchy, self.runtime.settings.units))
            except InvalidEvent as exc:
                refused.append(DeadLetter(record, str(exc)))
            except ValidationError as exc:  # an item oversight cannot track must not stop it
                refused.append(DeadLetter(record, f"cannot open its items: {exc.errors()[0]}"))

        # Before the transaction: PyMongo runs it again on a transient error, and the letters
        # must go out once (acknowledged before the positions move past them).
        await self.runtime.dead_letter(refused)

        async def work(session: AsyncClientSession) -> Counter[str]:
            done: Counter[str] = Counter()
            for step in planned:
                if isinstance(step, Opening):
                    done["opened" if await self._open(session, step) else "already_open"] += 1
                else:
                    done.update(await self._follow(session, step))
            await self.items.positions.collection.bulk_write(
                self.items.positions.updates(records), session=session
            )
            return done

        done = await in_transaction(self.runtime.mongo, work)
        if done.total() - done["already_open"] - done["already_followed"]:
            self.runtime.relay.notify()
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
