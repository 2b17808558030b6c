"""On real servers: a unit key rotated while the services run keeps what it signed."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts import Envelope, Source, decode_event
from contracts.keys import KeyRing, unit_key
from contracts.signing import Signer
from deploy.cli import app as cli
from deploy.projections import rebuild
from services.common.settings import Settings
from tests.builders import held_voter_contact
from tests.conftest import eventually
from tests.integration.test_registry_keys import letters, own_keys, publish
from tests.integration.test_rollup import summary, system, voter_contact

pytestmark = pytest.mark.integration

PROVINCE, TAM_DUONG = "12", "03390"  # Lai Châu, Xã Tam Đường
LATE = Source(service="meetings", instance="late-relay")  # rows another instance relays late


def held(seq: int, day: date, voters: int, signer: Signer) -> Envelope:
    event = held_voter_contact(TAM_DUONG, day, seq, voters, source=LATE)
    return signer.sign(event.envelope, (TAM_DUONG, PROVINCE))


async def test_a_rotated_key_keeps_what_it_signed_and_signs_nothing_after(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    settings = own_keys(settings, keys := tmp_path / "keys")
    meetings, reporting = await system(stack, settings)
    outbox = meetings.app.state.meetings.runtime.outbox.rows

    async def post(meeting_id: str, day: str, voters: int) -> str | None:
        body = voter_contact(meeting_id, day, voters, 1)
        r = await meetings.client.post(f"/units/{TAM_DUONG}/meetings", json=body)
        assert r.status_code == 201, r.text
        row = await outbox.find_one({"_id": r.json()["event_id"]})
        signature = decode_event(bytes(row["value"])).envelope.signature
        assert signature is not None
        return signature.kid

    before = await post("before", "2025-03-02", 30)
    retiring = Signer({PROVINCE: Signer.from_dir(keys).keys[PROVINCE]})
    late = held(1, date(2025, 3, 3), 5, retiring)  # sealed and signed before the rotation

    rotated = CliRunner().invoke(cli, ["keys", "rotate", "--dir", str(keys), "--unit", PROVINCE])
    assert rotated.exit_code == 0, rotated.output
    ring = KeyRing(keys / "public")
    new = ring.current(unit_key(PROVINCE))
    assert new is not None and before is not None and new.kid != before
    assert ring.by_kid[before].not_after is not None  # retired, and still registered

    after = await post("after", "2025-03-04", 7)
    assert after == new.kid  # the running service took the new key at once
    stale = held(2, date(2025, 3, 5), 1000, retiring)  # the retired key, after its retirement
    await publish(
        settings,
        settings.topics.meetings,
        [(TAM_DUONG, late.to_bytes()), (TAM_DUONG, stale.to_bytes())],
    )

    async def both_keys_count() -> None:
        s = await summary(reporting, TAM_DUONG, "2025-03")
        assert s["figures"]["voters_reached"] == 30 + 5 + 7
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(both_keys_count)
    ((service, reason),) = await letters(settings, expected=1)
    assert service == "reporting"
    assert reason.startswith(f"key {before} of unit {PROVINCE} was retired at "), reason

    figures = {
        unit: (await summary(reporting, unit, "2025"))["figures"] for unit in (TAM_DUONG, PROVINCE)
    }
    result = await rebuild(settings, lambda done, total: None, wait=120)
    assert result.switched

    async def switched() -> None:
        service = reporting.app.state.reporting
        assert service.store.version == result.version and service.consumer.status.caught_up

    await eventually(switched)
    assert {
        unit: (await summary(reporting, unit, "2025"))["figures"] for unit in figures
    } == figures
