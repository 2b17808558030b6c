"""Tried as a compromised instance would: coordination records signed with the real keys of
the units it served, published straight to the reporting topic, may only create or change
documents (and figures) of units their signer may sign for; a proposal is known by the unit
that raised it and its id, and only the unit addressed or one above it answers it."""

from __future__ import annotations

import shutil
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.coordination import (
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalKind,
    ProposalRaised,
    TaskStatus,
    TaskStatusChanged,
)
from contracts.keys import generate_keys
from deploy.projections import rebuild
from services.common.settings import Settings
from tests.builders import first_half_report
from tests.conftest import Running, eventually
from tests.forged import Compromised
from tests.integration.test_coordination_flow import post, reporting, summary
from tests.integration.test_schema_evolution import publish_raw
from tests.integration.test_signatures import dead_letter_reasons

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (A, 03390); Xã Lản Nhì
# Thàng (B, 03391) is in Huyện Phong Thổ (109). All legacy; from 2025-07-01 03390 is Xã Bình Lư.
PROVINCE, DISTRICT, A, B = "12", "106", "03390", "03391"
RAISED_ON = date(2024, 3, 10)
LEGACY = {"era": "legacy"}


async def started(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> tuple[Running, Settings, Path]:
    """A reporting instance for every unit that knows the public keys of the session's
    provinces, both communes and the district (whose own instances hold the private ones)."""
    assert settings.keys_dir is not None
    keys = tmp_path / "keys"
    shutil.copytree(settings.keys_dir, keys)
    generate_keys(keys, [A, B, DISTRICT])
    settings = settings.model_copy(update={"keys_dir": keys})
    return await reporting(stack, settings), settings, keys


async def publish(settings: Settings, records: list[tuple[str, bytes]]) -> None:
    await publish_raw(settings, settings.topics.reporting, records)


async def raise_over_http(app: Running, unit: str, proposal: ProposalRaised) -> dict[str, Any]:
    body: dict[str, Any] = proposal.model_dump(mode="json")
    await post(app, f"/units/{unit}/proposals", body)
    return body


def raised(proposal_id: str, to_unit: str, title: str) -> ProposalRaised:
    return ProposalRaised(
        proposal_id=proposal_id,
        to_unit=to_unit,
        kind=ProposalKind.RECOMMENDATION,
        title=title,
        content=f"Nội dung: {title.lower()}.",
        raised_on=RAISED_ON,
    )


def answer(proposal_id: str, raised_by: str, text: str) -> ProposalAnswered:
    return ProposalAnswered(
        proposal_id=proposal_id,
        raised_by=raised_by,
        raised_on=RAISED_ON,
        answered_on=date(2024, 3, 20),
        answer=text,
    )


async def proposals(
    app: Running, unit: str, direction: str = "received"
) -> dict[tuple[str, str], Any]:
    """The unit's proposals (legacy era) by (raised_by, proposal_id)."""
    r = await app.client.get(f"/units/{unit}/proposals", params={"direction": direction, **LEGACY})
    assert r.status_code == 200, r.text
    return {(p["raised_by"], p["proposal_id"]): p for p in r.json()}


async def caught_up(app: Running) -> None:
    service = app.app.state.reporting
    for consumer in (service.consumer, service.coordination.consumer):
        assert consumer.status.caught_up and consumer.status.lag == 0, consumer.status


async def test_a_forged_answer_from_another_commune_leaves_the_proposal_in_the_provinces_inbox(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    app, settings, keys = await started(stack, settings, tmp_path)
    await raise_over_http(app, A, raised("kn-1", PROVINCE, "Kiến nghị sửa đường liên thôn"))
    b = Compromised(keys, B)
    await publish(
        settings,
        [b.record(answer("kn-1", A, "Đã trả lời (giả mạo)"), B, date(2024, 3, 20))],
    )
    reasons = await dead_letter_reasons(settings, expected=1)
    assert len(reasons) == 1 and f"unit {B} may not answer" in reasons[0], reasons
    await eventually(lambda: caught_up(app))

    inbox = await proposals(app, PROVINCE)
    assert list(inbox) == [(A, "kn-1")]
    assert inbox[A, "kn-1"]["status"] == "raised" and inbox[A, "kn-1"]["to_unit"] == PROVINCE
    assert "answer" not in inbox[A, "kn-1"]
    assert await proposals(app, B) == {}
    figures = (await summary(app, A, "2024-03"))["figures"]
    assert (figures["proposals_raised"], figures.get("proposals_answered", 0)) == (1, 0)


async def test_two_units_may_choose_the_same_proposal_id_and_neither_rewrites_the_other(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    app, settings, keys = await started(stack, settings, tmp_path)
    mine = await raise_over_http(app, A, raised("kn-1", PROVINCE, "Kiến nghị sửa đường"))
    # Both communes chose kn-2 over HTTP; and B's own instance publishes its kn-1.
    for unit in (A, B):
        await raise_over_http(app, unit, raised("kn-2", PROVINCE, f"Đề xuất của {unit}"))
    theirs = raised("kn-1", PROVINCE, "Nội dung khác, cùng mã")
    await publish(settings, [Compromised(keys, B).record(theirs, B, RAISED_ON)])

    async def four_in_the_inbox() -> dict[tuple[str, str], Any]:
        inbox = await proposals(app, PROVINCE)
        assert sorted(inbox) == [(A, "kn-1"), (A, "kn-2"), (B, "kn-1"), (B, "kn-2")], inbox
        return inbox

    inbox = await eventually(four_in_the_inbox)
    kept = {k: inbox[A, "kn-1"][k] for k in ("raised_by", "to_unit", "title", "content")}
    assert kept == {"raised_by": A, **{k: mine[k] for k in ("to_unit", "title", "content")}}
    assert inbox[B, "kn-1"]["title"] == theirs.title
    assert inbox[B, "kn-2"]["title"] == f"Đề xuất của {B}"

    # The id alone no longer names one proposal in the province's inbox: the raiser does.
    path = f"/units/{PROVINCE}/proposals/kn-1/answer"
    given = {"answered_on": "2024-03-25", "answer": "Tỉnh đã chỉ đạo sửa đường."}
    ambiguous = await app.client.post(path, json=given)
    assert ambiguous.status_code == 422, ambiguous.text
    assert ambiguous.json()["detail"][0]["loc"] == ["query", "raised_by"]
    await post(app, f"{path}?raised_by={A}", given)
    again = await post(app, f"{path}?raised_by={A}", given, status=200)
    assert again["status"] == "unchanged"
    await post(app, f"/units/{PROVINCE}/proposals/kn-2/answer?raised_by={B}", given)

    async def answered() -> None:
        inbox = await proposals(app, PROVINCE)
        states = {key: p["status"] for key, p in inbox.items()}
        assert states == {
            (A, "kn-1"): "answered",
            (A, "kn-2"): "raised",
            (B, "kn-1"): "raised",
            (B, "kn-2"): "answered",
        }
        for key in ((A, "kn-1"), (B, "kn-2")):
            assert inbox[key]["answer"]["answered_by"] == PROVINCE

    await eventually(answered)

    async def counted() -> None:
        for unit in (A, B):
            figures = (await summary(app, unit, "2024-03"))["figures"]
            assert (figures["proposals_raised"], figures["proposals_answered"]) == (2, 1), unit

    await eventually(counted)


async def test_an_answer_from_above_counts_and_a_proposal_to_a_unit_not_above_is_refused(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    app, settings, keys = await started(stack, settings, tmp_path)
    await raise_over_http(app, A, raised("kn-3", DISTRICT, "Đề nghị huyện hỗ trợ kinh phí"))
    province, b = Compromised(keys, PROVINCE), Compromised(keys, B)
    await publish(
        settings,
        [
            # The province answers what its district was asked: a unit above the addressee.
            province.record(
                answer("kn-3", A, "Tỉnh bố trí kinh phí."), PROVINCE, date(2024, 3, 20)
            ),
            # B addresses commune A, which is not above it: A's inbox must not show it.
            b.record(raised("kn-9", A, "Gửi nhầm cấp"), B, RAISED_ON),
        ],
    )
    reasons = await dead_letter_reasons(settings, expected=1)
    assert len(reasons) == 1 and f"unit {A} is not above unit {B}" in reasons[0], reasons

    async def answered_from_above() -> Any:
        inbox = await proposals(app, DISTRICT)
        assert list(inbox) == [(A, "kn-3")] and inbox[A, "kn-3"]["status"] == "answered", inbox
        return inbox[A, "kn-3"]

    kn3 = await eventually(answered_from_above)
    assert kn3["to_unit"] == DISTRICT and kn3["answer"]["answered_by"] == PROVINCE
    await eventually(lambda: caught_up(app))
    assert await proposals(app, A) == {}
    assert list(await proposals(app, B, "raised")) == []
    figures = (await summary(app, A, "2024-03"))["figures"]
    assert (figures["proposals_raised"], figures["proposals_answered"]) == (1, 1)
    assert (await summary(app, B, "2024-03"))["figures"].get("proposals_raised", 0) == 0


async def test_a_dissolved_districts_key_files_and_declares_nothing_for_a_2025_council(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Huyện Tam Đường (106) signed for the legacy 03390 until 2025-06-30; its key may not
    file or declare for Xã Bình Lư, the 2025 council that reuses the code. Nor may commune B's
    key file, declare or change tasks for A."""
    app, settings, keys = await started(stack, settings, tmp_path)
    district, b = Compromised(keys, DISTRICT), Compromised(keys, B)
    last_legacy_day = date(2025, 6, 30)
    report = first_half_report("bc-gia", 2025, filed_on=last_legacy_day)
    staff = CouncilStaffDeclared(
        declaration_id="cb-gia", as_of=date(2025, 8, 1), full_time=9, part_time=9
    )
    old_report = first_half_report("bc-b", 2024, filed_on=date(2024, 7, 1))
    moved = {"previous_status": TaskStatus.PLANNED, "status": TaskStatus.DONE}
    done = TaskStatusChanged(
        task_id="nv-1", period="2024-Q4", changed_on=date(2024, 11, 10), **moved
    )
    old_staff = staff.model_copy(update={"as_of": date(2024, 8, 1)})
    await publish(
        settings,
        [
            district.record(report, A, last_legacy_day),  # due on a 2025 day
            district.record(staff, A, last_legacy_day),  # true from a 2025 day
            b.record(old_report, A, date(2024, 7, 1)),
            b.record(done, A, date(2024, 11, 10)),
            b.record(old_staff, A, date(2024, 8, 1)),
        ],
    )
    reasons = await dead_letter_reasons(settings, expected=5)
    assert len(reasons) == 5, reasons
    assert sum(f"signer {B} may not publish for unit {A}" in r for r in reasons) == 3, reasons
    assert any("2025-07-05" in r and "2025-06-30" in r for r in reasons), reasons
    assert any("as_of 2025-08-01" in r for r in reasons), reasons
    await eventually(lambda: caught_up(app))

    store = app.app.state.reporting.coordination.store
    assert await store.filings.count_documents({}) == 0
    assert await store.declarations.count_documents({}) == 0
    # Xã Bình Lư files its own 2025-H1 report: the forged one took no place of it.
    await post(app, f"/units/{A}/reports", {"period": "2025-H1", "filed_on": "2025-07-03"})

    async def filed_once() -> None:
        figures = (await summary(app, A, "2025-07"))["figures"]
        assert (figures["reports_on_time"], figures.get("reports_late", 0)) == (1, 0)

    await eventually(filed_once)
    assert (await summary(app, A, "2025-08"))["figures"].get("staff_full_time", 0) == 0
    legacy = (await summary(app, A, "2024"))["figures"]
    assert legacy.get("reports_on_time", 0) == legacy.get("tasks_done", 0) == 0
    assert legacy.get("staff_full_time", 0) == 0


async def test_replay_and_rebuild_refuse_the_same_records_and_keep_the_same_documents(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    app, settings, keys = await started(stack, settings, tmp_path)
    coordination = app.app.state.reporting.coordination
    await raise_over_http(app, A, raised("kn-1", PROVINCE, "Kiến nghị"))
    await raise_over_http(app, A, raised("kn-3", DISTRICT, "Đề nghị"))
    province, b = Compromised(keys, PROVINCE), Compromised(keys, B)
    await publish(
        settings,
        [
            # Answers first, raise of B's kn-1 after: arrival order must not matter.
            b.record(answer("kn-1", A, "Giả mạo"), B, date(2024, 3, 20)),
            province.record(answer("kn-3", A, "Tỉnh trả lời."), PROVINCE, date(2024, 3, 20)),
            b.record(raised("kn-1", PROVINCE, "Của xã B"), B, RAISED_ON),
            b.record(raised("kn-9", A, "Gửi nhầm cấp"), B, RAISED_ON),
        ],
    )
    assert len(await dead_letter_reasons(settings, expected=2)) == 2

    async def settled() -> None:
        await caught_up(app)
        inbox = await proposals(app, PROVINCE)
        assert sorted(inbox) == [(A, "kn-1"), (B, "kn-1")]
        assert inbox[A, "kn-1"]["status"] == "raised"
        assert (await proposals(app, DISTRICT))[A, "kn-3"]["status"] == "answered"

    await eventually(settled)

    async def snapshot() -> list[Any]:
        docs = coordination.store.proposals.find({}, {"recorded_at": 0})
        return list(await docs.sort("_id").to_list())

    async def figures() -> dict[str, Any]:
        return {u: (await summary(app, u, "2024"))["figures"] for u in (A, B, PROVINCE)}

    before, counted = await snapshot(), await figures()
    assert counted[A]["proposals_answered"] == 1 and counted[PROVINCE]["proposals_raised"] == 3

    handled = coordination.consumer.status.handled
    await coordination.replay()

    async def replayed() -> None:
        status = coordination.consumer.status
        assert status.handled >= handled and status.caught_up and status.lag == 0

    await eventually(replayed)
    assert await snapshot() == before
    result = await rebuild(settings, lambda done, total: None, wait=120)
    assert result.switched

    async def rebuilt() -> None:
        assert app.app.state.reporting.store.version == result.version
        await caught_up(app)

    await eventually(rebuilt)
    assert await figures() == counted
    assert len(await dead_letter_reasons(settings, expected=2)) == 2  # none published again
