"""Refusals reveal nothing of other units: a record outside the caller's scope answers 404,
exactly as one that does not exist (no unit, no day of another council), and a step on a
stored record checks the record's own day as well as the new one.

Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (03390), Xã Thèn Sin (03394)
until 2025-06-30; from 2025-07-01 the code 03390 names Xã Bình Lư, another council.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.auth import Role
from services.common.hierarchy import Era
from tests.builders import supervision
from tests.conftest import Running, token
from tests.integration.test_meetings_lifecycle import plan
from tests.integration.test_rollup import voter_contact

pytestmark = pytest.mark.integration

DISTRICT, COMMUNE_A, COMMUNE_B = "106", "03390", "03394"


def as_user(unit: str, role: Role = "secretary", era: Era | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(unit, role, era=era)}"}


async def created(app: Running, path: str, body: dict[str, Any], **kw: Any) -> None:
    r = await app.client.post(path, json=body, **kw)
    assert r.status_code == 201, r.text


async def same_as_missing(
    app: Running,
    method: str,
    path: str,
    record: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """Ask for the existing `record` of another unit at `path`, and for a record that does not
    exist in its place: the two answers must be the same, but for the id asked."""
    found = await app.client.request(method, path, json=body, headers=headers)
    ghost = await app.client.request(
        method, path.replace(record, "no-such-id"), json=body, headers=headers
    )
    assert found.status_code == ghost.status_code == 404, (path, found.text, ghost.text)
    assert found.text.replace(record, "no-such-id") == ghost.text, (found.text, ghost.text)
    return found


async def test_a_record_of_another_unit_is_not_found_like_one_that_does_not_exist(
    apps: dict[str, Running],
) -> None:
    meetings, oversight, reporting = apps["meetings"], apps["oversight"], apps["reporting"]
    b, b_units = as_user(COMMUNE_B), f"/units/{COMMUNE_B}"
    await created(meetings, f"{b_units}/meetings", voter_contact("vc-b", "2025-03-01", 10, 0))
    scheduled = plan("plan-b", "voter_contact", "2025-03-20")
    await created(meetings, f"{b_units}/scheduled-meetings", scheduled, headers=b)
    survey = supervision(
        "survey", "Khảo sát", "standing_committee", "land", "2025-03-01..2025-03-05"
    )
    await created(
        oversight, f"{b_units}/supervisions", survey | {"supervision_id": "gs-b"}, headers=b
    )
    petition = {"petition_id": "don-b", "petition_type": "complaint", "received_on": "2025-03-02"}
    await created(oversight, f"{b_units}/petitions", petition | {"summary": "Đất"}, headers=b)
    proposal = {"proposal_id": "kn-b", "to_unit": DISTRICT, "raised_on": "2025-03-10"}
    proposal |= {"kind": "recommendation", "title": "Kiến nghị sửa đường liên thôn"}
    await created(reporting, f"{b_units}/proposals", proposal, headers=b)

    a = as_user(COMMUNE_A)
    for found in [
        await same_as_missing(meetings, "GET", "/meetings/vc-b", "vc-b", a),
        await same_as_missing(
            meetings, "POST", f"{b_units}/meetings/plan-b/cancel", "plan-b", a, {"reason": "Hủy"}
        ),
        await same_as_missing(oversight, "GET", "/supervisions/gs-b", "gs-b", a),
        await same_as_missing(oversight, "GET", f"{b_units}/petitions/don-b", "don-b", a),
        # The answer route of a commune about a proposal another commune sent its district.
        await same_as_missing(
            reporting,
            "POST",
            f"/units/{COMMUNE_A}/proposals/kn-b/answer",
            "kn-b",
            a,
            {"answered_on": "2025-03-12", "answer": "Đã tiếp thu"},
        ),
    ]:
        assert "Thèn Sin" not in found.text and "2025-03" not in found.text, found.text

    # A read-only token within the unit's scope is told why (that reveals nothing).
    viewer = await meetings.client.post(
        f"{b_units}/meetings/plan-b/cancel",
        json={"reason": "Hủy"},
        headers=as_user(DISTRICT, "viewer"),
    )
    assert viewer.status_code == 403 and viewer.json()["detail"][0]["type"] == "read_only"
    # The owner and the units above still read and step as before.
    assert (await meetings.client.get("/meetings/vc-b", headers=b)).status_code == 200
    assert (await oversight.client.get("/supervisions/gs-b", headers=as_user(DISTRICT))).is_success
    answered = await reporting.client.post(
        f"/units/{DISTRICT}/proposals/kn-b/answer",
        json={"answered_on": "2025-03-12", "answer": "Đã tiếp thu"},
        headers=as_user(DISTRICT),
    )
    assert answered.status_code == 201, answered.text


async def test_a_scheduled_meeting_is_held_only_by_a_council_that_may_record_its_day(
    apps: dict[str, Running],
) -> None:
    """The code 03390 names two councils: neither the legacy Thị trấn Tam Đường nor its
    district may hold the meeting Xã Bình Lư (2025) scheduled by claiming it was held before
    the reform; cancel checks the meeting's day the same way, and the 2025 commune, which
    carries the legacy town's history, holds both."""
    meetings = apps["meetings"]
    units = f"/units/{COMMUNE_A}"
    legacy, current = as_user(COMMUNE_A, era="legacy"), as_user(COMMUNE_A, era="2025")
    db = meetings.app.state.meetings.runtime
    await created(
        meetings,
        f"{units}/scheduled-meetings",
        plan("bl-1", "voter_contact", "2025-08-01"),
        headers=current,
    )
    await created(
        meetings,
        f"{units}/scheduled-meetings",
        plan("ttd-1", "voter_contact", "2025-06-20"),
        headers=legacy,
    )
    rows = await db.outbox.rows.count_documents({})
    before = await db.db["meetings"].find({}).sort("_id").to_list()

    held = voter_contact("bl-1", "2025-06-25", voters=30, opinions=0)  # a legacy day
    cancel = {"reason": "Không tổ chức", "cancelled_on": "2025-06-25"}
    for headers in (legacy, as_user(DISTRICT)):
        path = f"{units}/meetings/bl-1"
        await same_as_missing(meetings, "POST", f"{path}/hold", "bl-1", headers, held)
        await same_as_missing(meetings, "POST", f"{path}/cancel", "bl-1", headers, cancel)
    assert await db.outbox.rows.count_documents({}) == rows
    assert await db.db["meetings"].find({}).sort("_id").to_list() == before

    held = voter_contact("bl-1", "2025-08-01", voters=30, opinions=0)
    await created(meetings, f"{units}/meetings/bl-1/hold", held, headers=current)
    held = voter_contact("ttd-1", "2025-07-02", voters=30, opinions=0)
    await created(meetings, f"{units}/meetings/ttd-1/hold", held, headers=current)
