"""Group commit: the writes a process is asked for together share one transaction.

A write (a record and its events, `Runtime.write`) costs some four MongoDB commands and the
driver's CPU for each; most of that is per command, not per document. Requests that arrive
in the same event-loop turn, or while the previous group's commit is in flight, run one after
the other in ONE transaction (at most `limit` of them): their new records wait for one insert
per collection, the stream heads they sealed from for one command, their outbox rows for one
insert, then one commit. Each request is answered only after that commit.

Whatever refuses the group (a request's own refusal, a taken id, a write conflict that does
not go away) aborts it, and its requests are then written one by one, each in its own
transaction as if it had come alone, so each gets exactly the answer it would have got (201,
409 naming the field, 422 …). A head another process moved (HeadMoved) is read and the group
tried once more first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from services.common.heads import HeadMoved, Moves, StreamHeads
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction

T = TypeVar("T")
Work = Callable[[AsyncClientSession], Awaitable[T]]
log = get_logger()

DUPLICATE_KEY = 11000
LIMIT = 64  # requests in one transaction at most: bounds its size and a retry's cost


@dataclass
class Deferred:
    """The writes of a group's transaction that wait for its end (`Later.defer`)."""

    moves: Moves = field(default_factory=Moves)
    rows: list[Document] = field(default_factory=list)
    records: dict[str, tuple[AsyncCollection[Document], list[Document]]] = field(
        default_factory=dict
    )
    writers: dict[str, list[int]] = field(default_factory=dict)  # whose each record is
    writer: int = 0  # the request of the group now running

    def insert(self, collection: AsyncCollection[Document], doc: Document) -> None:
        self.records.setdefault(collection.name, (collection, []))[1].append(doc)
        self.writers.setdefault(collection.name, []).append(self.writer)


class Alone(Exception):
    """The group's request `writer` is to be answered alone: a new record of it has an id
    (or another unique key) taken, or it refused itself (not found, not allowed …)."""

    def __init__(self, writer: int) -> None:
        super().__init__(writer)
        self.writer = writer


class Later:
    """Which sessions are a group's, and what each has deferred: the outbox asks it before
    writing a row, a head or a new record."""

    def __init__(self) -> None:
        self._by_session: dict[int, Deferred] = {}

    def of(self, session: AsyncClientSession) -> Deferred | None:
        return self._by_session.get(id(session))

    @contextlib.contextmanager
    def defer(self, session: AsyncClientSession) -> Iterator[Deferred]:
        self._by_session[id(session)] = deferred = Deferred()
        try:
            yield deferred
        finally:
            del self._by_session[id(session)]

    async def flush(
        self,
        session: AsyncClientSession,
        deferred: Deferred,
        heads: StreamHeads,
        rows: AsyncCollection[Document],
    ) -> None:
        """One insert per collection of new records, one command moving every head the
        group sealed from (HeadMoved if another writer moved one), one insert of its rows."""
        for name, (collection, docs) in deferred.records.items():
            try:
                await collection.insert_many(docs, session=session)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors") or [{}]
                if errors[0].get("code") != DUPLICATE_KEY:
                    raise
                raise Alone(deferred.writers[name][errors[0]["index"]]) from exc
        await heads.move(session, deferred.moves)
        if deferred.rows:
            await rows.insert_many(deferred.rows, session=session)


@dataclass(eq=False)
class _Request(Generic[T]):
    work: Work[T]
    answer: asyncio.Future[T]


class GroupCommit:
    """Runs the writes of one process in groups; one group's transaction at a time."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        later: Later,
        flush: Callable[[AsyncClientSession, Deferred], Awaitable[None]],
        limit: int = LIMIT,
    ) -> None:
        self.client = client
        self.later = later
        self.flush = flush
        self.limit = limit
        self._waiting: list[_Request[Any]] = []
        self._leader: asyncio.Task[None] | None = None
        self.groups = 0  # committed groups of more than one request
        self.grouped = 0  # the requests in them

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a transaction, shared with the writes asked for at the same time;
        its result once that transaction committed, or what it raised alone."""
        request: _Request[T] = _Request(work, asyncio.get_running_loop().create_future())
        self._waiting.append(request)
        if self._leader is None or self._leader.done():
            self._leader = asyncio.create_task(self._lead(), name="group-commit")
        return await asyncio.shield(request.answer)

    async def _lead(self) -> None:
        await asyncio.sleep(0)  # the requests of this loop turn join
        while self._waiting:
            group, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
            alone = group if len(group) == 1 else await self._together(group)
            await asyncio.gather(*(self._alone(request) for request in alone))

    async def _together(self, group: list[_Request[Any]]) -> list[_Request[Any]]:
        """Commit `group` in one transaction and answer each; the requests left to be
        written alone. A request that refuses itself or whose new record's id is taken is
        left out and the rest tried again, as after another writer moved a head."""
        left: list[_Request[Any]] = []

        async def work(session: AsyncClientSession) -> list[Any]:
            with self.later.defer(session) as deferred:
                results = []
                for i, request in enumerate(group):
                    deferred.writer = i
                    try:
                        results.append(await request.work(session))
                    except PyMongoError as exc:
                        if exc.has_error_label("TransientTransactionError"):
                            raise  # a write conflict: the group is retried whole
                        raise Alone(i) from exc
                    except Exception as exc:
                        raise Alone(i) from exc
                await self.flush(session, deferred)
            return results

        for _ in range(4):  # bounded: past that, one by one
            try:
                results = await in_transaction(self.client, work)
            except Alone as alone:  # e.g. a retry (200) or a taken id (409)
                left.append(group.pop(alone.writer))
                continue
            except HeadMoved:
                continue
            except Exception as exc:  # answered one by one: each its own answer
                log.debug("group_refused", size=len(group), error=f"{type(exc).__name__}: {exc}")
                break
            for request, result in zip(group, results, strict=True):
                if not request.answer.done():
                    request.answer.set_result(result)
            self.groups += 1
            self.grouped += len(group)
            return left
        return left + group

    async def _alone(self, request: _Request[Any]) -> None:
        try:
            result = await in_transaction(self.client, request.work)
        except Exception as exc:
            if not request.answer.done():
                request.answer.set_exception(exc)
        else:
            if not request.answer.done():
                request.answer.set_result(result)
