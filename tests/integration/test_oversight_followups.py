"""Oversight's tracked items on real servers, end to end: HTTP (or a voter contact recorded by
the meetings service) → oversight → outbox → Kafka → reporting's projection."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest

from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.oversight.wiring import Oversight
from services.reporting.app import create_app as reporting_app
from tests.builders import meeting
from tests.conftest import Running, bearer, eventually, start_app

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › its communes (legacy era: days before 2025-07).
PROVINCE, DISTRICT, OTHER_DISTRICT = "12", "106", "105"
COMMUNE = Hierarchy.load().children(DISTRICT, "legacy")[0].code


async def oversight(
    stack: AsyncExitStack, settings: Settings, sweep_every: float = 3600
) -> Running:
    app = oversight_app(settings.model_copy(update={"units": [DISTRICT]}))
    app.state.oversight.sweep_every = sweep_every
    return await start_app(stack, app, "http://oversight")


async def services(stack: AsyncExitStack, settings: Settings) -> tuple[Running, Running, Running]:
    """Meetings, the district's oversight and reporting, started in the order events flow."""
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    app = await oversight(stack, settings)
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    return meetings, app, reporting


def service_of(app: Running) -> Oversight:
    service: Oversight = app.app.state.oversight
    return service


async def summary(reporting: Running, unit: str, period: str) -> dict[str, Any]:
    r = await reporting.client.get(f"/units/{unit}/summary", params={"period": period})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def outbox_rows(app: Running, event_type: str | None = None) -> int:
    query = {} if event_type is None else {"event_type": event_type}
    return await service_of(app).runtime.outbox.rows.count_documents(query)


async def post(app: Running, path: str, body: dict[str, Any], status: int = 200) -> Any:
    r = await app.client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


PLAN = {
    "supervision_id": "gs-dat-dai",
    "activity": "thematic_supervision",
    "title": "Giám sát việc cấp giấy chứng nhận quyền sử dụng đất",
    "body": "committee",
    "committee": "economy_society",
    "field": "land",
    "planned_on": "2025-02-10",
    "starts_on": "2025-03-03",
    "supervised_units": [COMMUNE],
}


async def test_a_supervision_goes_planned_started_finished_and_its_recommendations_are_followed(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await oversight(stack, settings)
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    base = f"/units/{DISTRICT}/supervision-plans"

    planned = await post(app, base, PLAN, 201)
    assert planned["stage"] == "planned" and planned["status"] == "recorded"
    assert (await post(app, base, PLAN, 200))["status"] == "unchanged"
    clash = await app.client.post(base, json={**PLAN, "title": "Khác"})
    assert clash.status_code == 409 and clash.json()["detail"][0]["loc"] == [
        "body",
        "supervision_id",
    ]

    finished = {
        "finished_on": "2025-03-28",
        "findings": "Tiến độ cấp giấy chậm.",
        "report_ref": "45/BC-HĐND",
        "recommendations": [
            {
                "recommendation_id": "kn-1",
                "text": "Đẩy nhanh cấp giấy chứng nhận",
                "addressed_to": "UBND huyện Tam Đường",
                "deadline": "2025-06-30",
            },
            {
                "recommendation_id": "kn-2",
                "text": "Rà soát hồ sơ tồn đọng",
                "addressed_to": "Văn phòng đăng ký đất đai",
                "deadline": "2025-05-31",
            },
        ],
    }
    rows = await outbox_rows(app)
    refusals = [  # (path, body, status, loc): each writes nothing
        (f"{base}/gs-dat-dai/finished", finished, 409, ["path", "supervision_id"]),
        (f"{base}/gs-dat-dai/started", {"started_on": "2025-02-01"}, 422, ["body", "started_on"]),
        (f"{base}/gs-dat-dai/started", {"started_on": "2099-01-01"}, 422, ["body", "started_on"]),
        (f"{base}/nope/started", {"started_on": "2025-03-03"}, 404, ["path", "supervision_id"]),
    ]
    for path, body, status, loc in refusals:
        r = await app.client.post(path, json=body)
        assert r.status_code == status, (path, r.text)
        assert r.json()["detail"][0]["loc"] == loc
    assert await outbox_rows(app) == rows

    await post(app, f"{base}/gs-dat-dai/started", {"started_on": "2025-03-03"})
    early = {**finished, "finished_on": "2025-03-01"}
    r = await app.client.post(f"{base}/gs-dat-dai/finished", json=early)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "finished_on"]
    done = await post(app, f"{base}/gs-dat-dai/finished", finished)
    assert len(done["event_ids"]) == 3  # supervision.finished + two recommendation.issued
    assert (await post(app, f"{base}/gs-dat-dai/finished", finished))["status"] == "unchanged"
    one_shot = {**PLAN, "started_on": "2025-03-03", "finished_on": "2025-03-28"}
    del one_shot["planned_on"], one_shot["starts_on"]
    r = await app.client.post(f"/units/{DISTRICT}/supervisions", json=one_shot)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "supervision_id"]
    one = (await app.client.get("/supervisions/gs-dat-dai")).json()
    assert one["recommendations"] == 2 and one["report_ref"] == "45/BC-HĐND"

    recs = f"/units/{DISTRICT}/recommendations"
    await post(app, f"{recs}/kn-2/implemented", {"implemented_on": "2025-05-20"})
    r = await app.client.post(f"{recs}/kn-2/implemented", json={"implemented_on": "2025-05-21"})
    assert r.status_code == 409, r.text
    service = service_of(app)
    assert await service.sweep_overdue(as_of=date(2025, 6, 30)) == 0
    assert await service.sweep_overdue(as_of=date(2025, 7, 1)) == 1
    assert await service.sweep_overdue(as_of=date(2025, 7, 2)) == 0
    kn1 = (await app.client.get(f"{recs}/kn-1")).json()
    assert kn1["overdue"] is True and kn1["stage"] == "issued"

    async def counted() -> dict[str, Any]:
        s = await summary(reporting, PROVINCE, "2025-H1")
        f = s["figures"]
        assert f["thematic_supervisions_planned"] == 1
        assert f["thematic_supervisions_planned_body_committee"] == 1
        assert f["thematic_supervisions_started_field_land"] == 1
        assert f["thematic_supervisions"] == 1 and f["recommendations_issued"] == 2
        assert f["recommendations_implemented"] == 1 and f["recommendations_overdue"] == 1
        return s

    s = await eventually(counted)
    assert s["rates"]["recommendation_implementation_rate"] == 50.0

    # implemented after the sweep saw it overdue: no longer counted overdue, counted late
    await post(app, f"{recs}/kn-1/implemented", {"implemented_on": "2025-07-10"})

    async def late() -> None:
        f = (await summary(reporting, DISTRICT, "2025-03"))["figures"]
        assert f["recommendations_implemented"] == 2 and f["recommendations_overdue"] == 0
        assert f["recommendations_implemented_late"] == 1

    await eventually(late)


async def test_the_periodic_sweep_records_overdue_recommendations_by_itself(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await oversight(stack, settings, sweep_every=0.2)
    base = f"/units/{DISTRICT}/supervision-plans"
    await post(app, base, {**PLAN, "activity": "survey", "supervision_id": "ks-1"}, 201)
    await post(app, f"{base}/ks-1/started", {"started_on": "2025-03-03"})
    rec = {"text": "Báo cáo kết quả", "addressed_to": "UBND huyện", "deadline": "2025-04-30"}
    body = {"finished_on": "2025-03-10", "recommendations": [{**rec, "recommendation_id": "kn"}]}
    await post(app, f"{base}/ks-1/finished", body)

    async def noticed() -> None:
        assert await outbox_rows(app, "recommendation.overdue") == 1

    await eventually(noticed)
    one = (await app.client.get(f"/units/{DISTRICT}/recommendations/kn")).json()
    assert one["overdue"] is True


def voter_contact(opinions: list[dict[str, Any]]) -> dict[str, Any]:
    title = "Tiếp xúc cử tri trước kỳ họp thứ 9"
    held = meeting("voter_contact", "tx-2025-05", title, "2025-05-05")
    group = {"timing": "before_session", "delegate_group": "Tổ đại biểu số 2"}
    met = {"voters_attending": 150, "opinions_raised": len(opinions), "opinions": opinions}
    return held | group | met


OPINIONS = [
    {"opinion_id": f"yk-{i}", "text": t, "field": f, "addressed_to": "UBND huyện Tam Đường"}
    for i, (t, f) in enumerate(
        [
            ("Sửa đường liên xã", "investment_construction"),
            ("Cấp sổ đỏ", "land"),
            ("Trường", "other"),
        ]
    )
]


async def test_opinions_raised_at_a_voter_contact_are_followed_up_into_the_province_figures(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, app, reporting = await services(stack, settings)
    r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=voter_contact(OPINIONS))
    assert r.status_code == 201, r.text
    other = {**voter_contact(OPINIONS[:1]), "meeting_id": "tx-other"}
    other["opinions"] = [{**OPINIONS[0], "opinion_id": "yk-elsewhere"}]
    r = await meetings.client.post(f"/units/{OTHER_DISTRICT}/meetings", json=other)
    assert r.status_code == 201, r.text  # a unit this oversight instance does not serve

    listing = f"/units/{COMMUNE}/opinions"

    async def opened() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await app.client.get(listing)).json()
        assert [o["opinion_id"] for o in items] == ["yk-0", "yk-1", "yk-2"]
        return items

    items = await eventually(opened)
    assert items[0]["stage"] == "received" and items[0]["raised_on"] == "2025-05-05"
    assert items[1]["opened"]["field"] == "land"
    assert (await app.client.get(f"/units/{OTHER_DISTRICT}/opinions")).json() == []

    yk = f"{listing}/yk-1"
    rows = await outbox_rows(app)
    refusals = [
        ("resolved", {"resolved_on": "2025-06-01"}, 409, ["path", "opinion_id"]),
        (
            "forwarded",
            {"forwarded_on": "2025-05-04", "agency": "UBND"},
            422,
            ["body", "forwarded_on"],
        ),
        (
            "forwarded",
            {"forwarded_on": "2099-05-04", "agency": "UBND"},
            422,
            ["body", "forwarded_on"],
        ),
        ("forwarded", {"forwarded_on": "2025-05-06"}, 422, ["body", "agency"]),
    ]
    for step, body, status, loc in refusals:
        r = await app.client.post(f"{yk}/{step}", json=body)
        assert r.status_code == status, (step, r.text)
        assert r.json()["detail"][0]["loc"] == loc
    assert await outbox_rows(app) == rows

    forward = {"forwarded_on": "2025-05-08", "agency": "UBND huyện Tam Đường"}
    await post(app, f"{yk}/forwarded", forward)
    assert (await post(app, f"{yk}/forwarded", forward))["status"] == "unchanged"
    clash = await app.client.post(f"{yk}/forwarded", json={**forward, "agency": "Sở Tài nguyên"})
    assert clash.status_code == 409
    r = await app.client.post(f"{yk}/resolved", json={"resolved_on": "2025-06-04"})
    assert r.status_code == 409  # not answered yet
    await post(app, f"{yk}/answered", {"answered_on": "2025-05-30", "answer": "Đã có kế hoạch"})
    r = await app.client.post(f"{yk}/resolved", json={"resolved_on": "2025-05-29"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "resolved_on"]
    await post(app, f"{yk}/resolved", {"resolved_on": "2025-06-04", "result": "Đã cấp"})
    await post(app, f"{listing}/yk-0/forwarded", forward)
    one = (await app.client.get(yk)).json()
    assert one["stage"] == "resolved" and one["steps"]["resolved"]["days_to_resolve"] == 30

    async def province() -> dict[str, Any]:
        s = await summary(reporting, PROVINCE, "2025-Q2")
        f = s["figures"]
        assert f["voter_opinions_raised"] == 4  # 3 here, 1 in the other district
        assert f["opinions_forwarded"] == 2 and f["opinions_answered"] == 1
        assert f["opinions_resolved"] == 1 and f["opinion_days_to_resolve"] == 30
        assert f["voter_opinions_pending"] == 2  # only the items this instance tracks
        return s

    s = await eventually(province)
    assert s["rates"]["opinion_resolution_rate"] == 25.0
    assert s["rates"]["opinion_mean_days_to_resolve"] == 30.0
    # resolved in June, counted with the opinions raised in May (the cohort rule)
    may = (await summary(reporting, COMMUNE, "2025-05"))["figures"]
    assert may["opinions_resolved"] == 1 and may["voter_opinions_raised"] == 3
    assert (await summary(reporting, COMMUNE, "2025-06"))["figures"]["opinions_resolved"] == 0


async def test_a_redelivered_voter_contact_opens_nothing_twice(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=voter_contact(OPINIONS))
    assert r.status_code == 201, r.text
    for _ in range(2):  # the second run has lost its positions: it reads everything again
        async with AsyncExitStack() as inner:
            app = await oversight(inner, settings)
            service = service_of(app)

            async def read(service: Oversight = service) -> None:
                assert service.intake.status.handled >= 1
                assert await service.items.db["opinions"].count_documents({}) == 3

            await eventually(read)
            assert await outbox_rows(app, "opinion.received") == 3
            await service_of(app).items.positions.collection.delete_many({})


def reception(petitions: list[dict[str, Any]]) -> dict[str, Any]:
    title = "Tiếp công dân định kỳ tháng 4"
    held = meeting("citizen_reception", "tcd-2025-04", title, "2025-04-15")
    received = {"petitions_received": len(petitions), "petitions": petitions}
    return held | {"reception_type": "periodic", "citizens_received": 5} | received


async def test_petitions_from_receptions_and_by_mail_are_transferred_and_settled(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, app, reporting = await services(stack, settings)
    taken = [
        {"petition_id": "don-1", "petition_type": "complaint", "summary": "Tranh chấp đất"},
        {"petition_id": "don-2", "petition_type": "reflection", "summary": "Ô nhiễm"},
    ]
    r = await meetings.client.post(f"/units/{DISTRICT}/meetings", json=reception(taken))
    assert r.status_code == 201, r.text
    by_mail = {
        "petition_id": "don-thu-buu-chinh",
        "petition_type": "denunciation",
        "summary": "Tố cáo sai phạm",
        "received_on": "2025-04-20",
    }
    base = f"/units/{DISTRICT}/petitions"
    assert (await post(app, base, by_mail, 201))["stage"] == "received"
    assert (await post(app, base, by_mail, 200))["status"] == "unchanged"
    r = await app.client.post(base, json={**by_mail, "received_on": "2099-01-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "received_on"]
    r = await app.client.post(f"/units/{OTHER_DISTRICT}/petitions", json=by_mail)
    assert r.status_code == 403

    async def opened() -> None:
        listed = (await app.client.get(base)).json()
        assert sorted(p["petition_id"] for p in listed) == ["don-1", "don-2", "don-thu-buu-chinh"]

    await eventually(opened)
    rows = await outbox_rows(app)
    r = await app.client.post(f"{base}/don-1/settled", json={"settled_on": "2025-05-01"})
    assert r.status_code == 409
    early = {"transferred_on": "2025-04-14", "agency": "Thanh tra huyện"}
    r = await app.client.post(f"{base}/don-1/transferred", json=early)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "transferred_on"]
    assert await outbox_rows(app) == rows
    outsider = await app.client.post(
        f"{base}/don-1/transferred",
        json={"transferred_on": "2025-04-22", "agency": "Thanh tra"},
        headers=bearer(OTHER_DISTRICT),
    )
    assert outsider.status_code == 403, outsider.text
    viewer = await app.client.post(
        f"{base}/don-1/transferred",
        json={"transferred_on": "2025-04-22", "agency": "Thanh tra"},
        headers=bearer(DISTRICT, "viewer"),
    )
    assert viewer.status_code == 403 and await outbox_rows(app) == rows
    for pid in ("don-1", "don-thu-buu-chinh"):
        await post(
            app,
            f"{base}/{pid}/transferred",
            {"transferred_on": "2025-04-22", "agency": "Thanh tra"},
        )
    await post(app, f"{base}/don-1/settled", {"settled_on": "2025-05-15", "outcome": "Hòa giải"})

    async def counted() -> dict[str, Any]:
        s = await summary(reporting, PROVINCE, "2025-Q2")
        f = s["figures"]
        assert f["petitions_received"] == 3 and f["petitions_received_by_mail"] == 1
        assert f["petitions_transferred"] == 2 and f["petitions_settled"] == 1
        assert f["petitions_pending"] == 2 and f["petition_days_to_settle"] == 30
        return s

    s = await eventually(counted)
    assert s["rates"]["petition_settlement_rate"] == 33.3


async def test_a_bad_record_on_the_meetings_topic_is_dead_lettered_and_the_intake_goes_on(
    stack: AsyncExitStack, settings: Settings
) -> None:
    from deploy.dlq import Selection, list_letters
    from tests.integration.test_schema_evolution import publish_raw

    await publish_raw(settings, settings.topics.meetings, [(COMMUNE, b"\xff not json")])
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=voter_contact(OPINIONS))
    assert r.status_code == 201, r.text
    app = await oversight(stack, settings)

    async def opened_and_refused() -> None:
        assert await service_of(app).items.db["opinions"].count_documents({}) == 3
        listing = await list_letters(settings, Selection(), limit=10)
        assert [dict(x.headers).get("dlq-service") for x in listing.letters] == [b"oversight"]
        assert b"invalid envelope" in dict(listing.letters[0].headers)["dlq-reason"]

    await eventually(opened_and_refused)


async def test_petitions_follow_their_corrected_reception_once_even_when_read_again(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """A reception on 2025-04-15 took don-1 and don-2; don-1 was settled. Corrected twice:
    held on 2025-03-28 with don-1 and a new don-3 (don-2 withdrawn), then don-2 after all
    (opened afresh). Read again from the start with positions lost, nothing changes."""
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    taken = [
        {"petition_id": "don-1", "petition_type": "complaint", "summary": "Tranh chấp đất"},
        {"petition_id": "don-2", "petition_type": "reflection", "summary": "Ô nhiễm"},
        {"petition_id": "don-3", "petition_type": "recommendation", "summary": "Làm đường"},
    ]
    units = f"/units/{DISTRICT}/meetings"
    await post(meetings, units, reception(taken[:2]), 201)
    base = f"/units/{DISTRICT}/petitions"
    async with AsyncExitStack() as first:
        app = await oversight(first, settings)

        async def opened() -> None:
            assert len((await app.client.get(base)).json()) == 2

        await eventually(opened)
        transfer = {"transferred_on": "2025-04-16", "agency": "Thanh tra huyện"}
        await post(app, f"{base}/don-1/transferred", transfer)
        await post(app, f"{base}/don-1/settled", {"settled_on": "2025-04-20"})
        await post(app, f"{base}/don-2/transferred", transfer)
        moved = reception([taken[0], taken[2]]) | {"held_on": "2025-03-28"}
        await post(meetings, f"{units}/tcd-2025-04/correct", {"meeting": moved}, 201)

        async def withdrawn() -> None:
            two = (await app.client.get(f"{base}/don-2")).json()
            assert (two["stage"], two.get("withdrawn_at_stage")) == ("withdrawn", "transferred")

        await eventually(withdrawn)
        again = reception(taken) | {"held_on": "2025-03-28"}
        await post(meetings, f"{units}/tcd-2025-04/correct", {"meeting": again}, 201)

        async def followed() -> dict[str, dict[str, Any]]:
            listed = (await app.client.get(base)).json()
            items = {p["petition_id"]: p for p in listed}
            assert {(i, p["stage"], p["raised_on"]) for i, p in items.items()} == {
                ("don-1", "settled", "2025-03-28"),
                ("don-2", "received", "2025-03-28"),
                ("don-3", "received", "2025-03-28"),
            }
            return items

        items = await eventually(followed)
        assert items["don-1"]["steps"]["settled"]["days_to_settle"] == 23
        assert [c["kind"] for c in items["don-1"]["corrections"]] == ["moved"]
        assert [c["kind"] for c in items["don-2"]["corrections"]] == ["withdrawn", "reopened"]
        rows = await outbox_rows(app)
        kinds = {
            kind: await outbox_rows(app, kind)
            for kind in ("petition.received", "petition.moved", "petition.withdrawn")
        }
        assert kinds == {"petition.received": 4, "petition.moved": 1, "petition.withdrawn": 1}
        await service_of(app).items.positions.collection.delete_many({})

    async with AsyncExitStack() as second:  # positions lost: reads all three records again
        app = await oversight(second, settings)
        service = service_of(app)

        async def read() -> None:
            assert service.intake.status.handled >= 3

        await eventually(read)
        assert await outbox_rows(app) == rows
        assert {p["petition_id"]: p for p in (await app.client.get(base)).json()} == items

    async def counted() -> None:
        march = (await summary(reporting, DISTRICT, "2025-03"))["figures"]
        april = (await summary(reporting, DISTRICT, "2025-04"))["figures"]
        assert (march["petitions_received"], march["petitions_settled"]) == (3, 1), march
        assert (march["petitions_pending"], march["petitions_transferred"]) == (2, 1), march
        assert march["petition_days_to_settle"] == 23
        keys = ("received", "settled", "pending", "transferred")
        assert [april[f"petitions_{k}"] for k in keys] == [0, 0, 0, 0], april
        assert april["petition_days_to_settle"] == 0

    await eventually(counted)


async def test_items_whose_meeting_moves_after_their_last_step_count_zero_days_and_retry_fine(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """yk-0 was resolved (don-1 settled) before the day its voter contact (reception) was
    later corrected to: it stays resolved on its day, counts 0 days, and retrying that step
    as first taken answers 200 unchanged, never 500; yk-1, answered before the new day, can
    only be resolved from it on."""
    meetings, app, reporting = await services(stack, settings)
    await post(meetings, f"/units/{COMMUNE}/meetings", voter_contact(OPINIONS[:2]), 201)
    taken = [{"petition_id": "don-1", "petition_type": "complaint", "summary": "Tranh chấp"}]
    await post(meetings, f"/units/{DISTRICT}/meetings", reception(taken), 201)
    opinions, petitions = f"/units/{COMMUNE}/opinions", f"/units/{DISTRICT}/petitions"

    async def opened() -> None:
        assert len((await app.client.get(opinions)).json()) == 2
        assert len((await app.client.get(petitions)).json()) == 1

    await eventually(opened)
    forward = {"forwarded_on": "2025-05-06", "agency": "UBND huyện Tam Đường"}
    resolve = {"resolved_on": "2025-05-10", "result": "Đã cấp"}
    for yk in ("yk-0", "yk-1"):
        await post(app, f"{opinions}/{yk}/forwarded", forward)
        await post(app, f"{opinions}/{yk}/answered", {"answered_on": "2025-05-08"})
    await post(app, f"{opinions}/yk-0/resolved", resolve)
    settle = {"settled_on": "2025-04-20", "outcome": "Hòa giải"}
    transfer = {"transferred_on": "2025-04-16", "agency": "Thanh tra huyện"}
    await post(app, f"{petitions}/don-1/transferred", transfer)
    await post(app, f"{petitions}/don-1/settled", settle)

    later_contact = voter_contact(OPINIONS[:2]) | {"held_on": "2025-05-20"}
    path = f"/units/{COMMUNE}/meetings/tx-2025-05/correct"
    await post(meetings, path, {"meeting": later_contact}, 201)
    later_reception = reception(taken) | {"held_on": "2025-04-25"}
    path = f"/units/{DISTRICT}/meetings/tcd-2025-04/correct"
    await post(meetings, path, {"meeting": later_reception}, 201)

    async def moved() -> tuple[dict[str, Any], dict[str, Any]]:
        yk = (await app.client.get(f"{opinions}/yk-0")).json()
        don = (await app.client.get(f"{petitions}/don-1")).json()
        assert (yk["raised_on"], don["raised_on"]) == ("2025-05-20", "2025-04-25")
        return yk, don

    yk, don = await eventually(moved)
    assert yk["stage"] == "resolved" and yk["steps"]["resolved"]["days_to_resolve"] == 0
    assert yk["steps"]["resolved"]["resolved_on"] == "2025-05-10"
    assert don["stage"] == "settled" and don["steps"]["settled"]["days_to_settle"] == 0
    rows = await outbox_rows(app)

    retried = await post(app, f"{opinions}/yk-0/resolved", resolve)
    assert (retried["status"], retried["event_ids"]) == ("unchanged", [])
    retried = await post(app, f"{petitions}/don-1/settled", settle)
    assert (retried["status"], retried["event_ids"]) == ("unchanged", [])
    refusals = [  # (path, body, status): none is a 500, each writes nothing
        (f"{opinions}/yk-0/resolved", {**resolve, "result": "Khác"}, 409),
        (f"{opinions}/yk-0/resolved", {"resolved_on": "2025-05-21"}, 409),
        (f"{petitions}/don-1/settled", {**settle, "outcome": "Khác"}, 409),
        (f"{opinions}/yk-1/resolved", {"resolved_on": "2025-05-15"}, 422),  # before raised
    ]
    for step, body, status in refusals:
        r = await app.client.post(step, json=body)
        assert r.status_code == status, (step, r.text)
    assert await outbox_rows(app) == rows
    await post(app, f"{opinions}/yk-1/resolved", {"resolved_on": "2025-05-25"})
    one = (await app.client.get(f"{opinions}/yk-1")).json()
    assert one["steps"]["resolved"]["days_to_resolve"] == 5

    async def counted() -> None:
        may = (await summary(reporting, COMMUNE, "2025-05"))["figures"]
        assert (may["opinions_resolved"], may["opinion_days_to_resolve"]) == (2, 5), may
        april = (await summary(reporting, DISTRICT, "2025-04"))["figures"]
        assert (april["petitions_settled"], april["petition_days_to_settle"]) == (1, 0), april

    await eventually(counted)
