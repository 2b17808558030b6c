"""On real servers: forged and altered events are dead-lettered, genuine ones counted."""

from __future__ import annotations

import json
import shutil
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from contracts import decode_event
from contracts.keys import generate_keys
from contracts.signing import Signer
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import eventually, start_app
from tests.integration.test_rollup import summary, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration
COMMUNE_A, COMMUNE_B = "03390", "03391"  # Tam Đường and Lản Nhì Thàng, Tỉnh Lai Châu


async def test_forged_altered_and_unsigned_events_are_dead_lettered(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    settings = holding_its_own_key(settings, tmp_path, COMMUNE_A)  # commune A's service
    keys = settings.keys_dir
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")

    genuine = await meetings.client.post(
        f"/units/{COMMUNE_B}/meetings", json=voter_contact("vc-b", "2025-03-02", 30, 2)
    )
    assert genuine.status_code == 201
    row = await meetings.app.state.meetings.runtime.outbox.rows.find_one()
    original = decode_event(bytes(row["value"])).envelope
    assert original.signature is not None and original.signature.unit == "12"

    commune_a = Signer({COMMUNE_A: Signer.from_dir(keys).keys[COMMUNE_A]})
    unsigned = original.model_copy(update={"signature": None, "sequence": 50})
    forged = commune_a.sign(unsigned.model_copy(update={"sequence": 51}), [COMMUNE_A])
    altered = json.loads(original.to_bytes())
    altered["payload"]["meeting"]["voters_attending"] = 3000
    altered["sequence"] = 52
    poison = [unsigned.to_bytes(), forged.to_bytes(), json.dumps(altered).encode()]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in poison:
            await producer.send_and_wait(settings.topics.meetings, value, key=COMMUNE_B.encode())
    finally:
        await producer.stop()

    async def only_the_genuine_one_counts() -> None:
        s = await summary(reporting, COMMUNE_B, "2025-03")
        assert s["figures"]["voter_contacts"] == 1 and s["figures"]["voters_reached"] == 30
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(only_the_genuine_one_counts)
    reasons = await dead_letter_reasons(settings, expected=3)
    assert any(r.startswith("unsigned event") for r in reasons), reasons
    assert any(f"signer {COMMUNE_A} may not publish for unit {COMMUNE_B}" in r for r in reasons)
    assert any(r.startswith("bad signature by unit 12") for r in reasons), reasons


def holding_its_own_key(settings: Settings, tmp_path: Path, commune: str) -> Settings:
    """`settings` whose key folder also holds `commune`'s own key, as its instance would."""
    assert settings.keys_dir is not None
    keys = tmp_path / "keys"
    shutil.copytree(settings.keys_dir, keys)
    generate_keys(keys, [commune])
    return settings.model_copy(update={"keys_dir": keys})


async def dead_letter_reasons(settings: Settings, expected: int) -> list[str]:
    letters = await records_on(settings, settings.topics.dead_letter, expected)
    return [dict(r.headers)["dlq-reason"].decode() for r in letters]
