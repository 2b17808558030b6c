"""The activity log's entries, pure: which events make one, what record and summary they name,
every kind named in Vietnamese, where an entry is listed, and a CSV Excel cannot be tricked by."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel

from contracts import REGISTRY, Actor, Envelope
from contracts.hierarchy import HierarchyChanged, Merge
from contracts.oversight import OpinionReceived, RecommendationIssued
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.reporting.activity.api import _cell
from services.reporting.activity.entries import LABELS, UNLOGGED, entry_of, listed_under
from services.reporting.read.projector.fold import Fold
from services.reporting.wiring import projector_topics
from tests.builders import LAI_CHAU, held_voter_contact, sealed

LAN = Actor(id="acc-lan", name="Nguyễn Thị Lan", kind="person")
RECORDED_ON = date(2026, 11, 2)


def by_lan(envelope: Envelope) -> Envelope:
    """`envelope` as written since events name their actor: Lan's."""
    return envelope.model_copy(update={"actor": LAN})


def recorded_by_lan(payload: BaseModel) -> Envelope:
    """`payload` recorded by Lan for Xã Bình Lư (03390) at noon on RECORDED_ON."""
    noon = datetime.combine(RECORDED_ON, time(12), VIETNAM_TZ)
    return by_lan(sealed(payload, "03390", noon).envelope)


def test_every_kind_of_event_is_named_in_vietnamese_or_never_logged() -> None:
    unnamed = sorted(set(REGISTRY.current) - set(LABELS) - UNLOGGED)
    assert unnamed == [], "name them in services.reporting.activity.entries.LABELS"


def test_an_event_makes_an_entry_only_when_it_names_its_actor() -> None:
    held = held_voter_contact("03390", date(2026, 11, 20), seq=7)
    assert entry_of(held.envelope) is None  # written before actors: no entry
    entry = entry_of(by_lan(held.envelope))
    assert entry is not None
    assert entry.key == f"{held.envelope.stream}#7" and entry.event_id == str(
        held.envelope.event_id
    )
    assert entry.actor == (LAN.id, LAN.name, "person")
    assert entry.record == held.payload.meeting.meeting_id  # the meeting it carries
    assert entry.summary == "voter_contact · Tiếp xúc cử tri"
    assert entry.day == date(2026, 11, 20)


def test_a_recommendation_is_the_record_not_the_supervision_it_came_from() -> None:
    issued = RecommendationIssued.model_validate(
        {
            "recommendation_id": "kn-3",
            "supervision_id": "gs-1",
            "issued_on": "2026-11-02",
            "deadline": "2027-02-01",
            "text": "Đẩy nhanh cấp giấy chứng nhận",
            "addressed_to": "UBND huyện",
        }
    )
    envelope = recorded_by_lan(issued)
    # The first payload of a type tells where the record is; the second reuses it.
    for _ in range(2):
        entry = entry_of(envelope)
        assert entry is not None and entry.record == "kn-3"
        assert entry.summary == "Đẩy nhanh cấp giấy chứng nhận"


def test_an_entry_is_listed_under_its_unit_those_above_and_where_a_merger_put_its_records() -> None:
    h = LAI_CHAU.copy()
    a, b = [u.code for u in h.children("12", "2025")[:2]]
    day = date(2026, 3, 5)
    fold = Fold(h, {})
    entry = entry_of(by_lan(held_voter_contact(a, day, seq=1).envelope))
    assert entry is not None
    fold.note(entry)
    assert fold.activity[0]["lineage"] == [a, "12"] and fold.activity[0]["_id"] == entry.key
    h.apply(
        [HierarchyChanged(change_no=1, effective=date(2026, 3, 1), change=Merge(units=[a], into=b))]
    )
    assert listed_under(h, a, day) == (a, b, "12")  # ended: listed where its records count
    assert listed_under(h, a, date(2026, 2, 27)) == (a, "12")
    assert listed_under(Hierarchy.load(), "99999", day) == ("99999",)


def test_a_csv_cell_is_never_taken_for_a_formula() -> None:
    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [_cell(v) for v in ("+1", "-1", "@a", "Nguyễn Thị Lan", "")] == [
        "'+1",
        "'-1",
        "'@a",
        "Nguyễn Thị Lan",
        "",
    ]


def test_the_projector_reads_accounts_and_sign_ins_once() -> None:
    topics = projector_topics(Settings(topic_prefix="t."))
    assert topics.count("t.hdnd.identity") == 1 and topics[-1] == "t.hdnd.identity"


def test_an_entry_never_repeats_what_a_voter_said() -> None:
    """Opinion texts and petition summaries may name citizens: the log names the record."""
    received = OpinionReceived(
        opinion_id="yk-1",
        raised_on=RECORDED_ON,
        meeting_id="tx-1",
        text="Ông Lò Văn Pánh đề nghị sửa đường vào bản",
        field="investment_construction",
    )
    entry = entry_of(recorded_by_lan(received))
    assert entry is not None and entry.record == "yk-1"
    assert "Pánh" not in entry.summary and "sửa đường" not in entry.summary
