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

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from contracts import Envelope, EventDraft
from contracts.chain import GENESIS
from services.common.mongo import Document

# a draft numbered, chained and signed, with its hash (contracts.chain.hash_of)
Seal = Callable[[EventDraft, int, str], tuple[Envelope, str]]
Head = tuple[int, str]  # (last sequence, the hash of that envelope)


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
        by_stream: dict[str, list[int]] = {}
        for i, draft in enumerate(drafts):
            by_stream.setdefault(stream_of(draft), []).append(i)
        sealed: dict[int, Envelope] = {}
        for stream, indexes in by_stream.items():  # one head move per stream, not per event
            known = self.known.get(stream)
            if known is not None:
                head = _chained(drafts, indexes, known, seal, sealed)
                moved = await self.sequences.update_one(
                    {"_id": stream, "seq": known[0], "hash": known[1]},
                    {"$set": {"seq": head[0], "hash": head[1]}},
                    session=session,
                )
                if moved.matched_count:
                    self.known[stream] = head
                    continue
            self.known[stream] = await self._reserve(session, stream, drafts, indexes, seal, sealed)
        return [sealed[i] for i in range(len(drafts))]

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
