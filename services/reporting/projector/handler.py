"""The projector: folds batches of events from Kafka into the unit × month projection.

Reading a record (decode, signature, contributions) is most of its CPU and depends on nothing
but the record, so it is done in worker processes (reading.py), started as soon as a batch is
fetched; judging (trust rule, placement: judging.py) is done in a thread under the tree as it
stands. Folded batches are written behind (working_set.py): many batches per transaction, each
document once. A batch that carries a hierarchy change goes the consumer pipeline's way instead
(services.common.pipeline): what was folded before it is written first, then the batch in one
transaction of its own. The pure fold is fold.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from pymongo.asynchronous.client_session import AsyncClientSession

from contracts.hierarchy import HierarchyChanged
from services.common.consumer import Record
from services.common.deadletter import DeadLetter, refused
from services.common.hierarchy import Hierarchy, era_of
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Pipeline
from services.common.workers import Offload
from services.reporting.projector.fold import Fold, place
from services.reporting.projector.judging import Accepted, Judging
from services.reporting.projector.reading import Reading, read_chunk
from services.reporting.projector.store import ProjectionStore
from services.reporting.projector.working_set import WorkingSet

log = get_logger()
Judged = tuple[list[Accepted], list[DeadLetter]]
BatchKey = tuple[int, tuple[str, int, int], tuple[str, int, int]]
LOCAL_BELOW = 64  # a batch's last records, fewer than this, are read here (cheaper than sending)


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
        self.pipeline = Pipeline(context, None, dead_letters="every" if dead_letters else "none")
        self.verifier = self.pipeline.verifier
        self.metrics = context.metrics
        self.metrics.expect_projected()
        self.working = WorkingSet(
            context.mongo,
            store,
            hierarchy,
            interval=context.settings.flush_interval_ms / 1000,
            limit=context.settings.flush_events,
            metrics=context.metrics,
        )
        directory = self.verifier.keys.directory if self.verifier is not None else None
        self.keys_dir = str(directory) if directory is not None else None  # the public keys
        self.refused = 0
        self._changes_adopted = 0  # batches whose hierarchy changes were adopted
        self._ahead: tuple[BatchKey, int, asyncio.Future[tuple[list[Reading], Judged]]] | None
        self._ahead = None

    def look_ahead(self, records: Sequence[Record]) -> None:
        """Start on the next batch as soon as it is fetched, while this one is folded and
        written: its records go to the worker processes to be read, and a thread judges them
        under a copy of the tree as it stands. The judgement is used only if nothing moved
        the tree meanwhile (see _judged); the readings always are."""
        working = self.hierarchy.copy()
        reading = self._send(records)
        ahead = asyncio.ensure_future(
            asyncio.to_thread(self._read_and_judge, records, reading, working)
        )
        self._ahead = (batch_key(records), self._changes_adopted, ahead)

    def _send(self, records: Sequence[Record]) -> Offload[bytes, Reading]:
        """Hand the records to the worker processes to be read, chunk by chunk as they come."""
        reading = Offload[bytes, Reading](read_chunk, self.keys_dir, local_below=LOCAL_BELOW)
        for record in records:
            reading.add(record.value or b"")
        return reading

    def _read_and_judge(
        self, records: Sequence[Record], reading: Offload[bytes, Reading], working: Hierarchy
    ) -> tuple[list[Reading], Judged]:
        readings = reading.results()
        return readings, self._judge(records, readings, working)

    async def _judged(self, records: Sequence[Record]) -> Judged:
        """The batch judged under the hierarchy as it stands now: the look-ahead's if it was
        made for these records under this same tree, else judged again from its readings (or
        read and judged here, if there was no look-ahead for them)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            key, adopted, future = ahead
            if key == batch_key(records):
                readings, judged = await future
                if adopted == self._changes_adopted:
                    return judged
                return self._judge(records, readings, self.hierarchy.copy())
        reading = self._send(records)
        working = self.hierarchy.copy()
        readings, judged = await asyncio.to_thread(self._read_and_judge, records, reading, working)
        return judged

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
        per flush (services.reporting.projector.working_set).

        Refusals (judging's, and folding's: a sequence too far ahead of its stream) are
        published before the positions move past them, and acknowledged by the broker first: a
        slow broker never holds a transaction open, and a transaction run again after a
        transient error publishes nothing twice. A batch with a hierarchy change is written on
        its own (_with_changes), after everything folded before it."""
        started = time.perf_counter()
        accepted, letters = await self._judged(records)
        if any(a.change is not None for a in accepted):
            await self.working.drain()
            await self.working.reset()  # that transaction reads and writes positions itself
            await self._with_changes(records, accepted, letters)
            return
        working = self.working
        await working.know(a.reading.stream for a in accepted)
        pending = working.pending
        applied, duplicates = pending.applied, pending.duplicates
        trace = debug_enabled()  # a line per event costs ~35 µs even when filtered out
        projected: list[str] = []  # their types, counted once per batch (/metrics)
        for a in accepted:
            try:
                r = a.reading
                if pending.count(r.stream, r.sequence, a.placed, r.entry):
                    projected.append(r.type)
            except Exception as exc:  # one record's; it changed nothing
                letters.append(refused(a.record, exc))
                continue
            if trace:
                _trace(a)
        self.metrics.count_projected(projected)
        await self.pipeline.refuse(letters)  # published before the offsets move past them
        self.refused += len(letters)
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
        self, records: Sequence[Record], accepted: list[Accepted], letters: list[DeadLetter]
    ) -> None:
        """A batch with hierarchy changes, in one transaction: figures + stream positions +
        offsets. Changes are applied where they stand: what was folded before them is
        written, the figures they move are moved, and folding goes on under the new tree.
        What the fold would refuse is found first, so that its letters go out before."""
        started = time.perf_counter()
        accepted = await self._within_window(accepted, letters)
        self.refused += len(letters)

        async def work(session: AsyncClientSession) -> tuple[Fold, Hierarchy, list[str]]:
            working = self.hierarchy.copy()
            streams = await self.store.load_streams(
                (a.reading.stream for a in accepted if a.change is None), session=session
            )
            fold = Fold(working, streams)
            projected: list[str] = []  # the types of what is new (run again: from scratch)
            for a in accepted:
                if a.change is not None:
                    if await apply_change(self.store, session, fold, a.change):
                        projected.append(a.reading.type)
                        if a.reading.entry is not None:
                            fold.note(a.reading.entry)
                    continue
                # placed again under the tree the changes so far leave (as judged)
                shares = place(working, a.reading.shares or ())
                if fold.count(a.reading.stream, a.reading.sequence, shares, a.reading.entry):
                    projected.append(a.reading.type)
            await self.store.apply(session, fold, records)
            return fold, working, projected

        fold, working, projected = await self.pipeline.commit(records, letters, work)
        self.metrics.count_projected(projected)
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

    async def _within_window(
        self, accepted: list[Accepted], letters: list[DeadLetter]
    ) -> list[Accepted]:
        """`accepted` without the records folding them would refuse (a sequence too far ahead
        of its stream), which go to `letters`: tried in order on a copy of the stored stream
        positions (a peer that moves them meanwhile makes the transaction fail, not count)."""
        counted = [a for a in accepted if a.change is None]
        probe = Fold(
            self.hierarchy, await self.store.load_streams(a.reading.stream for a in counted)
        )
        kept = []
        for a in accepted:
            if a.change is None:
                try:
                    probe.count(a.reading.stream, a.reading.sequence, ())
                except Exception as exc:  # one record's
                    letters.append(refused(a.record, exc))
                    continue
            kept.append(a)
        return kept

    def _judge(
        self, records: Sequence[Record], readings: Sequence[Reading], working: Hierarchy
    ) -> Judged:
        """The records to fold (hierarchy changes included) and the refused ones, each judged
        under the tree as it stands at that record, changes earlier in the batch included (a
        unit a change just established can be signed for). `working` is a copy of the
        projector's hierarchy that this changes alone. Pure: no I/O, safe in a thread."""
        judging = Judging(working, self.verifier)
        for record, reading in zip(records, readings, strict=True):
            judging.take(record, reading)
        return judging.accepted, judging.letters


def _trace(a: Accepted) -> None:
    record, reading = a.record, a.reading
    log.debug(
        "event_projected",
        unit=reading.unit,
        event_type=reading.type,
        event_id=reading.event_id,
        correlation_id=reading.correlation_id,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
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
        entries, fold.activity = fold.activity, []  # listed under the tree before the change
        await store.log_activity(session, entries)
        since, codes = diff
        await store.regroup(session, fold, old, era, since, codes)
        await store.relist(session, working, era, since, codes)
    log.info(
        "hierarchy_change_applied",
        change_no=change.change_no,
        kind=change.change.kind,
        effective=change.effective.isoformat(),
        units=len(diff[1]) if diff else 0,
    )
    return 1
