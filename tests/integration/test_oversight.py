"""Oversight on real servers: HTTP → oversight → outbox → Kafka, read back as raw records."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from typing import Any

import pytest

from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.oversight.app import create_app
from tests.builders import LAND_SUPERVISION
from tests.conftest import Running, start_app
from tests.topics import records_on

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › its communes.
PROVINCE, DISTRICT = "12", "106"


def communes() -> list[str]:
    return [u.code for u in Hierarchy.load().children(DISTRICT, "legacy")]


def land_supervision(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supervision_id": "gs-dat-dai-2025",
        **LAND_SUPERVISION,
        "supervised_units": communes()[:2],
        "findings": "Tiến độ cấp giấy chậm ở hai xã.",
        "recommendations": 4,
        "report_ref": "45/BC-HĐND",
    }
    body.update(changes)
    return body


async def oversight(stack: AsyncExitStack, settings: Settings) -> Running:
    served = settings.model_copy(update={"units": [DISTRICT]})
    return await start_app(stack, create_app(served), "http://oversight")


async def test_a_finished_supervision_is_stored_and_published_once(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await oversight(stack, settings)
    body = land_supervision()

    r = await app.client.post(f"/units/{DISTRICT}/supervisions", json=body)
    assert r.status_code == 201, r.text
    recorded = r.json()
    assert recorded["status"] == "recorded" and recorded["sequence"] == 1

    again = await app.client.post(f"/units/{DISTRICT}/supervisions", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["event_id"] == recorded["event_id"]
    changed = land_supervision(recommendations=5)
    clash = await app.client.post(f"/units/{DISTRICT}/supervisions", json=changed)
    assert clash.status_code == 409, clash.text
    assert clash.json()["detail"][0]["loc"] == ["body", "supervision_id"]

    one = await app.client.get(f"/supervisions/{body['supervision_id']}")
    assert one.status_code == 200
    tester = {"id": "tester", "name": "tester", "kind": "person"}  # the token's `sub`
    assert one.json() == {
        **body,
        "unit": DISTRICT,
        "event_id": recorded["event_id"],
        "recorded_by": tester,
    }
    assert (await app.client.get("/supervisions/nope")).status_code == 404
    listed = await app.client.get(
        f"/units/{DISTRICT}/supervisions", params={"from": "2025-03-01", "to": "2025-03-31"}
    )
    assert [s["supervision_id"] for s in listed.json()] == [body["supervision_id"]]
    later = await app.client.get(f"/units/{DISTRICT}/supervisions", params={"from": "2025-04-01"})
    assert later.json() == []

    (record,) = await records_on(settings, settings.topics.oversight, expected=1)
    assert record.key == DISTRICT.encode()
    headers = dict(record.headers)
    assert (headers["event-type"], headers["event-version"]) == (b"supervision.finished", b"2")
    envelope = json.loads(record.value)
    assert envelope["event_id"] == recorded["event_id"]
    assert (envelope["type"], envelope["version"]) == ("supervision.finished", 2)
    assert (envelope["unit"], envelope["sequence"]) == (DISTRICT, 1)
    assert envelope["occurred_at"] == "2025-03-28T12:00:00+07:00"
    assert envelope["source"] == {"service": "oversight", "instance": "test"}
    assert envelope["payload"] == body


@pytest.mark.parametrize(
    ("unit", "changes", "status", "loc"),
    [
        (DISTRICT, {"committee": None}, 422, ["body", "committee"]),
        (DISTRICT, {"started_on": "2025-03-29"}, 422, ["body", "finished_on"]),
        ("99", {}, 422, ["path", "unit"]),
        (DISTRICT, {"supervised_units": ["105"]}, 422, ["body", "supervised_units", "0"]),
        (DISTRICT, {"finished_on": "2099-01-01"}, 422, ["body", "finished_on"]),
        ("105", {"supervised_units": []}, 403, ["path", "unit"]),
    ],
)
async def test_a_refused_supervision_writes_nothing(
    stack: AsyncExitStack,
    settings: Settings,
    unit: str,
    changes: dict[str, Any],
    status: int,
    loc: list[str],
) -> None:
    app = await oversight(stack, settings)
    r = await app.client.post(f"/units/{unit}/supervisions", json=land_supervision(**changes))
    assert r.status_code == status, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]]
    service = app.app.state.oversight
    assert await service.store.supervisions.count_documents({}) == 0
    assert await service.runtime.outbox.rows.count_documents({}) == 0
