"""Similar opinions while a secretary types (ý kiến tương tự): the index of this reporting
process, and which recorded opinions a unit is shown.

The index (matcher.OpinionIndex) is built when the process starts from reporting's register of
voters' opinions (`voter_opinions`, services.reporting.voter_opinions.store: one document per
opinion oversight tracks, with its text, unit, day, stage and voter contact), then follows that
collection's changes (a MongoDB change stream): whatever writes it (this instance's consumer,
another instance of a consumer group, an operator's erasure, a restore), the index follows, and
a restart builds it again from the collection. Until it is built, the API answers 503 and the
workspace shows nothing.

A unit is shown opinions of its own, of the units beside it (the same parent, in force today)
and of its parent, raised in the current term (nhiệm kỳ): what its secretary can act on when
the same request comes up again. A unit without a parent (a province) is shown its own and
its children's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure, PyMongoError

from contracts.oversight import OPINION_STAGES
from contracts.privacy import ERASED_MARKER
from contracts.timezone import today_in_vietnam
from services.common.background import cancel
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.workers import Offload
from services.reporting.opinions.matcher import Opinion, OpinionIndex, Suggestion
from services.reporting.opinions.normalize import Key, normalize_all
from services.reporting.read.periods import month_key, month_start, term_months, term_of
from services.reporting.voter_opinions.store import opinion_key

log = get_logger()
ENDS_A_STREAM = frozenset({"drop", "dropDatabase", "rename", "invalidate"})
RETRY_SECONDS = 1.0
READ = {f: 1 for f in ("unit", "opinion_id", "meeting_id", "text", "field", "raised_on", "stage")}


class NotBuilt(RuntimeError):
    """The index is being built: nothing can be suggested yet."""


@dataclass(frozen=True, slots=True)
class Ref:
    """What a suggestion shows that the index does not hold: the opinion's own id in its
    unit, and the voter contact that raised it."""

    opinion_id: str
    meeting_id: str


@dataclass(frozen=True, slots=True)
class Found:
    suggestion: Suggestion
    ref: Ref


def nearby(hierarchy: Hierarchy, unit: str, day: date) -> frozenset[str]:
    """The units whose opinions `unit` is shown on `day`: itself, the units beside it and its
    parent; a unit without a parent, itself and its children."""
    parent = hierarchy.unit(unit, day).parent
    if parent is None:
        return frozenset({unit, *(u.code for u in hierarchy.children(unit, day))})
    return frozenset({parent, *(u.code for u in hierarchy.children(parent, day))})


def term_start(day: date) -> date:
    """The first day of the council term (nhiệm kỳ) `day` is in."""
    term = term_of(month_key(day.year, day.month))
    return month_start(term_months(int(term[:4]))[0])


def indexed(doc: Document) -> Opinion | None:
    """The opinion the index holds for a document of the register, None if it holds none:
    withdrawn, erased, or not (yet) opened."""
    stage = doc.get("stage")
    if stage not in OPINION_STAGES or doc.get("text", ERASED_MARKER) == ERASED_MARKER:
        return None
    day = date.fromisoformat(doc["raised_on"])
    return Opinion(doc["_id"], doc["text"], doc["unit"], day, stage, doc["field"])


class Register:
    """What the index reads of the register's opinions (`voter_opinions`): all of them at a
    build, then their changes."""

    def __init__(self, opinions: AsyncCollection[Document]) -> None:
        self.opinions = opinions

    async def every(self) -> AsyncIterator[Document]:
        async for doc in self.opinions.find({}, READ):
            yield doc

    async def find(self, keys: Iterable[str]) -> dict[str, Document]:
        return {d["_id"]: d async for d in self.opinions.find({"_id": {"$in": list(keys)}}, READ)}

    async def watch(self, resume_after: Mapping[str, Any] | None) -> AsyncChangeStream[Document]:
        """The collection's changes from now (or from `resume_after`), each with the document
        as it is when the change is read (deleted ones: none)."""
        return await self.opinions.watch(full_document="updateLookup", resume_after=resume_after)


def built(docs: Iterable[Document]) -> tuple[OpinionIndex, dict[str, Ref]]:
    """An index of the documents' opinions (CPU-bound: run in a thread). Their texts are
    normalised in the worker processes, most of the cost, while this thread indexes the keys
    already made."""
    index = OpinionIndex()
    refs: dict[str, Ref] = {}
    opinions = []
    keys = Offload[str, Key](normalize_all)
    for doc in docs:
        opinion = indexed(doc)
        if opinion is not None:
            opinions.append(opinion)
            keys.add(opinion.text)
            refs[opinion.opinion_id] = Ref(doc["opinion_id"], doc["meeting_id"])
    at = iter(opinions)
    for chunk in keys.chunks():
        for key in chunk:
            index.add(next(at), key)
    return index, refs


class SimilarOpinions:
    def __init__(
        self,
        store: Register,
        hierarchy: Hierarchy,
        today: Callable[[], date] = today_in_vietnam,
    ) -> None:
        self.store = store
        self.hierarchy = hierarchy
        self.today = today
        self.index: OpinionIndex | None = None
        self.refs: dict[str, Ref] = {}
        self.build_seconds: float | None = None  # how long the last build took
        self.built = asyncio.Event()  # set once the index is first built
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="opinion-index")

    async def stop(self) -> None:
        await cancel(self._task)

    def status(self) -> dict[str, Any]:
        index = self.index
        return {
            "built": index is not None,
            "opinions": len(index) if index is not None else 0,
            "build_seconds": None if self.build_seconds is None else round(self.build_seconds, 2),
        }

    def suggest(self, unit: str, text: str, limit: int, exclude: str | None = None) -> list[Found]:
        """Up to `limit` opinions like `text` that `unit` is shown today, best first;
        `exclude`: the id of `unit`'s opinion being edited. NotBuilt until the index is."""
        index = self.index
        if index is None:
            raise NotBuilt("the index of opinions is being built")
        day = self.today()
        found = index.suggest(
            text,
            units=nearby(self.hierarchy, unit, day),
            limit=limit,
            exclude=None if exclude is None else opinion_key(unit, exclude),
            since=term_start(day),
        )
        return [Found(s, self.refs[s.opinion.opinion_id]) for s in found]

    # -- following the collection ----------------------------------------------------------

    async def _follow(self) -> None:
        """Build the index, then apply every change of the collection to it; the stream is
        opened before the documents are read, so nothing written meanwhile is missed. A
        stream that cannot resume (its history gone, the collection dropped) builds again."""
        token: Mapping[str, Any] | None = None
        while True:
            try:
                async with await self.store.watch(token) as stream:
                    if token is None:
                        await self._build()
                    token = stream.resume_token
                    while stream.alive:
                        change = await stream.try_next()
                        token = stream.resume_token
                        if change is not None and not self._apply(change):
                            token = None
                            break
            except asyncio.CancelledError:
                raise
            except PyMongoError as exc:  # MongoDB away: resume where it was, or build again
                if isinstance(exc, OperationFailure):  # when the token resumes nothing now
                    token = None
                log.warning("opinion_index_follow_failed", error=str(exc), rebuild=token is None)
                await asyncio.sleep(RETRY_SECONDS)

    async def _build(self) -> None:
        started = time.perf_counter()
        docs = [doc async for doc in self.store.every()]
        index, self.refs = await asyncio.to_thread(built, docs)
        self.index = index
        self.built.set()
        self.build_seconds = time.perf_counter() - started
        log.info(
            "opinion_index_built",
            opinions=len(index),
            wordings=index.wordings,
            latency_ms=round(self.build_seconds * 1000, 1),
        )

    def _apply(self, change: Mapping[str, Any]) -> bool:
        """Apply one change to the index; False when the stream ended with it."""
        if change["operationType"] in ENDS_A_STREAM:
            return False
        index = self.index
        assert index is not None  # built before the stream is read
        key = change["documentKey"]["_id"]
        doc = change.get("fullDocument")
        opinion = None if doc is None else indexed(doc)
        if opinion is None:
            index.remove(key)
            self.refs.pop(key, None)
        else:
            assert doc is not None
            index.add(opinion)
            self.refs[key] = Ref(doc["opinion_id"], doc["meeting_id"])
        return True
