"""Voters' opinions in reporting, put together once: the register and its consumer, the receipt
codes' secret, and the standing committees' decisions on groups (services.reporting.
voter_opinions.grouping), each written with its events in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Actor, Envelope
from services.common.activity import EmittingStore
from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.recording import Writer, recordable_unit, recorded
from services.common.runtime import Runtime
from services.common.trust import lineage_of
from services.reporting.voter_opinions import grouping
from services.reporting.voter_opinions.consumer import VoterOpinionConsumer
from services.reporting.voter_opinions.grouping import Context, Known, Unchanged
from services.reporting.voter_opinions.receipts import receipt_code
from services.reporting.voter_opinions.store import GROUPS, VoterOpinionStore, group_writes


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision on a group as written: the group as it now stands and the events it
    emitted (none: the same decision was taken before)."""

    group: Document
    envelopes: list[Envelope]


@dataclass
class VoterOpinions:
    runtime: Runtime
    hierarchy: Hierarchy
    store: VoterOpinionStore
    emitting: EmittingStore
    consumer: BatchConsumer
    today: Callable[[], date]

    @classmethod
    def build(
        cls, runtime: Runtime, hierarchy: Hierarchy, today: Callable[[], date]
    ) -> VoterOpinions:
        store = VoterOpinionStore(runtime.db)
        emitting = EmittingStore(runtime.outbox, runtime.settings.topics.reporting)
        return cls(runtime, hierarchy, store, emitting, _consumer(runtime, store, hierarchy), today)

    async def start(self, consume: bool = True) -> None:
        await self.store.create_indexes()
        await self.store.load_receipt_key()
        if consume:
            self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def replay(self) -> None:
        """Read the topics again from the beginning: every write is the same again."""
        await self.consumer.stop()
        await self.store.positions.collection.delete_many({})
        self.consumer = _consumer(self.runtime, self.store, self.hierarchy)
        self.consumer.start()

    def receipt_code(self, unit: str, opinion_id: str) -> str:
        return receipt_code(self.store.receipt_key, unit, opinion_id)

    async def decide(
        self, writer: Writer, actor: Actor, level: str, group_id: str, body: grouping.Body
    ) -> Decided:
        """Take decision `body` on group `group_id` of `level`: who may (a secretary of the
        level or above), the level served here and existing on the decision's day, then the
        decision under what the transaction reads, and its events with the groups' writes."""
        on = grouping.day_of(body)
        writer.may_write(level, on)
        today = self.today()
        settings = self.runtime.settings
        recordable_unit(self.hierarchy, level, on, served=settings.units, today=today,
                        day_field=body.DAY)  # fmt: skip
        ctx = Context(level, today, actor.name)
        lineage = list(lineage_of(self.hierarchy)(level, on) or (level,))

        async def work(session: AsyncClientSession) -> Decided:
            known = await self._known(session, level, group_id, body)
            decision = grouping.decide(ctx, group_id, body, known)
            if isinstance(decision, Unchanged):
                return Decided(decision.group, [])
            drafts = [recorded(event, level, on, actor=actor) for event in decision]
            envelopes = await self.emitting.emit(session, drafts)
            writes = [
                (GROUPS, write)
                for envelope, event in zip(envelopes, decision, strict=True)
                for write in group_writes(envelope, _json(event), lineage)
            ]
            await self.store.apply(session, writes)
            group = await self.store.group(level, group_id, session)
            return Decided(group or {}, envelopes)

        return await self.runtime.write(work)

    async def _known(
        self, session: AsyncClientSession, level: str, group_id: str, body: grouping.Body
    ) -> Known:
        """What decision `body` is judged on, read in its transaction."""
        store = self.store
        named: list[str] = []
        pairs: list[tuple[str, str]] = []
        if isinstance(body, grouping.MergeGroups):
            named = body.groups
        elif isinstance(body, grouping.SplitGroup):
            named = [body.new_group_id]
        elif isinstance(body, grouping.ConfirmGroup):
            pairs = [(m.unit, m.opinion_id) for m in body.members]
        others = [await store.group(level, other, session) for other in named]
        return Known(
            await store.group(level, group_id, session),
            [g for g in others if g is not None],
            await store.named(pairs, session) if pairs else {},
            await store.holding(level, pairs, session) if pairs else [],
        )


def _consumer(runtime: Runtime, store: VoterOpinionStore, hierarchy: Hierarchy) -> BatchConsumer:
    handler = VoterOpinionConsumer(runtime, store, lineage_of(hierarchy), hierarchy)
    topics = runtime.settings.topics
    return BatchConsumer(
        runtime.settings,
        "reporting-voter-opinions",
        [topics.meetings, topics.oversight, topics.reporting],
        store.positions,
        handler.handle,
        metrics=runtime.metrics,
    )


def _json(event: BaseModel) -> dict[str, Any]:
    return event.model_dump(mode="json")
