"""The projector: folds batches of events from Kafka into the unit × month projection.

One way through, down: each record is read once (reading.py: decode, signature,
contributions), in worker processes started as soon as its batch is fetched; judged in order
under the tree as it stands, in a thread (judging.py: trust rule, owners, placement by
fold.place); counted into the working set's pending fold (fold.py); and written behind by the
working set (working_set.py), many batches per transaction, each document once. A hierarchy
change is a barrier there: what was folded before it is written with it, and what follows is
folded under the changed tree.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from services.common import heap
from services.common.deadletter import DeadLetter, refused
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.pipeline import Consuming
from services.common.positions import Record, where
from services.common.workers import Offload, warm
from services.reporting.read.projector.judging import Accepted, Judging
from services.reporting.read.projector.reading import Reading, read_chunk
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.read.projector.working_set import WorkingSet

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
    """Folds batches into one projection version; a rebuild runs a second one beside it.
    The one object its BatchConsumer is given (services.common.consumer.WriteBehind).
    `dead_letters` False: a rebuild re-reads what live already dead-lettered, and publishes
    none."""

    def __init__(
        self,
        context: Consuming,
        store: ProjectionStore,
        hierarchy: Hierarchy,
        *,
        dead_letters: bool = True,
    ) -> None:
        self.context = context
        self.hierarchy = hierarchy
        self.dead_letters = dead_letters
        self.verifier = context.verifier()
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
        warm(read_chunk, self.keys_dir)
        self.refused = 0
        self._ahead: tuple[BatchKey, int, asyncio.Future[tuple[list[Reading], Judged]]] | None
        self._ahead = None

    def look_ahead(self, records: Sequence[Record]) -> None:
        """Start on the next batch as soon as it is fetched, while this one is folded and
        written: its records go to the worker processes to be read, and a thread judges them
        under a copy of the tree as it stands. The judgement is used only if no hierarchy
        change moved the tree meanwhile (see _judged); the readings always are."""
        working = self.hierarchy.copy()
        reading = self._send(records)
        ahead = asyncio.ensure_future(
            asyncio.to_thread(self._read_and_judge, records, reading, working)
        )
        self._ahead = (batch_key(records), self.working.adopted, ahead)

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
                if adopted == self.working.adopted:
                    return judged
                return self._judge(records, readings, self.hierarchy.copy())
        reading = self._send(records)
        working = self.hierarchy.copy()
        readings, judged = await asyncio.to_thread(self._read_and_judge, records, reading, working)
        return judged

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

    async def caught_up(self) -> None:
        """The consumer has read everything there is: write what is folded as soon as the
        flush in flight allows, without waiting for the interval (and without waiting for
        the write). The first time, what the process keeps is loaded (the tree, every
        stream's position): it leaves the garbage collector's walks (services.common.heap)."""
        await self.working.settle(caught_up=True)
        heap.settle()

    async def drain(self) -> None:
        """Write everything folded so far; returns once it is committed."""
        await self.working.drain()

    async def reset(self) -> None:
        """Forget what is held in memory; what follows is read again from MongoDB."""
        await self.working.reset()

    async def handle(self, records: Sequence[Record]) -> None:
        """Judge the batch, dead-letter what it refuses, and fold the rest into the working
        set, which writes figures + stream positions + offsets behind, in one transaction
        per flush; a hierarchy change is a barrier flush of the working set. `drain` writes
        what is still pending.

        Refusals (judging's, and folding's: a sequence too far ahead of its stream) are
        published before the offsets move past them, and acknowledged by the broker first: a
        slow broker never holds a transaction open, and a transaction run again after a
        transient error publishes nothing twice."""
        started, refused_before = time.perf_counter(), self.refused
        accepted, letters = await self._judged(records)
        working = self.working
        await working.know(a.reading.stream for a in accepted if a.change is None)
        pending = working.pending
        trace = debug_enabled()  # a line per event costs ~35 µs even when filtered out
        projected: list[str] = []  # their types, counted once per batch (/metrics)
        duplicates = read = 0  # records[:read] are the working set's already
        for a in accepted:
            r = a.reading
            if a.change is not None:
                await self._refuse(letters)
                done = _through(records, a.record, read)
                working.read(records[read:done])
                read = done
                if await working.change(a.change, r.entry):
                    projected.append(r.type)
                continue
            try:
                if pending.count(r.stream, r.sequence, a.placed, r.entry):
                    projected.append(r.type)
                else:
                    duplicates += 1
            except Exception as exc:  # one record's; it changed nothing
                letters.append(refused(a.record, exc))
                continue
            if trace:
                _trace(a)
        self.metrics.count_projected(projected)
        await self._refuse(letters)
        working.read(records[read:] if read else records)
        log.info(
            "projection_batch",
            count=len(records),
            applied=len(projected),
            duplicates=duplicates,
            refused=self.refused - refused_before,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        await working.settle()

    async def _refuse(self, letters: list[DeadLetter]) -> None:
        """Publish `letters` (unless a rebuild) and wait for the broker's acknowledgement,
        before the offsets move past them; the list is emptied."""
        if letters and self.dead_letters:
            await self.context.dead_letter(letters)
        self.refused += len(letters)
        letters.clear()


def _through(records: Sequence[Record], record: Record, start: int) -> int:
    """How many of `records` there are up to `record` included (found from `start`)."""
    return next(i for i in range(start, len(records)) if records[i] is record) + 1


def _trace(a: Accepted) -> None:
    r = a.reading
    ids = {"event_id": r.event_id, "correlation_id": r.correlation_id}
    log.debug("event_projected", unit=r.unit, event_type=r.type, **ids, **where(a.record))
