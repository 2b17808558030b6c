"""A story on real servers: Thị xã Mường Lay (095, Tỉnh Điện Biên) and its three communes over
the nine months 2024-10..2025-06, the last nine months of the three-level era, recorded only
through the HTTP APIs of meetings, oversight and reporting as the council offices would; the
figures the reporting API answers for the district and the province must equal the ones
written down by hand below.

    Tỉnh Điện Biên (11): 10 district-level units and 129 communes until 2025-06-30; not merged
    in 2025 (its only predecessor is itself).
      └─ Thị xã Mường Lay (095)
           ├─ Phường Sông Đà (03148)
           ├─ Phường Na Lay (03151)
           └─ Xã Lay Nưa (03184)
    Since 2025-07-01 all three are Phường Mường Lay (03151 again: the code was reused), with
    Xã Lay Nưa's neighbour 03178 of another district.

Everything happens in the past (today is after 2025), so the story is recorded after the fact;
a few follow-ups fall after the reform (July-September 2025) and count, by the cohort rule, in
the month their item was raised.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.builders import meeting, supervision
from tests.conftest import Running, bearer, eventually, start_app
from tests.integration.test_report_document import check_report_document

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT = "11", "095"  # Tỉnh Điện Biên › Thị xã Mường Lay
SONG_DA, NA_LAY, LAY_NUA = "03148", "03151", "03184"
MUONG_LAY_2025 = "03151"  # Phường Mường Lay, today: 03148 + 03151 + 03178 + 03184
WHOLE, H1, Q4 = "2024-10..2025-06", "2025-H1", "2024-Q4"
TERM = "2021-2026"

# -- what the council offices record ----------------------------------------------------------


def session(
    meeting_id: str,
    day: str,
    number: int,
    session_type: str,
    seats: int,
    present: int,
    resolutions: int,
    questions: int | None,
) -> dict[str, Any]:
    """A kỳ họp; `questions` None means no questioning (chất vấn) was held."""
    return meeting("session", meeting_id, f"Kỳ họp thứ {number}", day) | {
        "session_type": session_type,
        "term": TERM,
        "number_in_term": number,
        "delegates_elected": seats,
        "delegates_present": present,
        "resolutions_adopted": resolutions,
        "questioning_held": questions is not None,
        "questions_asked": questions or 0,
    }


def standing(meeting_id: str, day: str, meeting_type: str) -> dict[str, Any]:
    held = meeting("standing_committee", meeting_id, "Phiên họp Thường trực HĐND", day)
    return held | {"meeting_type": meeting_type}


def scheduled(kind: str, meeting_id: str, title: str, day: str) -> dict[str, Any]:
    """A meeting planned for `day` (the body of POST /units/{unit}/scheduled-meetings)."""
    return {"meeting_id": meeting_id, "kind": kind, "title": title, "scheduled_for": day}


def opinion(opinion_id: str, field: str, text: str) -> dict[str, Any]:
    return {
        "opinion_id": opinion_id,
        "text": text,
        "field": field,
        "addressed_to": "UBND thị xã Mường Lay",
    }


def voter_contact(
    meeting_id: str, day: str, timing: str, voters: int, opinions: list[dict[str, Any]]
) -> dict[str, Any]:
    return meeting("voter_contact", meeting_id, "Tiếp xúc cử tri", day) | {
        "timing": timing,
        "delegate_group": "Tổ đại biểu số 1",
        "voters_attending": voters,
        "opinions_raised": len(opinions),
        "opinions": opinions,
    }


OPINIONS = [  # (voter contact, opinion, field, what the voters asked)
    ("tx-nl", "yk-nl-1", "land", "Chậm cấp giấy chứng nhận quyền sử dụng đất"),
    ("tx-nl", "yk-nl-2", "investment_construction", "Đường vào bản xuống cấp"),
    ("tx-nl", "yk-nl-3", "education_health", "Thiếu giáo viên mầm non"),
    ("tx-ln", "yk-ln-1", "land", "Tranh chấp đất rẫy"),
    ("tx-ln", "yk-ln-2", "social_policy", "Hỗ trợ hộ nghèo"),
    ("tx-tx", "yk-tx-1", "budget", "Kinh phí sửa chữa trường học"),
    ("tx-tx", "yk-tx-2", "other", "Chiếu sáng công cộng"),
    ("tx-sd", "yk-sd-1", "other", "Nước sạch"),
]
PETITIONS = [  # (citizen reception, petition, its type)
    ("tcd-tx", "don-1", "complaint"),
    ("tcd-tx", "don-2", "denunciation"),
    ("tcd-tx", "don-3", "reflection"),
    ("tcd-nl", "don-4", "recommendation"),
]


def contact(meeting_id: str, day: str, timing: str, voters: int) -> dict[str, Any]:
    """A voter contact of the story, with the opinions OPINIONS lists for it."""
    raised = [opinion(o, field, text) for at, o, field, text in OPINIONS if at == meeting_id]
    return voter_contact(meeting_id, day, timing, voters, raised)


def reception(meeting_id: str, day: str, kind: str, citizens: int) -> dict[str, Any]:
    """A citizen reception of the story, taking the petitions PETITIONS lists for it."""
    taken = [(pid, ptype) for at, pid, ptype in PETITIONS if at == meeting_id]
    return meeting("citizen_reception", meeting_id, "Tiếp công dân", day) | {
        "reception_type": kind,
        "citizens_received": citizens,
        "petitions_received": len(taken),
        "petitions": [
            {"petition_id": pid, "petition_type": ptype, "summary": "Nội dung đơn"}
            for pid, ptype in taken
        ],
    }


MEETINGS: list[tuple[str, dict[str, Any]]] = [  # recorded held directly
    (DISTRICT, session("kh-tx-10", "2025-03-12", 10, "thematic", 25, 21, 4, None)),
    (NA_LAY, session("kh-nl-10", "2025-01-03", 10, "regular", 20, 19, 8, 3)),  # corrected below
    (LAY_NUA, session("kh-ln-8", "2025-06-25", 8, "regular", 18, 17, 6, 2)),
    (SONG_DA, session("kh-sd-11", "2025-02-14", 11, "extraordinary", 19, 15, 2, None)),
    (DISTRICT, standing("tt-tx-10", "2024-10-07", "regular")),
    (NA_LAY, standing("tt-nl-01", "2025-01-06", "regular")),
    (
        DISTRICT,
        {
            "kind": "conference",
            "meeting_id": "gb-5",
            "title": "Hội nghị giao ban Thường trực HĐND thị xã với Thường trực HĐND các xã,"
            " phường lần thứ năm",
            "held_on": "2025-01-16",
            "conference_type": "briefing",
            "ordinal": 5,
            "participating_units": [SONG_DA, NA_LAY, LAY_NUA],
            "topics": ["Chuẩn bị kỳ họp giữa năm"],
        },
    ),
    (
        DISTRICT,
        {
            "kind": "training",
            "meeting_id": "th-2025-03",
            "title": "Tập huấn kỹ năng giám sát chuyên đề và thẩm tra",
            "held_on": "2025-03-25",
            "format": "online",
            "topics": ["Kỹ năng giám sát chuyên đề", "Thẩm tra lĩnh vực Kinh tế – Ngân sách"],
            "bridge_points": [
                {"unit": DISTRICT, "attendees": 30, "delegates": 20},
                {"unit": SONG_DA, "attendees": 15, "delegates": 9},
                {"unit": NA_LAY, "attendees": 18, "delegates": 12},
                {"unit": LAY_NUA, "attendees": 14, "delegates": 8},
            ],
        },
    ),
    (NA_LAY, contact("tx-nl", "2024-12-05", "before_session", 85)),
    (LAY_NUA, contact("tx-ln", "2025-01-10", "after_session", 62)),
    (DISTRICT, contact("tx-tx", "2025-06-05", "before_session", 140)),
    (SONG_DA, contact("tx-sd", "2025-06-10", "before_session", 48)),
    (DISTRICT, reception("tcd-tx", "2025-02-20", "periodic", 12)),
    (NA_LAY, reception("tcd-nl", "2025-05-08", "ad_hoc", 4)),
    (LAY_NUA, reception("tcd-ln", "2024-11-15", "periodic", 6)),
]

# -- the figures written down by hand ---------------------------------------------------------
# Thị xã Mường Lay, 2024-10..2025-06: with its communes (whole), the district council's own
# figures (own), and 2025-H1 (6 tháng đầu năm 2025) with its communes (H1). A figure not
# listed is 0 in all three; sums below are in that order, "whole; own; H1", where they differ.
FIGURES: dict[str, tuple[int, int, int]] = {  # key: (whole, own, H1)
    # kỳ họp: district 9 (Dec, regular) and 10 (Mar, thematic); Na Lay 10 (regular, corrected
    # to Dec, so not in H1), Lay Nưa 8 (Jun, regular), Sông Đà 11 (Feb, extraordinary)
    "sessions": (5, 2, 3),
    "sessions_regular": (3, 1, 1),
    "sessions_thematic": (1, 1, 1),
    "sessions_extraordinary": (1, 0, 1),
    "session_delegates_present": (95, 44, 53),  # 23 + 21 + 19 + 17 + 15; 23 + 21; 21 + 17 + 15
    "session_seats": (107, 50, 62),  # 25 + 25 + 20 + 18 + 19; 25 + 25; 25 + 18 + 19
    "session_seats_present": (95, 44, 53),  # every session gave its seats
    # 14 + 4 + 9 (Na Lay's, corrected from 8) + 6 + 2; 14 + 4; 4 + 6 + 2
    "resolutions_adopted": (35, 18, 12),
    "sessions_with_questioning": (3, 1, 1),  # district 9, Na Lay 10, Lay Nưa 8; 9; Lay Nưa 8
    "session_questions": (10, 5, 2),  # 5 + 3 + 2
    # phiên họp Thường trực: district Oct (regular), May (ad hoc, scheduled then held); Na Lay Jan
    "standing_committee_meetings": (3, 2, 2),
    "standing_committee_meetings_regular": (2, 1, 1),
    "standing_committee_meetings_ad_hoc": (1, 1, 1),
    "conferences": (1, 1, 1),  # giao ban lần thứ năm (Jan); the experience exchange was cancelled
    "conferences_briefing": (1, 1, 1),
    # one online training, four bridge points (district and its three communes)
    "trainings": (1, 1, 1),
    "trainings_online": (1, 1, 1),
    "training_bridge_points": (4, 1, 4),  # the district's own: its own room
    "training_attendees": (77, 30, 77),  # 30 + 15 + 18 + 14
    "training_delegate_attendances": (49, 20, 49),  # 20 + 9 + 12 + 8
    # tiếp xúc cử tri: Na Lay Dec, Lay Nưa Jan (after session), district Jun, Sông Đà Jun
    "voter_contacts": (4, 1, 3),
    "voter_contacts_before_session": (3, 1, 2),
    "voter_contacts_after_session": (1, 0, 1),
    "voters_reached": (335, 140, 250),  # 85 + 62 + 140 + 48; 140; 62 + 140 + 48
    "voter_opinions_raised": (8, 2, 5),  # 3 + 2 + 2 + 1; 2; 2 + 2 + 1
    "voter_opinions_field_land": (2, 0, 1),  # yk-nl-1, yk-ln-1
    "voter_opinions_field_investment_construction": (1, 0, 0),  # yk-nl-2
    "voter_opinions_field_education_health": (1, 0, 0),  # yk-nl-3
    "voter_opinions_field_social_policy": (1, 0, 1),  # yk-ln-2
    "voter_opinions_field_budget": (1, 1, 1),  # yk-tx-1
    "voter_opinions_field_other": (2, 1, 2),  # yk-tx-2, yk-sd-1
    # tiếp công dân: district Feb (periodic, 3 petitions), Na Lay May (ad hoc, 1), Lay Nưa Nov
    "citizen_receptions": (3, 1, 2),
    "citizen_receptions_periodic": (2, 1, 1),
    "citizen_receptions_ad_hoc": (1, 0, 1),
    "citizens_received": (22, 12, 16),  # 12 + 4 + 6; 12; 12 + 4
    # 3 + 1 at receptions, 1 by mail to the district (Nov); 3 at its reception, 1 by mail;
    # don-1..4 (the mailed one came in November)
    "petitions_received": (5, 4, 4),
    "petitions_received_complaint": (1, 1, 1),  # don-1 (types are counted for receptions only)
    "petitions_received_denunciation": (1, 1, 1),  # don-2
    "petitions_received_reflection": (1, 1, 1),  # don-3
    "petitions_received_recommendation": (1, 0, 1),  # don-4
    # scheduled, every one by the district: session 9 (Dec, held), standing committee (May,
    # held), exchange (Apr, cancelled)
    "meetings_scheduled": (3, 3, 2),
    "meetings_scheduled_session": (1, 1, 0),
    "meetings_scheduled_standing_committee": (1, 1, 1),
    "meetings_scheduled_conference": (1, 1, 1),
    "meetings_cancelled": (1, 1, 1),
    "meetings_cancelled_conference": (1, 1, 1),
    # giám sát chuyên đề by the district's standing committee on investment: planned Mar,
    # started Apr, finished May with 3 recommendations; kn-1 implemented in time, kn-2 and kn-3
    # overdue (deadlines 2025-08-31 and 2025-12-31 passed); a verification by Ban Kinh tế – Xã
    # hội (Dec, budget); a survey by Na Lay's delegate group (Feb, land)
    "thematic_supervisions": (1, 1, 1),
    "thematic_supervisions_body_standing_committee": (1, 1, 1),
    "thematic_supervisions_field_investment_construction": (1, 1, 1),
    "surveys": (1, 0, 1),
    "surveys_body_delegate_group": (1, 0, 1),
    "surveys_field_land": (1, 0, 1),
    "verifications": (1, 1, 0),
    "verifications_body_committee": (1, 1, 0),
    "verifications_field_budget": (1, 1, 0),
    "verifications_committee_economy_society": (1, 1, 0),
    "recommendations_issued": (3, 3, 3),
    "thematic_supervisions_planned": (1, 1, 1),
    "thematic_supervisions_planned_body_standing_committee": (1, 1, 1),
    "thematic_supervisions_planned_field_investment_construction": (1, 1, 1),
    "thematic_supervisions_started": (1, 1, 1),
    "thematic_supervisions_started_body_standing_committee": (1, 1, 1),
    "thematic_supervisions_started_field_investment_construction": (1, 1, 1),
    "recommendations_implemented": (1, 1, 1),  # kn-1
    "recommendations_overdue": (2, 2, 2),  # kn-2, kn-3
    # opinions: forwarded nl-1, nl-2, nl-3, ln-1, tx-1, tx-2; answered nl-1, nl-2, ln-1, tx-1;
    # resolved nl-1 (60 days), ln-1 (80), tx-1 (70, in August), nl-2 (277, in September)
    "opinions_forwarded": (6, 2, 3),  # tx-1, tx-2; ln-1, tx-1, tx-2
    "opinions_answered": (4, 1, 2),  # tx-1; ln-1, tx-1
    "opinions_resolved": (4, 1, 2),  # tx-1; ln-1 (80), tx-1 (70)
    "voter_opinions_pending": (4, 1, 3),  # 8 - 4: nl-3, ln-2, tx-2, sd-1; tx-2; 5 - 2
    "opinion_days_to_resolve": (487, 70, 150),  # 60 + 80 + 70 + 277
    # petitions: transferred mail, don-1, don-2, don-4; settled mail (45 days), don-1 (40),
    # don-4 (83, in July)
    "petitions_received_by_mail": (1, 1, 0),
    "petitions_transferred": (4, 3, 3),  # mail, don-1, don-2; don-1, don-2, don-4
    "petitions_settled": (3, 2, 2),  # mail (45), don-1 (40); don-1 (40), don-4 (83)
    "petitions_pending": (2, 2, 2),  # 5 - 3: don-2, don-3
    "petition_days_to_settle": (168, 85, 123),  # 45 + 40 + 83; 45 + 40
    # stocks at 2025-06-30, when H1 ends too: seats 25 + 19 + 20 + 18; trained 22 (district,
    # March declaration) + 10 + 15 + 16 (Lay Nưa, April declaration); staff district 2/1, Na
    # Lay 0/2, Lay Nưa 1/1
    "council_seats": (82, 25, 82),
    "delegates_trained": (63, 22, 63),
    "staff_full_time": (3, 2, 3),
    "staff_part_time": (4, 1, 4),
    # reports due in the period: 2024-9M (October) and 2024 (January), by 4 councils; in H1
    # the 2024 reports only; the district filed both of its own
    "reports_due": (8, 2, 4),  # 2 × (district + 3 communes)
    "reports_on_time": (3, 1, 1),  # district 9M (Oct 8 ≤ Oct 10), Na Lay 9M, Lay Nưa year
    "reports_late": (1, 1, 1),  # district year (Jan 14 > Jan 10)
    "reports_missing": (4, 0, 2),  # 8 - 4 filed: Sông Đà twice, Na Lay year, Lay Nưa 9M
    # work programme: district Q4 ×3 (one done, one in progress, one cancelled), Q2 ×2 (one
    # done); Na Lay Q1 ×1 (done)
    "tasks_set": (6, 5, 3),
    "tasks_done": (3, 2, 2),
    "tasks_cancelled": (1, 1, 0),
    # proposals: Na Lay → district (Nov), Lay Nưa → district (Feb, answered), Sông Đà →
    # province (May)
    "proposals_raised": (3, 0, 2),
    "proposals_answered": (1, 0, 1),
}


def column(i: int) -> dict[str, int]:
    """Column `i` of FIGURES without its zeros, as the summaries are compared."""
    return {key: counts[i] for key, counts in FIGURES.items() if counts[i]}


DISTRICT_WHOLE, DISTRICT_OWN_WHOLE, DISTRICT_H1 = column(0), column(1), column(2)
RATES_WHOLE: dict[str, float | None] = {
    "session_mean_delegates_present": 19.0,  # 95 / 5
    "session_attendance_rate": 88.8,  # 95 / 107
    "voter_contact_mean_voters": 83.8,  # 335 / 4 = 83.75
    "delegate_rating_good_rate": None,  # no ratings
    "meeting_cancellation_rate": 33.3,  # 1 / 3
    "opinion_resolution_rate": 50.0,  # 4 / 8
    "opinion_mean_days_to_resolve": 121.8,  # 487 / 4 = 121.75
    "recommendation_implementation_rate": 33.3,  # 1 / 3
    "petition_settlement_rate": 60.0,  # 3 / 5
    "petition_mean_days_to_settle": 56.0,  # 168 / 3
    "training_coverage": 76.8,  # 63 / 82
    "reports_on_time_rate": 37.5,  # 3 / 8
    "tasks_done_rate": 50.0,  # 3 / 6
    "proposals_answered_rate": 33.3,  # 1 / 3
}
RATES_H1: dict[str, float | None] = {
    "session_mean_delegates_present": 17.7,  # 53 / 3
    "session_attendance_rate": 85.5,  # 53 / 62
    "voter_contact_mean_voters": 83.3,  # 250 / 3
    "delegate_rating_good_rate": None,
    "meeting_cancellation_rate": 50.0,  # 1 / 2
    "opinion_resolution_rate": 40.0,  # 2 / 5
    "opinion_mean_days_to_resolve": 75.0,  # 150 / 2
    "recommendation_implementation_rate": 33.3,
    "petition_settlement_rate": 50.0,  # 2 / 4
    "petition_mean_days_to_settle": 61.5,  # 123 / 2
    "training_coverage": 76.8,
    "reports_on_time_rate": 25.0,  # 1 / 4
    "tasks_done_rate": 66.7,  # 2 / 3
    "proposals_answered_rate": 50.0,  # 1 / 2
}
# The province holds nothing of its own; every district and commune owes its reports: 1
# province + 10 districts + 129 communes = 140 councils.
PROVINCE_WHOLE = DISTRICT_WHOLE | {
    "reports_due": 280,  # 2 reports × 140 councils
    "reports_missing": 276,  # 280 - 4 filed
}
PROVINCE_RATES_WHOLE = RATES_WHOLE | {"reports_on_time_rate": 1.1}  # 3 / 280
PROVINCE_H1 = DISTRICT_H1 | {"reports_due": 140, "reports_missing": 138}  # 140 - 2 filed
PROVINCE_RATES_H1 = RATES_H1 | {"reports_on_time_rate": 0.7}  # 1 / 140
# Each commune over the whole period: a few figures, to see the district split correctly.
COMMUNES_WHOLE: dict[str, dict[str, int]] = {
    SONG_DA: {
        "sessions": 1,
        "voters_reached": 48,
        "voter_opinions_raised": 1,
        "opinions_resolved": 0,
        "petitions_received": 0,
        "surveys": 0,
        "proposals_raised": 1,  # to the province
        "proposals_answered": 0,
        "reports_due": 2,
        "reports_missing": 2,  # filed neither
        "council_seats": 19,
        "delegates_trained": 10,
        "training_bridge_points": 1,
    },
    NA_LAY: {
        "sessions": 1,
        "voters_reached": 85,
        "voter_opinions_raised": 3,
        "opinions_resolved": 2,  # nl-1, nl-2
        "petitions_received": 1,  # don-4
        "surveys": 1,
        "proposals_raised": 1,
        "proposals_answered": 0,
        "reports_due": 2,
        "reports_missing": 1,  # the 2024 report
        "council_seats": 20,
        "delegates_trained": 15,
        "training_bridge_points": 1,
    },
    LAY_NUA: {
        "sessions": 1,
        "voters_reached": 62,
        "voter_opinions_raised": 2,
        "opinions_resolved": 1,  # ln-1
        "petitions_received": 0,
        "surveys": 0,
        "proposals_raised": 1,
        "proposals_answered": 1,  # answered by the district
        "reports_due": 2,
        "reports_missing": 1,  # the 2024-9M report
        "council_seats": 18,
        "delegates_trained": 16,
        "training_bridge_points": 1,
    },
}
# Phường Mường Lay as today: its three legacy predecessors of Thị xã Mường Lay (03178, the
# fourth, recorded nothing here); the district council's own figures go to the province only.
MUONG_LAY_AS_TODAY: dict[str, int] = {
    "sessions": 3,  # Na Lay, Lay Nưa, Sông Đà
    "resolutions_adopted": 17,  # 9 + 6 + 2
    "standing_committee_meetings": 1,  # Na Lay's
    "training_bridge_points": 3,
    "training_attendees": 47,  # 15 + 18 + 14
    "voter_contacts": 3,
    "voters_reached": 195,  # 85 + 62 + 48
    "voter_opinions_raised": 6,
    "opinions_resolved": 3,  # nl-1, nl-2, ln-1
    "voter_opinions_pending": 3,  # nl-3, ln-2, sd-1
    "opinion_days_to_resolve": 417,  # 60 + 277 + 80
    "citizen_receptions": 2,  # Na Lay, Lay Nưa
    "petitions_received": 1,
    "petitions_settled": 1,
    "surveys": 1,
    "council_seats": 57,  # 19 + 20 + 18
    "delegates_trained": 41,  # 10 + 15 + 16
    "staff_part_time": 3,  # Na Lay 2 + Lay Nưa 1
    "staff_full_time": 1,  # Lay Nưa
    "reports_due": 8,  # 2 reports × 4 legacy communes (03178 included)
    "reports_on_time": 2,  # Na Lay 9M, Lay Nưa year
    "reports_missing": 6,  # 8 - 2
    "tasks_set": 1,
    "tasks_done": 1,
    "proposals_raised": 3,
    "proposals_answered": 1,
}

# -- driving the services -------------------------------------------------------------------


async def post(
    app: Running,
    path: str,
    body: dict[str, Any],
    status: int = 201,
    headers: dict[str, str] | None = None,
) -> Any:
    r = await app.client.post(path, json=body, headers=headers)
    assert r.status_code == status, (path, r.status_code, r.text)
    return r.json()


async def summary(
    app: Running, unit: str, period: str, view: str = "as_it_was", reader: str = PROVINCE
) -> dict[str, Any]:
    r = await app.client.get(
        f"/units/{unit}/summary",
        params={"period": period, "view": view},
        headers=bearer(reader, "viewer"),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def nonzero(figures: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in figures.items() if v}


async def coordinate(reporting: Running) -> None:
    """Declarations, reports, the work programme and proposals (reporting service)."""
    units = f"/units/{DISTRICT}"
    declared = [  # (unit, as_of, seats, delegates trained)
        (DISTRICT, "2024-10-01", 25, 18),
        (DISTRICT, "2025-03-31", 25, 22),  # after the March training
        (SONG_DA, "2024-10-01", 19, 10),
        (NA_LAY, "2024-10-01", 20, 15),
        (LAY_NUA, "2024-10-01", 18, 12),
        (LAY_NUA, "2025-04-01", 18, 16),
    ]
    for unit, as_of, seats, trained in declared:
        body = {"term": TERM, "as_of": as_of, "seats": seats, "delegates_trained": trained}
        await post(reporting, f"/units/{unit}/delegates", body)
    for unit, full, part in [(DISTRICT, 2, 1), (NA_LAY, 0, 2), (LAY_NUA, 1, 1)]:
        body = {"as_of": "2024-10-01", "full_time": full, "part_time": part}
        await post(reporting, f"/units/{unit}/staff", body)
    filed = [  # due: communes on the 5th, districts on the 10th of the month after
        (DISTRICT, "2024-9M", "2024-10-08"),  # on time
        (NA_LAY, "2024-9M", "2024-10-04"),  # on time
        (DISTRICT, "2024", "2025-01-14"),  # late
        (LAY_NUA, "2024", "2025-01-03"),  # on time
    ]
    for unit, period, day in filed:
        await post(reporting, f"/units/{unit}/reports", {"period": period, "filed_on": day})

    tasks = [  # (unit, id, period, set on)
        (DISTRICT, "nv-q4-1", "2024-Q4", "2024-10-02"),
        (DISTRICT, "nv-q4-2", "2024-Q4", "2024-10-02"),
        (DISTRICT, "nv-q4-3", "2024-Q4", "2024-10-02"),
        (NA_LAY, "nv-nl-q1", "2025-Q1", "2025-01-05"),
        (DISTRICT, "nv-q2-1", "2025-Q2", "2025-04-01"),
        (DISTRICT, "nv-q2-2", "2025-Q2", "2025-04-01"),
    ]
    for unit, task_id, period, day in tasks:
        body = {"task_id": task_id, "period": period, "title": "Nhiệm vụ trọng tâm", "set_on": day}
        await post(reporting, f"/units/{unit}/tasks", body)
    changes = [  # (task, status, changed on)
        ("nv-q4-1", "done", "2024-12-20"),
        ("nv-q4-2", "in_progress", "2024-11-05"),
        ("nv-q4-3", "cancelled", "2024-12-30"),
        ("nv-nl-q1", "done", "2025-03-20"),
        ("nv-q2-1", "in_progress", "2025-04-15"),
        ("nv-q2-1", "done", "2025-06-26"),
    ]
    unit_of = {task_id: unit for unit, task_id, _, _ in tasks}
    for task_id, status, day in changes:
        body = {"status": status, "changed_on": day}
        await post(reporting, f"/units/{unit_of[task_id]}/tasks/{task_id}/status", body)

    proposals = [  # raised by each commune with its own secretary's token
        (NA_LAY, "kn-nl-1", DISTRICT, "2024-11-20", "Kiến nghị bố trí kinh phí kè suối"),
        (LAY_NUA, "kn-ln-1", DISTRICT, "2025-02-10", "Kiến nghị sửa đường liên bản"),
        (SONG_DA, "kn-sd-1", PROVINCE, "2025-05-20", "Đề xuất hỗ trợ tái định cư"),
    ]
    for unit, pid, to_unit, day, title in proposals:
        kind = "suggestion" if to_unit == PROVINCE else "recommendation"
        body = {"proposal_id": pid, "to_unit": to_unit, "kind": kind, "title": title}
        await post(
            reporting,
            f"/units/{unit}/proposals",
            body | {"raised_on": day},
            headers=bearer(unit),
        )
    answer = {"answered_on": "2025-03-05", "answer": "Thị xã bố trí vốn sửa đường trong quý II."}
    await post(reporting, f"{units}/proposals/kn-ln-1/answer", answer)


async def meet(meetings: Running) -> None:
    """Every meeting of the nine months (meetings service)."""
    base = f"/units/{DISTRICT}"
    for unit, body in MEETINGS:
        await post(meetings, f"/units/{unit}/meetings", body)
    # Scheduled, then held: kỳ họp thứ 9 and an ad hoc standing-committee meeting.
    plan_9 = scheduled("session", "kh-tx-9", "Kỳ họp thứ chín HĐND thị xã", "2024-12-18")
    plan_9["session"] = {"session_type": "regular", "term": TERM, "number_in_term": 9}
    await post(meetings, f"{base}/scheduled-meetings", plan_9)
    held_9 = session("kh-tx-9", "2024-12-18", 9, "regular", 25, 23, 14, 5)
    await post(meetings, f"{base}/meetings/kh-tx-9/hold", held_9)
    plan_tt = scheduled(
        "standing_committee", "tt-tx-dx", "Phiên họp Thường trực đột xuất", "2025-05-15"
    )
    await post(meetings, f"{base}/scheduled-meetings", plan_tt)
    held_tt = standing("tt-tx-dx", "2025-05-15", "ad_hoc")
    await post(meetings, f"{base}/meetings/tt-tx-dx/hold", held_tt)
    # Scheduled, then cancelled: an experience exchange with the communes.
    exchange = "Hội nghị trao đổi kinh nghiệm hoạt động HĐND cấp xã"
    plan_exchange = scheduled("conference", "hn-trao-doi", exchange, "2025-04-24")
    await post(meetings, f"{base}/scheduled-meetings", plan_exchange)
    cancel = {"reason": "Trùng lịch tiếp xúc cử tri"}
    await post(meetings, f"{base}/meetings/hn-trao-doi/cancel", cancel)
    # Na Lay's kỳ họp thứ 10 was recorded on the wrong day with one resolution short.
    fixed = session("kh-nl-10", "2024-12-20", 10, "regular", 20, 19, 9, 3)
    correction = {"meeting": fixed, "reason": "Ghi nhầm ngày họp và số nghị quyết"}
    await post(meetings, f"/units/{NA_LAY}/meetings/kh-nl-10/correct", correction)
    one = (await meetings.client.get("/meetings/kh-nl-10")).json()
    assert (one["status"], one["held_on"], one["corrections"]) == ("held", "2024-12-20", 1)


async def follow_up(oversight: Running) -> None:
    """Supervisions, recommendations, opinions and petitions (oversight service)."""
    base = f"/units/{DISTRICT}"

    async def opened() -> None:
        for unit, kind, ids in [
            (NA_LAY, "opinions", ["yk-nl-1", "yk-nl-2", "yk-nl-3"]),
            (LAY_NUA, "opinions", ["yk-ln-1", "yk-ln-2"]),
            (DISTRICT, "opinions", ["yk-tx-1", "yk-tx-2"]),
            (SONG_DA, "opinions", ["yk-sd-1"]),
            (DISTRICT, "petitions", ["don-1", "don-2", "don-3"]),
            (NA_LAY, "petitions", ["don-4"]),
        ]:
            listed = (await oversight.client.get(f"/units/{unit}/{kind}")).json()
            assert sorted(i[f"{kind[:-1]}_id"] for i in listed) == ids, (unit, listed)

    await eventually(opened)
    mail = {
        "petition_id": "don-bc-1",
        "petition_type": "recommendation",
        "summary": "Đơn kiến nghị về bồi thường giải phóng mặt bằng",
        "received_on": "2024-11-12",
    }
    await post(oversight, f"{base}/petitions", mail)

    # A verification before the December session, a survey by Na Lay's delegate group: each
    # recorded once finished.
    title = "Thẩm tra dự toán ngân sách năm 2025"
    verification = supervision(
        "verification", title, "committee", "budget", "2024-12-09..2024-12-13"
    )
    verification |= {"supervision_id": "tt-du-toan-2025", "committee": "economy_society"}
    await post(oversight, f"{base}/supervisions", verification)
    title = "Khảo sát tình hình sử dụng đất công"
    survey = supervision("survey", title, "delegate_group", "land", "2025-02-10..2025-02-12")
    survey["supervision_id"] = "ks-dat-nl"
    await post(oversight, f"/units/{NA_LAY}/supervisions", survey)

    # The thematic supervision of the standing committee: planned → started → finished.
    plans = f"{base}/supervision-plans"
    plan = {
        "supervision_id": "gs-dau-tu",
        "activity": "thematic_supervision",
        "title": "Giám sát việc thực hiện các dự án đầu tư công trên địa bàn thị xã",
        "body": "standing_committee",
        "field": "investment_construction",
        "planned_on": "2025-03-03",
        "starts_on": "2025-04-07",
        "supervised_units": [SONG_DA, LAY_NUA],
    }
    await post(oversight, plans, plan)
    await post(oversight, f"{plans}/gs-dau-tu/started", {"started_on": "2025-04-07"}, 200)
    recommendations = [
        ("kn-1", "Hoàn thiện hồ sơ quyết toán công trình", "2025-09-30"),
        ("kn-2", "Xử lý nhà thầu chậm tiến độ", "2025-08-31"),
        ("kn-3", "Rà soát danh mục dự án chuyển tiếp", "2025-12-31"),
    ]
    finished = {
        "finished_on": "2025-05-16",
        "findings": "Một số dự án chậm tiến độ, giải ngân thấp.",
        "report_ref": "18/BC-TTHĐND",
        "recommendations": [
            {
                "recommendation_id": rid,
                "text": text,
                "addressed_to": "UBND thị xã Mường Lay",
                "deadline": deadline,
            }
            for rid, text, deadline in recommendations
        ],
    }
    await post(oversight, f"{plans}/gs-dau-tu/finished", finished, 200)
    await post(
        oversight,
        f"{base}/recommendations/kn-1/implemented",
        {"implemented_on": "2025-06-20"},
        200,
    )

    async def take(unit: str, item: str, step: str, day: str, by: str | None = None) -> None:
        """Step `step` of `item` on `day` (its `{step}_on`), taken by the district's secretary
        (else `by`'s); what is forwarded or transferred goes to the town's people's committee."""
        body = {f"{step}_on": day}
        if step in ("forwarded", "transferred"):
            body |= {"agency": "UBND thị xã Mường Lay"}
        by_whom = bearer(by) if by else None
        await post(oversight, f"/units/{unit}/{item}/{step}", body, 200, by_whom)

    # Each item's steps, by the district's secretary (after the reform too, for the district's
    # own items); a step not taken by then is None.
    opinions = [  # (unit, opinion, forwarded, answered, resolved)
        (NA_LAY, "yk-nl-1", "2024-12-10", "2025-01-15", "2025-02-03"),  # 60 days
        (NA_LAY, "yk-nl-2", "2024-12-10", "2025-01-20", None),
        (NA_LAY, "yk-nl-3", "2024-12-10", None, None),
        (LAY_NUA, "yk-ln-1", "2025-01-15", "2025-02-20", "2025-03-31"),  # 80 days
        (DISTRICT, "yk-tx-1", "2025-06-09", "2025-07-21", "2025-08-14"),  # 70 days
        (DISTRICT, "yk-tx-2", "2025-06-09", None, None),
    ]
    for unit, opinion_id, *days in opinions:
        for step, day in zip(("forwarded", "answered", "resolved"), days, strict=True):
            if day is not None:
                await take(unit, f"opinions/{opinion_id}", step, day)
    petitions = [  # (unit, petition, transferred, settled)
        (DISTRICT, "don-bc-1", "2024-11-15", "2024-12-27"),  # 45 days
        (DISTRICT, "don-1", "2025-02-24", "2025-04-01"),  # 40 days
        (DISTRICT, "don-2", "2025-02-25", None),
        (NA_LAY, "don-4", "2025-05-12", None),
    ]
    for unit, petition_id, *days in petitions:
        for step, day in zip(("transferred", "settled"), days, strict=True):
            if day is not None:
                await take(unit, f"petitions/{petition_id}", step, day)
    # Na Lay's, now Phường Mường Lay's, after the reform: by the province's secretary.
    await take(NA_LAY, "opinions/yk-nl-2", "resolved", "2025-09-08", by=PROVINCE)  # 277 days
    await take(NA_LAY, "petitions/don-4", "settled", "2025-07-30", by=PROVINCE)  # 83 days


async def test_a_district_and_its_communes_over_nine_months_add_up_to_the_hand_written_figures(
    stack: AsyncExitStack, settings: Settings
) -> None:
    served = settings.model_copy(update={"units": [PROVINCE]})  # the province's instances
    district_secretary = bearer(DISTRICT)
    meetings = await start_app(stack, meetings_app(served), "http://meetings", district_secretary)
    reporting = await start_app(
        stack, reporting_app(served), "http://reporting", district_secretary
    )
    async with AsyncExitStack() as first_run:
        oversight = await start_app(
            first_run, oversight_app(served), "http://oversight", district_secretary
        )
        await coordinate(reporting)
        await meet(meetings)
        await follow_up(oversight)
    # The oversight service restarts; its sweep at start notices the recommendations whose
    # deadline passed unimplemented (kn-2, kn-3), not the implemented one.
    oversight = await start_app(
        stack, oversight_app(served), "http://oversight", district_secretary
    )

    async def overdue() -> None:
        listed = (await oversight.client.get(f"/units/{DISTRICT}/recommendations")).json()
        by_id = {r["recommendation_id"]: (r["stage"], r["overdue"]) for r in listed}
        assert by_id == {
            "kn-1": ("implemented", False),
            "kn-2": ("issued", True),
            "kn-3": ("issued", True),
        }

    await eventually(overdue)

    # The district, its communes, and the province, as it was.
    async def district_whole() -> dict[str, Any]:
        s = await summary(reporting, DISTRICT, WHOLE, reader=DISTRICT)
        assert nonzero(s["figures"]) == DISTRICT_WHOLE
        return s

    s = await eventually(district_whole, within=40)
    assert s["rates"] == RATES_WHOLE
    assert nonzero(s["own"]) == DISTRICT_OWN_WHOLE
    children = {c["code"]: c["figures"] for c in s["children"]}
    assert sorted(children) == [SONG_DA, NA_LAY, LAY_NUA]
    for code, expected in COMMUNES_WHOLE.items():
        assert {k: children[code][k] for k in expected} == expected, code

    s = await summary(reporting, DISTRICT, H1)
    assert nonzero(s["figures"]) == DISTRICT_H1
    assert s["rates"] == RATES_H1

    s = await summary(reporting, PROVINCE, WHOLE)
    assert nonzero(s["figures"]) == PROVINCE_WHOLE
    assert s["rates"] == PROVINCE_RATES_WHOLE
    # The provincial council recorded nothing itself, and filed neither report it owed.
    assert nonzero(s["own"]) == {"reports_due": 2, "reports_missing": 2}
    rows = {c["code"]: c["figures"] for c in s["children"]}
    assert len(rows) == 10  # Điện Biên's ten district-level units
    assert nonzero(rows[DISTRICT]) == DISTRICT_WHOLE
    # Thành phố Điện Biên Phủ (094), 12 communes, recorded nothing but owed 2 × 13 reports.
    assert nonzero(rows["094"]) == {"reports_due": 26, "reports_missing": 26}

    s = await summary(reporting, PROVINCE, H1)
    assert nonzero(s["figures"]) == PROVINCE_H1
    assert s["rates"] == PROVINCE_RATES_H1

    # 2024-Q4: Na Lay's corrected session counts in December, with 9 resolutions.
    q4 = (await summary(reporting, DISTRICT, Q4))["figures"]
    assert (q4["sessions"], q4["resolutions_adopted"]) == (2, 23)  # 14 + 9
    assert (q4["delegates_trained"], q4["council_seats"]) == (55, 82)  # 18 + 10 + 15 + 12
    january = (await summary(reporting, NA_LAY, "2025-01"))["figures"]
    assert (january["sessions"], january["resolutions_adopted"]) == (0, 0)  # taken back
    assert january["standing_committee_meetings"] == 1

    # As today: Điện Biên was not merged, so the province's figures are the same; Phường Mường
    # Lay carries its predecessors' history without the district council's own.
    s = await summary(reporting, PROVINCE, WHOLE, view="as_today")
    assert nonzero(s["figures"]) == PROVINCE_WHOLE
    s = await summary(reporting, MUONG_LAY_2025, WHOLE, view="as_today")
    assert s["unit"]["name"] == "Phường Mường Lay"
    assert {k: s["figures"][k] for k in MUONG_LAY_AS_TODAY} == MUONG_LAY_AS_TODAY
    assert (s["figures"]["sessions_thematic"], s["figures"]["thematic_supervisions"]) == (0, 0)
    assert s["attributed_by_rule"] == []

    # The standing committee's 6-month report quotes exactly these figures.
    await check_report_document(reporting, DISTRICT, H1, DISTRICT_H1, reader=DISTRICT)

    # What each service answers about its own items agrees.
    received = await reporting.client.get(f"/units/{DISTRICT}/proposals")
    assert sorted((p["proposal_id"], p["status"]) for p in received.json()) == [
        ("kn-ln-1", "answered"),
        ("kn-nl-1", "raised"),
    ]
    pending = await oversight.client.get(f"/units/{NA_LAY}/opinions", params={"stage": "forwarded"})
    assert [o["opinion_id"] for o in pending.json()] == ["yk-nl-3"]


async def test_a_voter_contact_corrected_into_another_month_takes_its_opinions_along(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Na Lay recorded a voter contact on 2025-01-10 with two opinions, followed one up to
    resolved, then corrected the record: it was held on 2024-12-28 and raised one opinion.
    "Received N, resolved R, pending N − R" must still add up in every period."""
    served = settings.model_copy(update={"units": [PROVINCE]})
    meetings = await start_app(stack, meetings_app(served), "http://meetings", bearer(DISTRICT))
    oversight = await start_app(stack, oversight_app(served), "http://oversight", bearer(DISTRICT))
    reporting = await start_app(stack, reporting_app(served), "http://reporting", bearer(DISTRICT))
    raised = [opinion("yk-1", "land", "Cấp sổ đỏ chậm"), opinion("yk-2", "other", "Điện")]
    contact = voter_contact("tx-nl", "2025-01-10", "before_session", 50, raised)
    await post(meetings, f"/units/{NA_LAY}/meetings", contact)

    async def opened() -> None:
        listed = (await oversight.client.get(f"/units/{NA_LAY}/opinions")).json()
        assert len(listed) == 2, listed

    await eventually(opened)
    item = f"/units/{NA_LAY}/opinions/yk-1"
    await post(
        oversight, f"{item}/forwarded", {"forwarded_on": "2025-01-12", "agency": "UBND"}, 200
    )
    await post(oversight, f"{item}/answered", {"answered_on": "2025-01-13"}, 200)
    await post(oversight, f"{item}/resolved", {"resolved_on": "2025-01-20"}, 200)
    fixed = voter_contact("tx-nl", "2024-12-28", "before_session", 50, raised[:1])
    await post(meetings, f"/units/{NA_LAY}/meetings/tx-nl/correct", {"meeting": fixed})

    async def counted() -> None:  # the meetings fold and oversight's events arrive apart
        for period in ("2024-12", "2025-01", WHOLE):
            f = (await summary(reporting, NA_LAY, period))["figures"]
            received, resolved = f["voter_opinions_raised"], f["opinions_resolved"]
            assert f["voter_opinions_pending"] == received - resolved, (period, nonzero(f))
            assert resolved <= received, (period, nonzero(f))
        f = (await summary(reporting, NA_LAY, "2024-12"))["figures"]
        assert (f["voter_opinions_raised"], f["opinions_resolved"]) == (1, 1), nonzero(f)
        assert f["opinion_days_to_resolve"] == 23, nonzero(f)  # 2024-12-28 → 2025-01-20
        january = nonzero((await summary(reporting, NA_LAY, "2025-01"))["figures"])
        assert not {k: n for k, n in january.items() if "opinion" in k or "voter" in k}

    await eventually(counted)
    one = (await oversight.client.get(item)).json()
    assert one["raised_on"] == "2024-12-28" and one["stage"] == "resolved"
    assert one["steps"]["resolved"]["days_to_resolve"] == 23
    gone = (await oversight.client.get(f"/units/{NA_LAY}/opinions/yk-2")).json()
    assert gone["stage"] == "withdrawn" and gone["withdrawn_at_stage"] == "received"
    r = await oversight.client.post(
        f"/units/{NA_LAY}/opinions/yk-2/forwarded",
        json={"forwarded_on": "2025-01-12", "agency": "U"},
    )
    assert r.status_code == 409, r.text
