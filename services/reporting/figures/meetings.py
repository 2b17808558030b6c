"""Figures from the meetings context: what each meeting event adds, and to which unit.

Held meetings count on the day they were held; scheduled and cancelled ones on the day they
were planned for (so a period shows what was planned in it and what of that was called off).
A correction takes back, on the previous day, every figure the previous content added and
adds the corrected content's figures on its day: both months stay right when the day moves.
"""

from __future__ import annotations

from collections import Counter

from contracts import Decoded
from contracts.meetings import (
    CitizenReception,
    Conference,
    DelegateRating,
    DelegateReport,
    Meeting,
    MeetingCancelled,
    MeetingCorrected,
    MeetingHeld,
    MeetingKind,
    MeetingScheduled,
    Session,
    StandingCommitteeMeeting,
    Training,
    VoterContact,
)
from services.reporting.figures.base import FIELDS, Contribution, Figures, Rate, about_field, folds

_KIND_NAME = {  # how the report names each kind, for the scheduled / cancelled figures
    MeetingKind.SESSION: "Kỳ họp",
    MeetingKind.STANDING_COMMITTEE: "Phiên họp Thường trực",
    MeetingKind.CONFERENCE: "Hội nghị, tọa đàm",
    MeetingKind.TRAINING: "Lớp tập huấn, bồi dưỡng",
    MeetingKind.VOTER_CONTACT: "Cuộc tiếp xúc cử tri",
    MeetingKind.CITIZEN_RECEPTION: "Buổi tiếp công dân",
    MeetingKind.DELEGATE_REPORT: "Buổi đại biểu báo cáo với cử tri",
    MeetingKind.DELEGATE_RATING: "Hội nghị lấy ý kiến nhận xét của cử tri",
}

# Figures from meetings, in report order, with their Vietnamese labels.
LABELS: dict[str, str] = {
    "sessions": "Kỳ họp",
    "sessions_regular": "Kỳ họp thường lệ",
    "sessions_thematic": "Kỳ họp chuyên đề",
    "sessions_extraordinary": "Kỳ họp bất thường",
    "session_delegates_present": "Lượt đại biểu dự kỳ họp",
    "session_seats": "Lượt đại biểu được triệu tập (kỳ họp có ghi tổng số đại biểu)",
    "session_seats_present": "Lượt đại biểu dự kỳ họp (kỳ họp có ghi tổng số đại biểu)",
    "resolutions_adopted": "Nghị quyết được thông qua",
    "sessions_with_questioning": "Kỳ họp có chất vấn",
    "session_questions": "Lượt chất vấn của đại biểu tại kỳ họp",
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
    **{
        f"voter_opinions_field_{f}": f"Ý kiến, kiến nghị của cử tri {about_field(f)}"
        for f in FIELDS
    },
    "citizen_receptions": "Buổi tiếp công dân",
    "citizen_receptions_periodic": "Tiếp công dân định kỳ",
    "citizen_receptions_ad_hoc": "Tiếp công dân đột xuất",
    "citizens_received": "Lượt công dân được tiếp",
    "petitions_received": "Đơn thư tiếp nhận",
    "petitions_received_complaint": "Đơn khiếu nại tiếp nhận",
    "petitions_received_denunciation": "Đơn tố cáo tiếp nhận",
    "petitions_received_recommendation": "Đơn kiến nghị tiếp nhận",
    "petitions_received_reflection": "Đơn phản ánh tiếp nhận",
    "delegate_reports": "Buổi đại biểu báo cáo với cử tri",
    "delegates_reporting": "Lượt đại biểu báo cáo với cử tri",
    "delegate_report_voters": "Lượt cử tri dự buổi đại biểu báo cáo",
    "delegate_ratings": "Hội nghị lấy ý kiến nhận xét của cử tri đối với đại biểu",
    "delegates_rated": "Lượt đại biểu được cử tri nhận xét",
    "delegate_rating_voters": "Lượt cử tri tham gia nhận xét đại biểu",
    "delegate_ratings_given": "Phiếu nhận xét đại biểu",
    "delegate_ratings_good": "Phiếu nhận xét đại biểu mức tốt",
    "delegate_ratings_fair": "Phiếu nhận xét đại biểu mức trung bình",
    "delegate_ratings_poor": "Phiếu nhận xét đại biểu mức kém",
    "meetings_scheduled": "Cuộc họp, hoạt động được lên lịch",
    **{f"meetings_scheduled_{k}": f"{n} được lên lịch" for k, n in _KIND_NAME.items()},
    "meetings_cancelled": "Cuộc họp, hoạt động đã lên lịch bị hủy",
    **{f"meetings_cancelled_{k}": f"{n} bị hủy" for k, n in _KIND_NAME.items()},
}

RATES: dict[str, Rate] = {
    "session_mean_delegates_present": Rate(
        "session_delegates_present",
        "sessions",
        "Số đại biểu dự bình quân mỗi kỳ họp",
        scale=1,
    ),
    "session_attendance_rate": Rate(
        "session_seats_present", "session_seats", "Tỷ lệ đại biểu dự kỳ họp (%)"
    ),
    "voter_contact_mean_voters": Rate(
        "voters_reached", "voter_contacts", "Số cử tri bình quân mỗi cuộc tiếp xúc", scale=1
    ),
    "delegate_rating_good_rate": Rate(
        "delegate_ratings_good",
        "delegate_ratings_given",
        "Tỷ lệ phiếu nhận xét đại biểu mức tốt (%)",
    ),
    "meeting_cancellation_rate": Rate(
        "meetings_cancelled",
        "meetings_scheduled",
        "Tỷ lệ cuộc họp, hoạt động đã lên lịch bị hủy (%)",
    ),
}


def _one(kind: str, sub: str, **more: int) -> Figures:
    """One `kind` and one of its `kind_{sub}` (its type, format or timing), with `more`."""
    return Counter({kind: 1, f"{kind}_{sub}": 1, **more})


def meeting_figures(unit: str, event: MeetingHeld) -> list[tuple[str, Figures]]:
    """What one held meeting adds, to which unit. Training attendees count where they sat."""
    return held_figures(unit, event.meeting)


def held_figures(unit: str, m: Meeting) -> list[tuple[str, Figures]]:
    """What a meeting held with content `m` adds, to which unit."""
    f: Figures = Counter()
    extra: list[tuple[str, Figures]] = []
    match m:
        case Session():
            f = _one(
                "sessions",
                m.session_type,
                session_delegates_present=m.delegates_present,
                resolutions_adopted=m.resolutions_adopted,
                sessions_with_questioning=int(m.questioning_held),
                session_questions=m.questions_asked,
            )
            if m.delegates_elected is not None:
                f.update(
                    session_seats=m.delegates_elected, session_seats_present=m.delegates_present
                )
        case StandingCommitteeMeeting():
            f = _one("standing_committee_meetings", m.meeting_type)
        case Conference():
            f = _one("conferences", m.conference_type)
        case Training():
            f = _one("trainings", m.format)
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
            f = _one(
                "voter_contacts",
                m.timing,
                voters_reached=m.voters_attending,
                voter_opinions_raised=m.opinions_raised,
            )
            f.update(f"voter_opinions_field_{o.field}" for o in m.opinions)
        case CitizenReception():
            f = _one(
                "citizen_receptions",
                m.reception_type,
                citizens_received=m.citizens_received,
                petitions_received=m.petitions_received,
            )
            f.update(f"petitions_received_{p.petition_type}" for p in m.petitions)
        case DelegateReport():
            f.update(
                delegate_reports=1,
                delegates_reporting=m.delegates_reporting,
                delegate_report_voters=m.voters_attending,
            )
        case DelegateRating():
            f.update(
                delegate_ratings=1,
                delegates_rated=m.delegates_rated,
                delegate_rating_voters=m.voters_participating,
                delegate_ratings_given=m.ratings.total,
                delegate_ratings_good=m.ratings.good,
                delegate_ratings_fair=m.ratings.fair,
                delegate_ratings_poor=m.ratings.poor,
            )
    return [(unit, f), *extra]


@folds(MeetingHeld)
def meeting_held(decoded: Decoded[MeetingHeld]) -> list[Contribution]:
    day = decoded.envelope.business_day
    return [
        Contribution(u, day, f) for u, f in meeting_figures(decoded.envelope.unit, decoded.payload)
    ]


@folds(MeetingScheduled)
def meeting_scheduled(decoded: Decoded[MeetingScheduled]) -> list[Contribution]:
    """Counted on the day planned for, by kind."""
    plan = decoded.payload
    figures = _one("meetings_scheduled", plan.kind)
    return [Contribution(decoded.envelope.unit, plan.scheduled_for, figures)]


@folds(MeetingCancelled)
def meeting_cancelled(decoded: Decoded[MeetingCancelled]) -> list[Contribution]:
    """Counted on the day it had been planned for, beside its scheduling, by kind."""
    event = decoded.payload
    figures = _one("meetings_cancelled", event.kind)
    return [Contribution(decoded.envelope.unit, event.scheduled_for, figures)]


@folds(MeetingCorrected)
def meeting_corrected(decoded: Decoded[MeetingCorrected]) -> list[Contribution]:
    """Take back what the previous content added, on its day; add the corrected content."""
    unit, event = decoded.envelope.unit, decoded.payload
    before = held_figures(unit, event.previous)
    after = held_figures(unit, event.corrected)
    return [
        *(Contribution(u, event.previous.held_on, _negated(f)) for u, f in before),
        *(Contribution(u, event.corrected.held_on, f) for u, f in after),
    ]


def _negated(figures: Figures) -> Figures:
    return Counter({key: -value for key, value in figures.items()})
