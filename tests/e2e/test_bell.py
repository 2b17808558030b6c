"""The bell in Debian's chromium: the province's secretary sees how many notifications wait,
opens the escalation of a commune that missed its 6-month report, and lands on that commune's
page with the report missing; the reminder e-mail the commune got, rendered in chromium. Both
pictures go to docs/screenshots/ for the README."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import date, datetime, time
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from contracts.timezone import VIETNAM_TZ
from deploy.local import Endpoints, free_port
from services.common.clock import FileClock
from services.common.kafka import ensure_topics
from services.reporting.identity.accounts import NewAccount
from services.reporting.identity.core import SERVER
from services.reporting.notifications.sink import Mailbox, MailSink
from tests.conftest import eventually, isolated_settings
from tests.e2e.conftest import APPS, Person, Workspace, issuing, serving
from tests.integration.test_notifications import COMMUNE, PROVINCE, as_

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def module_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    sink = MailSink(Mailbox(tmp_path_factory.mktemp("mail")))
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
async def notifying_workspace(
    servers: Endpoints,
    unit_keys: Path,
    module_sink: MailSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Workspace, FileClock]]:
    ports = {name: free_port() for name in APPS}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    clock = FileClock(tmp_path_factory.mktemp("clock") / "now")
    # a Tuesday: no digest is due while the accounts are being made (the notifier is running)
    clock.set(datetime(2026, 6, 2, 9, tzinfo=VIETNAM_TZ))
    settings = isolated_settings(servers, unit_keys).model_copy(
        update={
            "cors_origins": [urls["reporting"]],
            "meetings_url": urls["meetings"],
            "oversight_url": urls["oversight"],
            "units": [PROVINCE],
            **issuing(urls["reporting"]),
            "clock_file": clock.path,
            "notify_interval_ms": 200,
            "smtp_host": "127.0.0.1",
            "smtp_port": module_sink.port,
            "public_url": urls["reporting"],
            "mail_sink_dir": module_sink.mailbox.directory,
        }
    )
    await ensure_topics(settings, settings.topics.every)
    async with AsyncExitStack() as stack:
        yield await serving(stack, settings, ports), clock


async def test_the_bell_counts_and_opens_the_late_report_of_a_commune(
    notifying_workspace: tuple[Workspace, FileClock], module_sink: MailSink, page: Page
) -> None:
    workspace, clock = notifying_workspace
    reporting = workspace.apps["reporting"]
    body = {
        "username": "lan.binhlu",
        "full_name": "Nguyễn Thị Lan",
        "unit": COMMUNE,
        "role": "secretary",
        "email": "lan.binhlu@hdnd.example.vn",
    }
    r = await reporting.client.post("/accounts", json=body, headers=as_(PROVINCE, "admin"))
    assert r.status_code == 201, r.text
    hoa = await workspace.person(PROVINCE, "secretary", "Trần Văn Hòa")
    notifier = reporting.app.state.reporting.notifications
    for day in (date(2026, 6, 28), date(2026, 7, 6)):  # the 7-day reminder; the day after
        clock.set(datetime.combine(day, time(9), VIETNAM_TZ))
        notifier.poke()

        async def decided(day: date = day) -> None:
            found = await notifier.store.notices.count_documents({"day": day.isoformat()})
            assert found >= 1

        await eventually(decided)

    await workspace.sign_in(page, hoa)
    bell = page.locator("#bell-badge")
    # the escalation (Xã Bình Lư is late) and Monday's digest of what is still late
    await expect(bell).to_have_text("Thông báo: 2 mới")
    await bell.click()
    notices = page.locator("#notices > li")
    await expect(notices).to_have_count(2)
    escalation = page.locator("#notices > li[data-kind=escalation]")
    await expect(escalation).to_contain_text("Quá hạn: gửi báo cáo 6 tháng đầu năm 2026")
    await escalation.locator("summary").click()  # 38 communes are late: the rest of the list
    await expect(escalation).to_contain_text("Xã Bình Lư (03390)")
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(
        path=str(DOCS / "bell.png"), clip={"x": 0, "y": 0, "width": 1366, "height": 640}
    )

    # the commune's line opens its page, the report missing
    await escalation.locator(f"a[data-unit='{COMMUNE}']").click()
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")
    missing = page.locator("tr.r-missing", has_text="6 tháng đầu năm 2026")
    await expect(missing).to_contain_text("05/07/2026")
    await expect(bell).to_have_text("Thông báo: 1 mới")

    # the operator (an account made on the server) reads the same reminder in the test mailbox
    await workspace.sign_in(page, await operator(workspace))
    await page.get_by_role("link", name="Hộp thư thử nghiệm").click()
    subject = "Nhắc hạn: gửi báo cáo 6 tháng đầu năm 2026 của Xã Bình Lư"
    row = page.locator("#mailbox tr", has_text="lan.binhlu@hdnd.example.vn")
    await row.get_by_role("link", name=subject, exact=False).click()
    await expect(page.locator("pre.mail-text")).to_contain_text(
        "Thời hạn: ngày 05 tháng 7 năm 2026."
    )
    await expect(page.locator("main")).to_contain_text("nhận 1 lần")

    # the reminder the commune's secretary got a week before, as her mail client shows it
    (reminder,) = [a for a in module_sink.mailbox.arrivals if "lan.binhlu@" in a.to[0]]
    html = reminder.message.get_body(("html",))
    assert html is not None
    await page.set_content(str(html.get_content()))
    await expect(page.locator("body")).to_contain_text("ngày 05 tháng 7 năm 2026 (còn 7 ngày)")
    await page.set_viewport_size({"width": 760, "height": 560})
    await page.screenshot(path=str(DOCS / "reminder-email.png"))


async def test_an_admin_of_the_province_sets_the_deadline_rules_in_the_workspace(
    notifying_workspace: tuple[Workspace, FileClock], page: Page
) -> None:
    """Quy định thời hạn: the rules with their sources; a secretary reads them, an admin of the
    province changes the days an agency has to answer an opinion (not what the bell's test
    counts on), and the version and its history follow."""
    workspace, _ = notifying_workspace
    await workspace.sign_in(page, unit=PROVINCE, role="secretary")
    await page.get_by_role("link", name="Quy định thời hạn").click()
    rules = page.locator("#rules")
    await expect(rules).to_contain_text("Nghị định 09/2019/NĐ-CP, Điều 12, khoản 3")
    await expect(rules).to_contain_text("(suy ra)")
    await expect(page.locator("#rules-form")).to_have_count(0)  # a secretary only reads

    await workspace.sign_in(page, unit=PROVINCE, role="admin")
    await page.get_by_role("link", name="Quy định thời hạn").click()
    form = page.locator("#rules-form")
    await form.locator("[name=opinion]").fill("45")
    await form.get_by_role("button", name="Áp dụng").click()
    await expect(page.locator("#page-title")).to_have_text("Quy định thời hạn (phiên bản 1)")
    await expect(rules).to_contain_text("45 ngày")
    await expect(page.locator("main")).to_contain_text("Phiên bản 1")


async def operator(workspace: Workspace) -> Person:
    """An operator: made on the server only (as `hdnd accounts create --role operator`), the
    temporary password changed as its holder would."""
    identity = workspace.apps["reporting"].app.state.reporting.identity
    new = NewAccount(
        username="vanhanh.12", full_name="Người vận hành", position="Kỹ thuật viên",
        unit=PROVINCE, role="operator",
    )  # fmt: skip
    made, password = await identity.accounts.create(None, SERVER, new)
    person = Person(made["id"], made["username"], made["full_name"], PROVINCE, "operator", password)
    signed, _ = await workspace.signed_in(person)
    changed = "mật khẩu riêng của người vận hành"
    r = await workspace.apps["reporting"].client.post(
        "/auth/password",
        json={"current_password": password, "new_password": changed},
        headers={"Authorization": f"Bearer {signed['access_token']}"},
    )
    assert r.status_code == 200, r.text
    return Person(person.id, person.username, person.full_name, PROVINCE, "operator", changed)
