"""Hierarchy changes through the registry and Kafka, and a rebuild switched in while serving."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest

from contracts.hierarchy import Dissolve, Merge, Reparent
from deploy.projections import RebuildError, drop, rebuild, status
from deploy.registry import ChangeRefused, Registry
from services.common.background import cancel
from services.common.hierarchy import Hierarchy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, bearer, eventually, start_app
from tests.integration.test_rollup import summary, voter_contact

pytestmark = pytest.mark.integration

LAI_CHAU, DIEN_BIEN = "12", "11"


async def record(meetings: Running, unit: str, body: dict[str, object]) -> int:
    return (await meetings.client.post(f"/units/{unit}/meetings", json=body)).status_code


async def ready_of(service: Running) -> dict[str, Any]:
    return (await service.client.get("/ready", headers=bearer(None, "operator"))).json()


async def test_changes_move_figures_every_service_follows_and_a_rebuild_switches_in(
    stack: AsyncExitStack, settings: Settings
) -> None:
    h = Hierarchy.load()
    a, b, c = [u.code for u in h.children(LAI_CHAU, "2025")[:3]]
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    service = reporting.app.state.reporting

    async def projector_ready() -> dict[str, Any]:
        shown = (await ready_of(reporting))["projector"]
        return {k: shown[k] for k in ("version", "switching_to", "caught_up") if k in shown}

    posts = [
        (a, voter_contact("a-dec", "2025-12-10", voters=7, opinions=1)),
        (a, voter_contact("a-feb", "2026-02-10", voters=11, opinions=1)),
        (b, voter_contact("b-feb", "2026-02-11", voters=13, opinions=1)),
    ]
    for unit, body in posts:
        assert await record(meetings, unit, body) == 201

    async def counted(n: int) -> None:
        assert service.consumer.status.handled >= n and service.consumer.status.caught_up

    await eventually(lambda: counted(len(posts)))
    assert (await summary(reporting, LAI_CHAU, "2026-02"))["figures"]["voters_reached"] == 24

    # Commune `a` moves to Điện Biên from 1 January 2026, after its figures were counted.
    registry_runtime = Runtime(settings, "hierarchy")
    stack.push_async_callback(registry_runtime.stop)
    registry = Registry(registry_runtime)
    await registry.change(Reparent(unit=a, parent=DIEN_BIEN), date(2026, 1, 1), "NQ thử")
    with pytest.raises(ChangeRefused, match="not in force"):
        await registry.change(Merge(units=["99999"], into=b), date(2026, 3, 1))
    await registry.drain(lambda _: None, wait=30)

    async def moved() -> None:
        feb_dien_bien = await summary(reporting, DIEN_BIEN, "2026-02")
        assert feb_dien_bien["figures"]["voters_reached"] == 11
        assert a in [child["code"] for child in feb_dien_bien["children"]]
        assert (await summary(reporting, LAI_CHAU, "2026-02"))["figures"]["voters_reached"] == 13
        # Before the change it was, and stays, Lai Châu's.
        assert (await summary(reporting, LAI_CHAU, "2025-12"))["figures"]["voters_reached"] == 7

    await eventually(moved)

    # `b` merges into `c` from March: the meetings service follows the same topic and refuses
    # new records for `b` dated after that; a late record for `b` that slipped through
    # before the change is known still counts, in `c`.
    await registry.change(Merge(units=[b], into=c), date(2026, 3, 1))
    # A backdated change may not undo one already in force: `c` must exist in March.
    with pytest.raises(ChangeRefused, match="no longer apply"):
        await registry.change(Dissolve(unit=c), date(2026, 1, 1))
    await registry.drain(lambda _: None, wait=30)

    async def followed() -> None:
        assert meetings.app.state.meetings.hierarchy.find(b, date(2026, 3, 5)) is None

    await eventually(followed)
    body = voter_contact("b-mar", "2026-03-05", voters=5, opinions=1)
    r = await meetings.client.post(f"/units/{b}/meetings", json=body)
    assert r.status_code == 422 and f"was merged into {c} on 2026-03-01" in r.text, r.text
    assert await record(meetings, c, voter_contact("c-mar", "2026-03-06", 17, 1)) == 201

    async def march_counted() -> None:
        assert (await summary(reporting, c, "2026-03"))["figures"]["voters_reached"] == 17

    await eventually(march_counted)

    # The activity log follows the changes too: `a`'s February entry is listed under Điện Biên,
    # wherever it was listed when written; each change is an entry of the system, for the
    # operator's command.
    async def listed(unit: str) -> list[tuple[str, str, str]]:
        r = await reporting.client.get(f"/units/{unit}/activity", params={"below": "true"})
        assert r.status_code == 200, r.text
        return sorted((e["type"], e["record"], e["actor"]["name"]) for e in r.json()["items"])

    log = {unit: await listed(unit) for unit in (LAI_CHAU, DIEN_BIEN)}
    assert log[DIEN_BIEN] == [("meeting.held", "a-feb", "tester")]
    changes = [(n, name) for kind, n, name in log[LAI_CHAU] if kind == "hierarchy.changed"]
    assert [n for n, _ in changes] == ["1", "2"]
    assert changes[0][1].endswith("(hdnd hierarchy reparent)")
    assert changes[1][1].endswith("(hdnd hierarchy merge)")
    assert [e[1] for e in log[LAI_CHAU] if e[0] == "meeting.held"] == ["a-dec", "b-feb", "c-mar"]

    async def as_today(unit: str, period: str) -> dict[str, object]:
        r = await reporting.client.get(
            f"/units/{unit}/summary", params={"period": period, "view": "as_today"}
        )
        assert r.status_code == 200, r.text
        figures: dict[str, object] = r.json()["figures"]
        return figures

    # As today: `a`'s whole history is Điện Biên's, and `b`'s lives on in `c`.
    assert (await as_today(DIEN_BIEN, "2025-12"))["voters_reached"] == 7
    assert (await as_today(LAI_CHAU, "2025-12"))["voters_reached"] == 0
    r = await reporting.client.get(
        "/country/summary", params={"period": "2025-12", "view": "as_today"}
    )
    national = {p["code"]: p["figures"]["voters_reached"] for p in r.json()["children"]}
    assert national[DIEN_BIEN] == 7 and national[LAI_CHAU] == 0
    assert (await as_today(c, "2026"))["voters_reached"] == 13 + 17
    gone = await reporting.client.get(
        f"/units/{b}/summary", params={"period": "2026", "view": "as_today"}
    )
    assert gone.status_code == 404
    before = {
        (unit, period): (await summary(reporting, unit, period))["figures"]
        for unit in (LAI_CHAU, DIEN_BIEN, a, c)
        for period in ("2025-12", "2026", "2026-Q1")
    }

    # Rebuild from offset 0 beside the live version, then switch; the service follows. Until
    # it has (held back here), /ready says what it answers is about to change.
    await cancel(service._watch)
    seen: list[tuple[int, int]] = []
    result = await rebuild(settings, lambda done, total: seen.append((done, total)), wait=120)
    assert result.switched and result.version == 2 and result.previous == 1
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert await projector_ready() == {"version": 1, "switching_to": 2, "caught_up": False}
    service._watch = asyncio.create_task(service._follow_switches(), name="projection-switch")

    state = await status(settings)
    assert state["active"] == 2 and [v["version"] for v in state["versions"]] == [1, 2]
    assert state["versions"][1]["changes"] == 2  # the re-parenting and the merger
    with pytest.raises(RebuildError, match="answers queries"):
        await drop(settings, 2)

    async def switched() -> None:
        assert service.store.version == 2 and service.consumer.status.caught_up
        assert await projector_ready() == {"version": 2, "caught_up": True}

    await eventually(switched)
    assert {unit: await listed(unit) for unit in log} == log  # the rebuilt log is the same
    after = {key: (await summary(reporting, *key))["figures"] for key in before}
    assert {
        key: {k: (v, after[key].get(k)) for k, v in f.items() if after[key].get(k) != v}
        for key, f in before.items()
        if f != after[key]
    } == {}

    # It goes on folding new records into the version it switched to.
    assert await record(meetings, c, voter_contact("c-apr", "2026-04-02", 19, 1)) == 201

    async def folded_after_switch() -> None:
        april = await summary(reporting, LAI_CHAU, "2026-04")
        assert april["figures"]["voters_reached"] == 19

    await eventually(folded_after_switch)


async def test_the_cli_divides_a_real_district_and_places_each_of_its_communes(
    settings: Settings,
) -> None:
    """Huyện Tam Đường (106, 13 communes) divided in two: a district has children, so the
    change is refused unless the operator says where each goes (`--children-to`)."""
    from tests.integration.test_dlq import hdnd

    tam_duong = "106"
    communes = [u.code for u in Hierarchy.load().children(tam_duong, "legacy")]
    north, south = "998", "997"
    divide = [
        "hierarchy", "divide", tam_duong,
        "--into", f"{north}=Huyện Tam Đường Bắc", "--into", f"{south}=Huyện Tam Đường Nam",
        "--effective", "2024-01-01", "--decision", "NQ thử",
    ]  # fmt: skip
    refused = await hdnd(settings, *divide, signing=True)
    assert refused.exit_code != 0 and "children_to does not place" in refused.output
    done = await hdnd(
        settings,
        *divide,
        *("--children-to", f"{communes[1]}={south}", "--children-to", north),
        signing=True,
    )
    assert done.exit_code == 0, done.output

    runtime = Runtime(settings, "hierarchy")
    try:
        after = await Registry(runtime).hierarchy()
    finally:
        await runtime.stop()
    day = date(2024, 1, 1)
    assert after.find(tam_duong, day) is None
    assert [u.code for u in after.children(south, day)] == [communes[1]]
    assert [u.code for u in after.children(north, day)] == [communes[0], *communes[2:]]
    assert after.find(communes[0], date(2023, 12, 31)).parent == tam_duong  # type: ignore[union-attr]
