"""Who did what, on real servers: records made with two people's tokens carry their names on
every event (the intake's follow the meeting that caused them), on every stored record and
step, and in the unit's activity log (nhật ký), filtered, paged and exported as CSV; a commune
reads only its own log, a province its communes'; what another commune's key forges is not in
it, and history from before actors replays with none.

Tỉnh Lai Châu (12) › Xã Bình Lư (03390), Xã Sin Suối Hồ (03394), since the 2025 reform.
"""

from __future__ import annotations

import csv
import io
import shutil
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from contracts import Actor, Envelope, decode_event
from contracts.keys import generate_keys
from contracts.signing import Signer
from services.common.auth import Role
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.builders import meeting, supervision
from tests.conftest import Running, eventually, granted, start_app, token
from tests.integration.test_schema_evolution import caught_up, old_event, publish_raw, v1_payload

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE, OTHER = "12", "03390", "03394"
LAN = Actor(id="acc-lan", name="Nguyễn Thị Lan", kind="person")
HUNG = Actor(id="acc-hung", name="Trần Văn Hùng", kind="person")
MAI = Actor(id="acc-mai", name="Lê Thị Mai", kind="person")  # the province's secretary
TUAN = Actor(id="acc-tuan", name="Phạm Văn Tuấn", kind="person")  # the other commune's


def as_(person: Actor, unit: str | None, role: Role = "secretary") -> dict[str, str]:
    """The Authorization header of `person`'s account, a `role` of `unit`."""
    credential = token(unit, role, user=person.id, name=person.name)
    return {"Authorization": f"Bearer {credential}"}


async def system(stack: AsyncExitStack, settings: Settings) -> dict[str, Running]:
    """The three services, started in the order events flow."""
    return {
        "meetings": await start_app(stack, meetings_app(settings), "http://meetings"),
        "oversight": await start_app(stack, oversight_app(settings), "http://oversight"),
        "reporting": await start_app(stack, reporting_app(settings), "http://reporting"),
    }


async def post(app: Running, path: str, body: dict[str, Any], who: dict[str, str]) -> Any:
    r = await app.client.post(path, json=body, headers=who)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def get(app: Running, path: str, who: dict[str, str], **params: Any) -> Any:
    r = await app.client.get(path, params=params, headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def voter_contact(opinions: list[str]) -> dict[str, Any]:
    held = meeting("voter_contact", "tx-11", "Tiếp xúc cử tri sau kỳ họp thứ 11", "2026-11-20")
    raised = [
        {"opinion_id": o, "text": f"Ý kiến {o}", "field": "land", "addressed_to": "UBND xã"}
        for o in opinions
    ]
    return held | {
        "timing": "after_session",
        "delegate_group": "Tổ đại biểu số 1",
        "voters_attending": 120,
        "opinions_raised": len(raised),
        "opinions": raised,
    }


async def actors_in_outbox(runtime: Runtime) -> dict[str, list[Actor | None]]:
    """Who each event type a service wrote was done by, as its envelopes say (signed)."""
    found: dict[str, list[Actor | None]] = {}
    async for row in runtime.outbox.rows.find({}).sort("seq"):
        envelope = decode_event(bytes(row["value"])).envelope
        found.setdefault(envelope.type, []).append(envelope.actor)
    return found


def names(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["type"], i["actor"]["name"]) for i in items]


async def test_who_did_what_is_on_every_event_record_and_step_and_in_the_units_log(
    stack: AsyncExitStack, settings: Settings
) -> None:
    apps = await system(stack, settings)
    meetings, oversight, reporting = apps["meetings"], apps["oversight"], apps["reporting"]
    lan, hung, mai = as_(LAN, COMMUNE), as_(HUNG, COMMUNE), as_(MAI, PROVINCE)
    units = f"/units/{COMMUNE}"

    await post(meetings, f"{units}/meetings", voter_contact(["yk-1", "yk-2", "yk-3"]), lan)
    opinions = f"{units}/opinions"

    async def opened() -> None:
        assert len(await get(oversight, opinions, lan)) == 3

    await eventually(opened)
    await post(
        oversight,
        f"{opinions}/yk-1/forwarded",
        {"forwarded_on": "2026-11-21", "agency": "UBND xã Bình Lư"},
        hung,
    )
    corrected = voter_contact(["yk-1", "yk-2"])  # yk-3 was recorded by mistake
    await post(
        meetings,
        f"{units}/meetings/tx-11/correct",
        {"meeting": corrected, "reason": "Ghi trùng ý kiến"},
        hung,
    )
    proposal = {"proposal_id": "kn-1", "to_unit": PROVINCE, "kind": "recommendation"}
    proposal |= {"title": "Kiến nghị sửa đường liên thôn", "raised_on": "2026-11-22"}
    await post(reporting, f"{units}/proposals", proposal, lan)
    await post(
        reporting,
        f"/units/{PROVINCE}/proposals/kn-1/answer?raised_by={COMMUNE}",
        {"answered_on": "2026-11-25", "answer": "Tỉnh đã giao Sở Xây dựng"},
        mai,
    )

    async def withdrawn() -> None:
        assert (await get(oversight, f"{opinions}/yk-3", lan))["stage"] == "withdrawn"

    await eventually(withdrawn)

    # Every envelope names who did it, signed with the rest; the intake's follow their cause.
    assert await actors_in_outbox(meetings.app.state.meetings.runtime) == {
        "meeting.held": [LAN],
        "meeting.corrected": [HUNG],
    }
    assert await actors_in_outbox(oversight.app.state.oversight.runtime) == {
        "opinion.received": [LAN, LAN, LAN],
        "opinion.forwarded": [HUNG],
        "opinion.withdrawn": [HUNG],
    }
    assert await actors_in_outbox(reporting.app.state.reporting.runtime) == {
        "proposal.raised": [LAN],
        "proposal.answered": [MAI],
    }

    # Each record and each of its steps says who (người ghi nhận).
    held = await get(meetings, "/meetings/tx-11", lan)
    assert held["recorded_by"] == held["by"]["held"] == LAN.model_dump()
    assert held["by"]["corrected"] == HUNG.model_dump()
    yk1 = await get(oversight, f"{opinions}/yk-1", hung)
    assert yk1["recorded_by"] == yk1["by"]["received"] == LAN.model_dump()
    assert yk1["by"]["forwarded"] == HUNG.model_dump()
    yk3 = await get(oversight, f"{opinions}/yk-3", hung)
    assert yk3["corrections"][-1]["by"] == HUNG.model_dump()
    (raised,) = await get(reporting, f"{units}/proposals", lan, direction="raised")
    assert raised["recorded_by"] == LAN.model_dump()
    assert raised["answer"]["by"] == MAI.model_dump()

    # The commune's log, newest first: every step by its person.
    log = f"{units}/activity"

    async def logged() -> list[dict[str, Any]]:
        await caught_up(reporting)
        items: list[dict[str, Any]] = (await get(reporting, log, lan))["items"]
        assert len(items) == 8, names(items)
        return items

    items = await eventually(logged)
    assert sorted(names(items)) == sorted(
        [
            ("meeting.held", LAN.name),
            *[("opinion.received", LAN.name)] * 3,
            ("opinion.forwarded", HUNG.name),
            ("meeting.corrected", HUNG.name),
            ("opinion.withdrawn", HUNG.name),
            ("proposal.raised", LAN.name),
        ]
    )
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    forwarded = next(i for i in items if i["type"] == "opinion.forwarded")
    assert forwarded["record"] == "yk-1" and forwarded["unit_name"] == "Xã Bình Lư"
    assert forwarded["label"] == "Chuyển ý kiến cử tri đến cơ quan"

    # Filters: the person, the kind (one type, or every type of a kind), the day.
    only_hung = (await get(reporting, log, lan, person=HUNG.id))["items"]
    assert {i["actor"]["id"] for i in only_hung} == {HUNG.id} and len(only_hung) == 3
    assert len((await get(reporting, log, lan, kind="opinion"))["items"]) == 5
    assert len((await get(reporting, log, lan, kind="opinion.received"))["items"]) == 3
    day = items[0]["at"][:10]
    assert len((await get(reporting, log, lan, **{"from": day, "to": day}))["items"]) == 8
    assert (await get(reporting, log, lan, **{"to": "2026-11-01"}))["items"] == []
    people = await get(reporting, f"{log}/people", lan)
    assert [(p["name"], p["entries"]) for p in people] == [(LAN.name, 5), (HUNG.name, 3)]

    # Pages: newest first, each entry once.
    first = await get(reporting, log, lan, limit=5)
    rest = await get(reporting, log, lan, limit=5, cursor=first["next"])
    assert rest["next"] is None
    assert [i["event_id"] for i in first["items"] + rest["items"]] == [i["event_id"] for i in items]

    # The province reads its own log, and with `below` its communes' too.
    own = (await get(reporting, f"/units/{PROVINCE}/activity", mai))["items"]
    assert names(own) == [("proposal.answered", MAI.name)]
    with_communes = await get(reporting, f"/units/{PROVINCE}/activity", mai, below="true")
    assert len(with_communes["items"]) == 9
    assert (await get(reporting, log, mai))["items"] == items

    # The same log as CSV for Excel: UTF-8 with a BOM, Vietnamese headers, names as typed.
    r = await reporting.client.get(log, params={"format": "csv"}, headers=lan)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "nhat-ky-03390.csv" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Thời điểm", "Đơn vị", "Mã đơn vị", "Người ghi nhận"]
    assert len(rows) == 9
    assert [row[3] for row in rows[1:]] == [i["actor"]["name"] for i in items]
    assert {"Cán bộ"} == {row[5] for row in rows[1:]}
    assert "Trả lời kiến nghị, đề xuất" not in r.text  # the province's own, not the commune's


async def test_a_commune_reads_only_its_own_log_and_a_province_its_communes(
    stack: AsyncExitStack, settings: Settings
) -> None:
    reporting = await start_app(stack, reporting_app(settings, consume=False), "http://reporting")
    log = f"/units/{COMMUNE}/activity"
    outside = await reporting.client.get(log, headers=as_(TUAN, OTHER))
    missing = await reporting.client.get("/units/03399/activity", headers=as_(TUAN, OTHER))
    assert outside.status_code == missing.status_code == 404, outside.text
    assert outside.json()["detail"][0]["loc"] == ["path", "unit"]
    assert outside.text.replace(COMMUNE, "03399") == missing.text  # nothing tells them apart
    assert "Bình Lư" not in outside.text
    people = await reporting.client.get(f"{log}/people", headers=as_(TUAN, OTHER))
    assert people.status_code == 404
    csv_outside = await reporting.client.get(
        log, params={"format": "csv"}, headers=as_(TUAN, OTHER)
    )
    assert csv_outside.status_code == 404

    for who in (as_(LAN, COMMUNE), as_(MAI, PROVINCE), as_(MAI, PROVINCE, "viewer")):
        r = await reporting.client.get(log, headers=who)
        assert r.status_code == 200 and r.json() == {"items": [], "next": None}, r.text
    up = await reporting.client.get(f"/units/{PROVINCE}/activity", headers=as_(LAN, COMMUNE))
    assert up.status_code == 404  # a commune does not read the province's log
    bad = await reporting.client.get(log, params={"cursor": "nope"}, headers=as_(LAN, COMMUNE))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_what_another_communes_key_forges_is_not_in_the_log(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """A compromised instance of Xã Sin Suối Hồ holds its commune's key: it signs a record for
    Xã Bình Lư in Lan's name (dead-lettered: not in the log), and one of its own commune
    reusing the event id of Lan's entry (an entry of its own commune, claiming her name as any
    instance can for its units; hers stays as it was, and nothing stalls)."""
    assert settings.keys_dir is not None
    keys = tmp_path / "keys"
    shutil.copytree(settings.keys_dir, keys)
    generate_keys(keys, [OTHER])
    apps = await system(stack, settings.model_copy(update={"keys_dir": keys}))
    meetings, reporting = apps["meetings"], apps["reporting"]
    await post(meetings, f"/units/{COMMUNE}/meetings", voter_contact([]), as_(LAN, COMMUNE))
    row = await meetings.app.state.meetings.runtime.outbox.rows.find_one()
    genuine = decode_event(bytes(row["value"])).envelope
    compromised = Signer({OTHER: Signer.from_dir(keys).keys[OTHER]})

    def forged(unit: str, event_id: UUID, meeting_id: str) -> bytes:
        body = genuine.model_dump(mode="json") | {"unit": unit, "event_id": str(event_id)}
        body |= {"source": {"service": "meetings", "instance": "sin-suoi-ho"}, "sequence": 1}
        body["payload"]["meeting"]["meeting_id"] = meeting_id
        envelope = Envelope.model_validate({**body, "signature": None})
        return compromised.sign(envelope, [OTHER]).to_bytes()

    await publish_raw(
        settings,
        settings.topics.meetings,
        [
            (COMMUNE, forged(COMMUNE, UUID(int=1), "tx-forged")),  # for Bình Lư: refused
            (OTHER, forged(OTHER, genuine.event_id, "tx-reused")),  # Lan's event id
        ],
    )
    tuan = as_(TUAN, OTHER)
    await post(
        meetings, f"/units/{OTHER}/meetings", voter_contact([]) | {"meeting_id": "tx-9"}, tuan
    )
    mai = as_(MAI, PROVINCE)

    async def logged() -> list[dict[str, Any]]:
        await caught_up(reporting)
        figures = await get(reporting, f"/units/{PROVINCE}/summary", mai, period="2026")
        assert figures["figures"]["voter_contacts"] == 3  # Lan's, the reused id's, Tuấn's
        items: list[dict[str, Any]] = (
            await get(reporting, f"/units/{PROVINCE}/activity", mai, below="true")
        )["items"]
        assert len(items) == 3, items
        return items

    items = await eventually(logged)
    assert sorted((i["unit"], i["record"], i["actor"]["name"]) for i in items) == [
        (COMMUNE, "tx-11", LAN.name),
        (OTHER, "tx-9", TUAN.name),
        (OTHER, "tx-reused", LAN.name),
    ]
    (lans,) = (await get(reporting, f"/units/{COMMUNE}/activity", as_(LAN, COMMUNE)))["items"]
    assert lans["event_id"] == str(genuine.event_id) and lans["record"] == "tx-11"


async def test_history_from_before_actors_replays_counted_and_makes_no_entry(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """v1 and v2 `supervision.finished` written before actors (none on their envelopes) next
    to today's, recorded by Lan: every one counts, only hers is an entry, a projection rebuilt
    from offset 0 keeps the same log, and a record stored before actors reads with no one."""
    v2 = {k: v for k, v in v1_payload("gs-v2", 0).items() if k != "recommendations_issued"}
    history = [
        (COMMUNE, old_event(settings, COMMUNE, 1, v1_payload("gs-v1", 4))),
        (COMMUNE, old_event(settings, COMMUNE, 2, v2 | {"recommendations": 2}, version=2)),
    ]
    assert all(decode_event(value).envelope.actor is None for _, value in history)
    await publish_raw(settings, settings.topics.oversight, history)
    oversight = await start_app(stack, oversight_app(settings), "http://oversight")
    lan, operator = as_(LAN, COMMUNE), as_(MAI, None, "operator")
    days = "2026-11-02..2026-11-20"
    today = supervision("survey", "Khảo sát trường học", "standing_committee", "other", days)
    finished = today | {"supervision_id": "gs-today", "recommendations": 1}
    await post(oversight, f"/units/{COMMUNE}/supervisions", finished, lan)

    async def log_of(reporting: Running) -> list[dict[str, Any]]:
        await caught_up(reporting)
        old = await get(reporting, f"/units/{COMMUNE}/summary", operator, period="2025-03")
        assert old["figures"]["recommendations_issued"] == 4 + 2
        items: list[dict[str, Any]] = (await get(reporting, f"/units/{COMMUNE}/activity", lan))[
            "items"
        ]
        assert names(items) == [("supervision.finished", LAN.name)], items
        return items

    live = await start_app(stack, reporting_app(settings), "http://reporting")
    entries = await eventually(lambda: log_of(live))
    rebuilt = granted(
        settings.model_copy(update={"database_prefix": settings.database_prefix + "r"})
    )
    replay = await start_app(stack, reporting_app(rebuilt), "http://rebuilt")
    assert await eventually(lambda: log_of(replay)) == entries

    stored: dict[str, Any] = {"_id": "yk-old", "unit": COMMUNE, "stage": "received"}
    stored["raised_on"] = "2025-03-05"
    stored |= {"days": {"received": "2025-03-05"}, "opened": {"text": "Cũ"}, "steps": {}}
    await oversight.app.state.oversight.items.db["opinions"].insert_one(stored)  # before actors
    old = await get(oversight, f"/units/{COMMUNE}/opinions/yk-old", operator)
    assert old.get("recorded_by") is None and old.get("by") is None
