"""The coordination trust rule, pure: which units and days a payload may name."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from contracts import coordination as c
from services.common.hierarchy import Hierarchy
from services.common.trust import lineage_of
from services.reporting.coordination import owners
from tests.forged import envelope_of

# Lai Châu (12) › Tam Đường (106) › 03390; 03391 is in Phong Thổ (109).
PROVINCE, DISTRICT, A, B = "12", "106", "03390", "03391"
DAY = date(2024, 3, 10)
LINEAGE = lineage_of(Hierarchy.load())


def refusal(payload: BaseModel, unit: str, day: date = DAY) -> str | None:
    try:
        owners.check(LINEAGE, Decoded(envelope_of(payload, unit, day, "test", 1), payload))
    except InvalidEvent as exc:
        return str(exc)
    return None


def raised(to_unit: str) -> c.ProposalRaised:
    return c.ProposalRaised(
        to_unit=to_unit, kind=c.ProposalKind.SUGGESTION, title="Đề xuất", raised_on=DAY
    )


def answered(raised_by: str = A) -> c.ProposalAnswered:
    return c.ProposalAnswered(
        proposal_id="kn-1", raised_by=raised_by, raised_on=DAY, answered_on=DAY, answer="Đã rõ"
    )


@pytest.mark.parametrize("to_unit", [DISTRICT, PROVINCE])
def test_a_proposal_goes_to_a_unit_above_the_one_raising_it(to_unit: str) -> None:
    assert refusal(raised(to_unit), A) is None


@pytest.mark.parametrize("to_unit", [A, B, "109", "11"])
def test_a_proposal_to_itself_a_sibling_another_district_or_province_is_refused(
    to_unit: str,
) -> None:
    assert f"unit {to_unit} is not above unit {A} on {DAY}" in (refusal(raised(to_unit), A) or "")


@pytest.mark.parametrize("unit", [DISTRICT, PROVINCE])
def test_an_answer_comes_from_a_unit_above_the_one_that_raised_it(unit: str) -> None:
    assert refusal(answered(), unit) is None
    assert owners.answerers(LINEAGE, DISTRICT, DAY) == [DISTRICT, PROVINCE]


@pytest.mark.parametrize("unit", [A, B, "109"])
def test_an_answer_from_the_raiser_a_sibling_or_another_district_is_refused(unit: str) -> None:
    assert f"unit {unit} may not answer proposal kn-1 of unit {A}" in (
        refusal(answered(), unit) or ""
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (c.CouncilStaffDeclared(as_of=DAY, full_time=1, part_time=1), "as_of"),
        (
            c.CouncilDelegatesDeclared(term="2021-2026", as_of=DAY, seats=5, delegates_trained=5),
            "as_of",
        ),
        (c.TaskSet(period="2024-Q2", title="Nhiệm vụ", set_on=DAY), "set_on"),
        (
            c.TaskStatusChanged(
                task_id="nv",
                period="2024-Q2",
                previous_status=c.TaskStatus.PLANNED,
                status=c.TaskStatus.DONE,
                changed_on=DAY,
            ),
            "changed_on",
        ),
        (raised(DISTRICT), "raised_on"),
        (answered(), "answered_on"),
    ],
)
def test_a_payload_day_other_than_the_envelopes_is_refused(payload: BaseModel, field: str) -> None:
    unit = DISTRICT if isinstance(payload, c.ProposalAnswered) else A
    assert refusal(payload, unit) is None
    later = date(2025, 8, 1)
    assert f"{field} {DAY} is not the day" in (refusal(payload, unit, later) or "")


def test_a_report_is_due_in_the_era_it_is_filed_in() -> None:
    def report(filed_on: date, due_on: date) -> c.ReportFiled:
        return c.ReportFiled(
            obligation=c.ReportObligation.FIRST_HALF,
            period=f"{due_on.year}-H1",
            due_on=due_on,
            filed_on=filed_on,
        )

    assert refusal(report(date(2024, 7, 1), date(2024, 7, 5)), A, date(2024, 7, 1)) is None
    crossing = report(date(2025, 6, 30), date(2025, 7, 5))
    assert "due on 2025-07-05 (2025 era) but filed on 2025-06-30 (legacy era)" in (
        refusal(crossing, A, date(2025, 6, 30)) or ""
    )
