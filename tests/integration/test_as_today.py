"""History "as it was" and "as today": the 2025 reform on real servers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest

from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from services.reporting.read.periods import parse_period
from tests.conftest import eventually, start_app
from tests.integration.test_rollup import summary, voter_contact

pytestmark = pytest.mark.integration

DIVIDED = "00007"  # Phường Cống Vị (Hà Nội), divided in 2025 between 00008 (default) and 00025
HA_GIANG_COMMUNE = "00688"  # legacy Tỉnh Hà Giang (02), merged into Tỉnh Tuyên Quang (08)


async def test_history_as_it_was_and_as_today(stack: AsyncExitStack, settings: Settings) -> None:
    h = Hierarchy.load()
    assert h.successors(DIVIDED)[:1] == ("00008",) and "00025" in h.successors(DIVIDED)
    tuyen_quang_commune = h.children(h.children("08", "legacy")[0].code, "legacy")[0].code
    new_commune_08 = h.children("08", "2025")[0].code
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    posts = [
        (DIVIDED, voter_contact("a", "2025-03-10", voters=10, opinions=1)),
        ("00008", voter_contact("b", "2025-08-10", voters=5, opinions=1)),  # the 2025 ward
        (HA_GIANG_COMMUNE, voter_contact("c", "2025-02-10", voters=100, opinions=1)),
        (tuyen_quang_commune, voter_contact("d", "2025-04-10", voters=20, opinions=1)),
        (new_commune_08, voter_contact("e", "2025-09-10", voters=3, opinions=1)),
    ]
    for unit, body in posts:
        assert (await meetings.client.post(f"/units/{unit}/meetings", json=body)).status_code == 201

    async def all_counted() -> None:
        assert reporting.app.state.reporting.consumer.status.handled == len(posts)
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(all_counted)
    today = reporting.app.state.reporting.today_views

    async def as_today(code: str, period: str) -> dict[str, Any]:
        result = await today.summary(code, parse_period(period))
        assert result is not None
        return result

    # Provinces: Hà Giang's history now counts in Tuyên Quang; as it was, it does not, nor
    # does the legacy Tuyên Quang's: since the reform 08 names the merged province's council.
    assert (await as_today("08", "2025"))["figures"]["voters_reached"] == 123
    assert (await summary(reporting, "08", "2025"))["figures"]["voters_reached"] == 3
    assert (await summary(reporting, "08", "2025-H1"))["figures"]["voters_reached"] == 20
    assert (await summary(reporting, "02", "2025-H1"))["figures"]["voters_reached"] == 100

    # A divided ward counts wholly in its default successor, and the answer says so.
    ward = await as_today("00008", "2025")
    assert ward["figures"]["voters_reached"] == 15
    assert ward["view"] == "as_today"
    assert [a["legacy_unit"] for a in ward["attributed_by_rule"]] == [DIVIDED]
    other = await as_today("00025", "2025")
    assert other["figures"]["voters_reached"] == 0
    assert DIVIDED in [a["legacy_unit"] for a in other["attributed_by_rule"]]
    # After the reform only, nothing is attributed by the rule.
    assert (await as_today("00008", "2025-H2"))["attributed_by_rule"] == []

    # Hà Nội's children as today: the ward carries the divided ward's history.
    hanoi = await as_today("01", "2025")
    children = {c["code"]: c["figures"]["voters_reached"] for c in hanoi["children"]}
    assert children["00008"] == 15 and hanoi["figures"]["voters_reached"] == 15
    assert sum(children.values()) == hanoi["figures"]["voters_reached"]
    assert await today.summary("001", parse_period("2025")) is None  # districts are gone


async def test_as_today_through_the_api(stack: AsyncExitStack, settings: Settings) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    body = voter_contact("z", "2025-02-10", voters=100, opinions=1)
    assert (
        await meetings.client.post(f"/units/{HA_GIANG_COMMUNE}/meetings", json=body)
    ).status_code == 201

    async def mapped() -> None:
        r = await reporting.client.get(
            "/units/08/summary", params={"period": "2025", "view": "as_today"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["view"] == "as_today" and r.json()["figures"]["voters_reached"] == 100

    await eventually(mapped)
    r = await reporting.client.get(
        "/units/001/summary", params={"period": "2025", "view": "as_today"}
    )
    assert r.status_code == 404  # a district: gone after the reform
    r = await reporting.client.get(
        "/units/08/summary", params={"period": "2025", "view": "sideways"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "view"
