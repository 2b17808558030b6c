"""The rules several events share (contracts.rules): each refusal in the words it always had."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.coordination import CouncilDelegatesDeclared, ProposalAnswered
from contracts.meetings import V1, CitizenReception, MeetingScheduled, Session, SessionPlan
from contracts.meetings import VoterContact as Contact
from contracts.oversight import SupervisionFinished, SupervisionPlanned, SupervisionStarted

DAY = {"title": "Kỳ họp thứ 9", "held_on": "2025-07-10"}
SESSION = DAY | {
    "session_type": "regular",
    "term": "2021-2026",
    "number_in_term": 9,
    "delegates_present": 40,
    "resolutions_adopted": 12,
    "questioning_held": False,
}
CONTACT = DAY | {
    "timing": "before_session",
    "delegate_group": "Tổ 1",
    "voters_attending": 80,
    "opinions_raised": 2,
}
OPINION = {"text": "Sửa đường liên thôn", "field": "land", "addressed_to": "UBND xã"}
RECEPTION = DAY | {"reception_type": "periodic", "citizens_received": 5, "petitions_received": 2}
PETITION = {"petition_type": "complaint", "summary": "Đền bù"}
SCHEDULED = {"meeting_id": "m-1", "title": "Tập huấn", "scheduled_for": "2025-07-10"}
PLAN = {"session_type": "regular", "term": "2021-2026", "number_in_term": 9}
STEP = {"supervision_id": "s-1", "activity": "survey", "body": "committee", "field": "land"}
FINISHED = STEP | {
    "committee": "legal",
    "title": "Khảo sát đất đai",
    "started_on": "2025-03-01",
    "finished_on": "2025-04-01",
}
DECLARED = {"term": "2021-2026", "as_of": "2025-01-01", "seats": 50, "delegates_trained": 20}
ANSWERED = {"proposal_id": "p-1", "raised_by": "001", "raised_on": "2025-03-01"}
ANSWERED |= {"answered_on": "2025-03-05", "answer": "Đã tiếp thu"}

CASES: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (
        MeetingScheduled,
        SCHEDULED | {"kind": "session"},
        "session (type, term, number_in_term) is required for a session",
    ),
    (
        MeetingScheduled,
        SCHEDULED | {"kind": "training", "session": PLAN},
        "session must be absent when kind is training",
    ),
    (
        SupervisionFinished,
        FINISHED | {"committee": None},
        "committee is required when body is committee",
    ),
    (
        SupervisionStarted,
        STEP | {"body": "delegate_group", "committee": "legal", "started_on": "2025-03-01"},
        "committee must be absent when body is delegate_group",
    ),
    (
        SupervisionFinished,
        FINISHED | {"finished_on": "2025-02-28"},
        "finished_on 2025-02-28 is before started_on 2025-03-01",
    ),
    (
        SupervisionFinished,
        FINISHED | {"supervised_units": ["001", "001"]},
        "each unit may appear only once among the supervised units",
    ),
    (
        SupervisionPlanned,
        STEP
        | {
            "committee": "legal",
            "title": "Kế hoạch",
            "planned_on": "2025-01-02",
            "supervised_units": ["001", "001"],
        },
        "each unit may appear only once among the supervised units",
    ),
    (
        ProposalAnswered,
        ANSWERED | {"answered_on": "2025-02-01"},
        "answered_on 2025-02-01 is before raised_on 2025-03-01",
    ),
    (
        CouncilDelegatesDeclared,
        DECLARED | {"delegates_trained": 60},
        "delegates_trained 60 is more than the 50 seats",
    ),
    (
        Session,
        SESSION | {"delegates_elected": 30},
        "40 delegates present but the council has 30 seats",
    ),
    (Session, SESSION | {"term": "2021-2025"}, "term must span five years, e.g. 2021-2026"),
    (V1.Session, SESSION | {"term": "2020-2026"}, "term must span five years, e.g. 2021-2026"),
    (SessionPlan, PLAN | {"term": "2021-2022"}, "term must span five years, e.g. 2021-2026"),
    (
        Contact,
        CONTACT | {"opinions": [OPINION | {"opinion_id": "o-1"}] * 2},
        "each opinion_id may appear only once",
    ),
    (Contact, CONTACT | {"opinions": [OPINION]}, "1 items given but opinions_raised is 2"),
    (
        CitizenReception,
        RECEPTION | {"petitions": [PETITION | {"petition_id": "d-1"}] * 2},
        "each petition_id may appear only once",
    ),
    (
        CitizenReception,
        RECEPTION | {"petitions": [PETITION] * 3},
        "3 items given but petitions_received is 2",
    ),
]


@pytest.mark.parametrize(("model", "data", "refusal"), CASES)
def test_a_rule_refuses_in_its_own_words(
    model: type[BaseModel], data: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    assert [e["msg"] for e in refused.value.errors()] == [f"Value error, {refusal}"]


ALLOWED: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (Session, SESSION | {"delegates_elected": 40}),
    (V1.Session, SESSION),
    (SessionPlan, PLAN),
    (Contact, CONTACT | {"opinions": [OPINION, OPINION]}),
    (CitizenReception, RECEPTION | {"petitions": []}),
    (MeetingScheduled, SCHEDULED | {"kind": "session", "session": PLAN}),
    (MeetingScheduled, SCHEDULED | {"kind": "training"}),
    (SupervisionFinished, FINISHED | {"finished_on": "2025-03-01", "supervised_units": ["001"]}),
    (SupervisionStarted, STEP | {"body": "delegate_group", "started_on": "2025-03-01"}),
    (ProposalAnswered, ANSWERED | {"answered_on": "2025-03-01"}),
    (CouncilDelegatesDeclared, DECLARED | {"delegates_trained": 50}),
]


@pytest.mark.parametrize(("model", "data"), ALLOWED)
def test_what_the_rules_allow_is_accepted(model: type[BaseModel], data: dict[str, Any]) -> None:
    model.model_validate(data)
