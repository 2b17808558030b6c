"""The projector: folds batches of events from Kafka into the unit × month projection.

Judging a batch is its own, because judging is most of its CPU: done ahead in a thread while
the previous batch is folded and written, with signatures verified in a worker process
(services.common.verification). Folded batches are written behind (services.reporting.
working_set): many batches per transaction, each document once. A batch that carries a
hierarchy change goes the consumer pipeline's way instead (services.common.pipeline): what
was folded before it is written first, then the batch in one transaction of its own. The
pure fold is services.reporting.fold.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, InvalidEvent, decode_event
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.signing import Claim, Verifier
from services.common.consumer import Record
from services.common.deadletter import DeadLetter
from services.common.hierarchy import Hierarchy, era_of
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Dispatch, Pipeline
from services.common.trust import lineage_of
from services.common.verification import Verification
from services.reporting.fold import Fold, countable
from services.reporting.store import ProjectionStore
from services.reporting.working_set import WorkingSet

log = get_logger()
Judged = tuple[list[tuple[Record, Decoded[BaseModel]]], list[DeadLetter]]
BatchKey = tuple[int, tuple[str, int, int], tuple[str, int, int]]


def batch_key(records: Sequence[Record]) -> BatchKey:
    """Names a fetched batch: its size and first and last records (offsets are immutable)."""
    first, last = records[0], records[-1]
    return (
        len(records),
        (first.topic, first.partition, first.offset),
        (last.topic, last.partition, last.offset),
    )


def debug_enabled() -> bool:
    return logging.getLogger().isEnabledFor(logging.DEBUG)


class Projector:
    """Folds batches into one projection version; a rebuild runs a second one beside it."""

    def __init__(
        self,
        context: Consuming,
        store: ProjectionStore,
        hierarchy: Hierarchy,
        *,
        dead_letters: bool = True,
    ) -> None:
        self.store = store
        self.hierarchy = hierarchy
        # Positions are written by the store, with the stream positions (ProjectionStore.apply).
        # A rebuild re-reads what live already dead-lettered, so it publishes no letters.
        self.pipeline = Pipeline(context, None, dead_letters=dead_letters)
        self.verifier = self.pipeline.verifier
        self.working = WorkingSet(
            context.mongo,
            store,
            hierarchy,
            interval=context.settings.flush_interval_ms / 1000,
            limit=context.settings.flush_events,
        )
        self.refused = 0
        self._changes_adopted = 0  # batches whose hierarchy changes were adopted
        self._ahead: tuple[BatchKey, int, asyncio.Future[Judged]] | None = None

    def look_ahead(self, records: Sequence[Record]) -> None:
        """Start judging the next batch (decode, verify signatures, place) in a worker thread
        while this one's transaction runs: that wait is mostly mongod's, so the judging,
        which is most of the projector's CPU, overlaps it. Used only if nothing moved the
        hierarchy meanwhile (see _judged)."""
        working = self.hierarchy.copy()
        judging = asyncio.ensure_future(asyncio.to_thread(self._judge, records, working))
        self._ahead = (batch_key(records), self._changes_adopted, judging)

    async def _judged(self, records: Sequence[Record]) -> Judged:
        """The batch judged under the hierarchy as it stands now: the look-ahead's result if
        it was made for these records under this same hierarchy, else judged here."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            key, adopted, judging = ahead
            if key == batch_key(records) and adopted == self._changes_adopted:
                return await judging
            judging.cancel()
        return self._judge(records, self.hierarchy.copy())

    async def handle(self, records: Sequence[Record]) -> None:
        """Fold the batch and write it (with everything folded before it) before returning."""
        await self.fold(records)
        await self.drain()

    async def drain(self) -> None:
        """Write everything folded so far; returns once it is committed."""
        await self.working.drain()

    async def reset(self) -> None:
        """Forget what is held in memory; what follows is read again from MongoDB."""
        await self.working.reset()

    async def fold(self, records: Sequence[Record]) -> None:
        """Judge the batch, dead-letter what it refuses, and fold the rest into the working
        set, which writes figures + stream positions + offsets behind, in one transaction
        per flush (services.reporting.working_set).

        Refusals are published before the positions move past them, and acknowledged by the
        broker first: a slow broker never holds a transaction open, and a transaction run
        again after a transient error publishes nothing twice. A batch with a hierarchy change
        is written on its own (_with_changes), after everything folded before it."""
        started = time.perf_counter()
        accepted, letters = await self._judged(records)
        await self.pipeline.refuse(letters)
        self.refused += len(letters)
        if any(isinstance(event.payload, HierarchyChanged) for _, event in accepted):
            await self.working.drain()
            await self.working.reset()  # that transaction reads and writes positions itself
            await self._with_changes(records, accepted)
            return
        working = self.working
        await working.know(event.envelope.stream for _, event in accepted)
        pending = working.pending
        applied, duplicates = pending.applied, pending.duplicates
        trace = debug_enabled()  # a line per event costs ~35 µs even when filtered out
        for record, event in accepted:
            pending.add(event)
            if trace:
                _trace(record, event)
        working.read(records)
        log.info(
            "projection_batch",
            count=len(records),
            applied=pending.applied - applied,
            duplicates=pending.duplicates - duplicates,
            refused=len(letters),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        await working.settle()

    async def _with_changes(
        self, records: Sequence[Record], accepted: list[tuple[Record, Decoded[BaseModel]]]
    ) -> None:
        """A batch with hierarchy changes, in one transaction: figures + stream positions +
        offsets. Changes are applied where they stand: what was folded before them is
        written, the figures they move are moved, and folding goes on under the new tree."""
        started = time.perf_counter()

        async def work(session: AsyncClientSession) -> tuple[Fold, Hierarchy]:
            working = self.hierarchy.copy()
            streams = await self.store.load_streams(
                (d.envelope.stream for _, d in accepted), session=session
            )
            fold = Fold(working, streams)
            for _, event in accepted:
                if isinstance(event.payload, HierarchyChanged):
                    await apply_change(self.store, session, fold, event.payload)
                    continue
                fold.add(event)
            await self.store.apply(session, fold, records)
            return fold, working

        fold, working = await self.pipeline.commit(records, [], work)
        self.hierarchy.adopt(working)
        self._changes_adopted += 1
        log.info(
            "projection_batch",
            count=len(records),
            applied=fold.applied,
            duplicates=fold.duplicates,
            moved=fold.moved,
            documents=len(fold.changes),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _judge(self, records: Sequence[Record], working: Hierarchy) -> Judged:
        """The records to fold (hierarchy changes included) and the refused ones, each judged
        under the tree as it stands at that record, changes earlier in the batch included (a
        unit a change just established can be signed for). `working` is a copy of the
        projector's hierarchy that this changes alone. Pure: no I/O, safe in a thread.

        Signatures are verified in a worker process (services.common.verification) while
        decoding goes on; a hierarchy change waits for every claim before it, and its own, to
        be settled before it is applied, so nothing is placed under a change not yet trusted."""
        verifier = Verifier(self.verifier.keys, lineage_of(working)) if self.verifier else None
        judging = _Judging(working)
        for index, record in enumerate(records):
            try:
                event = decode_event(record.value or b"")
                claim = verifier.claim(event.envelope) if verifier is not None else None
            except InvalidEvent as exc:
                judging.refuse(index, record, str(exc))
                continue
            judging.add(index, record, event, claim)
            if isinstance(event.payload, HierarchyChanged):
                judging.settle()  # the change is applied (if its signature holds) here
        judging.settle()
        return judging.accepted, [letter for _, letter in sorted(judging.letters)]


class _Judging:
    """A batch being judged: decoded records wait in `pending` while their signatures are
    verified elsewhere; `settle` collects the answers and places them, in order."""

    def __init__(self, working: Hierarchy) -> None:
        self.working = working
        self.accepted: list[tuple[Record, Decoded[BaseModel]]] = []
        self.letters: list[tuple[int, DeadLetter]] = []
        self.pending: list[tuple[int, Record, Decoded[BaseModel], Claim | None]] = []
        self.checks = Verification()

    def refuse(self, index: int, record: Record, reason: str) -> None:
        self.letters.append((index, DeadLetter(record, reason)))

    def add(
        self, index: int, record: Record, event: Decoded[BaseModel], claim: Claim | None
    ) -> None:
        self.pending.append((index, record, event, claim))
        if claim is not None:
            self.checks.add(claim)

    def settle(self) -> None:
        answers = iter(self.checks.results())
        for index, record, event, claim in self.pending:
            if claim is not None and not next(answers) and not claim.holds_canonically():
                self.refuse(index, record, claim.refusal)
                continue
            try:
                if self._place(event):
                    self.accepted.append((record, event))
            except InvalidEvent as exc:
                self.refuse(index, record, str(exc))
        self.pending.clear()

    def _place(self, event: Decoded[BaseModel]) -> bool:
        """Check an event against the tree as it stands (InvalidEvent if it cannot count);
        True if it is to be folded. A hierarchy change is applied to the tree here."""
        return PLACE.of(event)(self.working, event)


def _trace(record: Record, event: Decoded[BaseModel]) -> None:
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


def _registered(working: Hierarchy, event: Decoded[UnitRegistered]) -> bool:
    reason = working.differs_from_dataset(event.payload)
    if reason:
        raise InvalidEvent(reason)
    return False  # checked, nothing to fold


def _changed(working: Hierarchy, event: Decoded[HierarchyChanged]) -> bool:
    working.apply([event.payload])
    return True


def _counted(working: Hierarchy, event: Decoded[BaseModel]) -> bool:
    countable(working, event)
    return True


PLACE = Dispatch[Callable[[Hierarchy, Decoded[Any]], bool]](
    {UnitRegistered: _registered, HierarchyChanged: _changed}, otherwise=_counted
)


async def apply_change(
    store: ProjectionStore, session: AsyncClientSession, fold: Fold, change: HierarchyChanged
) -> int:
    """Apply one hierarchy change inside a batch's transaction; 1 if it was new.

    What was folded before it is written first; then the units whose place differs between
    the tree before and after get their day figures moved (Fold.move), so the result is the
    same whether the change arrived before or after the records it affects."""
    working = fold.hierarchy
    old = working.copy()
    if not working.apply([change]):
        return 0
    await store.log_change(session, change)
    reason = working.rejected().get(change.change_no)
    if reason:
        log.warning("hierarchy_change_rejected", change_no=change.change_no, reason=reason)
    era = era_of(change.effective)
    diff = old.differences(working, era)
    if diff is not None:
        await store.flush(session, fold.take())
        since, codes = diff
        await store.regroup(session, fold, old, era, since, codes)
    log.info(
        "hierarchy_change_applied",
        change_no=change.change_no,
        kind=change.change.kind,
        effective=change.effective.isoformat(),
        units=len(diff[1]) if diff else 0,
    )
    return 1
