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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts import Decoded
from contracts.oversight import (
    OPINION_STAGES,
    PETITION_STAGES,
    Activity,
    Body,
    OpinionAnswered,
    OpinionForwarded,
    OpinionMoved,
    OpinionReceived,
    OpinionResolved,
    OpinionWithdrawn,
    OversightField,
    PetitionMoved,
    PetitionReceived,
    PetitionSettled,
    PetitionTransferred,
    PetitionWithdrawn,
    RecommendationImplemented,
    RecommendationIssued,
    RecommendationOverdue,
    SupervisionFinished,
    SupervisionPlanned,
    SupervisionStarted,
)
from services.reporting.figures.base import (
    COMMITTEES,
    FIELDS,
    Contribution,
    Figures,
    Rate,
    about_field,
    folds,
)

Item = TypeVar("Item", bound=BaseModel)

_ACTIVITY = {
    Activity.THEMATIC_SUPERVISION: "Giám sát chuyên đề",
    Activity.SURVEY: "Khảo sát",
    Activity.VERIFICATION: "Thẩm tra",
}
_COUNTED = {  # what the total of each activity counts
    Activity.THEMATIC_SUPERVISION: "Cuộc giám sát chuyên đề",
    Activity.SURVEY: "Cuộc khảo sát",
    Activity.VERIFICATION: "Báo cáo, dự thảo nghị quyết được thẩm tra",
}
_STAGE = {"planned": "theo kế hoạch", "started": "đã triển khai"}
_BODY = {
    Body.STANDING_COMMITTEE: "của Thường trực HĐND",
    Body.COMMITTEE: "của các Ban HĐND",
    Body.DELEGATE_GROUP: "của Tổ đại biểu",
}
# These labels have always named the other field without "về": "Khảo sát lĩnh vực khác".
_FIELD = {f: about_field(f) for f in FIELDS} | {OversightField.OTHER: FIELDS[OversightField.OTHER]}


def _by_body_and_field(key: str, name: str) -> dict[str, str]:
    """The labels of `key` split by body and by field: "surveys_field_land" …"""
    return {f"{key}_body_{b}": f"{name} {w}" for b, w in _BODY.items()} | {
        f"{key}_field_{f}": f"{name} {w}" for f, w in _FIELD.items()
    }


# Figures from oversight, in report order, with their Vietnamese labels.
LABELS: dict[str, str] = {}
for _activity, _name in _ACTIVITY.items():
    LABELS[f"{_activity}s"] = _COUNTED[_activity]
    LABELS.update(_by_body_and_field(f"{_activity}s", _name))
LABELS.update({f"verifications_committee_{c}": f"Thẩm tra của {n}" for c, n in COMMITTEES.items()})
LABELS["recommendations_issued"] = "Kiến nghị sau giám sát, khảo sát, thẩm tra"
# Planned and started, by activity, body and field: "surveys_started_field_land" …
for _activity, _name in _ACTIVITY.items():
    for _stage, _when in _STAGE.items():
        LABELS[f"{_activity}s_{_stage}"] = f"{_name} {_when}"
        LABELS.update(_by_body_and_field(f"{_activity}s_{_stage}", f"{_name} {_when}"))
LABELS.update(
    {
        "recommendations_implemented": "Kiến nghị sau giám sát đã được thực hiện",
        "recommendations_implemented_late": "Kiến nghị được thực hiện sau khi quá hạn",
        "recommendations_overdue": "Kiến nghị quá hạn chưa được thực hiện",
        "opinions_forwarded": "Ý kiến, kiến nghị của cử tri đã chuyển cơ quan có thẩm quyền",
        "opinions_answered": "Ý kiến, kiến nghị của cử tri đã được trả lời",
        "opinions_resolved": "Ý kiến, kiến nghị của cử tri đã được giải quyết",
        "voter_opinions_pending": "Ý kiến, kiến nghị của cử tri đang chờ giải quyết",
        "opinion_days_to_resolve": "Tổng số ngày giải quyết ý kiến, kiến nghị của cử tri",
        "petitions_received_by_mail": "Đơn thư nhận qua đường bưu chính",
        "petitions_transferred": "Đơn thư đã chuyển cơ quan có thẩm quyền",
        "petitions_settled": "Đơn thư đã được giải quyết",
        "petitions_pending": "Đơn thư đang chờ giải quyết",
        "petition_days_to_settle": "Tổng số ngày giải quyết đơn thư",
    }
)

RATES: dict[str, Rate] = {
    "opinion_resolution_rate": Rate(
        "opinions_resolved",
        "voter_opinions_raised",
        "Tỷ lệ ý kiến, kiến nghị của cử tri đã được giải quyết (%)",
    ),
    "opinion_mean_days_to_resolve": Rate(
        "opinion_days_to_resolve",
        "opinions_resolved",
        "Số ngày bình quân giải quyết một ý kiến, kiến nghị của cử tri",
        scale=1,
    ),
    "recommendation_implementation_rate": Rate(
        "recommendations_implemented",
        "recommendations_issued",
        "Tỷ lệ kiến nghị sau giám sát đã được thực hiện (%)",
    ),
    "petition_settlement_rate": Rate(
        "petitions_settled", "petitions_received", "Tỷ lệ đơn thư đã được giải quyết (%)"
    ),
    "petition_mean_days_to_settle": Rate(
        "petition_days_to_settle",
        "petitions_settled",
        "Số ngày bình quân giải quyết một đơn thư",
        scale=1,
    ),
}


def supervision_figures(unit: str, event: SupervisionFinished) -> list[tuple[str, Figures]]:
    """What one finished supervision, survey or verification adds to its council's unit.

    Counted by activity, by the body that carried it out and by field; verifications also by
    the Ban that verified. The supervised units get nothing: the figures are the council's work.
    """
    kind = f"{event.activity}s"  # thematic_supervisions | surveys | verifications
    f: Figures = Counter(
        {
            kind: 1,
            f"{kind}_body_{event.body}": 1,
            f"{kind}_field_{event.field}": 1,
            "recommendations_issued": event.recommendations,  # the figure keeps its name
        }
    )
    if event.activity == "verification" and event.committee is not None:
        f[f"verifications_committee_{event.committee}"] += 1
    return [(unit, f)]


@folds(SupervisionFinished)
def supervision_finished(decoded: Decoded[SupervisionFinished]) -> list[Contribution]:
    day = decoded.envelope.business_day
    return [
        Contribution(u, day, f)
        for u, f in supervision_figures(decoded.envelope.unit, decoded.payload)
    ]


def _step(
    decoded: Decoded[SupervisionPlanned] | Decoded[SupervisionStarted], stage: str
) -> list[Contribution]:
    """A supervision planned or started: by activity, body and field, on the step's day."""
    event = decoded.payload
    key = f"{event.activity}s_{stage}"
    figures = Counter({key: 1, f"{key}_body_{event.body}": 1, f"{key}_field_{event.field}": 1})
    return [Contribution(decoded.envelope.unit, decoded.envelope.business_day, figures)]


def _on(decoded: Decoded[Any], day: date, **figures: int) -> list[Contribution]:
    """Figures for the event's unit on `day` (the item's day, see the module's rule)."""
    counted = Counter({key: n for key, n in figures.items() if n})
    return [Contribution(decoded.envelope.unit, day, counted)]


def _counts_one(model: type[Item], figure: str, day: Callable[[Item], date]) -> None:
    """Register the fold of an event that counts `figure` once, on its item's `day`."""

    def fold(decoded: Decoded[Item]) -> list[Contribution]:
        return _on(decoded, day(decoded.payload), **{figure: 1})

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
        recommendations_implemented=1,
        recommendations_implemented_late=int(p.implemented_on > p.deadline),
        recommendations_overdue=-int(p.was_overdue),
    )


_counts_one(RecommendationOverdue, "recommendations_overdue", lambda e: e.issued_on)
# "received" itself is voter_opinions_raised, from meeting.held
_counts_one(OpinionReceived, "voter_opinions_pending", lambda e: e.raised_on)
_counts_one(OpinionForwarded, "opinions_forwarded", lambda e: e.raised_on)
_counts_one(OpinionAnswered, "opinions_answered", lambda e: e.raised_on)


@folds(PetitionReceived)
def petition_received(decoded: Decoded[PetitionReceived]) -> list[Contribution]:
    by_mail = int(decoded.payload.channel == "mail")  # receptions count theirs in meeting.held
    return _on(
        decoded,
        decoded.payload.received_on,
        petitions_received=by_mail,
        petitions_received_by_mail=by_mail,
        petitions_pending=1,
    )


_counts_one(PetitionTransferred, "petitions_transferred", lambda e: e.received_on)


# -- items to resolve (settle), and following a corrected voter contact or citizen reception --


@dataclass(frozen=True, slots=True)
class _Followed:
    """What an item counts on its day as it goes through its `stages`: pending until the
    last, each later stage it reached as `<figures>_<stage>`, and the days it took."""

    stages: tuple[str, ...]
    figures: str
    pending: str
    days: str

    def counted(self, stage: str, days: int | None) -> dict[str, int]:
        """What the item at `stage` counts on its day, all its follow-ups included."""
        reached = self.stages.index(stage)
        later = {f"{self.figures}_{s}": int(reached >= n) for n, s in enumerate(self.stages[1:], 1)}
        return {self.pending: int(reached < len(self.stages) - 1), **later, self.days: days or 0}

    def closed(self, days: int) -> dict[str, int]:
        """What reaching the last stage (resolved, settled) after `days` adds on its day."""
        return {f"{self.figures}_{self.stages[-1]}": 1, self.days: days, self.pending: -1}


_OPINION = _Followed(
    OPINION_STAGES,
    "opinions",
    "voter_opinions_pending",
    "opinion_days_to_resolve",
)
# A petition taken at a reception: its reception counts it as received in meeting.held.
_PETITION = _Followed(
    PETITION_STAGES,
    "petitions",
    "petitions_pending",
    "petition_days_to_settle",
)


ItemDay = tuple[date, int | None]  # an item's day, and the days its resolution took from it


def _follows(
    followed: _Followed,
    closed: type[BaseModel],
    withdrawn: type[BaseModel],
    moved: type[BaseModel],
    now: Callable[[Any], ItemDay],
    was: Callable[[Any], ItemDay],
) -> None:
    """Register the folds of an item reaching its last stage (`closed`), and of an item whose
    record was corrected: withdrawn, it takes back on its day (`now`) all it counted; moved, it
    takes that back on its previous day (`was`) and counts it on its new one."""

    def counted(decoded: Decoded[Any], day: ItemDay, sign: int) -> list[Contribution]:
        figures = followed.counted(decoded.payload.stage, day[1])
        return _on(decoded, day[0], **{key: sign * n for key, n in figures.items()})

    def close(decoded: Decoded[Any]) -> list[Contribution]:
        day, days = now(decoded.payload)
        return _on(decoded, day, **followed.closed(days or 0))

    folds(closed)(close)
    folds(withdrawn)(lambda d: counted(d, now(d.payload), -1))
    folds(moved)(lambda d: [*counted(d, was(d.payload), -1), *counted(d, now(d.payload), 1)])


_follows(
    _OPINION,
    OpinionResolved,
    OpinionWithdrawn,
    OpinionMoved,
    lambda e: (e.raised_on, e.days_to_resolve),
    lambda e: (e.previous_raised_on, e.previous_days_to_resolve),
)
_follows(
    _PETITION,
    PetitionSettled,
    PetitionWithdrawn,
    PetitionMoved,
    lambda e: (e.received_on, e.days_to_settle),
    lambda e: (e.previous_received_on, e.previous_days_to_settle),
)
