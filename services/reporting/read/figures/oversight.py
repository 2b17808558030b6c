"""Figures from the oversight context: supervisions, surveys and verifications, their
recommendations, voter opinions and petitions.

Which day a follow-up counts on (one rule for every tracked item): a follow-up (forwarded,
answered, resolved, transferred, settled, implemented, overdue) counts in the unit and on the
day its item was raised — the voter contact's day for an opinion, the day a petition was
received, the day a recommendation was issued — never on the day of the follow-up. A period's
figures therefore describe the items raised in it, as they stand now: "opinions received N,
resolved R, pending N − R" adds up for any period, and the resolution rate and mean days to
resolve are those of that cohort. Figures of a past period grow as its items are followed up.

"Opinions received" is `voter_opinions_raised`, counted by the meetings fold from
`meeting.held`; petitions taken at citizen receptions are counted there too as
`petitions_received`, so only petitions received by mail add to it here. `*_pending` figures
are +1 when an item is opened and −1 when it is resolved or settled, on the item's day.

When a voter contact's (citizen reception's) record is corrected, its items follow: a
withdrawn item takes back everything it counted on its day (pending, and forwarded, answered,
resolved and its days, as far as it had come), and a moved one takes it back on its previous
day and counts it on its new day, so "received N, resolved R, pending N − R" still adds up in
both periods (the meetings fold moves `voter_opinions_raised` the same way).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from contracts import Decoded
from contracts.oversight import (
    OPINION_STAGES,
    PETITION_STAGES,
    Activity,
    Body,
    Committee,
    OpinionAnswered,
    OpinionForwarded,
    OpinionMoved,
    OpinionReceived,
    OpinionResolved,
    OpinionStage,
    OpinionWithdrawn,
    OversightField,
    PetitionMoved,
    PetitionReceived,
    PetitionSettled,
    PetitionStage,
    PetitionTransferred,
    PetitionWithdrawn,
    RecommendationImplemented,
    RecommendationIssued,
    RecommendationOverdue,
    SupervisionFinished,
    SupervisionPlanned,
    SupervisionStarted,
)
from services.reporting.read.figures.base import (
    COMMITTEES,
    FIELDS,
    Contribution,
    Figures,
    about_field,
    folds,
)
from services.reporting.read.figures.catalogue import Figure, Group, Section, counts
from services.reporting.read.figures.meetings import PETITIONS_RECEIVED, VOTER_OPINIONS_RAISED

Item = TypeVar("Item", bound=BaseModel)
Stage = TypeVar("Stage", bound=str)
Step = Literal["planned", "started"]
Outcome = Literal["implemented", "implemented_late", "overdue"]  # of a recommendation issued

_ACTIVITY = {
    Activity.THEMATIC_SUPERVISION: "Giám sát chuyên đề",
    Activity.SURVEY: "Khảo sát",
    Activity.VERIFICATION: "Thẩm tra",
}
_COUNTED = {  # what the total of each activity counts, and what one of it is
    Activity.THEMATIC_SUPERVISION: ("Cuộc giám sát chuyên đề", "cuộc"),
    Activity.SURVEY: ("Cuộc khảo sát", "cuộc"),
    Activity.VERIFICATION: ("Báo cáo, dự thảo nghị quyết được thẩm tra", "văn bản"),
}
_STEP: dict[Step, str] = {"planned": "theo kế hoạch", "started": "đã triển khai"}
_BODY = {
    Body.STANDING_COMMITTEE: "của Thường trực HĐND",
    Body.COMMITTEE: "của các Ban HĐND",
    Body.DELEGATE_GROUP: "của Tổ đại biểu",
}
# These labels have always named the other field without "về": "Khảo sát lĩnh vực khác".
_FIELD = {f: about_field(f) for f in FIELDS} | {OversightField.OTHER: FIELDS[OversightField.OTHER]}

# Figures from oversight, in report order.
FIGURES = Section()
_recommendations = FIGURES.counter(Group.RECOMMENDATIONS)
_voters = FIGURES.counter(Group.VOTERS)
_citizens = FIGURES.counter(Group.CITIZENS)


@dataclass(frozen=True, slots=True)
class Tally:
    """An activity's figure, and the same split by the body that carried it out and by field
    ("surveys", "surveys_body_committee", "surveys_field_land")."""

    total: Figure
    by_body: dict[Body, Figure]
    by_field: dict[OversightField, Figure]

    def one(self, body: Body, field: OversightField) -> Figures:
        return counts((self.total, 1), (self.by_body[body], 1), (self.by_field[field], 1))


def _tally(key: str, label: str, name: str, unit: str, place: int) -> Tally:
    """A `Tally` whose parts are labelled "{name} của Thường trực HĐND", "{name} về đất đai" …"""
    total = FIGURES.count(key, label, Group.OVERSIGHT, unit, place)
    by_body = FIGURES.parts(total, {b: f"{name} {_BODY[b]}" for b in Body}, f"{key}_body_")
    by_field = FIGURES.parts(
        total, {f: f"{name} {_FIELD[f]}" for f in OversightField}, f"{key}_field_"
    )
    return Tally(total, by_body, by_field)


# Finished, by activity: thematic_supervisions, surveys, verifications (and their parts). Each
# activity keeps its figures together on the dashboard (its `place`).
ACTIVITIES = {
    a: _tally(f"{a}s", _COUNTED[a][0], _ACTIVITY[a], _COUNTED[a][1], place)
    for place, a in enumerate(Activity)
}
VERIFICATIONS_BY_COMMITTEE = FIGURES.parts(
    ACTIVITIES[Activity.VERIFICATION].total,
    {c: f"Thẩm tra của {COMMITTEES[c]}" for c in Committee},
    "verifications_committee_",
)
RECOMMENDATIONS_ISSUED = _recommendations(
    "recommendations_issued", "Kiến nghị sau giám sát, khảo sát, thẩm tra", "kiến nghị"
)
# Planned and started, by activity, body and field: "surveys_started_field_land" …
STEPS = {
    (a, step): _tally(f"{a}s_{step}", name, name, _COUNTED[a][1], place)
    for place, a in enumerate(Activity)
    for step, when in _STEP.items()
    for name in [f"{_ACTIVITY[a]} {when}"]
}
# Where the recommendations issued stand, counted on the day each was issued.
_RECOMMENDATION_OUTCOMES: dict[Outcome, str] = {
    "implemented": "Kiến nghị sau giám sát đã được thực hiện",
    "implemented_late": "Kiến nghị được thực hiện sau khi quá hạn",
    "overdue": "Kiến nghị quá hạn chưa được thực hiện",
}
RECOMMENDATIONS_BY_OUTCOME = FIGURES.parts(
    RECOMMENDATIONS_ISSUED, _RECOMMENDATION_OUTCOMES, "recommendations_"
)
# The stages an opinion (a petition) reached after it was received, counted on its day.
_opinions = VOTER_OPINIONS_RAISED.label  # "Ý kiến, kiến nghị của cử tri"
_OPINIONS_REACHED: dict[OpinionStage, str] = {
    "forwarded": f"{_opinions} đã chuyển cơ quan có thẩm quyền",
    "answered": f"{_opinions} đã được trả lời",
    "resolved": f"{_opinions} đã được giải quyết",
}
OPINIONS_BY_STAGE = FIGURES.parts(VOTER_OPINIONS_RAISED, _OPINIONS_REACHED, "opinions_")
VOTER_OPINIONS_PENDING = _voters(
    "voter_opinions_pending", f"{_opinions} đang chờ giải quyết", VOTER_OPINIONS_RAISED.unit
)
OPINION_DAYS_TO_RESOLVE = _voters(
    "opinion_days_to_resolve", "Tổng số ngày giải quyết ý kiến, kiến nghị của cử tri", "ngày"
)
PETITIONS_RECEIVED_BY_MAIL = _citizens(
    "petitions_received_by_mail", "Đơn thư nhận qua đường bưu chính", "đơn"
)
_PETITIONS_REACHED: dict[PetitionStage, str] = {
    "transferred": "Đơn thư đã chuyển cơ quan có thẩm quyền",
    "settled": "Đơn thư đã được giải quyết",
}
PETITIONS_BY_STAGE = FIGURES.parts(PETITIONS_RECEIVED, _PETITIONS_REACHED, "petitions_")
PETITIONS_PENDING = _citizens("petitions_pending", "Đơn thư đang chờ giải quyết", "đơn")
PETITION_DAYS_TO_SETTLE = _citizens(
    "petition_days_to_settle", "Tổng số ngày giải quyết đơn thư", "ngày"
)

OPINION_RESOLUTION_RATE = FIGURES.rate(
    "opinion_resolution_rate",
    "Tỷ lệ ý kiến, kiến nghị của cử tri đã được giải quyết (%)",
    OPINIONS_BY_STAGE["resolved"],
    VOTER_OPINIONS_RAISED,
)
OPINION_MEAN_DAYS_TO_RESOLVE = FIGURES.rate(
    "opinion_mean_days_to_resolve",
    "Số ngày bình quân giải quyết một ý kiến, kiến nghị của cử tri",
    OPINION_DAYS_TO_RESOLVE,
    OPINIONS_BY_STAGE["resolved"],
    scale=1,
)
RECOMMENDATION_IMPLEMENTATION_RATE = FIGURES.rate(
    "recommendation_implementation_rate",
    "Tỷ lệ kiến nghị sau giám sát đã được thực hiện (%)",
    RECOMMENDATIONS_BY_OUTCOME["implemented"],
    RECOMMENDATIONS_ISSUED,
)
PETITION_SETTLEMENT_RATE = FIGURES.rate(
    "petition_settlement_rate",
    "Tỷ lệ đơn thư đã được giải quyết (%)",
    PETITIONS_BY_STAGE["settled"],
    PETITIONS_RECEIVED,
)
PETITION_MEAN_DAYS_TO_SETTLE = FIGURES.rate(
    "petition_mean_days_to_settle",
    "Số ngày bình quân giải quyết một đơn thư",
    PETITION_DAYS_TO_SETTLE,
    PETITIONS_BY_STAGE["settled"],
    scale=1,
)


def supervision_figures(unit: str, event: SupervisionFinished) -> list[tuple[str, Figures]]:
    """What one finished supervision, survey or verification adds to its council's unit.

    Counted by activity, by the body that carried it out and by field; verifications also by
    the Ban that verified. The supervised units get nothing: the figures are the council's work.
    """
    f = ACTIVITIES[event.activity].one(event.body, event.field)
    f[RECOMMENDATIONS_ISSUED.key] = event.recommendations  # the figure keeps its name
    if event.activity == Activity.VERIFICATION and event.committee is not None:
        f[VERIFICATIONS_BY_COMMITTEE[event.committee].key] += 1
    return [(unit, f)]


@folds(SupervisionFinished)
def supervision_finished(decoded: Decoded[SupervisionFinished]) -> list[Contribution]:
    day = decoded.envelope.business_day
    return [
        Contribution(u, day, f)
        for u, f in supervision_figures(decoded.envelope.unit, decoded.payload)
    ]


def _step(
    decoded: Decoded[SupervisionPlanned] | Decoded[SupervisionStarted], step: Step
) -> list[Contribution]:
    """A supervision planned or started: by activity, body and field, on the step's day."""
    event = decoded.payload
    figures = STEPS[event.activity, step].one(event.body, event.field)
    return [Contribution(decoded.envelope.unit, decoded.envelope.business_day, figures)]


def _on(decoded: Decoded[Any], day: date, figures: Mapping[str, int]) -> list[Contribution]:
    """Figures for the event's unit on `day` (the item's day, see the module's rule)."""
    counted = Counter({key: n for key, n in figures.items() if n})
    return [Contribution(decoded.envelope.unit, day, counted)]


def _counts_one(model: type[Item], figure: Figure, day: Callable[[Item], date]) -> None:
    """Register the fold of an event that counts `figure` once, on its item's `day`."""

    def fold(decoded: Decoded[Item]) -> list[Contribution]:
        return _on(decoded, day(decoded.payload), counts((figure, 1)))

    folds(model)(fold)


@folds(SupervisionPlanned)
def supervision_planned(decoded: Decoded[SupervisionPlanned]) -> list[Contribution]:
    return _step(decoded, "planned")


@folds(SupervisionStarted)
def supervision_started(decoded: Decoded[SupervisionStarted]) -> list[Contribution]:
    return _step(decoded, "started")


@folds(RecommendationIssued)
def recommendation_issued(decoded: Decoded[RecommendationIssued]) -> list[Contribution]:
    return []  # counted as `recommendations_issued` by its supervision.finished


@folds(RecommendationImplemented)
def recommendation_implemented(decoded: Decoded[RecommendationImplemented]) -> list[Contribution]:
    p = decoded.payload
    # Late is after the deadline, whether or not the sweep had marked it overdue yet; only a
    # mark that was counted is taken back.
    return _on(
        decoded,
        p.issued_on,
        counts(
            (RECOMMENDATIONS_BY_OUTCOME["implemented"], 1),
            (RECOMMENDATIONS_BY_OUTCOME["implemented_late"], int(p.implemented_on > p.deadline)),
            (RECOMMENDATIONS_BY_OUTCOME["overdue"], -int(p.was_overdue)),
        ),
    )


_counts_one(RecommendationOverdue, RECOMMENDATIONS_BY_OUTCOME["overdue"], lambda e: e.issued_on)
# "received" itself is voter_opinions_raised, from meeting.held
_counts_one(OpinionReceived, VOTER_OPINIONS_PENDING, lambda e: e.raised_on)
_counts_one(OpinionForwarded, OPINIONS_BY_STAGE["forwarded"], lambda e: e.raised_on)
_counts_one(OpinionAnswered, OPINIONS_BY_STAGE["answered"], lambda e: e.raised_on)


@folds(PetitionReceived)
def petition_received(decoded: Decoded[PetitionReceived]) -> list[Contribution]:
    by_mail = int(decoded.payload.channel == "mail")  # receptions count theirs in meeting.held
    return _on(
        decoded,
        decoded.payload.received_on,
        counts(
            (PETITIONS_RECEIVED, by_mail),
            (PETITIONS_RECEIVED_BY_MAIL, by_mail),
            (PETITIONS_PENDING, 1),
        ),
    )


_counts_one(PetitionTransferred, PETITIONS_BY_STAGE["transferred"], lambda e: e.received_on)


# -- items to resolve (settle), and following a corrected voter contact or citizen reception --


@dataclass(frozen=True, slots=True)
class _Followed(Generic[Stage]):
    """What an item counts on its day as it goes through its `stages`: `pending` until the
    last, the figure of each later stage it `reached`, and the `days` it took."""

    stages: tuple[Stage, ...]
    reached: Mapping[Stage, Figure]
    pending: Figure
    days: Figure

    def counted(self, stage: Stage, days: int | None) -> dict[str, int]:
        """What the item at `stage` counts on its day, all its follow-ups included."""
        at = self.stages.index(stage)
        later = {self.reached[s].key: int(at >= n) for n, s in enumerate(self.stages[1:], 1)}
        return {self.pending.key: int(at < len(self.stages) - 1), **later, self.days.key: days or 0}

    def closed(self, days: int) -> dict[str, int]:
        """What reaching the last stage (resolved, settled) after `days` adds on its day."""
        last = self.reached[self.stages[-1]]
        return {last.key: 1, self.days.key: days, self.pending.key: -1}


_OPINION = _Followed(
    OPINION_STAGES, OPINIONS_BY_STAGE, VOTER_OPINIONS_PENDING, OPINION_DAYS_TO_RESOLVE
)
# A petition taken at a reception: its reception counts it as received in meeting.held.
_PETITION = _Followed(
    PETITION_STAGES, PETITIONS_BY_STAGE, PETITIONS_PENDING, PETITION_DAYS_TO_SETTLE
)


ItemDay = tuple[date, int | None]  # an item's day, and the days its resolution took from it


def _follows(
    followed: _Followed[Any],
    closed: type[BaseModel],
    withdrawn: type[BaseModel],
    moved: type[BaseModel],
    day_field: str,
    days_field: str,
) -> None:
    """Register the folds of an item reaching its last stage (`closed`), and of an item whose
    record was corrected: withdrawn, it takes back on its day (`now`) all it counted; moved, it
    takes that back on its previous day (`was`) and counts it on its new one. The fields name
    the payload's item day and the days its resolution took; a moved item's previous ones are
    the same names after `previous_`, as the contracts spell them."""

    def now(e: Any) -> ItemDay:
        return getattr(e, day_field), getattr(e, days_field)

    def was(e: Any) -> ItemDay:
        return getattr(e, f"previous_{day_field}"), getattr(e, f"previous_{days_field}")

    def counted(decoded: Decoded[Any], day: ItemDay, sign: int) -> list[Contribution]:
        figures = followed.counted(decoded.payload.stage, day[1])
        return _on(decoded, day[0], {key: sign * n for key, n in figures.items()})

    def close(decoded: Decoded[Any]) -> list[Contribution]:
        day, days = now(decoded.payload)
        return _on(decoded, day, followed.closed(days or 0))

    folds(closed)(close)
    folds(withdrawn)(lambda d: counted(d, now(d.payload), -1))
    folds(moved)(lambda d: [*counted(d, was(d.payload), -1), *counted(d, now(d.payload), 1)])


_follows(_OPINION, OpinionResolved, OpinionWithdrawn, OpinionMoved, "raised_on", "days_to_resolve")
_follows(
    _PETITION, PetitionSettled, PetitionWithdrawn, PetitionMoved, "received_on", "days_to_settle"
)
