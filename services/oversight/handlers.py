"""The intake: consumes the meetings topic and opens the voter opinions and petitions raised.

Each batch is decoded and verified like the reporting projector does; refused records go to the
dead-letter topic. Then one transaction opens the new items, writes their events to the outbox
and stores the consumer's positions, so a redelivered voter contact opens nothing twice (and
an item id already tracked is never opened again, even with positions lost).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import InvalidEvent, decode_event
from services.common.consumer import Record
from services.common.deadletter import DeadLetter, publish_dead_letters
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import in_transaction
from services.common.runtime import Runtime
from services.oversight.intake import Opening, openings
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
        opened: list[Opening] = []
        refused: list[DeadLetter] = []
        for record in records:
            try:
                event = decode_event(record.value or b"")
                if self.verifier is not None:
                    self.verifier.check(event.envelope)
                opened.extend(openings(event, self.hierarchy, self.runtime.settings.units))
            except InvalidEvent as exc:
                refused.append(DeadLetter(record, str(exc)))
            except ValidationError as exc:  # an item oversight cannot track must not stop it
                refused.append(DeadLetter(record, f"cannot open its items: {exc.errors()[0]}"))

        async def work(session: AsyncClientSession) -> int:
            if refused:
                await self.runtime.broker.connect()
                await publish_dead_letters(
                    self.runtime.broker,
                    self.runtime.settings.topics.dead_letter,
                    "oversight",
                    refused,
                )
            new = 0
            for o in opened:
                opening = o.draft.payload.model_dump(mode="json")
                doc = new_item(o.item_id, o.unit, "received", o.day, opening)
                if await self.items.open_unless_open(session, o.collection, doc, o.draft):
                    new += 1
            await self.items.positions.collection.bulk_write(
                self.items.positions.updates(records), session=session
            )
            return new

        new = await in_transaction(self.runtime.mongo, work)
        if new:
            self.runtime.relay.notify()
        log.info(
            "intake_batch",
            count=len(records),
            opened=new,
            already_open=len(opened) - new,
            refused=len(refused),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
