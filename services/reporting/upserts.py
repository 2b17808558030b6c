"""The skeleton of reporting's consumers that keep documents of their own beside the
projection (the coordination copy, the notifier's items): each trusted event becomes a few
idempotent upserts, applied with the batch's Kafka positions in one transaction
(services.common.pipeline), so a redelivered batch or a replay changes nothing. They
dead-letter only the faults of their own step: the projector, reading the same topics,
dead-letters what cannot be decoded or trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded
from services.common.consumer import PositionStore, Record
from services.common.deadletter import DeadLetter
from services.common.pipeline import Consuming, Dispatch, Pipeline

Write = tuple[str, UpdateOne]  # the collection's name, and the upsert
Handler = Callable[[Decoded[Any]], list[Write]]


class UpsertStore(Protocol):
    positions: PositionStore

    async def apply(self, session: AsyncClientSession, writes: Sequence[Write]) -> None: ...


S = TypeVar("S", bound=UpsertStore)


class UpsertConsumer(Generic[S]):
    """Dispatches each event to its handler (an event nobody handles writes nothing) and
    commits what the batch's handlers returned."""

    def __init__(
        self, context: Consuming, store: S, handlers: Mapping[type[BaseModel], Handler]
    ) -> None:
        self.store = store
        self.pipeline = Pipeline(context, store.positions, dead_letters="faults")
        self.dispatch = Dispatch[Handler](handlers, otherwise=lambda _: [])

    def writes_for(self, event: Decoded[BaseModel]) -> list[Write]:
        return self.dispatch.of(event)(event)

    def skipped(self, letters: Sequence[DeadLetter]) -> None:
        """What to do with the records refused (skipped here): nothing, unless overridden."""

    async def handle(self, records: Sequence[Record]) -> None:
        writes, skipped = self.pipeline.judge(records, self.writes_for)
        self.skipped(skipped)

        async def work(session: AsyncClientSession) -> None:
            await self.store.apply(session, writes)

        await self.pipeline.commit(records, skipped, work)
