"""Figures from the oversight context: supervisions, surveys and verifications."""

from __future__ import annotations

from collections import Counter

from contracts import Decoded
from contracts.oversight import SupervisionFinished
from services.reporting.figures.base import Contribution, Figures, folds

# Figures from oversight, in report order, with their Vietnamese labels.
LABELS: dict[str, str] = {
    "thematic_supervisions": "Cuộc giám sát chuyên đề",
    "thematic_supervisions_body_standing_committee": "Giám sát chuyên đề của Thường trực HĐND",
    "thematic_supervisions_body_committee": "Giám sát chuyên đề của các Ban HĐND",
    "thematic_supervisions_body_delegate_group": "Giám sát chuyên đề của Tổ đại biểu",
    "thematic_supervisions_field_investment_construction": "Giám sát chuyên đề về đầu tư, xây dựng",
    "thematic_supervisions_field_land": "Giám sát chuyên đề về đất đai",
    "thematic_supervisions_field_citizen_reception": "Giám sát chuyên đề về tiếp công dân",
    "thematic_supervisions_field_petitions": "Giám sát chuyên đề về giải quyết đơn thư",
    "thematic_supervisions_field_budget": "Giám sát chuyên đề về tài chính, ngân sách",
    "thematic_supervisions_field_social_policy": "Giám sát chuyên đề về chính sách xã hội",
    "thematic_supervisions_field_education_health": "Giám sát chuyên đề về giáo dục, y tế",
    "thematic_supervisions_field_other": "Giám sát chuyên đề lĩnh vực khác",
    "surveys": "Cuộc khảo sát",
    "surveys_body_standing_committee": "Khảo sát của Thường trực HĐND",
    "surveys_body_committee": "Khảo sát của các Ban HĐND",
    "surveys_body_delegate_group": "Khảo sát của Tổ đại biểu",
    "surveys_field_investment_construction": "Khảo sát về đầu tư, xây dựng",
    "surveys_field_land": "Khảo sát về đất đai",
    "surveys_field_citizen_reception": "Khảo sát về tiếp công dân",
    "surveys_field_petitions": "Khảo sát về giải quyết đơn thư",
    "surveys_field_budget": "Khảo sát về tài chính, ngân sách",
    "surveys_field_social_policy": "Khảo sát về chính sách xã hội",
    "surveys_field_education_health": "Khảo sát về giáo dục, y tế",
    "surveys_field_other": "Khảo sát lĩnh vực khác",
    "verifications": "Báo cáo, dự thảo nghị quyết được thẩm tra",
    "verifications_body_standing_committee": "Thẩm tra của Thường trực HĐND",
    "verifications_body_committee": "Thẩm tra của các Ban HĐND",
    "verifications_body_delegate_group": "Thẩm tra của Tổ đại biểu",
    "verifications_field_investment_construction": "Thẩm tra về đầu tư, xây dựng",
    "verifications_field_land": "Thẩm tra về đất đai",
    "verifications_field_citizen_reception": "Thẩm tra về tiếp công dân",
    "verifications_field_petitions": "Thẩm tra về giải quyết đơn thư",
    "verifications_field_budget": "Thẩm tra về tài chính, ngân sách",
    "verifications_field_social_policy": "Thẩm tra về chính sách xã hội",
    "verifications_field_education_health": "Thẩm tra về giáo dục, y tế",
    "verifications_field_other": "Thẩm tra lĩnh vực khác",
    "verifications_committee_legal": "Thẩm tra của Ban Pháp chế",
    "verifications_committee_economy_budget": "Thẩm tra của Ban Kinh tế – Ngân sách",
    "verifications_committee_economy_society": "Thẩm tra của Ban Kinh tế – Xã hội",
    "verifications_committee_culture_society": "Thẩm tra của Ban Văn hóa – Xã hội",
    "verifications_committee_ethnic": "Thẩm tra của Ban Dân tộc",
    "verifications_committee_urban": "Thẩm tra của Ban Đô thị",
    "recommendations_issued": "Kiến nghị sau giám sát, khảo sát, thẩm tra",
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
