"""Similar opinions while a secretary types, on real servers: a commune is shown the opinions
of its own, of the communes beside it and of its province raised this term, and what it may
not read of them is left out; their status follows the oversight steps; a restart builds the
index again from MongoDB; what another commune's key forges changes nothing."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts import decode_event
from contracts.oversight import OpinionAnswered, OpinionReceived
from contracts.privacy import ErasedField, PersonalDataErased
from contracts.timezone import today_in_vietnam
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.opinions.similar import term_start
from tests.conftest import Running, bearer, eventually, start_app, start_services
from tests.forged import Compromised
from tests.integration.test_signatures import holding_its_own_key
from tests.integration.test_story_district import opinion, post, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12), two of its communes; a ward of Hà Nội (01)
PROVINCE, COMMUNE, BESIDE, ELSEWHERE = "12", "03390", "03394", "00004"
ROAD = "Cử tri đề nghị sửa chữa đường liên thôn bị sạt lở, mùa mưa đi lại khó khăn"
BUILD = "investment_construction"


def days_ago(n: int) -> str:
    return (today_in_vietnam() - timedelta(days=n)).isoformat()


async def contact(meetings: Running, unit: str, meeting_id: str, day: str, *raised: Any) -> None:
    body = voter_contact(meeting_id, day, "before_session", 80, list(raised))
    await post(meetings, f"/units/{unit}/meetings", body)


async def similar(reporting: Running, unit: str, text: str, reader: str, **query: Any) -> Any:
    r = await reporting.client.get(
        f"/units/{unit}/opinions/similar", params={"text": text, **query}, headers=bearer(reader)
    )
    assert r.status_code == 200, r.text
    return r.json()


def shown(answer: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["unit"]["code"], o["opinion_id"]): o for o in answer["opinions"]}


async def record_the_road_in_four_places(meetings: Running) -> None:
    """The same request raised in the commune (and a request for another thing), beside it,
    by the province, in Hà Nội, and in the commune last term."""
    roof = opinion("yk-roof", BUILD, "Đề nghị sửa chữa nhà văn hóa thôn bị dột")
    road = opinion("yk-road", BUILD, ROAD)
    await contact(meetings, COMMUNE, "tx-commune", days_ago(5), road, roof)
    before = (term_start(today_in_vietnam()) - timedelta(days=10)).isoformat()
    await contact(meetings, COMMUNE, "tx-last-term", before, opinion("yk-old", BUILD, ROAD))
    beside = opinion("yk-beside", BUILD, "Sửa chữa tuyến đường liên thôn sạt lở")
    await contact(meetings, BESIDE, "tx-beside", days_ago(4), beside)
    above = opinion("yk-above", BUILD, "Kiến nghị sửa chữa đường liên thôn bị sạt lở nặng")
    await contact(meetings, PROVINCE, "tx-province", days_ago(3), above)
    await contact(meetings, ELSEWHERE, "tx-hanoi", days_ago(3), opinion("yk-hn", BUILD, ROAD))


async def test_a_commune_is_shown_its_own_its_neighbours_and_its_provinces_opinions_of_the_term(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, _, reporting = await start_services(stack, settings)
    await record_the_road_in_four_places(meetings)
    expected = {(COMMUNE, "yk-road"), (BESIDE, "yk-beside"), (PROVINCE, "yk-above")}

    async def three_places() -> dict[tuple[str, str], dict[str, Any]]:
        found = shown(await similar(reporting, COMMUNE, "sua chua duong lien thon", COMMUNE))
        assert set(found) == expected
        return found

    found = await eventually(three_places, within=30)
    own = found[(COMMUNE, "yk-road")]
    assert own["unit"] == {"code": COMMUNE, "name": "Xã Bình Lư"}
    assert (own["text"], own["status"], own["raised_on"]) == (ROAD, "received", days_ago(5))
    assert own["voter_contact"] == {"meeting_id": "tx-commune"} and own["score"] >= 60
    # What the commune may not read: the opinion, its unit, day and status, not its contact.
    beside, above = found[(BESIDE, "yk-beside")], found[(PROVINCE, "yk-above")]
    assert beside["unit"]["name"] == "Xã Sin Suối Hồ" and beside["voter_contact"] is None
    assert above["unit"]["name"] == "Tỉnh Lai Châu" and above["voter_contact"] is None
    assert not {"recorded_by", "addressed_to", "answer"} & set(beside)

    # The province reads its communes: every contact is named.
    asked = await similar(reporting, COMMUNE, ROAD, PROVINCE, limit=2)
    assert len(asked["opinions"]) == 2
    assert all(o["voter_contact"] for o in asked["opinions"])
    # The commune beside it may not ask in the commune's name; nor anyone of a unit of no era.
    r = await reporting.client.get(
        f"/units/{COMMUNE}/opinions/similar", params={"text": ROAD}, headers=bearer(BESIDE)
    )
    assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["path", "unit"]
    # Too little typed: nothing; the opinion being edited: left out.
    assert (await similar(reporting, COMMUNE, "đường", COMMUNE))["opinions"] == []
    left = await similar(reporting, COMMUNE, ROAD, COMMUNE, exclude="yk-road")
    assert set(shown(left)) == expected - {(COMMUNE, "yk-road")}


async def published_again(settings: Settings, opinion_id: str, types: tuple[str, ...]) -> None:
    """The records of the oversight topic about `opinion_id` of these types, sent again as
    they were."""
    records = await records_on(settings, settings.topics.oversight, 1)
    again = [
        r
        for r in records
        if dict(r.headers).get("event-type", b"").decode() in types
        and getattr(decode_event(r.value or b"").payload, "opinion_id", None) == opinion_id
    ]
    assert len(again) == len(types), again
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for r in again:
            await producer.send_and_wait(
                settings.topics.oversight, r.value, key=r.key, headers=list(r.headers)
            )
    finally:
        await producer.stop()


async def test_the_status_follows_the_steps_and_a_restart_builds_the_index_again(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    oversight = await start_app(stack, oversight_app(settings), "http://oversight")
    first = AsyncExitStack()
    stack.push_async_callback(first.aclose)  # (again: nothing) if the test fails before
    reporting = await start_app(first, reporting_app(settings), "http://reporting")
    await record_the_road_in_four_places(meetings)

    async def status_of(opinion_id: str, unit: str = COMMUNE) -> str | None:
        found = shown(await similar(reporting, COMMUNE, ROAD, COMMUNE))
        return found[(unit, opinion_id)]["status"] if (unit, opinion_id) in found else None

    async def becomes(status: str | None, opinion_id: str = "yk-road", unit: str = COMMUNE) -> None:
        async def now() -> None:
            assert await status_of(opinion_id, unit) == status

        await eventually(now, within=30)

    await becomes("received")
    steps = f"/units/{COMMUNE}/opinions/yk-road"
    today = today_in_vietnam().isoformat()
    await post(oversight, f"{steps}/forwarded", {"forwarded_on": today, "agency": "UBND xã"}, 200)
    await becomes("forwarded")
    await post(oversight, f"{steps}/answered", {"answered_on": today, "answer": "Đã bố trí"}, 200)
    await becomes("answered")
    await post(oversight, f"{steps}/resolved", {"resolved_on": today}, 200)
    await becomes("resolved")

    # The opening and a step published again after the later ones (a relay sending its rows
    # once more): the register takes nothing back, the answer stays.
    await published_again(settings, "yk-road", ("opinion.received", "opinion.forwarded"))
    register = reporting.app.state.reporting.voter_opinions

    async def read_again() -> None:
        assert register.consumer.status.lag == 0 and register.consumer.status.handled >= 10

    await eventually(read_again, within=30)
    assert await status_of("yk-road") == "resolved"
    kept = await register.store.opinions.find_one({"_id": f"{COMMUNE}:yk-road"})
    assert kept is not None and kept["answer"] == "Đã bố trí", kept

    # The contact beside it corrected: its opinion no longer listed is withdrawn, and gone.
    fixed = voter_contact("tx-beside", days_ago(4), "before_session", 80, [])
    body = {"meeting": fixed, "reason": "Ý kiến ghi nhầm tổ"}
    await post(meetings, f"/units/{BESIDE}/meetings/tx-beside/correct", body)
    await becomes(None, "yk-beside", BESIDE)
    before = await similar(reporting, COMMUNE, ROAD, COMMUNE)

    # Another process starts on the same database: it builds the same index from MongoDB.
    await first.aclose()
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")

    async def built_again() -> None:
        assert await similar(reporting, COMMUNE, ROAD, COMMUNE) == before

    await eventually(built_again, within=30)
    ready = await reporting.client.get("/ready", headers=bearer(None, "operator"))
    index = ready.json()["opinion_index"]
    assert index["built"] and index["opinions"] == 5, index  # road, roof, old, above, Hà Nội


async def test_what_another_communes_key_forges_changes_no_opinion_of_the_commune(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Commune BESIDE's instance is compromised: with its real key it answers the commune's
    opinion under its own unit, opens one in the commune's name and erases the commune's text.
    The commune's opinion stays as recorded and nothing forged is suggested."""
    settings = holding_its_own_key(settings, tmp_path, BESIDE)
    assert settings.keys_dir is not None
    meetings, _, reporting = await start_services(stack, settings)
    await contact(meetings, COMMUNE, "tx-commune", days_ago(5), opinion("yk-road", BUILD, ROAD))

    async def as_recorded() -> None:
        found = shown(await similar(reporting, COMMUNE, ROAD, COMMUNE))
        assert list(found) == [(COMMUNE, "yk-road")]
        assert (found[(COMMUNE, "yk-road")]["text"], found[(COMMUNE, "yk-road")]["status"]) == (
            ROAD,
            "received",
        )

    await eventually(as_recorded, within=30)

    forger = Compromised(settings.keys_dir, BESIDE)
    raised = date.fromisoformat(days_ago(5))
    answered = OpinionAnswered(opinion_id="yk-road", raised_on=raised, answered_on=raised)
    opened = OpinionReceived(
        opinion_id="yk-forged", raised_on=raised, meeting_id="tx-commune",
        text=f"{ROAD} (ghi giả)", field=BUILD,
    )  # fmt: skip
    erased = PersonalDataErased(
        erasure_id="e-forged", erased_on=raised, documents=1, outbox_rows=0,
        fields=[ErasedField(
            database="reporting", collection="voter_opinions", document_id=f"{COMMUNE}:yk-road",
            path="text",
        )],
    )  # fmt: skip
    topics = settings.topics
    records = [
        (topics.oversight, forger.record(answered, BESIDE, raised)),  # its own unit's, by id
        (topics.oversight, forger.record(opened, COMMUNE, raised)),  # signed for another unit
        (topics.reporting, forger.record(erased, BESIDE, raised)),  # reaching below another
    ]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for topic, (key, value) in records:
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()

    consumer = reporting.app.state.reporting.voter_opinions.consumer

    async def all_read() -> None:
        assert consumer.status.handled >= 4 and consumer.status.lag == 0

    await eventually(all_read, within=30)
    await as_recorded()
    store = reporting.app.state.reporting.similar.store
    kept = await store.find([f"{COMMUNE}:yk-road", f"{COMMUNE}:yk-forged", f"{BESIDE}:yk-road"])
    assert list(kept) == [f"{COMMUNE}:yk-road"] and kept[f"{COMMUNE}:yk-road"]["text"] == ROAD
