"""What the meetings service does when a council office records a meeting: read what the
decision needs, let the domain decide (services.meetings.domain), write the meeting and its
event in one transaction (outbox). No HTTP: the routes parse, authorise and shape the answer.

Each command returns the event it emitted, or, for a retry that changed nothing, the meeting
as it already stands (`services.common.activity.receipt` tells them apart).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Actor, Envelope, EventDraft
from contracts.meetings import Meeting, MeetingScheduled
from contracts.timezone import VIETNAM_TZ
from services.common.activity import decide_record, record_once
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.common.recording import Writer
from services.meetings.domain import (
    MeetingState,
    RecordMeeting,
    Rules,
    ScheduleMeeting,
    cancel_meeting,
    correct_meeting,
    hold_meeting,
    record_meeting,
    schedule_meeting,
)
from services.meetings.store import is_session_number_taken
from services.meetings.wiring import Meetings

Done = Envelope | Document  # the event a command emitted, or the meeting a retry left as it was


def rules(meetings: Meetings) -> Rules:
    return Rules(meetings.hierarchy, meetings.settings.units, meetings.today())


def _session_number_taken(field: str, error: DuplicateKeyError) -> Conflict | None:
    if not is_session_number_taken(error):
        return None
    return Conflict(field, "this council already has a session with that number in that term")


async def record(meetings: Meetings, actor: Actor, unit: str, meeting: Meeting) -> Done:
    """A meeting the council of `unit` held, recorded by `actor` without being scheduled."""
    command = RecordMeeting(unit=unit, meeting=meeting)
    draft = decide_record(meetings, record_meeting, command, actor)
    held = meeting.model_dump(mode="json")

    def taken(existing: Document | None) -> Conflict:
        if existing is None or existing["unit"] != unit or existing.get("meeting") is None:
            return Conflict(
                "meeting.meeting_id",
                f"meeting_id {meeting.meeting_id} is taken"
                + (
                    f": it is {existing['status']}"
                    f" (record it held with POST /units/{unit}/meetings/{meeting.meeting_id}/hold)"
                    if existing is not None and existing["unit"] == unit
                    else ""
                ),
            )
        return Conflict(
            "meeting.meeting_id", f"meeting_id {meeting.meeting_id} already records another meeting"
        )

    return await record_once(
        meetings.runtime,
        lambda session: meetings.store.record(session, draft),
        lambda: meetings.store.find(meeting.meeting_id),
        lambda existing: existing["unit"] == unit and existing.get("meeting") == held,
        taken,
        lambda exc: _session_number_taken("meeting.number_in_term", exc),
    )


async def schedule(meetings: Meetings, actor: Actor, unit: str, plan: MeetingScheduled) -> Done:
    """A meeting the council of `unit` plans (for any day, the future included)."""
    draft = schedule_meeting(ScheduleMeeting(unit=unit, plan=plan), rules(meetings)).by(actor)
    planned = plan.model_dump(mode="json")
    return await record_once(
        meetings.runtime,
        lambda session: meetings.store.schedule(session, draft),
        lambda: meetings.store.find(plan.meeting_id),
        lambda existing: existing["unit"] == unit and existing.get("plan") == planned,
        lambda _: Conflict(
            "plan.meeting_id", f"meeting_id {plan.meeting_id} is taken by another meeting"
        ),
        lambda exc: _session_number_taken("plan.session.number_in_term", exc),
    )


async def hold(
    meetings: Meetings,
    writer: Writer,
    actor: Actor,
    unit: str,
    meeting_id: str,
    meeting: Meeting,
) -> Done:
    """The scheduled meeting `meeting_id` took place, as `meeting`."""
    decided = rules(meetings)
    step = _Step(meetings, writer, actor, unit, meeting_id)
    return await step.run(lambda state: hold_meeting(state, meeting, decided), meetings.store.hold)


async def cancel(
    meetings: Meetings,
    writer: Writer,
    actor: Actor,
    unit: str,
    meeting_id: str,
    reason: str,
    cancelled_on: date | None,
) -> Done:
    """The scheduled meeting `meeting_id` is called off, on `cancelled_on` (default today)."""
    decided = rules(meetings)
    scheduled_on = _recorded_day(await meetings.store.find(meeting_id))

    def decide(state: MeetingState) -> EventDraft:
        known = replace(state, scheduled_on=scheduled_on)
        return cancel_meeting(known, reason, decided, cancelled_on)

    step = _Step(meetings, writer, actor, unit, meeting_id)
    return await step.run(decide, meetings.store.cancel, number_field=None)


async def correct(
    meetings: Meetings,
    writer: Writer,
    actor: Actor,
    unit: str,
    meeting_id: str,
    corrected: Meeting,
    reason: str | None,
) -> Done:
    """The held meeting `meeting_id` now reads `corrected`; a retry changes nothing."""
    decided = rules(meetings)
    step = _Step(meetings, writer, actor, unit, meeting_id)
    return await step.run(
        lambda state: correct_meeting(state, corrected, reason, decided), meetings.store.correct
    )


@dataclass(frozen=True)
class _Step:
    """A command on one recorded meeting: the service, who may write it, who acts, and which
    meeting of which unit."""

    meetings: Meetings
    writer: Writer
    actor: Actor
    unit: str
    meeting_id: str

    async def run(
        self,
        decide: Callable[[MeetingState], EventDraft | None],
        write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]],
        number_field: str | None = "meeting.number_in_term",
    ) -> Done:
        """Read the meeting, let the domain decide, write it and its event (done by `actor`):
        one transaction. The writer must be one who may record the meeting's day as it stands
        (the scheduled day, or the day held), as well as the new day the route checked; a
        meeting outside its scope is not found, like one that does not exist. A decision to
        change nothing (a retry) answers with the meeting as it stands. A step that writes a
        held meeting (hold, correct) names the field of its session number, which must be
        free; a cancellation writes none (`number_field` None)."""
        meetings, unit, meeting_id = self.meetings, self.unit, self.meeting_id

        async def work(session: AsyncClientSession) -> Envelope | None:
            state = await meetings.store.state(session, meeting_id)
            missing = NotFound("meeting_id", f"no meeting {meeting_id} of unit {unit}")
            if state is None or state.unit != unit:
                raise missing
            self.writer.may_change(unit, state.day, missing)
            draft = decide(state)
            return None if draft is None else await write(session, draft.by(self.actor))

        try:
            done: Done | None = await meetings.runtime.write(work)
        except DuplicateKeyError as exc:
            if number_field is None:
                raise
            raise _session_number_taken(number_field, exc) or exc from None
        if done is None:
            done = await meetings.store.find(meeting_id)
            assert done is not None
        return done


def _recorded_day(doc: Document | None) -> date | None:
    """The day in Vietnam a meeting's first record (its scheduling) was written; it never
    changes, so it may be read outside the step's transaction."""
    recorded = None if doc is None else doc.get("recorded_at")
    if not isinstance(recorded, datetime):
        return None
    if recorded.tzinfo is None:  # MongoDB hands back naive UTC
        recorded = recorded.replace(tzinfo=UTC)
    return recorded.astimezone(VIETNAM_TZ).date()
