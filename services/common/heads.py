"""Where each stream stands: its last sequence and the hash of that envelope, in the service's
`outbox_sequences` (one document per stream), moved in the transaction that writes the next
envelopes, so a stream has no gap in its numbers and no fork in its chain (contracts.chain).

What this process wrote last is remembered, so the usual write moves the head in one
conditional update, as the counter alone once did: "from (41, its hash) to (42, the new
hash)". It does not match when another process (a second HTTP worker) or an aborted
transaction moved it differently, and the head is then reserved from the document as it is:
an increment first, the new hash once the envelopes are sealed. Both match the hash as well
as the sequence, so a head remembered from a transaction that never committed can never
chain onto another process's envelope of the same number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from contracts import Envelope, EventDraft
from contracts.chain import GENESIS
from services.common.mongo import Document

# a draft numbered, chained and signed, with its hash (contracts.chain.hash_of)
Seal = Callable[[EventDraft, int, str], tuple[Envelope, str]]
Head = tuple[int, str]  # (last sequence, the hash of that envelope)


@dataclass
class Moves:
    """The heads a group's transaction moves, written once at its end (`StreamHeads.move`):
    for each stream the head it started from (None: read in this transaction) and where
    it stands now."""

    start: dict[str, Head | None] = field(default_factory=dict)
    now: dict[str, Head] = field(default_factory=dict)


class HeadMoved(Exception):
    """A head this process remembered was moved by another writer (a second HTTP worker):
    the group's envelopes chain onto the wrong one, so its transaction must not commit. The
    heads are remembered as they are now, for the group's next try."""


class StreamHeads:
    def __init__(self, sequences: AsyncCollection[Document]) -> None:
        self.sequences = sequences
        self.known: dict[str, Head] = {}  # as this process last moved them

    async def seal(
        self,
        session: AsyncClientSession,
        drafts: Sequence[EventDraft],
        stream_of: Callable[[EventDraft], str],
        seal: Seal,
    ) -> list[Envelope]:
        """`drafts` sealed in order, each stream's numbered and chained from its head, and
        the heads moved past them; call inside a transaction."""
        sealed: dict[int, Envelope] = {}
        for stream, indexes in _by_stream(drafts, stream_of).items():  # one move per stream
            known = self.known.get(stream)
            if known is not None:
                head = _chained(drafts, indexes, known, seal, sealed)
                moved = await self.sequences.update_one(
                    _head_filter(stream, known),
                    {"$set": {"seq": head[0], "hash": head[1]}},
                    session=session,
                )
                if moved.matched_count:
                    self.known[stream] = head
                    continue
            self.known[stream] = await self._reserve(session, stream, drafts, indexes, seal, sealed)
        return [sealed[i] for i in range(len(drafts))]

    async def seal_later(
        self,
        session: AsyncClientSession,
        drafts: Sequence[EventDraft],
        stream_of: Callable[[EventDraft], str],
        seal: Seal,
        moves: Moves,
    ) -> list[Envelope]:
        """`drafts` sealed as `seal` does, from the heads `moves` left them at (a stream new
        to it starts from the head this process remembers, else from its document), the
        heads written only by `move`, once for the whole group."""
        sealed: dict[int, Envelope] = {}
        for stream, indexes in _by_stream(drafts, stream_of).items():
            if stream not in moves.now:
                known = self.known.get(stream)
                moves.start[stream] = known
                moves.now[stream] = known or await self._read(session, stream)
            moves.now[stream] = _chained(drafts, indexes, moves.now[stream], seal, sealed)
        return [sealed[i] for i in range(len(drafts))]

    async def move(self, session: AsyncClientSession, moves: Moves) -> None:
        """Write every head of `moves` in one command: a remembered one only if it still is
        as remembered (HeadMoved otherwise), one read in this transaction as it was read
        (a concurrent move of it is a write conflict, and the transaction is retried)."""
        if not moves.now:
            return
        updates = [
            UpdateOne(
                {"_id": stream} if start is None else _head_filter(stream, start),
                {"$set": {"seq": moves.now[stream][0], "hash": moves.now[stream][1]}},
                upsert=start is None,
            )
            for stream, start in moves.start.items()
        ]
        result = await self.sequences.bulk_write(updates, session=session)
        if result.matched_count + result.upserted_count < len(updates):
            remembered = [stream for stream, start in moves.start.items() if start is not None]
            async for doc in self.sequences.find({"_id": {"$in": remembered}}, session=session):
                self.known[doc["_id"]] = (int(doc["seq"]), doc.get("hash") or GENESIS)
            raise HeadMoved(remembered)
        self.known.update(moves.now)

    async def _read(self, session: AsyncClientSession, stream: str) -> Head:
        doc = await self.sequences.find_one({"_id": stream}, session=session)
        return (0, GENESIS) if doc is None else (int(doc["seq"]), doc.get("hash") or GENESIS)

    async def _reserve(
        self,
        session: AsyncClientSession,
        stream: str,
        drafts: Sequence[EventDraft],
        indexes: list[int],
        seal: Seal,
        sealed: dict[int, Envelope],
    ) -> Head:
        """Number the drafts from the stream's document as it is (taking its write lock
        first), then write the new hash."""
        counter = await self.sequences.find_one_and_update(
            {"_id": stream},
            {"$inc": {"seq": len(indexes)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None
        start = (int(counter["seq"]) - len(indexes), counter.get("hash") or GENESIS)
        head = _chained(drafts, indexes, start, seal, sealed)
        await self.sequences.update_one(
            {"_id": stream}, {"$set": {"hash": head[1]}}, session=session
        )
        return head


def _head_filter(stream: str, head: Head) -> Document:
    return {"_id": stream, "seq": head[0], "hash": head[1]}


def _by_stream(
    drafts: Sequence[EventDraft], stream_of: Callable[[EventDraft], str]
) -> dict[str, list[int]]:
    """The indexes of `drafts` by stream, in order."""
    by_stream: dict[str, list[int]] = {}
    for i, draft in enumerate(drafts):
        by_stream.setdefault(stream_of(draft), []).append(i)
    return by_stream


def _chained(
    drafts: Sequence[EventDraft],
    indexes: list[int],
    head: Head,
    seal: Seal,
    sealed: dict[int, Envelope],
) -> Head:
    """Seal the drafts at `indexes` after `head`; the head they leave."""
    sequence, prev = head
    for i in indexes:
        sequence += 1
        sealed[i], prev = seal(drafts[i], sequence, prev)
    return sequence, prev
