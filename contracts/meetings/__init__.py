"""Meeting events (bounded context `meetings`, topic `hdnd.meetings`).

The lifecycle of a meeting of any kind in shared/domain.md:

    meeting.scheduled ──▶ meeting.held ──▶ meeting.corrected (any number of times)
            │               ▲ (or recorded held directly)
            └─▶ meeting.cancelled

Corrections are new events, never silent edits: `meeting.corrected` carries the full previous
and the full corrected content, so a projection takes back what the old content added and adds
the new. Each kind of meeting carries its own figures; `kind` discriminates them.

Modules: `kinds` (each kind of meeting with its figures, and as `meeting.held` v1 had them)
and `events` (the lifecycle's events, and `meeting.held` v1 beside its upcaster); every name
is imported from here (`contracts.meetings`).
"""

from __future__ import annotations

from typing import Final

from contracts.ids import StableId
from contracts.meetings.events import (
    MeetingCancelled,
    MeetingCorrected,
    MeetingHeld,
    MeetingHeldV1,
    MeetingScheduled,
    SessionPlan,
    itemised_lists_added,
)
from contracts.meetings.kinds import (
    MAX_ITEMS,
    MAX_TOPICS,
    MAX_UNITS,
    V1,
    BridgePoint,
    CitizenReception,
    Conference,
    Count,
    DelegateRating,
    DelegateRatings,
    DelegateReport,
    ItemText,
    Meeting,
    MeetingKind,
    MeetingV1,
    PetitionTaken,
    Session,
    SessionType,
    StandingCommitteeMeeting,
    Term,
    Text,
    Training,
    VoterContact,
    VoterOpinion,
)

TOPIC: Final = "meetings"  # the `Topics` property its events travel on

__all__ = [
    "MAX_ITEMS",
    "MAX_TOPICS",
    "MAX_UNITS",
    "TOPIC",
    "V1",
    "BridgePoint",
    "CitizenReception",
    "Conference",
    "Count",
    "DelegateRating",
    "DelegateRatings",
    "DelegateReport",
    "ItemText",
    "Meeting",
    "MeetingCancelled",
    "MeetingCorrected",
    "MeetingHeld",
    "MeetingHeldV1",
    "MeetingKind",
    "MeetingScheduled",
    "MeetingV1",
    "PetitionTaken",
    "Session",
    "SessionPlan",
    "SessionType",
    "StableId",
    "StandingCommitteeMeeting",
    "Term",
    "Text",
    "Training",
    "VoterContact",
    "VoterOpinion",
    "itemised_lists_added",
]
