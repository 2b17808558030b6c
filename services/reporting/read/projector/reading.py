"""Reading a record, once: decode, verify the signature, turn into contributions.

Decoding (pydantic), the canonical bytes and the Ed25519 verify were three quarters of the
projector's CPU per event, and none of them depends on the hierarchy: they are a function of
the record's bytes and the registered public keys alone. So they run in worker processes
(services.common.workers), chunk by chunk, and come back as `Reading`s: plain values,
cheap to send. What does depend on the hierarchy (may this signer publish for this unit on
that day, where does each contribution count) is judged in the consumer's process, record by
record and in order, under the tree as it stands there (judging.py).

This is the projector's only reading of a record: the few types judged on their payload
(hierarchy events, and the coordination events whose payload names units: KEPT) come back
with their decoded event, and a record whose signer's key the worker read otherwise than the
consumer is read again here, by `read`, with the consumer's keys.
"""

from __future__ import annotations

import base64
import functools
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent, decode_event
from contracts.envelope import Envelope
from contracts.hierarchy import HierarchyChanged
from contracts.keys import EPOCH, KeyName, KeyRing
from contracts.signing import REGISTRY_EVENTS, fast_signed_bytes, verify_claims
from services.common.errors import fault_reason
from services.reporting.activity.entries import Entry, entry_of
from services.reporting.coordination.owners import RULED
from services.reporting.read.figures import contributions_of

KEPT = REGISTRY_EVENTS | RULED
"""Event types whose reading keeps the decoded event: judging needs their payload (the unit
tree's events; the coordination events whose payload names units and days)."""

Share = tuple[str, date, dict[str, int]]  # (unit, day, figures): a Contribution, as plain data


class Reading(NamedTuple):
    """What the projector needs of one record. `refused`: why it cannot be read at all (bad
    bytes, envelope or payload); else the rest describes it. `signer` and `kid`: whose key the
    signature says it is (None: unsigned). `holds`: the signature verified with `key` (the
    signer's key as the reader found it; None: no key, or no signature)."""

    refused: str | None
    type: str = ""
    unit: str = ""
    day: date = date.min
    stream: str = ""
    sequence: int = 0
    event_id: str = ""
    correlation_id: str = ""
    signer: KeyName | None = None
    kid: str | None = None
    recorded_at: datetime = EPOCH
    key: bytes | None = None
    holds: bool = False
    shares: tuple[Share, ...] | None = None  # None: `no_fold` says why it cannot count
    no_fold: str | None = None
    fault: bool = False  # `refused`: reading raised what no rule foresaw (its type, message)
    entry: Entry | None = None  # its activity log entry, if it names its actor
    event: Decoded[BaseModel] | None = None  # the event itself, for the KEPT types only


def read_chunk(values: list[bytes], keys_dir: str | None) -> list[Reading]:
    """Read each record value (module-level and over plain data, so a process pool can run
    it); `keys_dir`: the folder of the registered public keys (None: signatures are not
    verified here)."""
    keys = _key_ring(keys_dir) if keys_dir is not None else None
    return [read(value, keys) for value in values]


def read(value: bytes, keys: KeyRing | None) -> Reading:
    """One record read; never raises: what fails is this record's, never its chunk's."""
    try:
        return _read(value, keys)
    except Exception as exc:
        return Reading(fault_reason(exc), fault=True)


def _read(value: bytes, keys: KeyRing | None) -> Reading:
    try:
        event = decode_event(value)
    except InvalidEvent as exc:
        return Reading(str(exc))
    envelope = event.envelope
    signer, kid, key, holds = None, None, None, False
    signature = envelope.signature
    if signature is not None:
        signer, kid = signature.key_name, signature.kid
        found = keys.find(signer, kid, envelope.recorded_at) if keys is not None else None
        if found is not None:
            key = found.raw
            holds = _holds(key, signature.value, envelope)
    shares: tuple[Share, ...] | None = None
    no_fold = None
    if envelope.type in REGISTRY_EVENTS:  # the unit tree: no figures; a change's number keys it
        payload = event.payload
        number = payload.change_no if isinstance(payload, HierarchyChanged) else None
        entry = entry_of(envelope, f"{envelope.type}#{number}") if number is not None else None
    else:
        try:
            shares = tuple((c.unit, c.day, dict(c.figures)) for c in contributions_of(event))
        except InvalidEvent as exc:
            no_fold = str(exc)
        entry = entry_of(envelope)
    return Reading(
        None,
        envelope.type,
        envelope.unit,
        envelope.business_day,
        envelope.stream,
        envelope.sequence,
        str(envelope.event_id),
        str(envelope.correlation_id or ""),
        signer,
        kid,
        envelope.recorded_at,
        key,
        holds,
        shares,
        no_fold,
        entry=entry,
        event=event if envelope.type in KEPT else None,
    )


def _holds(key: bytes, value: str, envelope: Envelope) -> bool:
    try:
        signature = base64.b64decode(value)
    except ValueError:
        return False
    fast = fast_signed_bytes(envelope)
    if verify_claims([(key, signature, fast)])[0]:
        return True
    canonical = envelope.signed_bytes()  # floats, say, which orjson writes otherwise
    return canonical != fast and verify_claims([(key, signature, canonical)])[0]


@functools.lru_cache(maxsize=8)
def _key_ring(keys_dir: str) -> KeyRing:
    """The registered public keys of a folder, one ring per worker, read again as it changes
    (as the consumer's own ring is: the consumer compares each key used with its own, so a
    key another process read differently is never trusted by mistake)."""
    return KeyRing(Path(keys_dir))
