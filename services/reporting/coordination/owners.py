"""Whose documents and figures a coordination event may create or change. Pure: no I/O.

The pipeline has already checked that the signer may sign for the envelope's unit on the
envelope's day (services.common.trust). A coordination payload names other days and units, and
each decides whose document or figure the event touches, so each is held to the same rule:

- the document's own day (`as_of`, `filed_on`, `set_on`, `changed_on`, `raised_on`,
  `answered_on`) is the envelope's day: codes were reused in 2025 by other councils, and the
  signer was checked for the council of that day only;
- a report is due in the era it is filed in: the council filing it is the one owing it (as
  domain.file_report decides), never its namesake of the other era;
- a proposal goes to a unit above the one raising it;
- an answer comes from a unit above the one that raised the proposal, so it changes only
  figures its signer may sign for. That it comes from the unit addressed or one above it
  (`answerers`) needs the proposal: the coordination consumer, which stores it, checks that;
- a group of voters' opinions (contracts.opinions) names only opinions of its level's unit or
  of units below it, each on the day it was raised: a level groups and answers its own.

The projector dead-letters a record that breaks the rule, with the reason; the coordination
consumer skips it: one dead letter per refused record, the same on replay and rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import Decoded, Envelope, InvalidEvent
from contracts import coordination as c
from contracts import opinions as o
from contracts.notifications import DeadlineRulesChanged, NotificationSent
from contracts.signing import Lineage
from contracts.versioning import event_type
from services.common.hierarchy import era_of
from services.common.pipeline import Dispatch

Rule = Callable[[Lineage, Envelope, Any], str | None]

DAY_FIELDS: dict[type[BaseModel], str] = {
    c.CouncilDelegatesDeclared: "as_of",
    c.CouncilStaffDeclared: "as_of",
    c.ReportFiled: "filed_on",
    c.TaskSet: "set_on",
    c.TaskStatusChanged: "changed_on",
    c.ProposalRaised: "raised_on",
    c.ProposalAnswered: "answered_on",
    NotificationSent: "sent_on",
    DeadlineRulesChanged: "changed_on",
    o.OpinionGrouped: "decided_on",
    o.OpinionUngrouped: "decided_on",
    o.OpinionGroupAnswered: "answered_on",
    o.OpinionGroupResolved: "resolved_on",
}
"""Each coordination event's own day: the day of the document it creates or changes."""


def check(lineage: Lineage, event: Decoded[BaseModel]) -> None:
    """Raise InvalidEvent saying why `event` may not touch what its payload names."""
    envelope, payload = event.envelope, event.payload
    reason = NAMED.of(event)(lineage, envelope, payload) or _on_its_day(envelope, payload)
    if reason is not None:
        raise InvalidEvent(reason)


def answerers(lineage: Lineage, to_unit: str, raised_on: date) -> list[str]:
    """Who may answer a proposal to `to_unit`: the unit addressed and the units above it."""
    return list(lineage(to_unit, raised_on) or (to_unit,))


def is_above(lineage: Lineage, upper: str, unit: str, day: date) -> bool:
    chain = lineage(unit, day)
    return chain is not None and upper in chain[1:]


def _on_its_day(envelope: Envelope, payload: BaseModel) -> str | None:
    field = DAY_FIELDS.get(type(payload))
    if field is None:
        return None
    day, happened = getattr(payload, field), envelope.business_day
    if day == happened:
        return None
    return (
        f"{field} {day} is not the day the {envelope.type} happened ({happened}): its signer"
        f" was checked for unit {envelope.unit} on that day only"
    )


def _filed(_: Lineage, envelope: Envelope, p: c.ReportFiled) -> str | None:
    due, filed = era_of(p.due_on), era_of(p.filed_on)
    if due != filed:
        return (
            f"the report on {p.period} of unit {envelope.unit} is due on {p.due_on} ({due} era)"
            f" but filed on {p.filed_on} ({filed} era): only the council owing a report files it"
        )
    return None


def _raised(lineage: Lineage, envelope: Envelope, p: c.ProposalRaised) -> str | None:
    refused = f"proposal {p.proposal_id} of unit {envelope.unit} goes to unit {p.to_unit}"
    return _unless_above(lineage, p.to_unit, envelope.unit, p.raised_on, refused)


def _answered(lineage: Lineage, envelope: Envelope, p: c.ProposalAnswered) -> str | None:
    refused = f"unit {envelope.unit} may not answer proposal {p.proposal_id} of unit {p.raised_by}"
    return _unless_above(lineage, envelope.unit, p.raised_by, p.raised_on, refused)


def _notified(lineage: Lineage, envelope: Envelope, p: NotificationSent) -> str | None:
    """A notification counts for the units it names: the notified unit or units below it."""
    for unit in p.units:
        chain = lineage(unit, p.sent_on)
        if unit != envelope.unit and (chain is None or envelope.unit not in chain[1:]):
            return (
                f"notification {p.notice_id} of unit {envelope.unit} names unit {unit}, which is"
                f" neither it nor below it on {p.sent_on}"
            )
    return None


def _unless_above(lineage: Lineage, upper: str, unit: str, day: date, refused: str) -> str | None:
    """None if `upper` is above `unit` on `day`; else `refused`, and why."""
    if is_above(lineage, upper, unit, day):
        return None
    return f"{refused}: unit {upper} is not above unit {unit} on {day}"


def _members(lineage: Lineage, envelope: Envelope, p: Any) -> str | None:
    """Every opinion a group names is of the level's unit or below it, on its day."""
    return o.stranger(lineage, envelope.unit, p.members)


NAMED = Dispatch[Rule](
    {
        c.ReportFiled: _filed,
        c.ProposalRaised: _raised,
        c.ProposalAnswered: _answered,
        NotificationSent: _notified,
        o.OpinionGrouped: _members,
        o.OpinionGroupAnswered: _members,
        o.OpinionGroupResolved: _members,
    },
    otherwise=lambda *_: None,
)
"""The rules on what a payload names besides its day: units, and a report's deadline."""

RULED = frozenset(event_type(model) for model in DAY_FIELDS)
"""The event types held to these rules (every coordination event, and the notifier's)."""
