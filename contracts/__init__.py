"""Event contracts shared by every hdnd service: the single source of truth for events.

Services never import each other; they agree only on what is defined here.
"""

from contracts.envelope import Actor, Envelope, EventDraft, InvalidEvent, Source, UnitCode
from contracts.meetings import MeetingCancelled, MeetingCorrected, MeetingHeld, MeetingScheduled
from contracts.oversight import SupervisionFinished
from contracts.registry import REGISTRY, Decoded, decode_event
from contracts.topics import Topics

__all__ = [
    "REGISTRY",
    "Actor",
    "Decoded",
    "Envelope",
    "EventDraft",
    "InvalidEvent",
    "MeetingCancelled",
    "MeetingCorrected",
    "MeetingHeld",
    "MeetingScheduled",
    "Source",
    "SupervisionFinished",
    "Topics",
    "UnitCode",
    "decode_event",
]
