"""Groups of the same request across units, on real servers: voter contacts recorded in three
communes (meetings) → opinions opened (oversight) → registered by reporting → the matcher
proposes the group → the province's standing committee confirms it (`opinion.grouped`) →
one answer for the group (`opinion_group.answered`) → oversight answers each opinion
(`opinion.answered`) → every commune's figures count its own, once."""

from __future__ import annotations

import io
import json
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from contracts.opinions import Member, OpinionGroupAnswered, OpinionGrouped
from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.document.numbers import vn_int
from services.reporting.document.render_docx import MEDIA_TYPE as DOCX
from tests.builders import meeting
from tests.conftest import Running, bearer, eventually, start_app
from tests.forged import Compromised
from tests.integration.test_schema_evolution import publish_raw
from tests.integration.test_signatures import dead_letter_reasons, holding_its_own_key
from tests.topics import records_on

pytestmark = pytest.mark.integration

PROVINCE = "12"  # Tỉnh Lai Châu, 2025 era
COMMUNES = [u.code for u in Hierarchy.load().children(PROVINCE, "2025")[:4]]
ROAD = [
    "Đề nghị sửa chữa đường liên thôn bị xuống cấp nghiêm trọng",
    "Cử tri đề nghị sửa đường liên thôn đã xuống cấp",
    "Kiến nghị tu sửa tuyến đường liên thôn bị xuống cấp",
]
DOCTOR = "Đề nghị bổ sung bác sĩ cho trạm y tế xã"
AGENCY = "UBND tỉnh Lai Châu"
ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artefacts"


def voter_contact(
    meeting_id: str, held_on: str, opinions: list[tuple[str, str]], voters: int = 120
) -> dict[str, Any]:
    held = meeting("voter_contact", meeting_id, "Tiếp xúc cử tri trước kỳ họp thứ 3", held_on)
    field = "investment_construction"
    items = [
        {"opinion_id": oid, "text": text, "field": field, "addressed_to": AGENCY}
        for oid, text in opinions
    ]
    held |= {"timing": "before_session", "delegate_group": "Tổ đại biểu số 1"}
    return held | {"voters_attending": voters, "opinions_raised": len(items), "opinions": items}


async def services(stack: AsyncExitStack, settings: Settings) -> dict[str, Running]:
    """Meetings, the province's oversight and reporting, all consuming."""
    return {
        "meetings": await start_app(stack, meetings_app(settings), "http://meetings"),
        "oversight": await start_app(
            stack,
            oversight_app(settings.model_copy(update={"units": [PROVINCE]})),
            "http://oversight",
        ),
        "reporting": await start_app(stack, reporting_app(settings), "http://reporting"),
    }


async def record_contacts(meetings: Running) -> None:
    """The same request in three communes (one also asks for a doctor), in September 2026."""
    for i, (commune, text) in enumerate(zip(COMMUNES, ROAD, strict=False)):
        opinions = [(f"yk-{i}-road", text)]
        if i == 0:
            opinions.append((f"yk-{i}-doctor", DOCTOR))
        body = voter_contact(f"tx-{commune}", f"2026-09-0{i + 2}", opinions, voters=100 + i)
        r = await meetings.client.post(f"/units/{commune}/meetings", json=body)
        assert r.status_code == 201, r.text


async def with_contacts(stack: AsyncExitStack, settings: Settings) -> dict[str, Running]:
    """The services, the three communes' contacts recorded: where every test here starts."""
    apps = await services(stack, settings)
    await record_contacts(apps["meetings"])
    return apps


async def get(app: Running, path: str, **params: Any) -> Any:
    r = await app.client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def post(app: Running, path: str, body: dict[str, Any], status: int = 200) -> Any:
    r = await app.client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


async def registered(reporting: Running, count: int) -> list[dict[str, Any]]:
    async def proposed() -> list[dict[str, Any]]:
        found = await get(reporting, f"/units/{PROVINCE}/opinion-groups/proposed", period="2026-Q3")
        groups: list[dict[str, Any]] = found["groups"]
        assert groups and groups[0]["count"] == count, groups
        return groups

    result: list[dict[str, Any]] = await eventually(proposed)
    return result


def members(group: dict[str, Any]) -> list[dict[str, str]]:
    return [{"unit": o["unit"], "opinion_id": o["opinion_id"]} for o in group["opinions"]]


async def test_a_province_confirms_a_group_of_three_and_one_answer_answers_each_once(
    stack: AsyncExitStack, settings: Settings
) -> None:
    apps = await with_contacts(stack, settings)
    meetings, oversight, reporting = apps["meetings"], apps["oversight"], apps["reporting"]

    (proposal,) = await registered(reporting, 3)
    assert proposal["units"] == [await unit_name(reporting, c) for c in COMMUNES[:3]]
    assert proposal["voters"] == 100 + 101 + 102
    assert {o["text"] for o in proposal["opinions"]} == set(ROAD)

    body = {
        "group_id": "nhom-duong",
        "title": "Sửa chữa đường liên thôn xuống cấp",
        "field": "investment_construction",
        "agency": AGENCY,
        "members": members(proposal),
        "decided_on": "2026-10-01",
    }
    confirmed = await post(reporting, f"/units/{PROVINCE}/opinion-groups", body, 201)
    assert confirmed["revision"] == 1 and confirmed["result"] == "recorded"
    again = await post(reporting, f"/units/{PROVINCE}/opinion-groups", body, 200)
    assert again["result"] == "unchanged" and again["event_ids"] == []
    # the same opinions in another group of the level: refused, naming the opinion
    r = await reporting.client.post(
        f"/units/{PROVINCE}/opinion-groups", json={**body, "group_id": "other"}
    )
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "members", "0"]
    # a commune's secretary may not decide for the province
    r = await reporting.client.post(
        f"/units/{PROVINCE}/opinion-groups",
        json={**body, "group_id": "mine"},
        headers=bearer(COMMUNES[0]),
    )
    assert r.status_code == 403

    group = f"/units/{PROVINCE}/opinion-groups/nhom-duong"
    answer = {"answered_on": "2026-11-10", "answer": "UBND tỉnh đã bố trí vốn sửa chữa năm 2027."}
    done = await post(reporting, f"{group}/answer", answer)
    assert done["result"] == "recorded" and len(done["event_ids"]) == 1
    assert (await post(reporting, f"{group}/answer", answer))["result"] == "unchanged"
    r = await reporting.client.post(f"{group}/answer", json={**answer, "answer": "Khác"})
    assert r.status_code == 409

    async def answered_in_every_commune() -> None:
        for commune in COMMUNES[:3]:
            s = await get(reporting, f"/units/{commune}/summary", period="2026-09")
            f = s["figures"]
            assert f["opinions_forwarded"] == 1 and f["opinions_answered"] == 1, (commune, f)
        f = (await get(reporting, f"/units/{PROVINCE}/summary", period="2026-Q3"))["figures"]
        assert f["voter_opinions_raised"] == 4 and f["opinions_answered"] == 3

    await eventually(answered_in_every_commune)
    for i, commune in enumerate(COMMUNES[:3]):
        item = await get(oversight, f"/units/{commune}/opinions/yk-{i}-road")
        assert item["stage"] == "answered"
        assert item["steps"]["answered"]["answer"] == answer["answer"]
        assert item["by"]["answered"]["id"] == "tester"  # the group's answer's actor
    doctor = await get(oversight, f"/units/{COMMUNES[0]}/opinions/yk-0-doctor")
    assert doctor["stage"] == "received"  # not in the group: untouched

    shown = await get(reporting, group)
    assert shown["answer"]["answer"] == answer["answer"]
    assert shown["stages"]["answered"] == 3 and shown["count"] == 3

    resolved = {"resolved_on": "2026-11-20", "result": "Đã khởi công sửa chữa."}
    await post(reporting, f"{group}/resolve", resolved)

    async def resolved_everywhere() -> None:
        f = (await get(reporting, f"/units/{PROVINCE}/summary", period="2026-Q3"))["figures"]
        assert f["opinions_resolved"] == 3 and f["opinions_answered"] == 3

    await eventually(resolved_everywhere)
    # nothing counted twice: each opinion has one answered and one resolved event
    outbox = apps["oversight"].app.state.oversight.runtime.outbox.rows
    assert await outbox.count_documents({"event_type": "opinion.answered"}) == 3
    assert await outbox.count_documents({"event_type": "opinion.resolved"}) == 3
    await a_redelivered_answer_answers_nothing_twice(settings, apps)
    await the_synthesis_documents_say_so(meetings, reporting)


async def a_redelivered_answer_answers_nothing_twice(
    settings: Settings, apps: dict[str, Running]
) -> None:
    """The group's answer and resolution published again (a relay retrying after a crash):
    oversight reads them, finds its opinions answered and resolved, and writes nothing."""
    published = await records_on(settings, settings.topics.reporting, 3)
    again = [
        (bytes(r.key or b"").decode(), r.value or b"")
        for r in published
        if json.loads(r.value or b"{}").get("type", "").startswith("opinion_group.")
    ]
    assert len(again) == 2, again
    consumer = apps["oversight"].app.state.oversight.group_answers
    before = consumer.status.handled
    await publish_raw(settings, settings.topics.reporting, again)

    async def read_again() -> None:
        assert consumer.status.caught_up and consumer.status.handled >= before + 2

    await eventually(read_again)
    outbox = apps["oversight"].app.state.oversight.runtime.outbox.rows
    for kind in ("opinion.answered", "opinion.resolved"):
        assert await outbox.count_documents({"event_type": kind}) == 3, kind
    f = (await get(apps["reporting"], f"/units/{PROVINCE}/summary", period="2026-Q3"))["figures"]
    assert f["opinions_answered"] == 3 and f["opinions_resolved"] == 3


async def the_synthesis_documents_say_so(meetings: Running, reporting: Running) -> None:
    """Before session 3 (the previous one in July): the group with its three communes and its
    count, the doctor alone after it, and figures equal to the summary's over August to
    December; after it, the answers and results."""
    sessions = [("kh-2", "2026-07-15", 2), ("kh-3", "2026-12-10", 3)]
    for meeting_id, day, number in sessions:
        plan = {
            "meeting_id": meeting_id,
            "kind": "session",
            "title": "Kỳ họp",
            "scheduled_for": day,
        }
        plan["session"] = {"session_type": "regular", "term": "2026-2031", "number_in_term": number}
        await post(meetings, f"/units/{PROVINCE}/scheduled-meetings", plan, 201)
    path = f"/units/{PROVINCE}/opinions-report"

    async def known() -> None:
        r = await reporting.client.get(path, params={"session": "3"})
        assert r.status_code == 200, r.text

    await eventually(known)
    figures = (await get(reporting, f"/units/{PROVINCE}/summary", period="2026-08..2026-12"))[
        "figures"
    ]
    texts = {}
    for kind in ("synthesis", "results"):
        r = await reporting.client.get(path, params={"session": "3", "kind": kind})
        assert r.status_code == 200 and r.headers["content-type"].startswith(DOCX), r.text
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / f"{kind}-{PROVINCE}.docx").write_bytes(r.content)
        texts[kind] = [p.text for p in Document(io.BytesIO(r.content)).paragraphs]
    synthesis = texts["synthesis"]
    names = [await unit_name(reporting, c) for c in COMMUNES[:3]]
    subject = "Tổng hợp ý kiến, kiến nghị của cử tri trước kỳ họp thứ 3, HĐND tỉnh Lai Châu"
    assert any(p.startswith(subject) for p in synthesis), synthesis[:12]
    overview = next(p for p in synthesis if "cuộc tiếp xúc cử tri" in p)
    for key, words in (
        ("voter_contacts", "cuộc tiếp xúc cử tri"),
        ("voters_reached", "lượt cử tri"),
        ("voter_opinions_raised", "ý kiến, kiến nghị"),
    ):
        assert f" {vn_int(figures[key])} {words}" in overview, (key, overview)
    assert overview.startswith("Từ tháng 8/2026 đến tháng 12/2026")
    (group,) = [p for p in synthesis if p.startswith("- Sửa chữa đường liên thôn")]
    assert group == f"- Sửa chữa đường liên thôn xuống cấp (cử tri {', '.join(names)}; 3 ý kiến)."
    single = synthesis.index(f"- {DOCTOR} (cử tri {names[0]}).")
    assert single > synthesis.index(group)
    results = texts["results"]
    done = next(p for p in results if "đã được trả lời" in p and "đã chuyển" in p.lower())
    for key in ("opinions_forwarded", "opinions_answered", "opinions_resolved"):
        assert f" {vn_int(figures[key])} ý kiến" in done, (key, done)
    assert any(
        p.startswith("- Sửa chữa đường liên thôn") and "Đã được giải quyết" in p for p in results
    )
    pending = results[results.index("III. NHỮNG Ý KIẾN, KIẾN NGHỊ CHƯA ĐƯỢC GIẢI QUYẾT") + 1 :]
    assert pending[0].startswith(f"- {DOCTOR}"), pending[:2]


async def unit_name(reporting: Running, code: str) -> str:
    found = await get(reporting, "/workspace/units", code=code)
    return str(found[0]["name"])


async def record_more(meetings: Running) -> None:
    """A fourth commune asks for the road too, and for a doctor like the first."""
    commune = COMMUNES[3]
    opinions = [("yk-3-road", ROAD[0]), ("yk-3-doctor", "Thiếu bác sĩ tại trạm y tế xã")]
    body = voter_contact(f"tx-{commune}", "2026-09-06", opinions, voters=90)
    r = await meetings.client.post(f"/units/{commune}/meetings", json=body)
    assert r.status_code == 201, r.text


def road(*communes: int) -> list[dict[str, str]]:
    return [{"unit": COMMUNES[i], "opinion_id": f"yk-{i}-road"} for i in communes]


def group_body(group_id: str, opinions: list[dict[str, str]], title: str) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "title": title,
        "field": "investment_construction",
        "agency": AGENCY,
        "members": opinions,
        "decided_on": "2026-10-01",
    }


async def groups_now(reporting: Running) -> list[dict[str, Any]]:
    found = await get(reporting, f"/units/{PROVINCE}/opinion-groups", ended="true")
    return sorted(found["groups"], key=lambda g: g["group_id"])


async def test_groups_are_merged_split_and_dissolved_and_a_replay_rebuilds_the_same(
    stack: AsyncExitStack, settings: Settings
) -> None:
    apps = await with_contacts(stack, settings)
    reporting = apps["reporting"]
    await record_more(apps["meetings"])
    await registered(reporting, 4)
    base = f"/units/{PROVINCE}/opinion-groups"
    await post(reporting, base, group_body("a", road(0, 1), "Sửa đường (1)"), 201)
    await post(reporting, base, group_body("b", road(2, 3), "Sửa đường (2)"), 201)
    doctors = [
        {"unit": COMMUNES[0], "opinion_id": "yk-0-doctor"},
        {"unit": COMMUNES[3], "opinion_id": "yk-3-doctor"},
    ]
    await post(reporting, base, group_body("d", doctors, "Bổ sung bác sĩ trạm y tế"), 201)

    merge = {"groups": ["b"], "decided_on": "2026-10-02", "title": "Sửa đường liên thôn"}
    merged = await post(reporting, f"{base}/a/merge", merge)
    assert (merged["revision"], merged["result"]) == (2, "recorded")
    assert (await post(reporting, f"{base}/a/merge", merge))["result"] == "unchanged"
    split = {"members": road(2, 3), "new_group_id": "c", "decided_on": "2026-10-03"}
    await post(reporting, f"{base}/a/split", split)
    assert (await post(reporting, f"{base}/a/split", split))["result"] == "unchanged"
    r = await reporting.client.post(
        f"{base}/c/split", json={"members": road(2), "decided_on": "2026-10-03"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "members"]
    await post(reporting, f"{base}/d/ungroup", {"decided_on": "2026-10-04", "reason": "Khác nhau"})
    answered = {"answered_on": "2026-10-05", "answer": "Đã có kế hoạch"}
    await post(reporting, f"{base}/c/answer", answered)
    r = await reporting.client.post(f"{base}/c/merge", json={**merge, "groups": ["a"]})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["path", "group_id"]
    r = await reporting.client.post(f"{base}/b/split", json=split)
    assert r.status_code == 409  # b was merged: it has ended

    register = reporting.app.state.reporting.voter_opinions

    async def c_answered() -> list[dict[str, Any]]:
        groups = await groups_now(reporting)
        assert groups[2]["stages"]["answered"] == 2  # oversight answered both, read back
        # and the register has read everything on its topics (answers of c's members may
        # still be moving b's view when c's count is reached, on a loaded machine)
        status = register.consumer.status
        assert status.caught_up and status.lag == 0, status
        assert await groups_now(reporting) == groups
        return groups

    before = await eventually(c_answered)
    states = {g["group_id"]: (g["status"], g["revision"], g["count"]) for g in before}
    assert states == {
        "a": ("confirmed", 3, 2),
        "b": ("merged", 1, 2),
        "c": ("confirmed", 1, 2),
        "d": ("ungrouped", 2, 2),
    }
    assert [g["group_id"] for g in (await get(reporting, base))["groups"]] == ["a", "c"]

    # a rebuild from the topics: the register dropped and read again from offset 0
    service = register
    await service.consumer.stop()
    for name in ("opinion_groups", "voter_opinions", "voter_contacts"):
        await service.store.db[name].delete_many({})
    assert await groups_now(reporting) == []
    await service.replay()

    async def rebuilt() -> None:
        now = {g["group_id"]: g for g in await groups_now(reporting)}
        was = {g["group_id"]: g for g in before}
        assert now == was, {
            k: (was.get(k), now.get(k)) for k in was | now if was.get(k) != now.get(k)
        }

    await eventually(rebuilt, within=60)  # a replay of every topic, on a loaded machine too


async def test_forged_groups_and_answers_are_refused_and_answer_nothing(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """A compromised commune instance (its own key) and another province's (theirs) publish
    groups and answers naming the opinions of Lai Châu's communes: the projector dead-letters
    them, the register keeps none, oversight answers nothing."""
    settings = holding_its_own_key(settings, tmp_path, COMMUNES[0])
    apps = await with_contacts(stack, settings)
    reporting, oversight = apps["reporting"], apps["oversight"]
    (proposal,) = await registered(reporting, 3)
    members = [
        Member(unit=o["unit"], opinion_id=o["opinion_id"], raised_on=o["raised_on"])
        for o in proposal["opinions"]
    ]
    assert settings.keys_dir is not None
    commune, other = (
        Compromised(settings.keys_dir, COMMUNES[0]),
        Compromised(settings.keys_dir, "01"),
    )
    day = date(2026, 10, 1)
    grouped = OpinionGrouped(
        group_id="gia",
        revision=1,
        title="Nhóm giả",
        field="investment_construction",
        agency=AGENCY,
        members=members,
        decided_on=day,
        decided_by="Kẻ giả mạo",
    )
    answered = OpinionGroupAnswered(
        group_id="gia", agency=AGENCY, answer="Trả lời giả", answered_on=day, members=members
    )
    await publish_raw(
        settings,
        settings.topics.reporting,
        [
            commune.record(grouped, COMMUNES[0], day),
            commune.record(answered, COMMUNES[0], day),
            other.record(answered, "01", day),
        ],
    )
    reasons = await dead_letter_reasons(settings, expected=3)
    assert len(reasons) == 3, reasons
    assert all("nor above it" in r for r in reasons), reasons

    async def read_past_them() -> None:
        for consumer in (
            reporting.app.state.reporting.voter_opinions.consumer,
            oversight.app.state.oversight.group_answers,
        ):
            assert consumer.status.caught_up and consumer.status.handled >= 3

    await eventually(read_past_them)
    assert (await get(reporting, f"/units/{COMMUNES[0]}/opinion-groups"))["groups"] == []
    for i, commune_code in enumerate(COMMUNES[:3]):
        item = await get(oversight, f"/units/{commune_code}/opinions/yk-{i}-road")
        assert item["stage"] == "received"
    outbox = oversight.app.state.oversight.runtime.outbox.rows
    assert await outbox.count_documents({"event_type": "opinion.answered"}) == 0
