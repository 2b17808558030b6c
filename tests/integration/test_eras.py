"""Codes are reused across the 2025 reform: the legacy ward 31120 (Phường An Hòa, Quận Ninh
Kiều, Cần Thơ) and the 2025 ward 31120 (Phường Cái Khế) are different councils, as are the
legacy province 15 (Yên Bái) and the 2025 province 15 (Lào Cai). Stocks, filings, the proposals
inbox and token scopes follow the unit of the era, never the code alone."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts import Source
from contracts.signing import Signer
from services.common.hierarchy import Hierarchy
from services.common.recording import recorded
from services.common.settings import Settings
from tests.builders import first_half_report
from tests.conftest import Running, eventually, token
from tests.integration.test_coordination_flow import post, reporting, summary
from tests.integration.test_signatures import dead_letter_reasons

pytestmark = pytest.mark.integration

WARD, NINH_KIEU, CAN_THO = "31120", "916", "92"
LONG = timedelta(days=3650)
YEN_BAI_WARD, YEN_BAI = "04252", "15"  # Phường Yên Ninh; legacy 15 Yên Bái, 2025 15 Lào Cai


async def seats(app: Running, unit: str, period: str, view: str = "as_it_was") -> int:
    return int((await summary(app, unit, period, view))["figures"].get("council_seats", 0))


async def test_a_legacy_councils_stock_ends_with_it_and_a_straddling_term_reads_each_era(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings)
    legacy = {"term": "2021-2026", "as_of": "2023-06-30", "seats": 28, "delegates_trained": 20}
    await post(app, f"/units/{WARD}/delegates", legacy)

    async def declared() -> None:
        assert await seats(app, WARD, "2024") == 28  # the legacy ward, as it was

    await eventually(declared)
    # The 2025 ward that reuses the code never declared anything; nor did 2025 Cần Thơ.
    assert await seats(app, WARD, "2025-H2") == 0
    assert await seats(app, CAN_THO, "2021-2026") == 0
    assert await seats(app, CAN_THO, "2021-2026", "as_today") == 0
    # The legacy district reads its stock on its last day, 30 June 2025.
    assert await seats(app, NINH_KIEU, "2021-2026") == 28
    # As today, a period before the reform maps the legacy councils like the flows.
    assert await seats(app, CAN_THO, "2024", "as_today") == 28

    await post(
        app,
        f"/units/{WARD}/delegates",
        {"term": "2021-2026", "as_of": "2025-08-01", "seats": 30, "delegates_trained": 12},
    )

    async def new_council() -> None:
        assert await seats(app, WARD, "2025-H2") == 30

    await eventually(new_council)
    assert await seats(app, CAN_THO, "2021-2026") == 30
    assert await seats(app, WARD, "2025-H1") == 28  # the legacy ward on 30 June 2025
    assert await seats(app, NINH_KIEU, "2021-2026") == 28


async def test_a_legacy_ward_cannot_file_the_report_its_2025_namesake_owes(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """2025-H1 is due on 5 July 2025, from the 2025 ward 31120: the legacy ward's report filed
    in June would make its namesake's report look filed."""
    app = await reporting(stack, settings)
    early = {"period": "2025-H1", "filed_on": "2025-06-20"}
    refused = await post(app, f"/units/{WARD}/reports", early, status=422)
    assert refused["detail"][0]["loc"] == ["body", "period"], refused
    july = (await summary(app, WARD, "2025-07"))["figures"]
    assert (july["reports_due"], july["reports_missing"]) == (1, 1)
    await post(app, f"/units/{WARD}/reports", {"period": "2025-H1", "filed_on": "2025-07-03"})

    async def filed() -> None:
        figures = (await summary(app, WARD, "2025-07"))["figures"]
        assert (figures["reports_on_time"], figures["reports_missing"]) == (1, 0)

    await eventually(filed)


async def test_a_filing_published_in_another_era_than_its_due_date_counts_for_nobody(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """An instance that skips the rule above (older code, or a compromised one holding Cần
    Thơ's real key) publishes the legacy ward's filing of 2025-H1, dated 2025-06-20: the
    projector dead-letters it, as the reports missing already ignored it, so the 2025 ward's
    report is not both sent on time and missing."""
    app = await reporting(stack, settings)
    filed = first_half_report("bc-2025-h1", 2025, filed_on=date(2025, 6, 20))
    draft = recorded(filed, WARD, filed.filed_on)
    envelope = draft.seal(Source(service="reporting", instance="rogue"), 1)
    assert settings.keys_dir is not None
    lineage = Hierarchy.load().lineage(WARD, filed.filed_on)
    forged = Signer.from_dir(settings.keys_dir).sign(envelope, lineage)
    assert forged.signature is not None and forged.signature.unit == CAN_THO
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topics.reporting, forged.to_bytes(), key=b"31120")
    finally:
        await producer.stop()
    status = app.app.state.reporting.consumer.status

    async def read() -> None:
        assert status.handled >= 1 and status.caught_up

    await eventually(read)
    july = (await summary(app, WARD, "2025-07"))["figures"]
    assert (july["reports_due"], july["reports_on_time"], july["reports_missing"]) == (1, 0, 1)
    (reason,) = await dead_letter_reasons(settings, expected=1)
    assert "2025-06-20" in reason and "2025-07-05" in reason, reason


async def test_a_proposal_to_a_legacy_council_stays_in_its_inbox(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings)
    raised = {
        "proposal_id": "kn-yen-ninh",
        "to_unit": YEN_BAI,
        "kind": "recommendation",
        "title": "Kiến nghị nâng cấp trạm y tế phường",
        "raised_on": "2024-05-10",
    }
    await post(app, f"/units/{YEN_BAI_WARD}/proposals", raised)

    async def inbox(**params: str) -> list[Any]:
        r = await app.client.get(f"/units/{YEN_BAI}/proposals", params=params)
        assert r.status_code == 200, r.text
        return list(r.json())

    async def in_yen_bais() -> None:
        assert [p["proposal_id"] for p in await inbox(era="legacy")] == ["kn-yen-ninh"]

    await eventually(in_yen_bais)
    assert await inbox() == []  # today 15 is Lào Cai: not in its own inbox
    assert await inbox(era="2025") == []
    # Lào Cai took Yên Bái in and carries its business on: it may answer what was pending.
    answer = {"answered_on": "2025-08-01", "answer": "Đã bố trí kinh phí."}
    await post(app, f"/units/{YEN_BAI}/proposals/kn-yen-ninh/answer", answer)

    async def answered() -> None:
        (kept,) = await inbox(era="legacy")
        assert kept["status"] == "answered" and await inbox() == [], kept

    await eventually(answered)


async def test_tokens_name_a_unit_of_one_era(stack: AsyncExitStack, settings: Settings) -> None:
    """A token of the legacy ward 31120 reads it, not the 2025 ward; a token issued today for
    31120 is the 2025 ward's, which also reads the history of the legacy wards it succeeds."""
    app = await reporting(stack, settings)

    async def status(unit: str, period: str, era: str | None) -> int:
        credential = token(WARD, "viewer", user="u", era=era)
        r = await app.client.get(
            f"/units/{unit}/summary",
            params={"period": period},
            headers={"Authorization": f"Bearer {credential}"},
        )
        return r.status_code

    assert await status(WARD, "2024", "legacy") == 200
    assert await status(WARD, "2025-H2", "legacy") == 403
    assert await status(WARD, "2025-H2", "2025") == 200
    assert await status(WARD, "2025-H2", None) == 200
    assert await status(WARD, "2024", None) == 200  # its predecessor's history
    assert await status("31117", "2024", "2025") == 200  # another predecessor
    assert await status("31117", "2024", "legacy") == 403  # a sibling ward, then

    # A token issued before the reform, without an era, is the legacy ward's.
    before = datetime(2025, 3, 1, tzinfo=UTC)
    old = token(WARD, "viewer", user="u", now=before, ttl=LONG)
    for period, expected in (("2024", 200), ("2025-H2", 403)):
        r = await app.client.get(
            f"/units/{WARD}/summary",
            params={"period": period},
            headers={"Authorization": f"Bearer {old}"},
        )
        assert r.status_code == expected, r.text
