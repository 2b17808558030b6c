"""Coordination between levels on real servers: HTTP → reporting's outbox → Kafka → the
projector's figures and the coordination consumer's inbox, in one instance and between a
commune's instance and its district's."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest

from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.reporting.app import create_app
from tests.conftest import Running, eventually, granted, start_app

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (03390), all legacy (2024).
PROVINCE, DISTRICT, COMMUNE = "12", "106", "03390"


async def reporting(stack: AsyncExitStack, settings: Settings, name: str = "reporting") -> Running:
    return await start_app(stack, create_app(settings), f"http://{name}")


async def post(app: Running, path: str, body: dict[str, Any], status: int = 201) -> Any:
    r = await app.client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


async def summary(app: Running, unit: str, period: str, view: str = "as_it_was") -> Any:
    r = await app.client.get(f"/units/{unit}/summary", params={"period": period, "view": view})
    assert r.status_code == 200, r.text
    return r.json()


def proposal(**changes: Any) -> dict[str, Any]:
    body = {
        "proposal_id": "kn-duong-giao-thong",
        "to_unit": DISTRICT,
        "kind": "recommendation",
        "title": "Kiến nghị hỗ trợ kinh phí sửa chữa đường giao thông nông thôn",
        "content": "Cử tri phản ánh tuyến đường liên thôn xuống cấp.",
        "raised_on": "2024-03-10",
    }
    return {**body, **changes}


def answered(day: str) -> dict[str, Any]:
    return {"answered_on": day, "answer": "Trả lời"}


async def test_every_coordination_event_reaches_the_figures(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings)
    district_communes = len(Hierarchy.load().children(DISTRICT, "legacy"))

    # Stocks: seats and delegates trained (a later declaration replaces the earlier one), staff.
    delegates = {"term": "2021-2026", "seats": 25, "delegates_trained": 20}
    await post(app, f"/units/{COMMUNE}/delegates", {**delegates, "as_of": "2024-03-01"})
    await post(
        app,
        f"/units/{COMMUNE}/delegates",
        {**delegates, "as_of": "2024-09-01", "delegates_trained": 25},
    )
    await post(
        app,
        f"/units/{DISTRICT}/delegates",
        {"term": "2021-2026", "as_of": "2024-01-15", "seats": 35, "delegates_trained": 30},
    )
    await post(
        app, f"/units/{DISTRICT}/staff", {"as_of": "2024-01-15", "full_time": 2, "part_time": 3}
    )
    # 2024-H1 reports: due 5 July (communes), 10 July (districts), 15 July (province).
    await post(app, f"/units/{DISTRICT}/reports", {"period": "2024-H1", "filed_on": "2024-07-08"})
    filed = {"report_id": "bc-6t-2024", "period": "2024-H1", "filed_on": "2024-07-20"}
    await post(app, f"/units/{COMMUNE}/reports", filed)
    again = await post(app, f"/units/{COMMUNE}/reports", filed, status=200)
    assert again["status"] == "unchanged"
    other = {**filed, "report_id": "another", "filed_on": "2024-07-21"}
    clash = await app.client.post(f"/units/{COMMUNE}/reports", json=other)
    assert clash.status_code == 409 and clash.json()["detail"][0]["loc"] == ["body", "period"]
    # The work programme for Q4: two main tasks, one done.
    for task_id in ("nv-1", "nv-2"):
        task = {"task_id": task_id, "period": "2024-Q4", "title": "Giám sát chuyên đề"}
        await post(app, f"/units/{DISTRICT}/tasks", {**task, "set_on": "2024-09-25"})
    done = {"status": "done", "changed_on": "2024-11-10"}
    await post(app, f"/units/{DISTRICT}/tasks/nv-1/status", done)
    assert (await post(app, f"/units/{DISTRICT}/tasks/nv-1/status", done, 200))["status"] == (
        "unchanged"
    )
    # A proposal up, its answer down.
    await post(app, f"/units/{COMMUNE}/proposals", proposal())
    await post(app, f"/units/{COMMUNE}/proposals", proposal(proposal_id="kn-2", to_unit=PROVINCE))
    answer = {"answered_on": "2024-03-25", "answer": "Huyện bố trí kinh phí trong quý II."}
    await post(app, f"/units/{DISTRICT}/proposals/kn-duong-giao-thong/answer", answer)

    async def district_2024() -> Any:
        s = await summary(app, DISTRICT, "2024")
        f = s["figures"]
        assert (f["tasks_set"], f["tasks_done"]) == (2, 1)
        assert (f["proposals_raised"], f["proposals_answered"]) == (2, 1)
        assert (f["reports_on_time"], f["reports_late"]) == (1, 1)
        return s

    s = await eventually(district_2024)
    f, rates = s["figures"], s["rates"]
    assert (f["council_seats"], f["delegates_trained"]) == (60, 55)  # the September one
    assert (f["staff_full_time"], f["staff_part_time"]) == (2, 3)
    assert f["reports_due"] == 3 * (1 + district_communes)  # 2023, 2024-H1, 2024-9M
    assert f["reports_missing"] == f["reports_due"] - 2
    assert rates["training_coverage"] == round(55 * 100 / 60, 1)
    assert rates["tasks_done_rate"] == 50.0
    assert rates["proposals_answered_rate"] == 50.0
    assert rates["reports_on_time_rate"] == round(100 / f["reports_due"], 1)
    commune_row = next(c for c in s["children"] if c["code"] == COMMUNE)
    assert commune_row["figures"]["delegates_trained"] == 25
    assert commune_row["figures"]["reports_late"] == 1
    assert commune_row["figures"]["reports_missing"] == 2  # 2023 (cả năm) and 2024-9M

    h1 = (await summary(app, DISTRICT, "2024-H1"))["figures"]
    assert h1["delegates_trained"] == 50  # the March declaration was the one in force
    assert h1["reports_due"] == 1 + district_communes  # the 2023 reports; H1 is due in July
    july = (await summary(app, PROVINCE, "2024-07"))["figures"]
    assert (july["reports_on_time"], july["reports_late"]) == (1, 1)
    assert july["reports_missing"] == july["reports_due"] - 2 > 100
    then = (await summary(app, PROVINCE, "2024"))["figures"]
    today = (await summary(app, PROVINCE, "2024", view="as_today"))["figures"]
    assert (today["council_seats"], today["tasks_done"]) == (60, 1)
    assert then["reports_due"] == 3 * july["reports_due"]  # 2023 year, 2024-H1, 2024-9M
    for key in ("council_seats", "delegates_trained", "reports_due", "reports_missing"):
        assert today[key] == then[key], key  # Lai Châu was not merged in 2025

    # 03390 is a 2025 commune too (Xã Bình Lư): the legacy one's records are asked by era.
    legacy = {"era": "legacy"}
    raised = await app.client.get(
        f"/units/{COMMUNE}/proposals", params={"direction": "raised", **legacy}
    )
    by_id = {p["proposal_id"]: p for p in raised.json()}
    assert by_id["kn-duong-giao-thong"]["status"] == "answered"
    assert by_id["kn-2"]["status"] == "raised"
    tasks = (await app.client.get(f"/units/{DISTRICT}/tasks", params={"period": "2024-Q4"})).json()
    assert sorted((t["task_id"], t["status"]) for t in tasks) == [
        ("nv-1", "done"),
        ("nv-2", "planned"),
    ]
    reports = (await app.client.get(f"/units/{COMMUNE}/reports", params=legacy)).json()
    assert [(r["period"], r["due_on"], r["filed_on"]) for r in reports] == [
        ("2024-H1", "2024-07-05", "2024-07-20")
    ]


async def test_a_proposal_goes_up_to_the_district_instance_and_its_answer_comes_down(
    stack: AsyncExitStack, settings: Settings
) -> None:
    def serving(unit: str, databases: str, instance: str) -> Settings:
        """An instance of its own (databases and name) that serves `unit` alone."""
        prefix = f"{settings.database_prefix}{databases}"
        return granted(
            settings.model_copy(
                update={"units": [unit], "database_prefix": prefix, "instance": instance}
            )
        )

    commune_app = await reporting(stack, serving(COMMUNE, "c", "xa-tam-duong"), "commune")
    district_app = await reporting(stack, serving(DISTRICT, "d", "huyen-tam-duong"), "district")
    await post(commune_app, f"/units/{COMMUNE}/proposals", proposal())
    # The commune's instance does not serve the district: it cannot answer for it.
    answer = {"answered_on": "2024-03-25", "answer": "Huyện bố trí kinh phí trong quý II."}
    path = f"/units/{DISTRICT}/proposals/{proposal()['proposal_id']}/answer"
    refused = await commune_app.client.post(path, json=answer)
    assert refused.status_code == 403, refused.text

    async def received() -> Any:
        r = await district_app.client.get(f"/units/{DISTRICT}/proposals")
        assert r.status_code == 200, r.text
        assert len(r.json()) == 1, r.json()
        assert r.json()[0]["status"] == "raised"
        return r.json()[0]

    inbox = await eventually(received)
    assert (inbox["raised_by"], inbox["title"]) == (COMMUNE, proposal()["title"])
    await post(district_app, f"/units/{DISTRICT}/proposals/{inbox['proposal_id']}/answer", answer)

    async def answered() -> Any:
        r = await commune_app.client.get(
            f"/units/{COMMUNE}/proposals", params={"direction": "raised", "era": "legacy"}
        )
        assert len(r.json()) == 1, r.json()
        assert r.json()[0]["status"] == "answered"
        return r.json()[0]

    mine = await eventually(answered)
    assert mine["answer"]["answer"] == answer["answer"]
    assert mine["answer"]["answered_on"] == "2024-03-25"

    async def counted(app: Running) -> None:
        f = (await summary(app, DISTRICT if app is district_app else COMMUNE, "2024-Q1"))["figures"]
        assert (f["proposals_raised"], f["proposals_answered"]) == (1, 1)

    await eventually(lambda: counted(district_app))
    await eventually(lambda: counted(commune_app))


async def test_refusals_name_the_field_and_write_nothing(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings)
    reporting_service = app.app.state.reporting
    await post(app, f"/units/{COMMUNE}/proposals", proposal())
    outbox = reporting_service.runtime.outbox.rows
    written = await outbox.count_documents({})

    proposals, reports = f"/units/{COMMUNE}/proposals", f"/units/{DISTRICT}/reports"
    answer = "proposals/kn-duong-giao-thong/answer"
    declared = {"term": "2021-2026", "as_of": "2024-01-01", "seats": 30, "delegates_trained": 31}
    task = {"period": "2024-Q5", "title": "Nhiệm vụ", "set_on": "2024-09-01"}
    cases: list[tuple[str, dict[str, Any], list[str]]] = [  # (path, body, where it is wrong)
        (proposals, proposal(proposal_id="x1", to_unit="105"), ["body", "to_unit"]),
        (proposals, proposal(proposal_id="x2", to_unit="03391"), ["body", "to_unit"]),
        (f"/units/{DISTRICT}/{answer}", answered("2024-03-09"), ["body", "answered_on"]),
        (reports, {"period": "2099", "filed_on": "2024-12-01"}, ["body", "period"]),
        (reports, {"period": "2024-9M", "filed_on": "2024-08-30"}, ["body", "period"]),
        (f"/units/{DISTRICT}/delegates", declared, ["body", "delegates_trained"]),
        (f"/units/{DISTRICT}/tasks", task, ["body", "period"]),
    ]
    for path, body, loc in cases:
        r = await app.client.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["detail"][0]["loc"] == loc, (path, r.text)
    # The province did not receive it (its district did): nothing to answer there.
    elsewhere = await app.client.post(f"/units/{PROVINCE}/{answer}", json=answered("2024-03-20"))
    assert elsewhere.status_code == 404, elsewhere.text
    assert elsewhere.json()["detail"][0]["loc"] == ["path", "proposal_id"]
    assert await outbox.count_documents({}) == written
    store = reporting_service.coordination.store
    assert await store.proposals.count_documents({}) == 1
    assert await store.filings.count_documents({}) == 0
    assert await store.declarations.count_documents({}) == 0
    assert await store.tasks.count_documents({}) == 0
    (only,) = await store.proposals.find().to_list()
    assert only["status"] == "raised"


async def test_replaying_the_topic_into_the_inbox_changes_nothing(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings.model_copy(update={"units": [DISTRICT]}))
    coordination = app.app.state.reporting.coordination
    await post(app, f"/units/{COMMUNE}/proposals", proposal())
    answer = {"answered_on": "2024-03-25", "answer": "Đã bố trí kinh phí."}
    await post(app, f"/units/{DISTRICT}/proposals/kn-duong-giao-thong/answer", answer)
    await post(app, f"/units/{COMMUNE}/reports", {"period": "2024-H1", "filed_on": "2024-07-02"})
    await post(
        app, f"/units/{COMMUNE}/staff", {"as_of": "2024-01-15", "full_time": 1, "part_time": 2}
    )

    async def consumed(at_least: int) -> None:
        status = coordination.consumer.status
        assert status.handled >= at_least and status.caught_up and status.lag == 0

    async def snapshot() -> list[Any]:
        store = coordination.store
        return [
            await c.find({}, {"recorded_at": 0}).sort("_id").to_list()
            for c in (store.proposals, store.filings, store.declarations)
        ]

    await eventually(lambda: consumed(4))
    before = await snapshot()
    assert before[0][0]["status"] == "answered"
    await coordination.replay()
    await eventually(lambda: consumed(4))
    assert await snapshot() == before


CAN_THO, NINH_KIEU = "92", "916"  # Thành phố Cần Thơ › Quận Ninh Kiều (legacy)


async def test_a_council_loads_its_2011_2016_archive_and_nothing_before_its_units_existed(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Cần Thơ's Đề án 2012–2015 trained its delegates under the 2011–2016 term; the city was
    established on 1 January 2004 (NQ 22/2003/QH11), so nothing of it is dated before."""
    app = await reporting(stack, settings)
    term = {"term": "2011-2016", "as_of": "2015-12-31"}
    await post(app, f"/units/{CAN_THO}/delegates", {**term, "seats": 51, "delegates_trained": 49})
    await post(app, f"/units/{NINH_KIEU}/delegates", {**term, "seats": 35, "delegates_trained": 33})

    async def stocks(period: str) -> tuple[int, int]:
        figures = (await summary(app, CAN_THO, period))["figures"]
        return figures.get("council_seats", 0), figures.get("delegates_trained", 0)

    async def archived() -> None:
        assert await stocks("2011-2016") == (51 + 35, 49 + 33)
        assert await stocks("2015") == (51 + 35, 49 + 33)

    await eventually(archived)
    assert await stocks("2021-2026") == (0, 0)  # another term, never declared

    before = {"term": "1999-2004", "as_of": "2003-06-30", "seats": 40, "delegates_trained": 1}
    refused = await post(app, f"/units/{CAN_THO}/delegates", before, status=422)
    assert refused["detail"][0]["loc"] == ["path", "unit"]
    assert "2004-01-01" in refused["detail"][0]["msg"], refused
    gone = await app.client.get(f"/units/{NINH_KIEU}/summary", params={"period": "2003"})
    assert gone.status_code == 404 and "2003" in gone.text, gone.text[:300]
    # A unit whose province has no later establishment is known from the 1994 law's councils.
    assert (
        await app.client.get("/units/02/summary", params={"period": "1994-1999"})
    ).status_code == 200
    early = await app.client.get("/units/02/summary", params={"period": "1993"})
    assert early.status_code == 404, early.text[:300]
