"""What reporting keeps of each voter opinion for the similar-opinions index (`opinion_index`),
one event at a time. Pure: no I/O.

One document per opinion oversight tracks, keyed by its unit and its id (`opinion_key`): two
units may choose the same id, and an event of one unit never reaches another unit's opinion.
It holds what a suggestion shows (text, field, day raised, voter contact) and how far the
opinion has come (`stage`), and the ids of the events folded into it, so that an event
published twice changes nothing the second time (a step repeated after a later one would
otherwise take the opinion back).

A text erased on a lawful request (`hdnd erase`, contracts.privacy) stays erased: an
`opinion.received` read again later (a restore, a replay) keeps the marker, and an erasure
read before the opinion's own events leaves a document with the marker alone, which they
then fill in around it.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import Decoded
from contracts.ids import ID_MAX_LENGTH
from contracts.oversight import (
    OPINION_STAGES,
    OpinionAnswered,
    OpinionForwarded,
    OpinionMoved,
    OpinionReceived,
    OpinionResolved,
    OpinionWithdrawn,
)
from contracts.privacy import ERASED_MARKER
from services.common.mongo import Document
from services.reporting.opinions.matcher import Opinion

COLLECTION = "opinion_index"
WITHDRAWN = "withdrawn"  # its voter contact's corrected record no longer lists it
KEPT_EVENTS = 100  # event ids kept per opinion: its steps and corrections, many times over
STEPS: dict[type[BaseModel], str] = {
    OpinionForwarded: "forwarded",
    OpinionAnswered: "answered",
    OpinionResolved: "resolved",
    OpinionWithdrawn: WITHDRAWN,
}
OPINION_EVENTS: tuple[type[BaseModel], ...] = (OpinionReceived, OpinionMoved, *STEPS)


def opinion_key(unit: str, opinion_id: str) -> str:
    """The document id of `unit`'s opinion `opinion_id`: `unit:opinion_id`, or for an id too
    long to fit beside its unit, a digest of it (an erasure names documents by ids of the
    contracts' pattern and length)."""
    key = f"{unit}:{opinion_id}"
    if len(key) <= ID_MAX_LENGTH:
        return key
    return f"{unit}:sha256.{hashlib.sha256(opinion_id.encode()).hexdigest()[:40]}"


def unit_of_key(key: str) -> str:
    return key.split(":", 1)[0]


def opinion_after(doc: Document | None, event: Decoded[Any]) -> Document | None:
    """The document of the opinion `event` is about, after it; `doc` (its document before,
    None if there is none) when the event changes nothing: an event already folded, or a step
    of an opinion this register never saw opened."""
    event_id = str(event.envelope.event_id)
    if doc is not None and event_id in doc.get("events", ()):
        return doc
    payload = event.payload
    if isinstance(payload, OpinionReceived):
        erased = doc is not None and doc.get("text") == ERASED_MARKER
        changed = {
            **(doc or {"_id": opinion_key(event.envelope.unit, payload.opinion_id)}),
            "unit": event.envelope.unit,
            "opinion_id": payload.opinion_id,
            "meeting_id": payload.meeting_id,
            "text": ERASED_MARKER if erased else payload.text,
            "field": payload.field.value,
            "raised_on": payload.raised_on.isoformat(),
            "stage": OPINION_STAGES[0],
        }
    elif doc is None or "stage" not in doc:
        return doc  # never opened here (or only erased before its events came)
    elif isinstance(payload, OpinionMoved):
        changed = {**doc, "raised_on": payload.raised_on.isoformat(), "stage": payload.stage}
    else:
        changed = {**doc, "stage": STEPS[type(payload)]}
    changed["events"] = [*changed.get("events", ()), event_id][-KEPT_EVENTS:]
    return changed


def erased(doc: Document | None, key: str) -> Document:
    """The document after an erasure replaced its text with the marker."""
    return {**(doc or {"_id": key}), "text": ERASED_MARKER}


def indexed(doc: Document) -> Opinion | None:
    """The opinion the index holds for a document, None if it holds none: withdrawn, erased,
    or not (yet) opened."""
    stage = doc.get("stage")
    if stage not in OPINION_STAGES or doc.get("text", ERASED_MARKER) == ERASED_MARKER:
        return None
    day = date.fromisoformat(doc["raised_on"])
    return Opinion(doc["_id"], doc["text"], doc["unit"], day, stage, doc["field"])
