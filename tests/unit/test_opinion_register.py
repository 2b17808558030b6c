"""The register the similar-opinions index is built from (services.reporting.opinions.record):
one document per opinion of a unit, folded event by event. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from contracts.ids import ID_MAX_LENGTH, ID_PATTERN
from contracts.oversight import (
    OpinionAnswered,
    OpinionForwarded,
    OpinionMoved,
    OpinionReceived,
    OpinionWithdrawn,
)
from contracts.privacy import ERASED_MARKER
from services.common.mongo import Document
from services.reporting.opinions.record import erased, indexed, opinion_after, opinion_key
from tests.builders import sealed

UNIT, DAY = "03390", date(2026, 5, 4)
TEXT = "Đề nghị sửa chữa đường liên thôn"


def event(payload: BaseModel, seq: int, unit: str = UNIT) -> Any:
    return sealed(payload, unit, datetime(2026, 5, 4, 5, tzinfo=UTC), seq)


def received(seq: int = 1, text: str = TEXT) -> Any:
    return event(
        OpinionReceived(
            opinion_id="yk-1", raised_on=DAY, meeting_id="tx-1", text=text, field="other"
        ),
        seq,
    )


def forwarded(seq: int) -> Any:
    return event(
        OpinionForwarded(opinion_id="yk-1", raised_on=DAY, forwarded_on=DAY, agency="UBND"), seq
    )


def answered(seq: int) -> Any:
    return event(OpinionAnswered(opinion_id="yk-1", raised_on=DAY, answered_on=DAY), seq)


def fold(*events: Any, doc: Document | None = None) -> Document | None:
    for e in events:
        doc = opinion_after(doc, e)
    return doc


def test_the_document_follows_the_steps_and_a_step_published_twice_takes_nothing_back() -> None:
    step = forwarded(2)
    doc = fold(received(), step, answered(3), step)  # the forward again, after the answer
    assert doc is not None
    assert (doc["_id"], doc["stage"], doc["text"], doc["raised_on"]) == (
        f"{UNIT}:yk-1",
        "answered",
        TEXT,
        "2026-05-04",
    )
    opinion = indexed(doc)
    assert opinion is not None and (opinion.unit, opinion.status) == (UNIT, "answered")


def test_a_step_of_an_opinion_never_opened_here_writes_nothing() -> None:
    assert fold(answered(1)) is None
    tombstone = erased(None, f"{UNIT}:yk-1")
    assert fold(answered(1), doc=tombstone) is tombstone


def test_withdrawn_then_opened_again_and_moved() -> None:
    withdrawn = OpinionWithdrawn(
        opinion_id="yk-1", raised_on=DAY, meeting_id="tx-1", stage="received"
    )
    doc = fold(received(1), event(withdrawn, 2))
    assert doc is not None and doc["stage"] == "withdrawn" and indexed(doc) is None
    moved = OpinionMoved(
        opinion_id="yk-1", raised_on=date(2026, 5, 9), previous_raised_on=DAY,
        meeting_id="tx-1", stage="received",
    )  # fmt: skip
    doc = fold(received(3, "Sửa đường liên thôn"), event(moved, 4), doc=doc)
    assert doc is not None
    opinion = indexed(doc)
    assert opinion is not None
    assert (opinion.text, opinion.day, opinion.status) == (
        "Sửa đường liên thôn",
        date(2026, 5, 9),
        "received",
    )


def test_an_erased_text_stays_erased_whatever_order_the_events_are_read_in() -> None:
    key = f"{UNIT}:yk-1"
    after = fold(received(), forwarded(2))
    assert after is not None
    first_erased = fold(received(), forwarded(2), doc=erased(None, key))
    erased_after = erased(after, key)
    read_again = fold(received(), doc=erased_after)  # a replay after the erasure
    for doc in (first_erased, erased_after, read_again):
        assert doc is not None and doc["text"] == ERASED_MARKER and indexed(doc) is None
    assert first_erased is not None and first_erased["stage"] == "forwarded"


def test_a_documents_key_names_its_unit_and_fits_where_an_erasure_names_it() -> None:
    assert opinion_key(UNIT, "yk-1") == "03390:yk-1"
    long = opinion_key(UNIT, "x" * ID_MAX_LENGTH)
    assert long.startswith("03390:") and len(long) <= ID_MAX_LENGTH
    assert re.fullmatch(ID_PATTERN, long) and long != opinion_key(UNIT, "y" * ID_MAX_LENGTH)
