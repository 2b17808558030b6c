"""Figures from the meetings context: what each meeting event adds, and to which unit.

Held meetings count on the day they were held; scheduled and cancelled ones on the day they
were planned for (so a period shows what was planned in it and what of that was called off).
A correction takes back, on the previous day, every figure the previous content added and
adds the corrected content's figures on its day: both months stay right when the day moves.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal, assert_never

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
    SessionType,
    StandingCommitteeMeeting,
    Training,
    VoterContact,
)
from contracts.oversight import OversightField, PetitionType
from services.reporting.read.figures.base import Contribution, Figures, about_field, folds
from services.reporting.read.figures.catalogue import Figure, Group, Section, counts

# The parts a meeting's figure is split into, as the contracts' fields name them: a value the
# contract adds fails type checking where a fold looks its figure up.
StandingType = Literal["regular", "ad_hoc"]  # StandingCommitteeMeeting.meeting_type
ConferenceType = Literal["briefing", "experience_exchange", "roundtable"]
TrainingFormat = Literal["in_person", "online"]
Timing = Literal["before_session", "after_session"]  # VoterContact.timing
ReceptionType = Literal["periodic", "ad_hoc"]  # CitizenReception.reception_type
Grade = Literal["good", "fair", "poor"]  # the fields of DelegateRatings

# Figures from meetings, in report order, declared by group.
FIGURES = Section()
_sessions = FIGURES.counter(Group.SESSIONS)
_standing = FIGURES.counter(Group.STANDING_COMMITTEE)
_training = FIGURES.counter(Group.TRAINING)
_voters = FIGURES.counter(Group.VOTERS)
_citizens = FIGURES.counter(Group.CITIZENS)
_delegates = FIGURES.counter(Group.DELEGATES_AND_VOTERS)
_schedule = FIGURES.counter(Group.SCHEDULE)

SESSIONS = _sessions("sessions", "Kỳ họp", "kỳ họp")
_SESSION_TYPES: dict[SessionType, str] = {
    "regular": "Kỳ họp thường lệ",
    "thematic": "Kỳ họp chuyên đề",
    "extraordinary": "Kỳ họp bất thường",
}
SESSIONS_BY_TYPE = FIGURES.parts(SESSIONS, _SESSION_TYPES)
SESSION_DELEGATES_PRESENT = _sessions(
    "session_delegates_present", "Lượt đại biểu dự kỳ họp", "lượt đại biểu"
)
SESSION_SEATS = _sessions(
    "session_seats",
    "Lượt đại biểu được triệu tập (kỳ họp có ghi tổng số đại biểu)",
    "lượt đại biểu",
)
SESSION_SEATS_PRESENT = _sessions(
    "session_seats_present",
    "Lượt đại biểu dự kỳ họp (kỳ họp có ghi tổng số đại biểu)",
    "lượt đại biểu",
)
RESOLUTIONS_ADOPTED = _sessions("resolutions_adopted", "Nghị quyết được thông qua", "nghị quyết")
SESSIONS_WITH_QUESTIONING = _sessions("sessions_with_questioning", "Kỳ họp có chất vấn", "kỳ họp")
SESSION_QUESTIONS = _sessions(
    "session_questions", "Lượt chất vấn của đại biểu tại kỳ họp", "lượt chất vấn"
)
STANDING_COMMITTEE_MEETINGS = _standing(
    "standing_committee_meetings", "Phiên họp Thường trực", "phiên"
)
_STANDING_TYPES: dict[StandingType, str] = {
    "regular": f"{STANDING_COMMITTEE_MEETINGS.label} thường kỳ",
    "ad_hoc": f"{STANDING_COMMITTEE_MEETINGS.label} đột xuất",
}
STANDING_COMMITTEE_MEETINGS_BY_TYPE = FIGURES.parts(STANDING_COMMITTEE_MEETINGS, _STANDING_TYPES)
CONFERENCES = _standing("conferences", "Hội nghị, tọa đàm", "hội nghị")
_CONFERENCE_TYPES: dict[ConferenceType, str] = {
    "briefing": "Hội nghị giao ban",
    "experience_exchange": "Hội nghị trao đổi kinh nghiệm",
    "roundtable": "Tọa đàm",
}
CONFERENCES_BY_TYPE = FIGURES.parts(CONFERENCES, _CONFERENCE_TYPES)
TRAININGS = _training("trainings", "Lớp tập huấn, bồi dưỡng", "lớp")
_TRAINING_FORMATS: dict[TrainingFormat, str] = {
    "in_person": "Tập huấn trực tiếp",
    "online": "Tập huấn trực tuyến",
}
TRAININGS_BY_FORMAT = FIGURES.parts(TRAININGS, _TRAINING_FORMATS)
TRAINING_BRIDGE_POINTS = _training("training_bridge_points", "Điểm cầu tập huấn", "điểm cầu")
TRAINING_ATTENDEES = _training("training_attendees", "Lượt người dự tập huấn", "lượt người")
TRAINING_DELEGATE_ATTENDANCES = _training(
    "training_delegate_attendances", "Lượt đại biểu dự tập huấn", "lượt đại biểu"
)
VOTER_CONTACTS = _voters("voter_contacts", "Cuộc tiếp xúc cử tri", "cuộc")
_TIMINGS: dict[Timing, str] = {
    "before_session": "Tiếp xúc cử tri trước kỳ họp",
    "after_session": "Tiếp xúc cử tri sau kỳ họp",
}
VOTER_CONTACTS_BY_TIMING = FIGURES.parts(VOTER_CONTACTS, _TIMINGS)
VOTERS_REACHED = _voters("voters_reached", "Lượt cử tri tham dự", "lượt cử tri")
VOTER_OPINIONS_RAISED = _voters(
    "voter_opinions_raised", "Ý kiến, kiến nghị của cử tri", "ý kiến, kiến nghị"
)
VOTER_OPINIONS_BY_FIELD = FIGURES.parts(
    VOTER_OPINIONS_RAISED,
    {f: f"{VOTER_OPINIONS_RAISED.label} {about_field(f)}" for f in OversightField},
    "voter_opinions_field_",
)
CITIZEN_RECEPTIONS = _citizens("citizen_receptions", "Buổi tiếp công dân", "buổi")
_RECEPTION_TYPES: dict[ReceptionType, str] = {
    "periodic": "Tiếp công dân định kỳ",
    "ad_hoc": "Tiếp công dân đột xuất",
}
CITIZEN_RECEPTIONS_BY_TYPE = FIGURES.parts(CITIZEN_RECEPTIONS, _RECEPTION_TYPES)
CITIZENS_RECEIVED = _citizens("citizens_received", "Lượt công dân được tiếp", "lượt công dân")
PETITIONS_RECEIVED = _citizens("petitions_received", "Đơn thư tiếp nhận", "đơn")
PETITIONS_RECEIVED_BY_TYPE = FIGURES.parts(
    PETITIONS_RECEIVED,
    {
        PetitionType.COMPLAINT: "Đơn khiếu nại tiếp nhận",
        PetitionType.DENUNCIATION: "Đơn tố cáo tiếp nhận",
        PetitionType.RECOMMENDATION: "Đơn kiến nghị tiếp nhận",
        PetitionType.REFLECTION: "Đơn phản ánh tiếp nhận",
    },
)
DELEGATE_REPORTS = _delegates("delegate_reports", "Buổi đại biểu báo cáo với cử tri", "buổi")
DELEGATES_REPORTING = _delegates(
    "delegates_reporting", "Lượt đại biểu báo cáo với cử tri", "lượt đại biểu"
)
DELEGATE_REPORT_VOTERS = _delegates(
    "delegate_report_voters", "Lượt cử tri dự buổi đại biểu báo cáo", "lượt cử tri"
)
DELEGATE_RATINGS = _delegates(
    "delegate_ratings", "Hội nghị lấy ý kiến nhận xét của cử tri đối với đại biểu", "hội nghị"
)
DELEGATES_RATED = _delegates(
    "delegates_rated", "Lượt đại biểu được cử tri nhận xét", "lượt đại biểu"
)
DELEGATE_RATING_VOTERS = _delegates(
    "delegate_rating_voters", "Lượt cử tri tham gia nhận xét đại biểu", "lượt cử tri"
)
DELEGATE_RATINGS_GIVEN = _delegates("delegate_ratings_given", "Phiếu nhận xét đại biểu", "phiếu")
_GRADES: dict[Grade, str] = {
    "good": "Phiếu nhận xét đại biểu mức tốt",
    "fair": "Phiếu nhận xét đại biểu mức trung bình",
    "poor": "Phiếu nhận xét đại biểu mức kém",
}
DELEGATE_RATINGS_BY_GRADE = FIGURES.parts(DELEGATE_RATINGS_GIVEN, _GRADES, "delegate_ratings_")


def kind_name(kind: MeetingKind) -> str:
    """How the report names a meeting of `kind` (in its scheduled and cancelled figures)."""
    match kind:
        case MeetingKind.SESSION:
            return SESSIONS.label
        case MeetingKind.STANDING_COMMITTEE:
            return STANDING_COMMITTEE_MEETINGS.label
        case MeetingKind.CONFERENCE:
            return CONFERENCES.label
        case MeetingKind.TRAINING:
            return TRAININGS.label
        case MeetingKind.VOTER_CONTACT:
            return VOTER_CONTACTS.label
        case MeetingKind.CITIZEN_RECEPTION:
            return CITIZEN_RECEPTIONS.label
        case MeetingKind.DELEGATE_REPORT:
            return DELEGATE_REPORTS.label
        case MeetingKind.DELEGATE_RATING:
            return "Hội nghị lấy ý kiến nhận xét của cử tri"
        case _:
            assert_never(kind)


MEETINGS_SCHEDULED = _schedule("meetings_scheduled", "Cuộc họp, hoạt động được lên lịch", "cuộc")
MEETINGS_SCHEDULED_BY_KIND = FIGURES.parts(
    MEETINGS_SCHEDULED, {k: f"{kind_name(k)} được lên lịch" for k in MeetingKind}
)
MEETINGS_CANCELLED = _schedule(
    "meetings_cancelled", "Cuộc họp, hoạt động đã lên lịch bị hủy", "cuộc"
)
MEETINGS_CANCELLED_BY_KIND = FIGURES.parts(
    MEETINGS_CANCELLED, {k: f"{kind_name(k)} bị hủy" for k in MeetingKind}
)

SESSION_MEAN_DELEGATES_PRESENT = FIGURES.rate(
    "session_mean_delegates_present",
    "Số đại biểu dự bình quân mỗi kỳ họp",
    SESSION_DELEGATES_PRESENT,
    SESSIONS,
    scale=1,
)
SESSION_ATTENDANCE_RATE = FIGURES.rate(
    "session_attendance_rate",
    "Tỷ lệ đại biểu dự kỳ họp (%)",
    SESSION_SEATS_PRESENT,
    SESSION_SEATS,
)
VOTER_CONTACT_MEAN_VOTERS = FIGURES.rate(
    "voter_contact_mean_voters",
    "Số cử tri bình quân mỗi cuộc tiếp xúc",
    VOTERS_REACHED,
    VOTER_CONTACTS,
    scale=1,
)
DELEGATE_RATING_GOOD_RATE = FIGURES.rate(
    "delegate_rating_good_rate",
    "Tỷ lệ phiếu nhận xét đại biểu mức tốt (%)",
    DELEGATE_RATINGS_BY_GRADE["good"],
    DELEGATE_RATINGS_GIVEN,
)
MEETING_CANCELLATION_RATE = FIGURES.rate(
    "meeting_cancellation_rate",
    "Tỷ lệ cuộc họp, hoạt động đã lên lịch bị hủy (%)",
    MEETINGS_CANCELLED,
    MEETINGS_SCHEDULED,
)


def _one(whole: Figure, part: Figure, *more: tuple[Figure, int]) -> Figures:
    """One `whole` and one of its `part` (its type, format or timing), with `more`."""
    return counts((whole, 1), (part, 1), *more)


def meeting_figures(unit: str, event: MeetingHeld) -> list[tuple[str, Figures]]:
    """What one held meeting adds, to which unit. Training attendees count where they sat."""
    return held_figures(unit, event.meeting)


def held_figures(unit: str, m: Meeting) -> list[tuple[str, Figures]]:
    """What a meeting held with content `m` adds, to which unit. A kind added to `Meeting`
    fails type checking here until it is counted."""
    extra: list[tuple[str, Figures]] = []
    match m:
        case Session():
            f = _one(
                SESSIONS,
                SESSIONS_BY_TYPE[m.session_type],
                (SESSION_DELEGATES_PRESENT, m.delegates_present),
                (RESOLUTIONS_ADOPTED, m.resolutions_adopted),
                (SESSIONS_WITH_QUESTIONING, int(m.questioning_held)),
                (SESSION_QUESTIONS, m.questions_asked),
            )
            if m.delegates_elected is not None:
                f.update(
                    counts(
                        (SESSION_SEATS, m.delegates_elected),
                        (SESSION_SEATS_PRESENT, m.delegates_present),
                    )
                )
        case StandingCommitteeMeeting():
            f = _one(
                STANDING_COMMITTEE_MEETINGS, STANDING_COMMITTEE_MEETINGS_BY_TYPE[m.meeting_type]
            )
        case Conference():
            f = _one(CONFERENCES, CONFERENCES_BY_TYPE[m.conference_type])
        case Training():
            f = _one(TRAININGS, TRAININGS_BY_FORMAT[m.format])
            for point in m.bridge_points:
                at_point = counts(
                    (TRAINING_BRIDGE_POINTS, 1),
                    (TRAINING_ATTENDEES, point.attendees),
                    (TRAINING_DELEGATE_ATTENDANCES, point.delegates),
                )
                extra.append((point.unit, at_point))
        case VoterContact():
            f = _one(
                VOTER_CONTACTS,
                VOTER_CONTACTS_BY_TIMING[m.timing],
                (VOTERS_REACHED, m.voters_attending),
                (VOTER_OPINIONS_RAISED, m.opinions_raised),
            )
            f.update(VOTER_OPINIONS_BY_FIELD[o.field].key for o in m.opinions)
        case CitizenReception():
            f = _one(
                CITIZEN_RECEPTIONS,
                CITIZEN_RECEPTIONS_BY_TYPE[m.reception_type],
                (CITIZENS_RECEIVED, m.citizens_received),
                (PETITIONS_RECEIVED, m.petitions_received),
            )
            f.update(PETITIONS_RECEIVED_BY_TYPE[p.petition_type].key for p in m.petitions)
        case DelegateReport():
            f = counts(
                (DELEGATE_REPORTS, 1),
                (DELEGATES_REPORTING, m.delegates_reporting),
                (DELEGATE_REPORT_VOTERS, m.voters_attending),
            )
        case DelegateRating():
            f = counts(
                (DELEGATE_RATINGS, 1),
                (DELEGATES_RATED, m.delegates_rated),
                (DELEGATE_RATING_VOTERS, m.voters_participating),
                (DELEGATE_RATINGS_GIVEN, m.ratings.total),
                (DELEGATE_RATINGS_BY_GRADE["good"], m.ratings.good),
                (DELEGATE_RATINGS_BY_GRADE["fair"], m.ratings.fair),
                (DELEGATE_RATINGS_BY_GRADE["poor"], m.ratings.poor),
            )
        case _:
            assert_never(m)
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
    figures = _one(MEETINGS_SCHEDULED, MEETINGS_SCHEDULED_BY_KIND[plan.kind])
    return [Contribution(decoded.envelope.unit, plan.scheduled_for, figures)]


@folds(MeetingCancelled)
def meeting_cancelled(decoded: Decoded[MeetingCancelled]) -> list[Contribution]:
    """Counted on the day it had been planned for, beside its scheduling, by kind."""
    event = decoded.payload
    figures = _one(MEETINGS_CANCELLED, MEETINGS_CANCELLED_BY_KIND[event.kind])
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
