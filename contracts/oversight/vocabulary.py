"""What every oversight event names: bounded texts and counts, the activities, bodies,
committees and fields of oversight, and the kinds of petition (which meetings name too)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from contracts.ids import ID_PATTERN
from contracts.rules import Count as Count
from contracts.rules import ItemText
from contracts.rules import Text as Text

LongText = ItemText  # one item's text: findings, an answer, a recommendation

ItemId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Stable id of a tracked item (recommendation, opinion, petition).",
    ),
]
Agency = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        examples=["UBND huyện Tam Đường"],
        description="Cơ quan: the agency addressed (by name, as written in the documents).",
    ),
]
Days = Annotated[int, Field(ge=0, le=100_000)]


class Activity(StrEnum):
    """Which oversight activity was carried out."""

    THEMATIC_SUPERVISION = "thematic_supervision"  # giám sát chuyên đề
    SURVEY = "survey"  # khảo sát
    VERIFICATION = "verification"  # thẩm tra báo cáo, dự thảo nghị quyết trước kỳ họp


class Body(StrEnum):
    """Which body of the council carried it out."""

    STANDING_COMMITTEE = "standing_committee"  # Thường trực HĐND
    COMMITTEE = "committee"  # một Ban của HĐND
    DELEGATE_GROUP = "delegate_group"  # Tổ đại biểu HĐND


class Committee(StrEnum):
    """Ban của HĐND; which ones a council has depends on its level and its province."""

    LEGAL = "legal"  # Ban Pháp chế
    ECONOMY_BUDGET = "economy_budget"  # Ban Kinh tế – Ngân sách (province)
    ECONOMY_SOCIETY = "economy_society"  # Ban Kinh tế – Xã hội (district, commune)
    CULTURE_SOCIETY = "culture_society"  # Ban Văn hóa – Xã hội
    ETHNIC = "ethnic"  # Ban Dân tộc
    URBAN = "urban"  # Ban Đô thị


class OversightField(StrEnum):
    """The field (lĩnh vực) supervised, surveyed or verified."""

    INVESTMENT_CONSTRUCTION = "investment_construction"  # đầu tư, xây dựng
    LAND = "land"  # đất đai
    CITIZEN_RECEPTION = "citizen_reception"  # tiếp công dân
    PETITIONS = "petitions"  # giải quyết đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh
    BUDGET = "budget"  # tài chính, ngân sách
    SOCIAL_POLICY = "social_policy"  # chính sách xã hội, an sinh xã hội
    EDUCATION_HEALTH = "education_health"  # giáo dục, y tế
    OTHER = "other"  # lĩnh vực khác


class PetitionType(StrEnum):
    """Loại đơn thư."""

    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo
    RECOMMENDATION = "recommendation"  # kiến nghị
    REFLECTION = "reflection"  # phản ánh


def days_iff(stage: str, final: str, days: int | None, name: str) -> None:
    """A withdrawn or moved item gives its days to close exactly when it had been closed."""
    if (stage == final) != (days is not None):
        raise ValueError(f"{name} is given exactly when stage is {final}")
