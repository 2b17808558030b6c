"""Hash chains: each envelope of a stream names the hash of the one before it (`prev`).

A stream (source service and instance, unit: `Source.stream`) is numbered by its outbox; the
same outbox keeps the hash of the stream's last envelope beside the counter and writes it as
the next envelope's `prev`, in the transaction that seals it, so a chain has no gap and no
fork. What is hashed is the envelope's canonical signed bytes (`Envelope.signed_bytes`: the
bytes its signature covers), so a record whose bytes change no longer matches the link the
next record names, and a record re-signed by whoever holds the key still breaks that link.

- The first envelope of a chain names `GENESIS` (64 zeros): a new stream's first, or the first
  written by this version in a stream begun before it. Envelopes from before carry no `prev`
  and are outside the chain; once a stream is chained, every envelope after must be.
- A stand-in for a parked event (`event.parked`, services.common.parking) takes the parked
  envelope's sequence and its `prev`, and names the parked envelope's hash (`parked_hash`): its
  link is that hash, so the envelope after it, sealed before the parking, still follows. The
  parked original stays in the service's `outbox_parked`, where `hdnd audit verify` checks it.

`Chains` checks envelopes stream by stream as they are read (`hdnd audit verify`). Pure.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass, field

from contracts.envelope import CHAIN_HASH, Envelope
from contracts.outbox import EventParked

GENESIS = "0" * 64
PARKED = EventParked.TYPE
DIGEST = 8  # bytes of a link kept per record to tell a copy from a different record


def hash_of(envelope: Envelope) -> str:
    """SHA-256 (hex) of the envelope's canonical signed bytes."""
    return hashlib.sha256(envelope.signed_bytes()).hexdigest()


def link_of(envelope: Envelope) -> str:
    """What the next envelope of the stream names as `prev`: this one's hash, or for a parked
    event's stand-in, the parked envelope's."""
    if envelope.type == PARKED:
        parked = envelope.payload.get("parked_hash")
        if isinstance(parked, str) and re.fullmatch(CHAIN_HASH, parked):
            return parked
    return hash_of(envelope)


@dataclass
class _Stream:
    """What is known of one stream: its last sequence, link and where it was read, whether it
    is chained, and a short digest (and position) of every record read since `base`."""

    sequence: int
    link: str
    where: str
    chained: bool
    base: int
    digests: bytearray = field(default_factory=bytearray)
    places: array[int] = field(default_factory=lambda: array("q"))

    def remember(self, sequence: int, link: str, place: int) -> None:
        index = sequence - self.base
        if index == len(self.places):
            self.digests += bytes.fromhex(link)[:DIGEST]
            self.places.append(place)

    def recalled(self, sequence: int) -> tuple[bytes, int] | None:
        index = sequence - self.base
        if not 0 <= index < len(self.places):
            return None
        return bytes(self.digests[index * DIGEST : (index + 1) * DIGEST]), self.places[index]


class Chains:
    """Checks each stream's envelopes in the order they were published: every record either
    follows the one before (next sequence, `prev` = its link) or is a copy of one already read
    (the relay publishes a row again after a crash; a re-driven dead letter). `take` says why
    a record does not fit, or None. A stream's first record read is taken as it is (the topic
    may start later: retention, `--since`), unless it is sequence 1 and names a predecessor.

    Memory: 8 bytes and a position per record, to tell a copy from another record claiming
    the same sequence however long ago it was read.

    `gaps`: whether a gap is normal where these records are kept (a service's stored outbox
    rows: retention prunes published ones, a restore brings back those of the backup alone);
    the topics, read whole, are where a missing sequence is a finding."""

    def __init__(self, *, gaps: bool = False) -> None:
        self.streams: dict[str, _Stream] = {}
        self.gaps = gaps

    def link(self, stream: str) -> tuple[int, str] | None:
        """The last sequence read of `stream` and its link."""
        known = self.streams.get(stream)
        return (known.sequence, known.link) if known else None

    def take(self, envelope: Envelope, where: str, place: int = -1) -> str | None:
        """Fit `envelope`, read at `where` (`place`: a number to name the record again later,
        its offset); why it does not fit, or None."""
        link, sequence, prev = link_of(envelope), envelope.sequence, envelope.prev
        known = self.streams.get(envelope.stream)
        if known is None:
            self.streams[envelope.stream] = _Stream(
                sequence, link, where, prev is not None, base=sequence
            )
            self.streams[envelope.stream].remember(sequence, link, place)
            if sequence == 1 and prev not in (None, GENESIS):
                return "sequence 1 names a predecessor (prev is not the genesis value)"
            return None
        if sequence <= known.sequence:
            return _copy_or_not(known, sequence, link)
        gap = sequence > known.sequence + 1
        reason = None if gap and self.gaps else _follows(known, sequence, prev)
        if gap:  # start again from here: one reason per gap
            known.base, known.digests, known.places = sequence, bytearray(), array("q")
        known.sequence, known.link, known.where = sequence, link, where
        known.chained = known.chained or prev is not None
        known.remember(sequence, link, place)
        return reason


def _copy_or_not(known: _Stream, sequence: int, link: str) -> str | None:
    recalled = known.recalled(sequence)
    if recalled is None:
        return (
            f"sequence {sequence} again after {known.sequence}, from before the records"
            " read of this stream: cannot be told from a different record"
        )
    digest, place = recalled
    if digest == bytes.fromhex(link)[:DIGEST]:
        return None  # the same record published again
    at = f" (at offset {place})" if place >= 0 else ""
    return f"a second, different record for sequence {sequence}{at}"


def _follows(known: _Stream, sequence: int, prev: str | None) -> str | None:
    """Why a record of `sequence` with `prev` does not follow what is `known`; None if it does."""
    if sequence > known.sequence + 1:
        missing = f"{known.sequence + 1}" + (
            f"–{sequence - 1}" if sequence > known.sequence + 2 else ""
        )
        return f"sequence {missing} missing: {sequence} follows {known.sequence} ({known.where})"
    if prev is None:
        if known.chained:
            return f"no prev, though the stream is chained up to sequence {known.sequence}"
        return None
    if prev == GENESIS:
        if known.chained:
            return f"starts a new chain (genesis prev) after sequence {known.sequence}"
        return None
    if prev != known.link:
        return f"prev does not match the hash of sequence {known.sequence}"
    return None
