"""Coordination rules, pure: deadlines, what may be filed, raised and answered, and the folds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from contracts import Decoded, Envelope, Source
from contracts.coordination import (
    CouncilDelegatesDeclared,
    ProposalRaised,
    ReportObligation,
    TaskStatus,
    TaskStatusChanged,
)
from services.common.errors import DomainError
from services.common.hierarchy import Hierarchy
from services.reporting.coordination import domain
from services.reporting.coordination.extra import members, stock_day
from services.reporting.read.figures import LABELS, RATES, contributions_of, rates_of
from services.reporting.read.periods import parse_period

PROVINCE, DISTRICT, COMMUNE = "12", "106", "03390"  # Lai Châu › Tam Đường › TT Tam Đường
TODAY = date(2025, 11, 20)


@pytest.fixture(scope="module")
def ctx() -> domain.Context:
    return domain.Context(Hierarchy.load(), [], TODAY)


@pytest.mark.parametrize(
    ("level", "period", "due"),
    [
        ("commune", "2024-H1", date(2024, 7, 5)),
        ("district", "2024-H1", date(2024, 7, 10)),
        ("province", "2024-H1", date(2024, 7, 15)),
        ("commune", "2024-9M", date(2024, 10, 5)),
        ("province", "2024", date(2025, 1, 15)),
        ("district", "2021-2026", date(2026, 4, 10)),
    ],
)
def test_lower_levels_file_first_in_the_month_after_the_period(
    level: Any, period: str, due: date
) -> None:
    assert domain.due_on(level, parse_period(period)) == due


def test_which_reports_fall_due_in_which_month() -> None:
    def keys(month: str) -> list[str]:
        return [p.key for p in domain.obligations_due_in(month)]

    assert keys("2025-01") == ["2024"]
    assert keys("2025-07") == ["2025-H1"]
    assert keys("2025-10") == ["2025-9M"]
    assert keys("2025-05") == []
    assert keys("2026-04") == ["2021-2026"]  # the term ended in March 2026


@pytest.mark.parametrize(
    ("period", "obligation"),
    [
        ("2024-H1", ReportObligation.FIRST_HALF),
        ("2024-9M", ReportObligation.NINE_MONTHS),
        ("2024", ReportObligation.YEAR),
        ("2021-2026", ReportObligation.TERM),
    ],
)
def test_a_filed_report_carries_its_obligation_and_deadline(
    ctx: domain.Context, period: str, obligation: ReportObligation
) -> None:
    filed_on = date(2025, 5, 2)
    if period == "2021-2026":
        ctx = domain.Context(ctx.hierarchy, [], date(2026, 5, 1))
        filed_on = date(2026, 3, 20)
    draft = domain.file_report(
        ctx, domain.FileReport(unit=PROVINCE, report_id="r1", period=period, filed_on=filed_on)
    )
    payload = draft.payload.model_dump(mode="json")
    assert payload["obligation"] == obligation
    assert payload["due_on"] == domain.due_on("province", parse_period(period)).isoformat()


@pytest.mark.parametrize(
    ("unit", "period", "filed_on", "field"),
    [
        (PROVINCE, "2025-9M", date(2025, 8, 31), "body.period"),  # its last month not begun
        (PROVINCE, "2026", date(2025, 11, 1), "body.period"),  # a future period
        (COMMUNE, "2025-H1", date(2025, 12, 1), "body.filed_on"),  # filed in the future
        (PROVINCE, "2025-Q1", date(2025, 5, 1), "body.period"),  # not a periodic report
        (DISTRICT, "2025-H1", date(2025, 6, 10), "body.period"),  # gone when it falls due
    ],
)
def test_reports_for_future_periods_are_refused_naming_the_field(
    ctx: domain.Context, unit: str, period: str, filed_on: date, field: str
) -> None:
    command = domain.FileReport(unit=unit, report_id="r", period=period, filed_on=filed_on)
    with pytest.raises(DomainError) as refused:
        domain.file_report(ctx, command)
    assert refused.value.field == field


def test_a_proposal_goes_to_a_unit_above_and_is_answered_by_it(ctx: domain.Context) -> None:
    raised = ProposalRaised(
        proposal_id="p1",
        to_unit=DISTRICT,
        kind="recommendation",
        title="Kiến nghị",
        raised_on=date(2025, 3, 10),
    )
    draft = domain.raise_proposal(ctx, COMMUNE, raised)
    assert draft.unit == COMMUNE
    domain.raise_proposal(ctx, COMMUNE, raised.model_copy(update={"to_unit": PROVINCE}))
    for not_above in ("03391", COMMUNE, "105"):
        with pytest.raises(DomainError) as refused:
            domain.raise_proposal(ctx, COMMUNE, raised.model_copy(update={"to_unit": not_above}))
        assert refused.value.field == "body.to_unit"

    stored = {
        "_id": f"{COMMUNE}:p1",
        "proposal_id": "p1",
        "raised_by": COMMUNE,
        "to_unit": DISTRICT,
        "raised_on": "2025-03-10",
    }
    answer = domain.answer_proposal(ctx, DISTRICT, stored, date(2025, 3, 20), "Đã tiếp thu")
    assert answer.unit == DISTRICT
    with pytest.raises(DomainError) as wrong_unit:
        domain.answer_proposal(ctx, PROVINCE, stored, date(2025, 3, 20), "Đã tiếp thu")
    assert wrong_unit.value.field == "path.unit"
    with pytest.raises(DomainError) as too_early:
        domain.answer_proposal(ctx, DISTRICT, stored, date(2025, 3, 9), "Đã tiếp thu")
    assert too_early.value.field == "body.answered_on"


def test_a_declaration_must_fall_within_its_term(ctx: domain.Context) -> None:
    declared = CouncilDelegatesDeclared(
        term="2021-2026", as_of=date(2021, 3, 1), seats=25, delegates_trained=3
    )
    with pytest.raises(DomainError) as refused:
        domain.declare_delegates(ctx, COMMUNE, declared)
    assert refused.value.field == "body.as_of"
    with pytest.raises(ValueError, match="more than"):
        CouncilDelegatesDeclared(term="2021-2026", as_of=TODAY, seats=5, delegates_trained=6)


def _decoded(payload: Any, unit: str) -> Decoded[Any]:
    envelope = Envelope(
        event_id=uuid4(),
        type=payload.TYPE,
        version=payload.VERSION,
        unit=unit,
        occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2025, 1, 1, tzinfo=UTC),
        source=Source(service="reporting", instance="t"),
        sequence=1,
        payload=payload.model_dump(mode="json"),
    )
    return Decoded(envelope, payload)


def test_a_task_undone_takes_back_its_figure_in_the_period_it_is_for() -> None:
    change = TaskStatusChanged(
        task_id="t1",
        period="2024-Q4",
        previous_status=TaskStatus.DONE,
        status=TaskStatus.IN_PROGRESS,
        changed_on=date(2024, 12, 20),
    )
    (c,) = contributions_of(_decoded(change, DISTRICT))
    assert (c.day, c.figures) == (date(2024, 10, 1), Counter({"tasks_done": -1}))


def test_filed_reports_count_on_their_due_date(ctx: domain.Context) -> None:
    late = domain.file_report(
        ctx,
        domain.FileReport(unit=COMMUNE, report_id="r", period="2024-H1", filed_on=date(2024, 7, 6)),
    )
    (c,) = contributions_of(_decoded(late.payload, COMMUNE))
    assert (c.day, c.figures) == (date(2024, 7, 5), Counter({"reports_late": 1}))


def test_every_figure_and_rate_has_a_vietnamese_label() -> None:
    for key in ("council_seats", "delegates_trained", "reports_missing", "proposals_answered"):
        assert key in LABELS
    assert {"training_coverage", "reports_on_time_rate", "proposals_answered_rate"} <= set(RATES)
    rates = rates_of(Counter({"delegates_trained": 50, "council_seats": 60, "reports_due": 0}))
    assert rates["training_coverage"] == 83.3
    assert rates["reports_on_time_rate"] is None


def test_stocks_are_read_at_the_period_end_or_the_last_day_the_unit_existed() -> None:
    h = Hierarchy.load()
    district = h.unit(DISTRICT, "legacy")
    assert stock_day(h, district, parse_period("2025"), "as_it_was") == date(2025, 6, 30)
    assert stock_day(h, district, parse_period("2024"), "as_it_was") == date(2024, 12, 31)
    assert stock_day(h, district, parse_period("2026"), "as_it_was") is None
    legacy = {u.code for u in members(h, district, date(2024, 12, 31), "as_it_was")}
    assert DISTRICT in legacy and COMMUNE in legacy
    province = h.unit(PROVINCE, "2025")
    today = {u.code for u in members(h, province, date(2024, 12, 31), "as_today")}
    assert {PROVINCE, DISTRICT, COMMUNE} <= today
    # Its own council's: as today, the legacy province's and its district councils'.
    own = {u.code for u in members(h, province, date(2024, 12, 31), "as_today", whole=False)}
    assert PROVINCE in own and DISTRICT in own and COMMUNE not in own


def test_a_unit_of_one_era_counts_nothing_of_its_codes_other_era() -> None:
    """The 2025 commune 03390 (Xã Bình Lư) reuses the code of the legacy Thị trấn Tam Đường:
    as it was, neither counts the other's declarations or reports."""
    h = Hierarchy.load()
    legacy, new = h.unit(COMMUNE, "legacy"), h.unit(COMMUNE, "2025")
    assert members(h, new, date(2025, 1, 1), "as_it_was") == []
    assert members(h, legacy, date(2025, 7, 1), "as_it_was") == []
    assert [u.name for u in members(h, new, date(2025, 7, 1), "as_it_was")] == ["Xã Bình Lư"]
    assert stock_day(h, legacy, parse_period("2025-9M"), "as_it_was") == date(2025, 6, 30)
    assert stock_day(h, new, parse_period("2025-9M"), "as_it_was") == date(2025, 9, 30)
