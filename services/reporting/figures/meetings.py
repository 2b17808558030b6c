"""Figures from the meetings context: what each meeting event adds, and to which unit."""

from __future__ import annotations

from collections import Counter

from contracts import Decoded
from contracts.meetings import (
    CitizenReception,
    Conference,
    MeetingHeld,
    Session,
    StandingCommitteeMeeting,
    Training,
    VoterContact,
)
from services.reporting.figures.base import Contribution, Figures, folds

# Figures from meetings, in report order, with their Vietnamese labels.
LABELS: dict[str, str] = {
    "sessions": "Kỳ họp",
    "sessions_regular": "Kỳ họp thường lệ",
    "sessions_thematic": "Kỳ họp chuyên đề",
    "sessions_extraordinary": "Kỳ họp bất thường",
    "session_delegates_present": "Lượt đại biểu dự kỳ họp",
    "resolutions_adopted": "Nghị quyết được thông qua",
    "sessions_with_questioning": "Kỳ họp có chất vấn",
    "standing_committee_meetings": "Phiên họp Thường trực",
    "standing_committee_meetings_regular": "Phiên họp Thường trực thường kỳ",
    "standing_committee_meetings_ad_hoc": "Phiên họp Thường trực đột xuất",
    "conferences": "Hội nghị, tọa đàm",
    "conferences_briefing": "Hội nghị giao ban",
    "conferences_experience_exchange": "Hội nghị trao đổi kinh nghiệm",
    "conferences_roundtable": "Tọa đàm",
    "trainings": "Lớp tập huấn, bồi dưỡng",
    "trainings_in_person": "Tập huấn trực tiếp",
    "trainings_online": "Tập huấn trực tuyến",
    "training_bridge_points": "Điểm cầu tập huấn",
    "training_attendees": "Lượt người dự tập huấn",
    "training_delegate_attendances": "Lượt đại biểu dự tập huấn",
    "voter_contacts": "Cuộc tiếp xúc cử tri",
    "voter_contacts_before_session": "Tiếp xúc cử tri trước kỳ họp",
    "voter_contacts_after_session": "Tiếp xúc cử tri sau kỳ họp",
    "voters_reached": "Lượt cử tri tham dự",
    "voter_opinions_raised": "Ý kiến, kiến nghị của cử tri",
    "citizen_receptions": "Buổi tiếp công dân",
    "citizen_receptions_periodic": "Tiếp công dân định kỳ",
    "citizen_receptions_ad_hoc": "Tiếp công dân đột xuất",
    "citizens_received": "Lượt công dân được tiếp",
    "petitions_received": "Đơn thư tiếp nhận",
}


def meeting_figures(unit: str, event: MeetingHeld) -> list[tuple[str, Figures]]:
    """What one meeting adds, to which unit. Training attendees count where they sat."""
    m = event.meeting
    f: Figures = Counter()
    extra: list[tuple[str, Figures]] = []
    match m:
        case Session():
            f.update(
                sessions=1,
                **{f"sessions_{m.session_type}": 1},
                session_delegates_present=m.delegates_present,
                resolutions_adopted=m.resolutions_adopted,
                sessions_with_questioning=int(m.questioning_held),
            )
        case StandingCommitteeMeeting():
            f.update(
                standing_committee_meetings=1,
                **{f"standing_committee_meetings_{m.meeting_type}": 1},
            )
        case Conference():
            f.update(conferences=1, **{f"conferences_{m.conference_type}": 1})
        case Training():
            f.update(trainings=1, **{f"trainings_{m.format}": 1})
            for point in m.bridge_points:
                extra.append(
                    (
                        point.unit,
                        Counter(
                            training_bridge_points=1,
                            training_attendees=point.attendees,
                            training_delegate_attendances=point.delegates,
                        ),
                    )
                )
        case VoterContact():
            f.update(
                voter_contacts=1,
                **{f"voter_contacts_{m.timing}": 1},
                voters_reached=m.voters_attending,
                voter_opinions_raised=m.opinions_raised,
            )
        case CitizenReception():
            f.update(
                citizen_receptions=1,
                **{f"citizen_receptions_{m.reception_type}": 1},
                citizens_received=m.citizens_received,
                petitions_received=m.petitions_received,
            )
    return [(unit, f), *extra]


@folds(MeetingHeld)
def meeting_held(decoded: Decoded[MeetingHeld]) -> list[Contribution]:
    day = decoded.envelope.business_day
    return [
        Contribution(u, day, f) for u, f in meeting_figures(decoded.envelope.unit, decoded.payload)
    ]
