"""A secretary's day in the workspace, in chromium against the real services: record a voter
contact with its opinions through the form, follow one up with the list's buttons and see the
dashboard's figures move; a refusal shown next to its field; a record typed while the service
is down kept in the browser and sent once when it is back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect

from contracts.timezone import VIETNAM_TZ
from tests.conftest import eventually
from tests.e2e.conftest import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# Tỉnh Lai Châu (12) and two of its communes since the 2025 reform.
PROVINCE, COMMUNE, OTHER_COMMUNE = "12", "03390", "03394"


def day_before(days: int) -> date:

    return datetime.now(VIETNAM_TZ).date() - timedelta(days=days)


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


async def signed_in_at(workspace: Workspace, page: Page, unit: str, name: str) -> None:
    """`page` signed in as a secretary of `unit`, once the workspace shows it as `name`."""
    await workspace.sign_in(page, unit=unit)
    await expect(page.locator("#unit-name")).to_have_text(name)


async def proposal_received(
    workspace: Workspace, page: Page, commune: str, title: str, raised_on: date
) -> Locator:
    """`commune` raises a proposal titled `title` to the province through its page; then the
    province, signed in on the same page, finds its row among those received."""
    await workspace.sign_in(page, unit=commune)
    await page.get_by_role("link", name="Kiến nghị, đề xuất lên cấp trên").click()
    await page.fill('[name="to_unit"]', "Lai Châu")
    await page.click(f'[data-path="to_unit"] li[data-code="{PROVINCE}"]')
    await page.select_option('[name="kind"]', "recommendation")
    await page.fill('[name="title"]', title)
    await page.fill('[name="raised_on"]', dmy(raised_on))
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")

    await workspace.sign_in(page, unit=PROVINCE)
    await page.get_by_role("link", name="Kiến nghị, đề xuất nhận được").click()
    row = page.locator("#list-de-xuat-nhan tbody tr[data-id]").filter(has_text=title)

    async def arrived() -> None:
        await page.evaluate("location.reload()")
        await expect(row).to_have_count(1, timeout=2_000)

    await eventually(arrived, within=30, interval=0.5)
    return row


async def shot(page: Page, workspace: Workspace, name: str) -> None:
    await page.screenshot(path=str(workspace.screenshots / f"{name}.png"), full_page=True)


async def fill_voter_contact(
    page: Page, title: str, held_on: str, opinions: list[tuple[str, str, str]]
) -> None:
    await page.fill('[name="title"]', title)
    await page.fill('[name="held_on"]', held_on)
    await page.select_option('[name="timing"]', "after_session")
    await page.fill('[name="delegate_group"]', "Tổ đại biểu số 1")
    await page.fill('[name="voters_attending"]', "120")
    await page.fill('[name="opinions_raised"]', str(len(opinions)))
    for i, (text, field, agency) in enumerate(opinions):
        await page.click('[data-add="opinions"]')
        await page.fill(f'[name="opinions.{i}.text"]', text)
        await page.select_option(f'[name="opinions.{i}.field"]', field)
        await page.fill(f'[name="opinions.{i}.addressed_to"]', agency)


async def figures(workspace: Workspace, unit: str, period: str) -> dict[str, Any]:
    r = await workspace.apps["reporting"].client.get(
        f"/units/{unit}/summary", params={"period": period}
    )
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()["figures"]
    return found


async def test_voter_contact_with_three_opinions_followed_up_moves_the_dashboard(
    workspace: Workspace, page: Page
) -> None:
    held = day_before(2)
    await workspace.sign_in(page, unit=PROVINCE)
    await expect(page.locator("#page-title")).to_contain_text("Tỉnh Lai Châu")
    await expect(page.locator(".due-card").first).to_be_visible()
    await shot(page, workspace, "home-province")

    # The commune is chosen by name (accents optional), never by code.
    await page.fill('#unit-switch [name="unit"]', "binh lu")
    await page.click(f'#unit-switch li[data-code="{COMMUNE}"]')
    await page.click('#unit-switch button[type="submit"]')
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")

    dashboard = await page.context.new_page()
    await dashboard.goto(f"{workspace.url}/?unit={COMMUNE}&period={held.year}")
    opinions_card = dashboard.locator('.card[data-key="voter_opinions_raised"]')
    await expect(opinions_card.locator(".card-value")).to_have_text("0")

    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    await fill_voter_contact(
        page,
        "Tiếp xúc cử tri sau kỳ họp thứ 5",
        dmy(held),
        [
            ("Đề nghị sửa chữa đường liên thôn Nà Khum", "investment_construction", "UBND xã"),
            ("Cấp giấy chứng nhận quyền sử dụng đất chậm", "land", "Văn phòng đăng ký đất đai"),
            ("Trạm y tế thiếu thuốc điều trị", "education_health", "Sở Y tế"),
        ],
    )
    await shot(page, workspace, "form-voter-contact")
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")

    # The oversight service opens one item per opinion from the meeting's event.
    await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    rows = page.locator("#list-y-kien tbody tr[data-id]")

    async def three_opinions() -> None:
        await page.evaluate("location.reload()")
        await expect(rows).to_have_count(3, timeout=2_000)

    await eventually(three_opinions, within=30, interval=0.5)
    first = rows.first
    opinion_id = await first.get_attribute("data-id")
    row = page.locator(f'tr[data-id="{opinion_id}"]')
    await row.locator('[data-step="forwarded"]').click()
    await page.fill('.step-panel [name="agency"]', "UBND huyện")
    await shot(page, workspace, "list-opinions")
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đã chuyển")
    await row.locator('[data-step="answered"]').click()
    await page.fill('.step-panel [name="answer"]', "UBND huyện đã bố trí kinh phí sửa đường")
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đã trả lời")
    await row.locator('[data-step="resolved"]').click()
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đã giải quyết")

    # The dashboard refreshes itself: 3 opinions received, 1 resolved.
    await expect(opinions_card.locator(".card-value")).to_have_text("3", timeout=30_000)
    await expect(opinions_card.locator(".card-sub .v")).to_have_text("1", timeout=30_000)
    await shot(dashboard, workspace, "dashboard")

    await page.get_by_role("link", name="Việc cần làm").click()
    await expect(page.locator("#recent")).to_contain_text("Tiếp xúc cử tri sau kỳ họp thứ 5")
    await shot(page, workspace, "home-commune")


async def test_a_refused_record_shows_the_message_next_to_its_field_and_keeps_what_was_typed(
    workspace: Workspace, page: Page
) -> None:
    person = await workspace.person(COMMUNE)
    await page.goto(f"{workspace.url}/workspace/")
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
    await page.fill("#username", person.username)
    await page.fill("#password", person.password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    opinion = ("Đề nghị lắp đèn chiếu sáng", "other", "UBND xã")
    await fill_voter_contact(page, "Tiếp xúc cử tri năm sau", "01/01/2099", [opinion])
    await page.click('form.record-form button[type="submit"]')

    message = page.locator('[data-error-for="held_on"]')
    await expect(message).to_be_visible()
    await expect(message).to_contain_text("Ngày ở tương lai")
    await expect(message).to_contain_text("is in the future")  # and the service's own words
    await expect(page.locator('[name="held_on"]')).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".message.error")).to_contain_text("422")
    # nothing typed is lost
    await expect(page.locator('[name="title"]')).to_have_value("Tiếp xúc cử tri năm sau")
    await expect(page.locator('[name="opinions.0.text"]')).to_have_value(opinion[0])
    await expect(page.locator('[name="held_on"]')).to_have_value("01/01/2099")
    await shot(page, workspace, "form-refused")


async def test_a_record_typed_while_the_service_is_down_is_sent_once_when_it_returns(
    workspace: Workspace, page: Page
) -> None:
    held = day_before(3)
    await signed_in_at(workspace, page, OTHER_COMMUNE, "Xã Sin Suối Hồ")
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    await expect(page.locator('[name="title"]')).to_be_visible()

    meetings = workspace.listeners["meetings"]
    await meetings.stop()
    try:
        await fill_voter_contact(page, "Tiếp xúc cử tri khi mất mạng", dmy(held), [])
        await page.click('form.record-form button[type="submit"]')
        await expect(page.locator(".message.warn")).to_contain_text("sẽ tự gửi")
        await expect(page.locator("#outbox-badge")).to_have_text("Đang chờ gửi: 1")
        await page.click("#outbox-badge")
        await expect(page.locator("#outbox tbody tr")).to_have_count(1)
        await expect(page.locator("#outbox")).to_contain_text("Tiếp xúc cử tri")
        await shot(page, workspace, "outbox")
        queued = await page.evaluate("Outbox.all()")
        assert len(queued) == 1 and queued[0]["body"]["meeting_id"]
    finally:
        await meetings.start()

    # The outbox retries on its own (timer, `online`), and the record is sent once.
    await expect(page.locator("#outbox-badge")).to_have_text(
        "Không có bản ghi chờ gửi", timeout=30_000
    )
    client = workspace.apps["meetings"].client
    listed = (await client.get(f"/units/{OTHER_COMMUNE}/meetings")).json()
    assert [m["title"] for m in listed] == ["Tiếp xúc cử tri khi mất mạng"]

    # The stable id makes a repeat harmless: the service answers "unchanged".
    again = await client.post(f"/units/{OTHER_COMMUNE}/meetings", json=queued[0]["body"])
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    async def counted_once() -> None:
        assert (await figures(workspace, OTHER_COMMUNE, str(held.year)))["voter_contacts"] == 1

    await eventually(counted_once, within=30)


async def test_every_record_the_services_accept_has_a_form(
    workspace: Workspace, page: Page
) -> None:
    """Each menu entry draws its form from the service's schema, with Vietnamese labels."""
    await workspace.sign_in(page, unit=COMMUNE)
    links = page.locator("nav details a[href^='#/ghi/']")
    await expect(links.first).to_be_visible()
    hrefs = [await a.get_attribute("href") for a in await links.all()]
    assert len(hrefs) >= 8 + 1 + 3 + 5  # meeting kinds, scheduling, oversight, coordination
    folder = workspace.screenshots / "forms"
    folder.mkdir(exist_ok=True)
    for href in hrefs:
        assert href is not None
        await page.evaluate("href => { location.hash = href }", href)
        form = page.locator(f'main[data-view="{href[1:]}"] form.record-form')
        await expect(form.locator(".sf-field:not([hidden])").first).to_be_visible()
        labels = await form.locator(".sf-field > label").all_inner_texts()
        assert not [t for t in labels if "_" in t], f"{href}: unlabelled fields {labels}"
        name = href.split("/ghi/")[1].replace("/", "-").replace("?kind=", "-")
        await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def test_without_any_network_the_page_opens_from_its_cache_and_keeps_records_to_send(
    workspace: Workspace, page: Page
) -> None:
    """The service worker serves the page, its scripts and the services' schemas offline;
    a petition typed then is sent when the browser is back online, once."""
    unit = "03405"  # Xã Tả Lèng
    await signed_in_at(workspace, page, unit, "Xã Tả Lèng")
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.reload()  # now controlled by the service worker, which cached what it served
    await expect(page.locator("#unit-name")).to_have_text("Xã Tả Lèng")

    await page.context.set_offline(True)
    try:
        await page.reload()
        await expect(page.locator("#unit-name")).to_have_text("Xã Tả Lèng")
        await page.get_by_role("link", name="Đơn thư nhận qua đường bưu điện").click()
        await page.select_option('[name="petition_type"]', "complaint")
        await page.fill('[name="summary"]', "Khiếu nại về bồi thường giải phóng mặt bằng")
        await page.fill('[name="received_on"]', dmy(day_before(1)))
        await page.click('form.record-form button[type="submit"]')
        await expect(page.locator(".message.warn")).to_be_visible()
        await expect(page.locator("#outbox-badge")).to_have_text("Đang chờ gửi: 1")
    finally:
        await page.context.set_offline(False)

    await expect(page.locator("#outbox-badge")).to_have_text(
        "Không có bản ghi chờ gửi", timeout=30_000
    )
    r = await workspace.apps["oversight"].client.get(f"/units/{unit}/petitions")
    assert [p["opened"]["summary"] for p in r.json()] == [
        "Khiếu nại về bồi thường giải phóng mặt bằng"
    ]


async def test_a_supervision_from_its_plan_to_a_recommendation_implemented(
    workspace: Workspace, page: Page
) -> None:
    """The province plans a thematic supervision of a commune (chosen by name), starts and
    finishes it with a recommendation, and records the recommendation implemented."""
    await workspace.sign_in(page, unit=PROVINCE)
    await page.get_by_role("link", name="Kế hoạch giám sát, khảo sát, thẩm tra").click()
    await page.select_option('[name="activity"]', "thematic_supervision")
    await page.select_option('[name="body"]', "standing_committee")
    await page.select_option('[name="field"]', "land")
    await page.fill('[name="title"]', "Giám sát công tác quản lý đất đai năm 2026")
    await page.fill('[name="planned_on"]', dmy(day_before(20)))
    await page.click('[data-add="supervised_units"]')
    await page.fill('[name="supervised_units.0"]', "Bình Lư")
    await page.click(f'[data-path="supervised_units.0"] li[data-code="{COMMUNE}"]')
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")

    await page.get_by_role("link", name="Kế hoạch giám sát", exact=True).click()
    row = page.locator("#list-giam-sat tbody tr[data-id]").first
    await row.locator('[data-step="started"]').click()
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đang thực hiện")
    await row.locator('[data-step="finished"]').click()
    panel = page.locator(".step-panel")
    await panel.locator('[name="findings"]').fill("Còn chậm cấp giấy chứng nhận")
    await panel.locator('[data-add="recommendations"]').click()
    await panel.locator('[name="recommendations.0.text"]').fill("Đẩy nhanh cấp giấy chứng nhận")
    await panel.locator('[name="recommendations.0.addressed_to"]').fill("UBND tỉnh")
    deadline = datetime.now(VIETNAM_TZ).date() + timedelta(days=60)
    await panel.locator('[name="recommendations.0.deadline"]').fill(dmy(deadline))
    await shot(page, workspace, "list-supervision-finish")
    await panel.locator('button[type="submit"]').click()
    await expect(row.locator(".stage")).to_have_text("Đã kết thúc")

    await page.get_by_role("link", name="Kiến nghị sau giám sát").click()
    recommendation = page.locator("#list-kien-nghi-giam-sat tbody tr[data-id]").first
    await expect(recommendation).to_contain_text("Đẩy nhanh cấp giấy chứng nhận")
    await recommendation.locator('[data-step="implemented"]').click()
    await page.click('.step-panel button[type="submit"]')
    await expect(recommendation.locator(".stage")).to_have_text("Đã thực hiện")


async def test_a_meeting_scheduled_then_held_then_corrected(
    workspace: Workspace, page: Page
) -> None:
    """Scheduling, holding (the scheduled content carried into the form) and correcting."""
    unit = "03388"  # Phường Đoàn Kết
    await workspace.sign_in(page, unit=unit)
    await page.get_by_role("link", name="Lên lịch cuộc họp").click()
    await page.select_option('[name="kind"]', "standing_committee")
    await page.fill('[name="title"]', "Phiên họp Thường trực tháng 12")
    await page.fill('[name="scheduled_for"]', dmy(day_before(1)))
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")

    await page.get_by_role("link", name="Cuộc họp, hoạt động").click()
    row = page.locator("#list-cuoc-hop tbody tr[data-id]").first
    await expect(row.locator(".stage")).to_have_text("Đã lên lịch")
    await row.locator('[data-step="hold"]').click()
    panel = page.locator(".step-panel")
    await expect(panel.locator('[name="title"]')).to_have_value("Phiên họp Thường trực tháng 12")
    await panel.locator('[name="meeting_type"]').select_option("regular")
    await panel.locator('button[type="submit"]').click()
    await expect(row.locator(".stage")).to_have_text("Đã tổ chức")

    await row.locator('[data-step="correct"]').click()
    await panel.locator('[name="meeting.title"]').fill("Phiên họp Thường trực tháng 12 (mở rộng)")
    await panel.locator('[name="reason"]').fill("Ghi sai tên phiên họp")
    await panel.locator('button[type="submit"]').click()
    await expect(row).to_contain_text("Phiên họp Thường trực tháng 12 (mở rộng)")


async def test_a_commune_proposal_is_answered_by_the_province(
    workspace: Workspace, page: Page
) -> None:
    """The commune raises a proposal to its province (picked by name); the province finds it
    among those received and answers it with the list's button."""
    title = "Đề nghị hỗ trợ kinh phí sửa trụ sở"
    row = await proposal_received(workspace, page, "03394", title, day_before(1))
    await row.locator('[data-step="answer"]').click()
    await page.fill('.step-panel [name="answer"]', "Tỉnh bố trí kinh phí trong quý I")
    # Ids are chosen by each raising unit: the answer names the commune that raised it.
    async with page.expect_request(lambda r: r.url.endswith("/answer?raised_by=03394")):
        await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).not_to_have_text("Chưa trả lời")


async def test_the_home_page_downloads_a_due_report_as_the_report_route_writes_it(
    workspace: Workspace, page: Page
) -> None:
    """Each report the unit owes has its Word document one click away on the home page."""
    from io import BytesIO

    from docx import Document

    await workspace.sign_in(page, unit=PROVINCE)
    row = page.locator(".due-card table.list tbody tr").first
    await expect(row).to_be_visible()
    async with page.expect_download() as waiting:
        await row.locator("button.report-docx").click()
    download = await waiting.value
    assert download.suggested_filename.startswith("BC-") and download.suggested_filename.endswith(
        f"-{PROVINCE}.docx"
    )
    path = await download.path()
    text = "\n".join(p.text for p in Document(BytesIO(path.read_bytes())).paragraphs)
    assert "BÁO CÁO" in text and "LAI CHÂU" in text.upper()


async def test_every_page_runs_under_its_policy_without_a_violation(
    workspace: Workspace, page: Page
) -> None:
    """The dashboard (its modules), the report page it opens, the workspace and each
    service's Swagger UI and ReDoc draw under their strict CSP: chromium reports nothing
    refused, and each page shows what it is for."""
    refused: list[str] = []

    def watch(opened: Page) -> None:
        opened.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else 0)

    watch(page)
    page.context.on("page", watch)
    await workspace.sign_in(page, unit=PROVINCE, path=f"/?unit={PROVINCE}&period=2025-H1")
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")
    await expect(page.locator('.card[data-key="sessions"]')).to_be_visible()
    async with page.context.expect_page() as opening:
        await page.click("#report-html")
    report = await opening.value
    await expect(report.locator("h1")).to_have_text("BÁO CÁO")
    assert await report.locator(".head").evaluate("e => getComputedStyle(e).display") == "grid"
    await workspace.sign_in(page, unit=PROVINCE)
    await expect(page.locator("#nav")).to_be_visible()
    for listener in workspace.listeners.values():
        await page.goto(f"{listener.url}/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("hdnd")
        await page.goto(f"{listener.url}/redoc")
        await expect(page.locator(".api-content h1").first).to_contain_text("hdnd")
    assert not refused, refused
