"""Daily roots: once a day each service instance signs where its hash chains stand.

The outbox keeps each stream's last sequence and hash beside its counter (`outbox_sequences`,
contracts.chain). The first sweep after a day has ended (Vietnam time) reads those heads and
writes `audit.root` events (contracts.audit) through the instance's outbox, on the audit
topic, in the same transaction as a mark for the day (`audit_days`): once a day per instance,
however often the sweep runs or the instance restarts, and never half. A root lists the heads
as they stood when read (`as_of`), so a few events of the new day may be in it.

Roots are grouped by the served unit whose key signs them (HDND_UNITS; without any, a
stream's province), one audit stream each (`<service>-audit/<instance>/<unit>`), so a root's
envelope is chained too: each day's names the day before's. A group over `MAX_HEADS` streams
(or about 256 KB) is published in parts.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from contracts import Envelope, EventDraft, Source
from contracts.audit import MAX_HEADS, AuditRoot, StreamHead, audit_service, root_of
from contracts.signing import Lineage
from contracts.timezone import VIETNAM_TZ
from services.common.background import Loop
from services.common.hierarchy import REFORM_DATE
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction
from services.common.outbox import Outbox

log = get_logger()
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def ended_day(now: datetime) -> date:
    """The last day (Vietnam time) that has ended at `now`."""
    return now.astimezone(VIETNAM_TZ).date() - timedelta(days=1)


def signing_unit(unit: str, served: Sequence[str], lineage: Lineage | None, today: date) -> str:
    """The served unit whose key signs the root listing a stream of `unit`: the first served
    unit that is `unit` or above it (today, or before the reform for a legacy unit); without
    one, the top of its lineage (its province)."""
    now = lineage(unit, today) if lineage else None
    then = lineage(unit, REFORM_DATE - timedelta(days=1)) if lineage else None
    for candidate in served:
        if any(candidate in chain for chain in (now, then) if chain):
            return candidate
    if now:
        return now[-1]
    return served[0] if served else then[-1] if then else unit


class DailyRoots:
    """The root sweep of one service: `sweep` publishes the roots of the last ended day once."""

    def __init__(
        self,
        outbox: Outbox,
        topic: str,
        served: Sequence[str],
        clock: Clock = utc_now,
        every: float = 60.0,
    ) -> None:
        data = outbox.source
        self.source = Source(service=audit_service(data.service), instance=data.instance)
        self.prefix = f"{data.service}/{data.instance}/"  # the streams it lists
        self.outbox = Outbox(
            outbox.rows.database,
            self.source,
            signer=outbox.signer,
            lineage=outbox.lineage,
            max_event_bytes=outbox.max_event_bytes,
        )
        self.db: AsyncDatabase[Document] = outbox.rows.database
        self.topic = topic
        self.served = tuple(served)
        self.clock = clock
        self.every = every
        self._loop = Loop("audit-roots")

    def start(self, published: Callable[[], None]) -> None:
        self._loop.start(self._run(published))

    async def stop(self) -> None:
        await self._loop.stop(grace=5.0)

    async def _run(self, published: Callable[[], None]) -> None:
        while not self._loop.stopping.is_set():
            try:
                if await self.sweep():
                    published()
            except PyMongoError as exc:  # MongoDB away: tried again next round
                log.warning("audit_root_failed", error=f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # no key for a root's unit, say: said, tried again
                log.error("audit_root_failed", error=f"{type(exc).__name__}: {exc}")
            await self._loop.pause(self.every)

    async def sweep(self) -> list[Envelope]:
        """The roots of the last ended day, written to the outbox unless already written
        (then nothing: []). An instance with no chained stream marks the day, writes none."""
        now = self.clock()
        day = ended_day(now)
        marks = self.db["audit_days"]
        if await marks.find_one({"_id": day.isoformat()}) is not None:
            return []

        async def work(session: AsyncClientSession) -> list[Envelope]:
            if await marks.find_one({"_id": day.isoformat()}, session=session) is not None:
                return []
            heads = [
                StreamHead(stream=c["_id"], sequence=int(c["seq"]), hash=c["hash"])
                async for c in self.outbox.sequences.find(
                    {"_id": {"$regex": f"^{re.escape(self.prefix)}"}, "hash": {"$exists": True}},
                    session=session,
                ).sort("_id", 1)
            ]
            drafts = self._drafts(heads, day, now)
            sealed = await self.outbox.append(session, self.topic, drafts) if drafts else []
            roots = [str(e.event_id) for e in sealed]
            mark = {"_id": day.isoformat(), "at": now, "streams": len(heads), "roots": roots}
            await marks.insert_one(mark, session=session)
            return sealed

        sealed = await in_transaction(self.db.client, work)
        if sealed:
            log.info("audit_roots_written", day=day.isoformat(), roots=len(sealed))
        return sealed

    def _drafts(self, heads: list[StreamHead], day: date, now: datetime) -> list[EventDraft]:
        today = now.astimezone(VIETNAM_TZ).date()

        def signer(head: StreamHead) -> str:
            return signing_unit(head.unit, self.served, self.outbox.lineage, today)

        drafts = []
        for unit, grouped in itertools.groupby(sorted(heads, key=signer), key=signer):
            chunks = list(_parts(list(grouped)))
            for part, chunk in enumerate(chunks, 1):
                root = AuditRoot(
                    day=day,
                    as_of=now,
                    streams=chunk,
                    root=root_of(chunk),
                    part=part,
                    parts=len(chunks),
                )
                drafts.append(
                    EventDraft(
                        type=AuditRoot.TYPE,
                        version=AuditRoot.VERSION,
                        unit=unit,
                        occurred_at=now,
                        payload=root,
                    )
                )
        return drafts


PART_BYTES = 256 * 1024  # a root's heads, at most: well under what an event may take


def _parts(heads: list[StreamHead]) -> Iterator[list[StreamHead]]:
    """`heads` in parts of at most MAX_HEADS and about PART_BYTES each (a head is its stream's
    name and at most 128 bytes more)."""
    part: list[StreamHead] = []
    size = 0
    for head in heads:
        cost = len(head.stream.encode()) + 128  # {"stream":…,"sequence":…,"hash":…}
        if part and (len(part) == MAX_HEADS or size + cost > PART_BYTES):
            yield part
            part, size = [], 0
        part.append(head)
        size += cost
    if part:
        yield part
