"""The projector: folds batches of events from Kafka into the unit × month projection."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, InvalidEvent, decode_event
from services.common.consumer import Record
from services.common.deadletter import DeadLetter, publish_dead_letters
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import in_transaction
from services.common.runtime import Runtime
from services.reporting.projector import Fold
from services.reporting.store import ProjectionStore

log = get_logger()


def debug_enabled() -> bool:
    return logging.getLogger().isEnabledFor(logging.DEBUG)


class Projector:
    def __init__(self, runtime: Runtime, store: ProjectionStore, hierarchy: Hierarchy) -> None:
        self.runtime = runtime
        self.store = store
        self.hierarchy = hierarchy
        self.verifier = runtime.verifier()

    async def handle(self, records: Sequence[Record]) -> None:
        """Decode, fold in memory, then one transaction: figures + stream positions + offsets.

        Refused events are dead-lettered (and acknowledged by the broker) inside that same
        unit of work, before the offsets move past them.
        """
        started = time.perf_counter()
        decoded: list[tuple[Record, Decoded[BaseModel]]] = []
        refused: list[DeadLetter] = []
        for record in records:
            try:
                event = decode_event(record.value or b"")
                if self.verifier is not None:
                    self.verifier.check(event.envelope)
            except InvalidEvent as exc:
                refused.append(DeadLetter(record, str(exc)))
            else:
                decoded.append((record, event))

        async def work(session: AsyncClientSession) -> Fold:
            streams = await self.store.load_streams(
                (d.envelope.stream for _, d in decoded), session=session
            )
            fold = Fold(self.hierarchy, streams)
            letters = list(refused)
            trace = debug_enabled()  # a line per event costs ~35 µs even when filtered out
            for record, event in decoded:
                try:
                    fold.add(event)
                except InvalidEvent as exc:
                    letters.append(DeadLetter(record, str(exc)))
                else:
                    if trace:
                        log.debug(
                            "event_projected",
                            unit=event.envelope.unit,
                            event_type=event.envelope.type,
                            event_id=str(event.envelope.event_id),
                            correlation_id=str(event.envelope.correlation_id or ""),
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                        )
            if letters:
                await self.runtime.broker.connect()
                await publish_dead_letters(
                    self.runtime.broker,
                    self.runtime.settings.topics.dead_letter,
                    "reporting",
                    letters,
                )
            await self.store.apply(session, fold, records)
            return fold

        fold = await in_transaction(self.runtime.mongo, work)
        log.info(
            "projection_batch",
            count=len(records),
            applied=fold.applied,
            duplicates=fold.duplicates,
            refused=len(records) - fold.applied - fold.duplicates,
            documents=len(fold.changes),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
