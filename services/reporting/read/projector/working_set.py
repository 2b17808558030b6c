"""Write-behind: the projector folds every batch into memory and writes only now and then.

A fetched batch used to cost one transaction: its figures, the positions of every stream it
touched (read first, inside that transaction) and the Kafka offsets. Here batches are folded
into one pending `Fold` as they come, the stream positions live in memory once read, and a
flush writes what changed since the last one (each (unit, month) document once, however many
events it took; each touched bucket of stream positions once; each partition's offset once)
in one transaction, while folding goes on into the next pending set. At most one flush is in
flight. While the consumer is behind, the next starts when it is done and `interval` has
passed or `limit` events wait, so that a flush carries many batches (a rebuild's throughput);
once it has read everything there is (`settle(caught_up=True)`), the next starts as soon as
the one in flight is done: at a live pace, what waits is one flush, not an interval.

Exactly-once stays as it was: what a flush writes (figures, stream positions, offsets) is all
or nothing, and the stream positions the fold deduplicates with are the ones that transaction
writes. Two guards keep memory and MongoDB from drifting apart:

- a flush that fails (or whose commit is in doubt) resets everything held in memory, and the
  consumer restarts from what MongoDB holds;
- every write of a bucket of stream positions counts up its revision; a flush first checks
  that the buckets it writes are at the revisions it last read or wrote, so another writer
  (a consumer-group peer during a rebalance, say) makes it fail and start over, never count
  twice.

No I/O is done while folding; `drain` makes everything folded so far durable (the consumer
calls it when caught up, before giving partitions away and when stopping).

This is the projector's one write path. A hierarchy change is a barrier: `change` waits for
the flush in flight, then flushes everything folded so far and the change (what it moves:
changes.py) in one transaction, and folding goes on under the changed tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.mongo_client import AsyncMongoClient

from contracts.hierarchy import HierarchyChanged
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.metrics import Metrics
from services.common.mongo import Document, in_transaction
from services.common.positions import Positioned
from services.reporting.activity.entries import Entry
from services.reporting.read.projector.changes import apply_change
from services.reporting.read.projector.fold import Fold, StreamPosition
from services.reporting.read.projector.store import ProjectionStore, stream_bucket

log = get_logger()


class Offset(NamedTuple):
    """The last record read of a partition (what PositionStore.updates needs of a record)."""

    topic: str
    partition: int
    offset: int


class StalePositions(RuntimeError):
    """Stream positions in MongoDB moved under the projector: start again from MongoDB."""


class WorkingSet:
    """The pending fold, the stream positions in memory and the one flush in flight."""

    def __init__(
        self,
        mongo: AsyncMongoClient[Document],
        store: ProjectionStore,
        hierarchy: Hierarchy,
        *,
        interval: float,
        limit: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.mongo = mongo
        self.metrics = metrics  # flush durations
        self.store = store
        self.hierarchy = hierarchy
        self.interval = interval
        self.limit = limit
        self.streams: dict[str, StreamPosition] = {}
        self.revisions: dict[str, int] = {}  # bucket -> revision as last read or written
        self.pending = Fold(hierarchy, self.streams)
        self.offsets: dict[tuple[str, int], int] = {}
        self.records = 0  # records behind the pending fold
        self.since = time.monotonic()  # when the pending set started
        self.flushing: asyncio.Task[Hierarchy | None] | None = None
        self.committed = 0  # records whose effects are in MongoDB
        self.adopted = 0  # hierarchy changes the tree took (each makes earlier judgements stale)

    # -- folding -------------------------------------------------------------------------------

    async def know(self, streams: Iterable[str]) -> None:
        """Read the positions of streams not yet in memory (outside any transaction: nothing
        folded depends on them yet, and the flush checks the bucket revisions)."""
        missing = {s for s in streams if s not in self.streams}
        if not missing:
            return
        revisions: dict[str, int] = {}
        loaded = await self.store.load_streams(missing, revisions=revisions)
        for bucket, revision in revisions.items():
            # A bucket already known keeps the revision it was known at: if another wrote it
            # since, the next flush of it finds out.
            self.revisions.setdefault(bucket, revision)
        for name in missing:
            self.streams[name] = loaded.get(name) or StreamPosition()

    def read(self, records: Sequence[Positioned]) -> None:
        """Move the offsets to store past `records` (folded or refused)."""
        for r in records:
            key = (r.topic, r.partition)
            if r.offset > self.offsets.get(key, -1):
                self.offsets[key] = r.offset
        if not self.records:
            self.since = time.monotonic()
        self.records += len(records)

    # -- flushing ------------------------------------------------------------------------------

    async def settle(self, *, caught_up: bool = False) -> None:
        """Start a flush if one is due (at once if `caught_up`: nothing more to read, so
        nothing to coalesce with); wait for the one in flight if too much is pending."""
        if self.flushing is not None and self.flushing.done():
            await self._finish()
        if self.flushing is not None:
            if self.records < self.limit:
                return
            await self._finish()  # too much waits: fold no further until it is written
        if self.records and (
            caught_up
            or self.records >= self.limit
            or time.monotonic() - self.since >= self.interval
        ):
            self._start()

    async def drain(self) -> None:
        """Flush everything folded so far and wait until it is committed."""
        await self._finish()
        if self.records:
            self._start()
            await self._finish()

    async def reset(self) -> None:
        """Forget everything in memory (after the flush in flight, if any, has ended): what
        comes next is read again from MongoDB and from the stored offsets."""
        task, self.flushing = self.flushing, None
        if task is not None:
            with contextlib.suppress(BaseException):
                await task
        self.streams.clear()
        self.revisions.clear()
        self.pending = Fold(self.hierarchy, self.streams)
        self.offsets, self.records = {}, 0

    async def change(self, change: HierarchyChanged, entry: Entry | None = None) -> bool:
        """A hierarchy change, as a barrier: everything folded so far, the offsets read so far
        (its own record's included: `read` it first) and what the change moves, in one
        transaction after the flush in flight; then folding goes on under the changed tree.
        True if the change was new, with its activity `entry` logged."""
        await self._finish()
        try:
            tree = await self._flush(*self._take(), (change, entry))
        except BaseException:
            await self.reset()
            raise
        if tree is not None:  # nothing awaited from here on: the tree and its count move as one
            self.hierarchy.adopt(tree)
            self.pending.placements = {}  # month documents' places, as the new tree has them
            self.adopted += 1
        return tree is not None

    def _take(self) -> tuple[Fold, list[Offset], int]:
        """The pending fold and the offsets and count of the records behind it; starts both
        empty."""
        fold = self.pending.detach()
        offsets = [Offset(t, p, o) for (t, p), o in self.offsets.items()]
        records, self.offsets, self.records = self.records, {}, 0
        return fold, offsets, records

    def _start(self) -> None:
        self.flushing = asyncio.create_task(self._flush(*self._take()))

    async def _finish(self) -> None:
        task, self.flushing = self.flushing, None
        if task is None:
            return
        try:
            await task
        except BaseException:
            await self.reset()
            raise

    async def _flush(
        self,
        fold: Fold,
        offsets: list[Offset],
        records: int,
        change: tuple[HierarchyChanged, Entry | None] | None = None,
    ) -> Hierarchy | None:
        """Write `fold`, its stream positions and `offsets` in one transaction, and `change`
        after them in the same one; the tree the change made, if it was new."""
        started = time.perf_counter()
        buckets = sorted({stream_bucket(name) for name in fold.streams})

        async def work(session: AsyncClientSession) -> Hierarchy | None:
            stored = await self.store.revisions(buckets, session)
            moved = [b for b in buckets if stored[b] != self.revisions.get(b, 0)]
            if moved:
                raise StalePositions(f"stream positions in {', '.join(moved)} moved meanwhile")
            await self.store.apply(session, fold, offsets)
            if change is None:
                return None
            tree = self.hierarchy.copy()  # from scratch each time the transaction is run
            return tree if await apply_change(self.store, session, tree, *change) else None

        tree = await in_transaction(self.mongo, work)
        took = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.flushes.observe(took)
        for bucket in buckets:
            self.revisions[bucket] = self.revisions.get(bucket, 0) + 1
        self.committed += records
        log.info(
            "projection_flush",
            count=records,
            applied=fold.applied,
            duplicates=fold.duplicates,
            documents=len(fold.changes),
            streams=len(fold.streams),
            latency_ms=round(took * 1000, 1),
        )
        return tree
