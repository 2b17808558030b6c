"""Groups of voters' opinions (bounded context `opinions`, topic `hdnd.reporting`).

The same request is raised at voter contacts in many units ("sửa chữa đường liên thôn" in
twelve communes). The standing committee of a level (Thường trực HĐND, the envelope's unit)
confirms that opinions of its units make one request, and the groups it confirms are events,
so they roll up to the level above and are rebuilt from the topic like everything else:

- `opinion.grouped`: a group confirmed, or changed (a split keeps some of its opinions, a
  merge takes in other groups, which end). `revision` counts the group's versions: the
  highest one read is the group, whatever order a replay brings them in.
- `opinion.ungrouped`: the group is dissolved; its opinions stand alone again.
- `opinion_group.answered`, `opinion_group.resolved`: one answer (resolution) recorded for
  the whole group. They name the opinions they answer, so oversight, which owns the opinions,
  answers each one it tracks with its own `opinion.answered` (`opinion.resolved`): the
  figures count those, once per opinion; these count nothing.

An opinion is named by its unit and id, with the day it was raised: the level must be that
unit or one above it on that day (the projector dead-letters a record that breaks this).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Final, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import UnitCode
from contracts.ids import ID_PATTERN
from contracts.oversight import Agency, ItemId, LongText, OversightField, Text
from contracts.signing import Lineage

TOPIC: Final = "reporting"  # the `Topics` property its events travel on

MAX_MEMBERS = 1000  # a request raised in every commune of a province, several times over
GroupId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=ID_PATTERN, description="Stable id of a group."),
]
Revision = Annotated[
    int, Field(ge=1, le=1_000_000, description="The group's version: 1 when first confirmed.")
]
DecidedBy = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Who decided, as the record names them (the account's name);"
        " the envelope's actor says the same.",
    ),
]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Member(_Event):
    """One opinion of a group: its unit, its id there, and the day it was raised."""

    unit: UnitCode
    opinion_id: ItemId
    raised_on: date


Members = Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]


def _each_once(members: list[Member]) -> None:
    keys = [(m.unit, m.opinion_id) for m in members]
    if len(keys) != len(set(keys)):
        raise ValueError("each opinion may appear only once among the members")


class _GroupDecision(_Event):
    """What every decision on a group says: which group, its revision, when and by whom."""

    group_id: GroupId
    revision: Revision
    decided_on: date
    decided_by: DecidedBy


class _ForMembers(_Event):
    """An event naming the group's opinions, none raised after its own day (`DAY`)."""

    DAY: ClassVar[str]

    members: Members

    @model_validator(mode="after")
    def _members_before(self) -> Self:
        _each_once(self.members)
        if any(m.raised_on > getattr(self, self.DAY) for m in self.members):
            raise ValueError(f"an opinion was raised after {self.DAY}")
        return self


class OpinionGrouped(_ForMembers, _GroupDecision):
    """`opinion.grouped` v1: the standing committee of the envelope's unit confirmed on
    `decided_on` that `members` make one request (`title`, in `field`, to `agency`); a revision
    above 1 changes the group (a split, a merge), and the groups in `merged` end, their
    opinions now in this one. `occurred_at` is `decided_on`."""

    TYPE: ClassVar[str] = "opinion.grouped"
    VERSION: ClassVar[int] = 1
    DAY: ClassVar[str] = "decided_on"

    title: Text = Field(description="The request in the committee's words (nội dung kiến nghị).")
    field: OversightField = Field(description="Lĩnh vực.")
    agency: Agency = Field(description="Cơ quan có thẩm quyền: the agency the request goes to.")
    merged: list[GroupId] = Field(
        default_factory=list,
        max_length=100,
        description="Groups of the same level merged into this one, which end.",
    )
    session_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="The session (kỳ họp, a meeting id) it was compiled for, if any.",
    )

    @model_validator(mode="after")
    def _a_group(self) -> OpinionGrouped:
        if len(self.members) < 2:
            raise ValueError("a group has at least two opinions")
        if self.group_id in self.merged:
            raise ValueError("a group cannot merge itself")
        return self


class OpinionUngrouped(_GroupDecision):
    """`opinion.ungrouped` v1: the standing committee of the envelope's unit dissolved the
    group on `decided_on`; its opinions stand alone again. `occurred_at` is `decided_on`."""

    TYPE: ClassVar[str] = "opinion.ungrouped"
    VERSION: ClassVar[int] = 1

    reason: Text | None = None


class OpinionGroupAnswered(_ForMembers):
    """`opinion_group.answered` v1: `agency` answered the group's request on `answered_on`,
    and the answer stands for each of `members` (the group's opinions then). Oversight answers
    each one it tracks that is not answered yet (forwarding it to `agency` first if it was
    not); `occurred_at` is `answered_on`."""

    TYPE: ClassVar[str] = "opinion_group.answered"
    VERSION: ClassVar[int] = 1
    DAY: ClassVar[str] = "answered_on"

    group_id: GroupId
    agency: Agency
    answer: LongText
    answered_on: date


class OpinionGroupResolved(_ForMembers):
    """`opinion_group.resolved` v1: the group's request was resolved on `resolved_on`; each of
    `members` that oversight tracks and was answered is resolved with it. `occurred_at` is
    `resolved_on`."""

    TYPE: ClassVar[str] = "opinion_group.resolved"
    VERSION: ClassVar[int] = 1
    DAY: ClassVar[str] = "resolved_on"

    group_id: GroupId
    resolved_on: date
    result: LongText | None = None


GROUP_EVENTS: tuple[type[BaseModel], ...] = (
    OpinionGrouped,
    OpinionUngrouped,
    OpinionGroupAnswered,
    OpinionGroupResolved,
)


def stranger(lineage: Lineage, level: str, members: list[Member]) -> str | None:
    """Why a group of `level` may not name its `members` (one is of a unit that was neither
    `level` nor below it on the day it was raised); None if it may. Reporting's projector and
    every consumer of the groups hold events to this."""
    for m in members:
        chain = lineage(m.unit, m.raised_on)
        if chain is None or level not in chain:
            return (
                f"a group of unit {level} names opinion {m.opinion_id} of unit {m.unit}:"
                f" unit {level} is not unit {m.unit} nor above it on {m.raised_on}"
            )
    return None
