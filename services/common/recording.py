"""The rules every "a council recorded what it did" command shares, in one place.

A record is accepted only if its day is not in the future, its unit existed that day, this
instance serves the unit, and every other unit it names is the unit or below it. Pure: no I/O.
A refusal names the field in the caller's terms (`day_field`, the fields of `named_units`), or
``unit`` for the unit itself (see services.common.errors).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel

from contracts import Actor, EventDraft
from contracts.timezone import VIETNAM_TZ
from contracts.versioning import event_type, event_version
from services.common.errors import DomainError, Forbidden, NotFound
from services.common.hierarchy import Hierarchy, Unit


class Writer(Protocol):
    """Who records (a caller's token): refuses (Forbidden) a unit or day it may not record
    for. A command that must read a record before it knows the day checks it then, with
    `may_change`: a record outside the caller's scope is `missing` (NotFound), as one that
    does not exist."""

    def may_write(self, unit: str, on: date) -> None: ...

    def may_change(self, unit: str, day: date, missing: NotFound) -> None: ...


def recordable_unit(
    hierarchy: Hierarchy,
    code: str,
    day: date,
    *,
    served: Sequence[str],
    today: date,
    day_field: str,
    named_units: Iterable[tuple[str, str]] = (),
) -> Unit:
    """The unit a record is for, or a DomainError/Forbidden naming the offending field: ``unit``,
    `day_field` (its last part names the day in the message) or one of `named_units`."""
    if day > today:
        name = day_field.rsplit(".", 1)[-1]
        raise DomainError(day_field, f"{name} {day} is in the future; record it once it happened")
    unit = hierarchy.find(code, day)
    if unit is None:
        raise DomainError("unit", hierarchy.absent(code, day))
    if not serves(hierarchy, unit.code, day, served):
        raise Forbidden(
            "unit",
            f"unit {unit.code} is not served by this instance (serves {', '.join(served)})",
            kind="not_served",
        )
    for field, other in named_units:
        if hierarchy.find(other, day) is None:
            raise DomainError(field, hierarchy.absent(other, day))
        if not hierarchy.is_within(other, unit.code, day):
            raise DomainError(field, f"unit {other} is not {unit.name} ({unit.code}) or below it")
    return unit


def business_time(day: date) -> datetime:
    """Noon in Vietnam on the day: `occurred_at` of a record, safely inside its month."""
    return datetime.combine(day, time(12), tzinfo=VIETNAM_TZ)


def serves(hierarchy: Hierarchy, code: str, day: date, served: Sequence[str]) -> bool:
    """Whether an instance serving `served` (empty: every unit) serves unit `code` on `day`:
    the unit existed then and lies within a served unit. A served scope that did not exist
    that day (a district after 2025) covers nothing."""
    if hierarchy.find(code, day) is None:
        return False
    return not served or any(
        hierarchy.find(scope, day) is not None and hierarchy.is_within(code, scope, day)
        for scope in served
    )


def recorded(
    event: BaseModel,
    unit: str,
    day: date,
    *,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    actor: Actor | None = None,
) -> EventDraft:
    """The draft of `event` (a contracts model) for `unit`, happened on business day `day`,
    done by `actor` (None: left to whoever writes it to the outbox)."""
    return EventDraft(
        type=event_type(type(event)),
        version=event_version(type(event)),
        unit=unit,
        occurred_at=business_time(day),
        payload=event,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
    )


def system_actor(command: str) -> Actor:
    """The actor of what the software does on its own or for an operator's command (kind
    "system"): the OS user running it and the command, e.g. "root (hdnd hierarchy merge)"."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        user = "unknown"
    return Actor(id=f"system:{user}"[:128], name=f"{user} ({command})"[:200], kind="system")
