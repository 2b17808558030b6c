"""Coordination between council levels: which declarations, reports, tasks, proposals and
answers may be recorded, and the events they cause. Pure: no I/O.

Report deadlines (hạn gửi báo cáo định kỳ). Each council sends its 6-month (YYYY-H1),
9-month (YYYY-9M), year (YYYY) and end-of-term (YYYY-YYYY) report to the level above, when the
deployment's deadline rules say (services.reporting.deadlines: by default in the month after
the period ends, lower levels first so that each level can compile its own: commune day 5,
district day 10, province day 15; e.g. the 2025 6-month report of a commune is due on
2025-07-05, of a province on 2025-07-15; the 2021–2026 term report (the term ends in March
2026) of a district on 2026-04-10). A report is owed by the units that exist on its due date
(after the 2025 reform, the new communes owe the 2025 6-month report), and it may be filed
from the first day of the period's last month (councils write it during that month, with
estimates to its end), never earlier. `due_on` and `obligations_due_in` are the deadline
rules' own (services.reporting.deadlines.rules), named here for the commands that use them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contracts import EventDraft
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalRaised,
    ReportFiled,
    ReportObligation,
    TaskSet,
    TaskStatus,
    TaskStatusChanged,
)
from contracts.notifications import DeadlineRules
from services.common.errors import DomainError
from services.common.hierarchy import Hierarchy, Level, Unit
from services.common.recording import recordable_unit, recorded
from services.reporting.deadlines.defaults import DEFAULT_RULES
from services.reporting.deadlines.rules import due_on as due_on
from services.reporting.deadlines.rules import obligations_due_in as obligations_due_in
from services.reporting.read.periods import (
    InvalidPeriod,
    Period,
    is_term,
    month_start,
    parse_period,
    period_in,
    term_of,
)

# -- report obligations --------------------------------------------------------------------------


def obligation_of(period: str) -> tuple[ReportObligation, Period]:
    """The obligation a period key names (2025-H1, 2025-9M, 2025, 2021-2026); InvalidPeriod
    for any other period (quarters, months, ranges are not periodic reports)."""
    parsed = parse_period(period)
    key = parsed.key
    if key.endswith("-H1"):
        return ReportObligation.FIRST_HALF, parsed
    if key.endswith("-9M"):
        return ReportObligation.NINE_MONTHS, parsed
    if len(key) == 4:
        return ReportObligation.YEAR, parsed
    if is_term(key):
        return ReportObligation.TERM, parsed
    raise InvalidPeriod(
        f"{key} is not a periodic report; reports are YYYY-H1 (6 tháng đầu năm),"
        " YYYY-9M (9 tháng), YYYY (cả năm) and YYYY-YYYY (nhiệm kỳ)"
    )


def obligations_around(
    level: Level,
    today: date,
    back_days: int = 400,
    ahead_days: int = 120,
    rules: DeadlineRules = DEFAULT_RULES,
    sessions: Sequence[date] = (),
) -> list[tuple[Period, date]]:
    """The reports a council of `level` owes whose period has begun and whose deadline is at
    most `back_days` ago or `ahead_days` ahead, latest deadline first: what a secretary's
    home page lists as due."""
    month = f"{today.year:04d}-{today.month:02d}"
    keys: set[str] = set()
    for year in (today.year - 1, today.year):
        keys.update({f"{year}-H1", f"{year}-9M", f"{year}"})
        with contextlib.suppress(InvalidPeriod):
            keys.add(term_of(f"{year}-06"))
    owed = [
        (p, due_on(level, p, rules, sessions)) for p in map(parse_period, keys) if p.first <= month
    ]
    near = [(p, due) for p, due in owed if -ahead_days <= (today - due).days <= back_days]
    return sorted(near, key=lambda pd: pd[1], reverse=True)


def reports_owed(
    level: Level,
    today: date,
    filings: Iterable[Mapping[str, Any]],
    rules: DeadlineRules = DEFAULT_RULES,
    sessions: Sequence[date] = (),
) -> list[dict[str, Any]]:
    """The reports `obligations_around` lists, each with its deadline and whether it was filed
    on time, late, is missing or not yet due, from the council's `filings`."""
    filed_by_period = {d["period"]: d for d in filings}
    answer = []
    for period, due in obligations_around(level, today, rules=rules, sessions=sessions):
        filed = filed_by_period.get(period.key)
        if filed is not None:
            state = "on_time" if filed["filed_on"] <= due.isoformat() else "late"
        else:
            state = "missing" if due < today else "due"
        answer.append(
            {
                "period": period.key,
                "label": period.label,
                "due_on": due.isoformat(),
                "filed_on": filed["filed_on"] if filed else None,
                "state": state,
            }
        )
    return answer


# -- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What every decision needs: the hierarchy, the units served, and today."""

    hierarchy: Hierarchy
    served: Sequence[str]
    today: date
    rules: DeadlineRules = DEFAULT_RULES
    sessions: Mapping[str, Sequence[date]] = field(default_factory=dict)

    def due(self, unit: Unit, period: Period) -> date:
        """When `unit` owes its report on `period`, by the rules and its scheduled sessions."""
        return due_on(unit.level, period, self.rules, self.sessions.get(unit.code, ()))

    def unit(self, code: str, day: date, day_field: str, **kw: Any) -> Unit:
        return recordable_unit(
            self.hierarchy,
            code,
            day,
            served=self.served,
            today=self.today,
            day_field=day_field,
            **kw,
        )


def _draft(model: Any, unit: str, day: date) -> EventDraft:
    return recorded(model, unit, day)


def declare_delegates(ctx: Context, unit: str, declared: CouncilDelegatesDeclared) -> EventDraft:
    found = ctx.unit(unit, declared.as_of, "body.as_of")
    term = period_in(declared.term, "body.term")
    month = f"{declared.as_of:%Y-%m}"
    if not term.first <= month <= term.last:
        raise DomainError(
            "body.as_of",
            f"as_of {declared.as_of} is outside the term {term.key} ({term.first}..{term.last})",
        )
    return _draft(declared, found.code, declared.as_of)


def declare_staff(ctx: Context, unit: str, declared: CouncilStaffDeclared) -> EventDraft:
    found = ctx.unit(unit, declared.as_of, "body.as_of")
    return _draft(declared, found.code, declared.as_of)


@dataclass(frozen=True, slots=True)
class FileReport:
    """Command: the council of `unit` filed its report on `period` on `filed_on`."""

    unit: str
    report_id: str
    period: str
    filed_on: date
    title: str | None = None
    report_ref: str | None = None
    document_sha256: str | None = None  # of the report document attached, if any


def file_report(ctx: Context, command: FileReport) -> EventDraft:
    try:
        obligation, period = obligation_of(command.period)
    except InvalidPeriod as exc:
        raise DomainError("body.period", str(exc)) from None
    unit = ctx.unit(command.unit, command.filed_on, "body.filed_on")
    opens = month_start(period.last)
    if command.filed_on < opens:
        raise DomainError(
            "body.period",
            f"the report on {period.key} ({period.label}) is for a future period on"
            f" {command.filed_on}: it may be filed from {opens}",
        )
    # The report is owed by the unit as it is in the month it falls due (its era decides).
    due = ctx.due(unit, period)
    owner = ctx.hierarchy.find(unit.code, due)
    if owner is not None and owner.era != unit.era:
        raise DomainError(
            "body.period",
            f"the report on {period.key} is due on {due}, after the 2025 reform: {owner.name}"
            f" ({owner.code}) of the 2025 era owes it, not {unit.name} ({unit.code}) of the"
            " legacy era, a council that ended on 2025-06-30 and only shares its code",
        )
    if owner is None:
        raise DomainError(
            "body.period",
            f"unit {unit.code} does not exist on {due}, when the report on {period.key} is due;"
            " the unit that succeeds it owes that report",
        )
    report = ReportFiled(
        report_id=command.report_id,
        obligation=obligation,
        period=period.key,
        due_on=ctx.due(owner, period),
        filed_on=command.filed_on,
        title=command.title,
        report_ref=command.report_ref,
        document_sha256=command.document_sha256,
    )
    return _draft(report, unit.code, command.filed_on)


def set_task(ctx: Context, unit: str, task: TaskSet) -> EventDraft:
    found = ctx.unit(unit, task.set_on, "body.set_on")
    period = period_in(task.period, "body.period")
    starts = month_start(period.first)
    if ctx.hierarchy.find(found.code, starts) is None:
        raise DomainError(
            "body.period", f"unit {found.code} did not exist on {starts}, when {period.key} starts"
        )
    normalised = task.model_copy(update={"period": period.key})
    return _draft(normalised, found.code, task.set_on)


def change_task_status(
    ctx: Context,
    unit: str,
    task: Mapping[str, Any],
    status: TaskStatus,
    changed_on: date,
    note: str | None,
) -> EventDraft:
    """`task` is the stored task document (set_on, period, status)."""
    found = ctx.unit(unit, changed_on, "body.changed_on")
    set_on = date.fromisoformat(task["set_on"])
    if changed_on < set_on:
        raise DomainError(
            "body.changed_on", f"changed_on {changed_on} is before the task was set ({set_on})"
        )
    if status == TaskStatus.PLANNED:
        raise DomainError("body.status", "a task set cannot go back to planned")
    change = TaskStatusChanged(
        task_id=task["task_id"],
        period=task["period"],
        previous_status=TaskStatus(task["status"]),
        status=status,
        changed_on=changed_on,
        note=note,
    )
    return _draft(change, found.code, changed_on)


def raise_proposal(ctx: Context, unit: str, proposal: ProposalRaised) -> EventDraft:
    found = ctx.unit(unit, proposal.raised_on, "body.raised_on")
    above = ctx.hierarchy.ancestors(found.code, proposal.raised_on)
    if proposal.to_unit not in above:
        names = ", ".join(above) or "none: a province has no council above it here"
        raise DomainError(
            "body.to_unit",
            f"unit {proposal.to_unit} is not above {found.name} ({found.code}) on"
            f" {proposal.raised_on}; the units above it are {names}",
        )
    return _draft(proposal, found.code, proposal.raised_on)


def answer_proposal(
    ctx: Context, unit: str, proposal: Mapping[str, Any], answered_on: date, answer: str
) -> EventDraft:
    """`proposal` is the stored proposal (proposal_id, raised_by, to_unit, raised_on) this unit
    received."""
    if proposal["to_unit"] != unit:
        raise DomainError(
            "path.unit",
            f"proposal {proposal['proposal_id']} is addressed to unit {proposal['to_unit']}, not"
            f" {unit}; only the unit addressed answers it",
        )
    raised_on = date.fromisoformat(proposal["raised_on"])
    if answered_on < raised_on:
        raise DomainError(
            "body.answered_on",
            f"answered_on {answered_on} is before the proposal was raised ({raised_on})",
        )
    found = ctx.unit(unit, answered_on, "body.answered_on")
    answered = ProposalAnswered(
        proposal_id=proposal["proposal_id"],
        raised_by=proposal["raised_by"],
        raised_on=raised_on,
        answered_on=answered_on,
        answer=answer,
    )
    return _draft(answered, found.code, answered_on)
