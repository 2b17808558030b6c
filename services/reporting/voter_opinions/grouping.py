"""What the standing committee of a level may do with groups of voters' opinions, and the
events each decision makes (contracts.opinions). Pure: the caller reads the registered
opinions and groups (in its transaction) and writes what comes back.

The rules a secretary would check by hand: a group is of opinions registered under the level
(its unit or below, on the day each was raised), not withdrawn, each in at most one group of
the level in force (409 otherwise), raised on or before the day decided; a group answered may
no longer be split or merged (409: its opinions were answered as one); a resolution follows
the answer. A refusal names the field (`body.members.1`, `body.answered_on` …); the same
decision again is a retry that records nothing (`Unchanged`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, assert_never
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import UnitCode
from contracts.opinions import (
    GroupId,
    Member,
    OpinionGroupAnswered,
    OpinionGrouped,
    OpinionGroupResolved,
    OpinionUngrouped,
)
from contracts.oversight import Agency, ItemId, LongText, OversightField, Text
from services.common.errors import Conflict, DomainError, NotFound
from services.common.mongo import Document
from services.reporting.voter_opinions.store import ACTIVE, opinion_key


def _new_id() -> str:
    return uuid4().hex


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberRef(_Body):
    """An opinion, by its unit and its id there (as oversight tracks it)."""

    unit: UnitCode
    opinion_id: ItemId


MemberRefs = Annotated[list[MemberRef], Field(min_length=1, max_length=1000)]


class ConfirmGroup(_Body):
    """Xác nhận nhóm: these opinions make one request."""

    DAY: ClassVar[str] = "decided_on"

    group_id: GroupId = Field(default_factory=_new_id)
    title: Text = Field(description="The request in the committee's words (nội dung kiến nghị).")
    field: OversightField
    agency: Agency = Field(description="Cơ quan có thẩm quyền giải quyết.")
    members: MemberRefs = Field(description="At least two opinions.")
    session_id: str | None = Field(default=None, min_length=1, max_length=64)
    decided_on: date


class SplitGroup(_Body):
    """Tách nhóm: `members` leave the group; two or more of them make a new group."""

    DAY: ClassVar[str] = "decided_on"

    members: MemberRefs
    new_group_id: GroupId = Field(default_factory=_new_id)
    title: Text | None = Field(default=None, description="The new group's (default: the same).")
    decided_on: date


class MergeGroups(_Body):
    """Gộp nhóm: the groups named join this one, and end."""

    DAY: ClassVar[str] = "decided_on"

    groups: list[GroupId] = Field(min_length=1, max_length=100)
    title: Text | None = None
    decided_on: date


class Ungroup(_Body):
    """Hủy nhóm: the group is dissolved; its opinions stand alone again."""

    DAY: ClassVar[str] = "decided_on"

    decided_on: date
    reason: Text | None = None


class AnswerGroup(_Body):
    """One answer of the agency for the whole group (trả lời chung)."""

    DAY: ClassVar[str] = "answered_on"

    answered_on: date
    answer: LongText
    agency: Agency | None = Field(default=None, description="Default: the group's agency.")


class ResolveGroup(_Body):
    """The group's request was resolved (đã giải quyết)."""

    DAY: ClassVar[str] = "resolved_on"

    resolved_on: date
    result: LongText | None = None


Body = ConfirmGroup | SplitGroup | MergeGroups | Ungroup | AnswerGroup | ResolveGroup


def day_of(body: Body) -> date:
    """The day the decision is dated (its `DAY` field)."""
    day: date = getattr(body, body.DAY)
    return day


@dataclass(frozen=True, slots=True)
class Known:
    """What a decision is judged on, as the transaction read it: the group named (for a
    confirmation, the one of its id), the other groups it names (merged, or the new group of
    a split), and the opinions a confirmation names with the groups of the level holding them."""

    group: Document | None
    others: list[Document]
    registered: Mapping[str, Document]
    holders: list[Document]


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The decision was taken already, the same way: nothing to record."""

    group: Document


Decision = list[BaseModel] | Unchanged


@dataclass(frozen=True, slots=True)
class Context:
    """What a decision is checked against: the level, today, who decides."""

    level: str
    today: date
    decided_by: str


def _not_after_today(name: str, day: date, today: date) -> None:
    if day > today:
        raise DomainError(name, f"{name} {day} is in the future; record it once it happened")


def members_of(
    ctx: Context,
    refs: Sequence[MemberRef],
    registered: Mapping[str, Document],
    holders: Sequence[Document],
    decided_on: date,
    *,
    allowed: frozenset[str] = frozenset(),
) -> list[Member]:
    """The opinions `refs` names as members, each checked (see the module); `allowed`: groups
    they may already be in (the one being changed, those merged into it)."""
    keys = [(r.unit, r.opinion_id) for r in refs]
    if len(keys) != len(set(keys)):
        raise DomainError("members", "each opinion may appear only once among the members")
    held = {
        (m["unit"], m["opinion_id"]): g["group_id"]
        for g in holders
        if g["group_id"] not in allowed
        for m in g["members"]
    }
    out: list[Member] = []
    for i, ref in enumerate(refs):
        where = f"members.{i}"
        doc = registered.get(opinion_key(ref.unit, ref.opinion_id))
        if doc is None or ctx.level not in doc["lineage"]:
            raise NotFound(
                where, f"no opinion {ref.opinion_id} of unit {ref.unit} under unit {ctx.level}"
            )
        if doc["stage"] == "withdrawn":
            raise DomainError(where, f"opinion {ref.opinion_id} was withdrawn")
        raised = date.fromisoformat(doc["raised_on"])
        if raised > decided_on:
            raise DomainError(
                "decided_on", f"opinion {ref.opinion_id} was raised on {raised}, after it"
            )
        if (ref.unit, ref.opinion_id) in held:
            raise Conflict(
                where,
                f"opinion {ref.opinion_id} of unit {ref.unit} is in group"
                f" {held[(ref.unit, ref.opinion_id)]} already: split it from there first",
            )
        out.append(Member(unit=ref.unit, opinion_id=ref.opinion_id, raised_on=raised))
    return out


def _pairs(members: Sequence[Member] | Sequence[Document]) -> set[tuple[str, str]]:
    return {
        (m.unit, m.opinion_id) if isinstance(m, Member) else (m["unit"], m["opinion_id"])
        for m in members
    }


def confirm(
    ctx: Context,
    body: ConfirmGroup,
    existing: Document | None,
    registered: Mapping[str, Document],
    holders: Sequence[Document],
) -> Decision:
    _not_after_today("decided_on", body.decided_on, ctx.today)
    if len(body.members) < 2:
        raise DomainError("members", "a group has at least two opinions")
    if existing is not None:
        same = (
            existing["status"] == ACTIVE
            and existing["revision"] == 1
            and (existing["title"], existing["field"], existing["agency"])
            == (body.title, body.field, body.agency)
            and _pairs(existing["members"]) == {(m.unit, m.opinion_id) for m in body.members}
        )
        if same:
            return Unchanged(existing)
        raise Conflict("group_id", f"group {body.group_id} of unit {ctx.level} exists already")
    members = members_of(ctx, body.members, registered, holders, body.decided_on)
    return [
        OpinionGrouped(
            **body.model_dump(exclude={"members"}),
            revision=1,
            members=members,
            decided_by=ctx.decided_by,
        )
    ]


def _changeable(group: Document | None, group_id: str, level: str, what: str) -> Document:
    """The group in force, not answered: what a split or a merge may change."""
    if group is None:
        raise NotFound("group_id", f"no group {group_id} of unit {level}")
    if group["status"] != ACTIVE:
        raise Conflict("group_id", f"group {group_id} has ended ({group['status']})")
    if group.get("answer") is not None:
        raise Conflict("group_id", f"group {group_id} was answered: it cannot be {what}")
    return group


def _again(group: Document, decided_on: date, ctx: Context, **changes: object) -> OpinionGrouped:
    """The group's next revision, with `changes`."""
    fields = {
        k: group[k] for k in ("group_id", "title", "field", "agency", "session_id", "members")
    }
    fields.update(revision=group["revision"] + 1, decided_on=decided_on, decided_by=ctx.decided_by)
    return OpinionGrouped.model_validate({**fields, **changes})


def split(
    ctx: Context, group: Document | None, group_id: str, body: SplitGroup, new: Document | None
) -> Decision:
    _not_after_today("decided_on", body.decided_on, ctx.today)
    taken = {(m.unit, m.opinion_id) for m in body.members}
    done = new is not None and _pairs(new["members"]) == taken  # this very split, made before
    if group is not None and done and not taken & _pairs(group["members"]):
        return Unchanged(group)
    group = _changeable(group, group_id, ctx.level, "split")
    inside = _pairs(group["members"])
    for i, m in enumerate(body.members):
        if (m.unit, m.opinion_id) not in inside:
            raise DomainError(f"members.{i}", f"opinion {m.opinion_id} is not in the group")
    kept = [m for m in group["members"] if (m["unit"], m["opinion_id"]) not in taken]
    if len(kept) < 2:
        raise DomainError("members", "a group keeps at least two opinions: dissolve it instead")
    if new is not None:
        raise Conflict("new_group_id", f"group {body.new_group_id} exists already")
    moved = [m for m in group["members"] if (m["unit"], m["opinion_id"]) in taken]
    decided: list[BaseModel] = [_again(group, body.decided_on, ctx, members=kept)]
    if len(moved) >= 2:
        decided.append(
            _again(
                {**group, "revision": 0, "group_id": body.new_group_id},
                body.decided_on,
                ctx,
                members=moved,
                title=body.title or group["title"],
            )
        )
    return decided


def merge(
    ctx: Context, group: Document | None, group_id: str, body: MergeGroups, others: list[Document]
) -> Decision:
    _not_after_today("decided_on", body.decided_on, ctx.today)
    found = {g["group_id"]: g for g in others}
    if group is not None and all(
        found.get(g, {}).get("merged_into") == group_id for g in body.groups
    ):
        return Unchanged(group)
    group = _changeable(group, group_id, ctx.level, "merged")
    members = list(group["members"])
    for i, other_id in enumerate(body.groups):
        if other_id == group_id:
            raise DomainError(f"groups.{i}", "a group cannot merge itself")
        other = _changeable(found.get(other_id), other_id, ctx.level, "merged")
        members += other["members"]
    changes: dict[str, object] = {"members": members, "merged": body.groups}
    if body.title:
        changes["title"] = body.title
    return [_again(group, body.decided_on, ctx, **changes)]


def ungroup(ctx: Context, group: Document | None, group_id: str, body: Ungroup) -> Decision:
    _not_after_today("decided_on", body.decided_on, ctx.today)
    if group is not None and group["status"] == "ungrouped":
        return Unchanged(group)
    group = _changeable(group, group_id, ctx.level, "dissolved")
    return [
        OpinionUngrouped(
            group_id=group_id,
            revision=group["revision"] + 1,
            decided_on=body.decided_on,
            decided_by=ctx.decided_by,
            reason=body.reason,
        )
    ]


def _members(group: Document) -> list[Member]:
    return [Member.model_validate(m) for m in group["members"]]


def _in_force(group: Document | None, group_id: str, level: str) -> Document:
    if group is None or group["status"] != ACTIVE:
        raise NotFound("group_id", f"no group {group_id} of unit {level} in force")
    return group


def answer(ctx: Context, group: Document | None, group_id: str, body: AnswerGroup) -> Decision:
    _not_after_today("answered_on", body.answered_on, ctx.today)
    group = _in_force(group, group_id, ctx.level)
    agency = body.agency or group["agency"]
    given = group.get("answer")
    if given is not None:
        if (given["answer"], given["answered_on"], given["agency"]) == (
            body.answer,
            body.answered_on.isoformat(),
            agency,
        ):
            return Unchanged(group)
        raise Conflict("group_id", f"group {group_id} was answered on {given['answered_on']}")
    latest = max(date.fromisoformat(m["raised_on"]) for m in group["members"])
    if body.answered_on < latest:
        raise DomainError("answered_on", f"an opinion of the group was raised on {latest}")
    return [
        OpinionGroupAnswered(
            group_id=group_id,
            agency=agency,
            answer=body.answer,
            answered_on=body.answered_on,
            members=_members(group),
        )
    ]


def resolve(ctx: Context, group: Document | None, group_id: str, body: ResolveGroup) -> Decision:
    _not_after_today("resolved_on", body.resolved_on, ctx.today)
    group = _in_force(group, group_id, ctx.level)
    done = group.get("resolution")
    if done is not None:
        if (done["resolved_on"], done.get("result")) == (body.resolved_on.isoformat(), body.result):
            return Unchanged(group)
        raise Conflict("group_id", f"group {group_id} was resolved on {done['resolved_on']}")
    given = group.get("answer")
    if given is None:
        raise Conflict("group_id", f"group {group_id} is not answered yet: answer it first")
    if body.resolved_on < date.fromisoformat(given["answered_on"]):
        raise DomainError("resolved_on", f"the group was answered on {given['answered_on']}")
    return [
        OpinionGroupResolved(
            group_id=group_id,
            resolved_on=body.resolved_on,
            result=body.result,
            members=_members(group),
        )
    ]


def decide(ctx: Context, group_id: str, body: Body, known: Known) -> Decision:
    """The decision `body` on group `group_id` of the level, judged on `known`."""
    group = known.group
    match body:
        case ConfirmGroup():
            return confirm(ctx, body, group, known.registered, known.holders)
        case SplitGroup():
            return split(ctx, group, group_id, body, next(iter(known.others), None))
        case MergeGroups():
            return merge(ctx, group, group_id, body, known.others)
        case Ungroup():
            return ungroup(ctx, group, group_id, body)
        case AnswerGroup():
            return answer(ctx, group, group_id, body)
        case ResolveGroup():
            return resolve(ctx, group, group_id, body)
        case _:
            assert_never(body)
