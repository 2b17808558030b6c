"""The public page for voters on real servers: a voter finds an opinion by the code on the
receipt, without signing in; it shows no personal data, is rate-limited per client address,
cacheable, and can be switched off."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app
from tests.integration.test_opinion_groups import (
    COMMUNES,
    DOCTOR,
    ROAD,
    get,
    post,
    with_contacts,
)
from tests.integration.test_opinion_groups import registered as registered_all

pytestmark = pytest.mark.integration


def anonymous(app: Running, address: str = "203.0.113.7") -> httpx.AsyncClient:
    """A client without any token, from `address` (as the proxy passes it)."""
    transport = httpx.ASGITransport(app=app.app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://reporting")


async def receipt(reporting: Running, commune: str, opinion_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await get(reporting, f"/units/{commune}/opinions/{opinion_id}/receipt")
    return found


async def test_a_voter_finds_an_opinion_by_the_code_on_the_receipt_and_sees_no_personal_data(
    stack: AsyncExitStack, settings: Settings
) -> None:
    reporting = (await with_contacts(stack, settings))["reporting"]
    printed = await receipt(reporting, COMMUNES[1], "yk-1-road")  # right after recording
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", printed["code"])
    voter = await stack.enter_async_context(anonymous(reporting))

    async def registered() -> str:
        r = await voter.get("/cong-khai/tra-cuu", params={"ma": printed["code"]})
        assert r.status_code == 200, r.text
        return r.text

    await eventually(registered)
    await registered_all(reporting, 3)
    # the group's answer reaches the opinion, and the page says so
    body = {
        "group_id": "g",
        "title": "Sửa chữa đường liên thôn xuống cấp",
        "field": "investment_construction",
        "agency": "UBND tỉnh Lai Châu",
        "members": [{"unit": COMMUNES[i], "opinion_id": f"yk-{i}-road"} for i in range(3)],
        "decided_on": "2026-10-01",
    }
    await post(reporting, "/units/12/opinion-groups", body, 201)
    answer = {"answered_on": "2026-11-10", "answer": "Đã bố trí vốn sửa chữa năm 2027."}
    await post(reporting, "/units/12/opinion-groups/g/answer", answer)

    async def answered() -> str:
        typed = printed["code"].lower().replace("-", " ")  # as a voter may type it
        r = await voter.get("/cong-khai/tra-cuu", params={"ma": typed})
        assert r.status_code == 200 and "Đã được trả lời" in r.text, r.text
        return r.text

    page = await eventually(answered)
    assert "Đã bố trí vốn sửa chữa năm 2027." in page and "10/11/2026" in page
    assert "Sửa chữa đường liên thôn xuống cấp" in page  # the committee's title
    assert "cử tri 3 đơn vị cùng kiến nghị" in page
    for private in (ROAD[1], "tester", "Tổ đại biểu số 1", "yk-1-road"):
        assert private not in page, private  # the voter's words, who recorded it, ids
    assert '<html lang="vi">' in page

    unit = await voter.get(f"/cong-khai/{COMMUNES[0]}")
    assert unit.status_code == 200
    assert unit.headers["cache-control"] == "public, max-age=60"
    policy = unit.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert unit.text.count('<article class="opinion') == 2  # the road and the doctor
    assert DOCTOR not in unit.text and ROAD[0] not in unit.text
    assert "Authorization" not in voter.headers  # no sign-in anywhere on the way

    unknown = await voter.get("/cong-khai/tra-cuu", params={"ma": "0000-0000"})
    assert unknown.status_code == 404 and "Không tìm thấy" in unknown.text
    malformed = await voter.get("/cong-khai/tra-cuu", params={"ma": "abc"})
    assert malformed.status_code == 400


async def test_the_public_page_is_rate_limited_per_address_and_can_be_switched_off(
    stack: AsyncExitStack, settings: Settings
) -> None:
    limited = settings.model_copy(update={"public_page_per_minute": 5})
    reporting = await start_app(stack, reporting_app(limited, consume=False), "http://reporting")
    one = await stack.enter_async_context(anonymous(reporting, "198.51.100.1"))
    other = await stack.enter_async_context(anonymous(reporting, "198.51.100.2"))
    for _ in range(5):
        assert (await one.get("/cong-khai/tra-cuu", params={"ma": "7KQ2-M9XD"})).status_code == 404
    refused = await one.get("/cong-khai/12")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "thử lại sau" in refused.text and refused.headers["cache-control"] == "no-store"
    assert (await other.get("/cong-khai/12")).status_code == 200  # another address goes on
    assert (await one.get("/cong-khai/trang.css")).status_code == 200  # the style: not counted

    off = settings.model_copy(update={"public_page": False})
    dark = await start_app(stack, reporting_app(off, consume=False), "http://reporting")
    voter = await stack.enter_async_context(anonymous(dark))
    for path in ("/cong-khai/", "/cong-khai/12", "/cong-khai/tra-cuu?ma=7KQ2-M9XD"):
        assert (await voter.get(path)).status_code == 404, path
