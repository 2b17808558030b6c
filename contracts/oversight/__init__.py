"""Oversight events (bounded context `oversight`, topic `hdnd.oversight`).

Three lifecycles, each step an event type (one model per type, each with its version):

- Supervisions, surveys and verifications (giám sát chuyên đề / khảo sát / thẩm tra):
  `supervision.planned` → `supervision.started` → `supervision.finished`; a finished one
  issues its recommendations (kiến nghị) as items, `recommendation.issued`, each followed up
  as `recommendation.implemented`, or `recommendation.overdue` once its deadline passed
  without implementation (recorded by the service's sweep when it notices).
- Voter opinions (ý kiến, kiến nghị của cử tri), opened from the voter contacts published on
  the meetings topic: `opinion.received` → `opinion.forwarded` → `opinion.answered` →
  `opinion.resolved`.
- Petitions (đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh), opened from citizen receptions
  or registered when received by mail: `petition.received` → `petition.transferred` →
  `petition.settled`.

When the record of the voter contact (citizen reception) is corrected (`meeting.corrected`),
its items follow, at whatever stage they are: one the corrected record no longer lists is
`opinion.withdrawn` (`petition.withdrawn`), one whose meeting moved to another day is
`opinion.moved` (`petition.moved`). Both say how far the item had come, so reporting takes
back (and, for a move, adds again on the new day) exactly what the item counted.

Every follow-up carries the day its item was raised (issued, received), so reporting can
count it in the item's cohort without state of its own; its envelope's `occurred_at` is that
day too (the day it counts on, on which its unit surely existed), and the step's own day is
in the payload.

Modules: `vocabulary` (what every event names), `supervisions` (with their recommendations),
`opinions` and `petitions`; every name is imported from here (`contracts.oversight`).
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

from contracts.oversight.opinions import (
    OPINION_STAGES,
    OpinionAnswered,
    OpinionForwarded,
    OpinionMoved,
    OpinionReceived,
    OpinionResolved,
    OpinionStage,
    OpinionWithdrawn,
)
from contracts.oversight.petitions import (
    PETITION_STAGES,
    PetitionMoved,
    PetitionReceived,
    PetitionSettled,
    PetitionStage,
    PetitionTransferred,
    PetitionWithdrawn,
)
from contracts.oversight.supervisions import (
    MAX_UNITS,
    Recommendation,
    RecommendationImplemented,
    RecommendationIssued,
    RecommendationOverdue,
    SupervisionFinished,
    SupervisionFinishedV1,
    SupervisionPlanned,
    SupervisionStarted,
    recommendations_renamed,
)
from contracts.oversight.vocabulary import (
    Activity,
    Agency,
    Body,
    Committee,
    Count,
    Days,
    ItemId,
    LongText,
    OversightField,
    PetitionType,
    Text,
)

TOPIC: Final = "oversight"  # the `Topics` property its events travel on

# Every current event type of the context, in lifecycle order (the registry registers them).
EVENTS: tuple[type[BaseModel], ...] = (
    SupervisionPlanned,
    SupervisionStarted,
    SupervisionFinished,
    RecommendationIssued,
    RecommendationImplemented,
    RecommendationOverdue,
    OpinionReceived,
    OpinionForwarded,
    OpinionAnswered,
    OpinionResolved,
    OpinionWithdrawn,
    OpinionMoved,
    PetitionReceived,
    PetitionTransferred,
    PetitionSettled,
    PetitionWithdrawn,
    PetitionMoved,
)

__all__ = [
    "EVENTS",
    "MAX_UNITS",
    "OPINION_STAGES",
    "PETITION_STAGES",
    "TOPIC",
    "Activity",
    "Agency",
    "Body",
    "Committee",
    "Count",
    "Days",
    "ItemId",
    "LongText",
    "OpinionAnswered",
    "OpinionForwarded",
    "OpinionMoved",
    "OpinionReceived",
    "OpinionResolved",
    "OpinionStage",
    "OpinionWithdrawn",
    "OversightField",
    "PetitionMoved",
    "PetitionReceived",
    "PetitionSettled",
    "PetitionStage",
    "PetitionTransferred",
    "PetitionType",
    "PetitionWithdrawn",
    "Recommendation",
    "RecommendationImplemented",
    "RecommendationIssued",
    "RecommendationOverdue",
    "SupervisionFinished",
    "SupervisionFinishedV1",
    "SupervisionPlanned",
    "SupervisionStarted",
    "Text",
    "recommendations_renamed",
]
