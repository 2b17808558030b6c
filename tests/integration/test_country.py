"""National summaries, and queries that cannot be answered: unknown units, impossible periods."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date

import pytest

from contracts.hierarchy import Dissolve
from deploy.registry import Registry
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import bearer, eventually, start_app
from tests.integration.test_rollup import voter_contact

pytestmark = pytest.mark.integration

HANOI_WARD = "00004"  # Phường Trúc Bạch (legacy Hà Nội), then Phường Ba Đình (2025 Hà Nội)


async def test_country_as_it_was_and_as_today(stack: AsyncExitStack, settings: Settings) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    for unit, body in [
        (HANOI_WARD, voter_contact("h1", "2025-03-01", voters=40, opinions=1)),
        (HANOI_WARD, voter_contact("h2", "2025-08-01", voters=2, opinions=1)),
        ("03388", voter_contact("l1", "2025-09-01", voters=5, opinions=1)),  # Lai Châu, 2025
    ]:
        assert (await meetings.client.post(f"/units/{unit}/meetings", json=body)).status_code == 201

    async def country(view: str) -> dict[str, object]:
        r = await reporting.client.get("/country/summary", params={"period": "2025", "view": view})
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body

    async def counted() -> None:
        assert (await country("as_it_was"))["figures"]["voters_reached"] == 47  # type: ignore[index]

    await eventually(counted)
    was = await country("as_it_was")
    children = was["children"]
    assert isinstance(children, list) and len(children) == 63 + 34
    by_era = {(c["era"], c["code"]): c["figures"]["voters_reached"] for c in children}
    assert by_era[("legacy", "01")] == 40 and by_era[("2025", "01")] == 2
    assert by_era[("2025", "12")] == 5
    today = await country("as_today")
    assert today["figures"]["voters_reached"] == 47  # type: ignore[index]
    provinces = today["children"]
    assert isinstance(provinces, list) and len(provinces) == 34
    hanoi = next(p for p in provinces if p["code"] == "01")
    assert hanoi["figures"]["voters_reached"] == 42  # its legacy history and its 2025 figure
    assert hanoi["rates"]["voter_contact_mean_voters"] == 42 / 2  # from its own summed counts
    assert set(hanoi["rates"]) == set(today["rates"])  # type: ignore[arg-type]

    # National figures need a national token.
    r = await reporting.client.get(
        "/country/summary", params={"period": "2025"}, headers=bearer("12", "viewer")
    )
    assert r.status_code == 403


async def test_unknown_units_and_impossible_periods_are_clear(
    stack: AsyncExitStack, settings: Settings
) -> None:
    reporting = await start_app(stack, reporting_app(settings, consume=False), "http://r")
    for period in ["2025-13", "2025-Q5", "2025-06..2025-02", "25", "2025-H3", "2025-00"]:
        r = await reporting.client.get("/units/12/summary", params={"period": period})
        assert r.status_code == 422, (period, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", "period"], period
    r = await reporting.client.get("/units/99999/summary", params={"period": "2025"})
    assert r.status_code == 404 and "99999" in r.json()["detail"][0]["msg"]
    r = await reporting.client.get("/country/summary", params={"period": "2025-13"})
    assert r.status_code == 422


async def test_a_dissolved_commune_counts_once_in_the_country_as_today(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    body = voter_contact("d1", "2025-09-01", voters=10, opinions=1)
    assert (await meetings.client.post("/units/03388/meetings", json=body)).status_code == 201
    runtime = Runtime(settings, "hierarchy")
    stack.push_async_callback(runtime.stop)
    registry = Registry(runtime)
    await registry.change(Dissolve(unit="03388"), date(2025, 10, 1))
    await registry.drain(lambda _: None, wait=30)

    async def dissolved_and_counted() -> None:
        service = reporting.app.state.reporting
        assert service.hierarchy.current("03388", "2025") == "12"
        r = await reporting.client.get(
            "/country/summary", params={"period": "2025", "view": "as_today"}
        )
        provinces = {p["code"]: p["figures"]["voters_reached"] for p in r.json()["children"]}
        assert provinces["12"] == 10 and r.json()["figures"]["voters_reached"] == 10

    await eventually(dissolved_and_counted)
    r = await reporting.client.get(
        "/units/12/summary", params={"period": "2025", "view": "as_today"}
    )
    assert r.json()["figures"]["voters_reached"] == 10
    assert (
        r.json()["own"]["voters_reached"] == 10
    )  # the dissolved council's own, now the province's
