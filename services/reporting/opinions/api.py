"""HTTP route of similar opinions, part of the reporting service.

    GET /units/{unit}/opinions/similar?text=…&limit=5   opinions like `text` already recorded

The caller must be able to read `unit` (today). The opinions shown are those of `unit`, of the
units beside it and of its parent (similar.nearby), in the current term, and the units beside
it are outside a commune secretary's scope: of an opinion of a unit the caller may not read,
the answer gives what voters said in public at a voter contact and where it stands (text,
field, unit, day raised, status) and not which voter contact it came from; of none does it
give who recorded it, the agency it was sent to or the agency's answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from fastapi import HTTPException, Query, Request
from pydantic import BaseModel, Field

from contracts.ids import ID_MAX_LENGTH, ID_PATTERN
from contracts.meetings import ItemText
from contracts.oversight import OpinionStage
from services.common.activity import Responses, Unit, guarded_router
from services.common.auth import CallerDep
from services.common.hierarchy import Hierarchy, era_of
from services.reporting.opinions.matcher import MAX_SUGGESTIONS, SUGGEST_THRESHOLD
from services.reporting.opinions.similar import NotBuilt, SimilarOpinions, term_start

router = guarded_router("opinions")

TextQuery = Annotated[
    ItemText,
    Query(description="The opinion as typed so far; fewer than three meaningful syllables find"
          " nothing"),
]  # fmt: skip
LimitQuery = Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS, description="At most this many")]
ExcludeQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=ID_PATTERN,
        description="The id of the unit's opinion being edited, left out of the answer",
    ),
]


class UnitRef(BaseModel):
    code: str
    name: str


class VoterContactRef(BaseModel):
    meeting_id: str = Field(description="The voter contact (tiếp xúc cử tri) that raised it")


class SimilarOpinion(BaseModel):
    opinion_id: str = Field(description="Its id in its unit")
    unit: UnitRef
    raised_on: date
    status: OpinionStage = Field(description="How far it has come (đã tiếp nhận … đã giải quyết)")
    field: str = Field(description="Lĩnh vực")
    score: float = Field(description="0–100, 100 for the same words")
    text: str
    voter_contact: VoterContactRef | None = Field(
        description="Only for an opinion of a unit the caller may read"
    )


class SimilarAnswer(BaseModel):
    unit: str
    since: date = Field(description="The first day of the current term: nothing older is shown")
    threshold: float
    opinions: list[SimilarOpinion] = Field(description="Best first, then the most recent")


NOT_BUILT: Responses = {503: {"description": "The index is being built (the service just started)"}}


@router.get(
    "/units/{unit}/opinions/similar",
    summary="Opinions like a text already recorded in the unit, beside it and above it",
    responses={404: {"description": "No such unit today"}, **NOT_BUILT},
)
async def similar_opinions(
    unit: Unit,
    text: TextQuery,
    caller: CallerDep,
    request: Request,
    limit: LimitQuery = MAX_SUGGESTIONS,
    exclude: ExcludeQuery = None,
) -> SimilarAnswer:
    similar: SimilarOpinions = request.app.state.reporting.similar
    today = similar.today()
    caller.may_read_on(unit, today)
    try:
        found = similar.suggest(unit, text, limit, exclude)
    except NotBuilt as exc:
        detail = [{"loc": ["query", "text"], "msg": str(exc), "type": "not_ready"}]
        raise HTTPException(503, detail, headers={"Retry-After": "5"}) from exc
    hierarchy = similar.hierarchy
    opinions = []
    for f in found:
        o = f.suggestion.opinion
        readable = caller.sees(o.unit, o.day)
        opinions.append(
            SimilarOpinion(
                opinion_id=f.ref.opinion_id,
                unit=UnitRef(code=o.unit, name=unit_name(hierarchy, o.unit, o.day)),
                raised_on=o.day,
                status=cast(OpinionStage, o.status),
                field=o.field,
                score=f.suggestion.score,
                text=o.text,
                voter_contact=VoterContactRef(meeting_id=f.ref.meeting_id) if readable else None,
            )
        )
    return SimilarAnswer(
        unit=unit, since=term_start(today), threshold=SUGGEST_THRESHOLD, opinions=opinions
    )


def unit_name(hierarchy: Hierarchy, code: str, day: date) -> str:
    """The name of the unit an opinion was raised in (on its day; a unit ended since by a
    change, as it was last)."""
    found = hierarchy.find(code, day) or hierarchy.find(code, era_of(day))
    return found.name if found is not None else code
