"""On real servers: only registry keys change the unit tree, each within its scope.

Forged hierarchy events are signed with real keys a compromised instance would hold (its
commune's, its province's) and published straight to the hierarchy topic."""

from __future__ import annotations

import base64
import shutil
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import Envelope, Source, decode_event
from contracts.envelope import Signature
from contracts.hierarchy import HierarchyChanged, Merge, Reparent
from contracts.keys import (
    KeyName,
    generate,
    generate_keys,
    private_key_id,
    registry_key,
    unit_key,
)
from contracts.signing import Signer
from services.common.recording import recorded
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app
from tests.integration.test_rollup import summary, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration

PROVINCE, MUONG_TE, PA_U = "12", "03445", "03442"  # Lai Châu: Xã Mường Tè, Xã Pa Ủ
DIEN_BIEN = "11"
EFFECTIVE = date(2026, 1, 1)


def merge(change_no: int, unit: str) -> Envelope:
    """`hierarchy.changed`: Mường Tè merged into Pa Ủ from 2026, for envelope unit `unit`."""
    change = Merge(units=[MUONG_TE], into=PA_U)
    return seal(HierarchyChanged(change_no=change_no, effective=EFFECTIVE, change=change), unit)


def seal(change: HierarchyChanged, unit: str) -> Envelope:
    return recorded(change, unit, change.effective).seal(
        Source(service="hierarchy", instance="forger"), change.change_no
    )


def forge(envelope: Envelope, key: Ed25519PrivateKey, name: KeyName) -> bytes:
    """`envelope` signed with `key`, named as `name`'s, whatever the Signer would allow."""
    value = base64.b64encode(key.sign(envelope.signed_bytes())).decode()
    kid = private_key_id(key)
    signature = Signature(kind=name.kind, unit=name.unit, kid=kid, value=value)
    return envelope.model_copy(update={"signature": signature}).to_bytes()


async def publish(settings: Settings, topic: str, values: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def letters(settings: Settings, expected: int) -> list[tuple[str, str]]:
    """(service, reason) of every dead letter, once `expected` arrived."""
    records = await records_on(settings, settings.topics.dead_letter, expected)
    return sorted(
        (dict(r.headers)["dlq-service"].decode(), dict(r.headers)["dlq-reason"].decode())
        for r in records
    )


def own_keys(settings: Settings, directory: Path) -> Settings:
    """`settings` with a copy of the session's keys in `directory`, for a test that adds or
    rotates keys."""
    assert settings.keys_dir is not None
    shutil.copytree(settings.keys_dir, directory)
    return settings.model_copy(update={"keys_dir": directory})


async def three_services(stack: AsyncExitStack, settings: Settings) -> list[Running]:
    return [
        await start_app(stack, meetings_app(settings), "http://meetings"),
        await start_app(stack, oversight_app(settings), "http://oversight"),
        await start_app(stack, reporting_app(settings), "http://reporting"),
    ]


async def test_a_commune_or_province_unit_key_cannot_merge_communes(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Issue 19, item 1, as it was tried: Mường Tè merged into Pa Ủ by Pa Ủ's own key, and
    by the province's unit key; meetings, oversight and reporting each refuse both."""
    settings = own_keys(settings, keys := tmp_path / "keys")
    generate_keys(keys, [PA_U])  # the commune's instance holds its own key, registered
    meetings, oversight, reporting = await three_services(stack, settings)
    r = await meetings.client.post(
        f"/units/{MUONG_TE}/meetings", json=voter_contact("mt-feb", "2026-02-10", 40, 3)
    )
    assert r.status_code == 201, r.text

    async def counted() -> None:
        assert (await summary(reporting, MUONG_TE, "2026-02"))["figures"]["voters_reached"] == 40

    await eventually(counted)

    held = Signer.from_dir(keys).keys
    await publish(
        settings,
        settings.topics.hierarchy,
        [
            (PA_U, forge(merge(1, PA_U), held[PA_U], unit_key(PA_U))),
            (PROVINCE, forge(merge(2, PROVINCE), held[PROVINCE], unit_key(PROVINCE))),
        ],
    )
    feeds = [
        meetings.app.state.meetings.runtime.feed.consumer.status,
        oversight.app.state.oversight.runtime.feed.consumer.status,
    ]

    async def all_read_them() -> None:
        assert all(status.handled >= 2 for status in feeds)
        status = reporting.app.state.reporting.consumer.status
        assert status.handled >= 3 and status.caught_up

    await eventually(all_read_them)
    assert (await summary(reporting, MUONG_TE, "2026-02"))["figures"]["voters_reached"] == 40
    assert (await summary(reporting, PA_U, "2026-02"))["figures"]["voters_reached"] == 0
    r = await meetings.client.post(
        f"/units/{MUONG_TE}/meetings", json=voter_contact("mt-mar", "2026-03-02", 25, 1)
    )
    assert r.status_code == 201, r.text
    refusals = await letters(settings, expected=6)
    assert refusals == sorted(
        (service, f"only a registry key may sign hierarchy.changed, not unit {unit}'s key")
        for service in ("meetings", "oversight", "reporting")
        for unit in (PA_U, PROVINCE)
    )


async def test_registry_keys_sign_only_the_tree_and_a_province_registry_only_its_province(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Lai Châu's registry may merge its communes; Điện Biên's may not, nor may Lai Châu's
    move one of them to Điện Biên, nor may any registry key sign a meeting."""
    settings = own_keys(settings, keys := tmp_path / "keys")
    for province in (PROVINCE, DIEN_BIEN):
        generate(keys, registry_key(province))
    meetings, _, reporting = await three_services(stack, settings)
    r = await meetings.client.post(
        f"/units/{MUONG_TE}/meetings", json=voter_contact("mt-feb", "2026-02-10", 40, 3)
    )
    assert r.status_code == 201, r.text
    row = await meetings.app.state.meetings.runtime.outbox.rows.find_one()
    genuine = decode_event(bytes(row["value"])).envelope

    async def counted() -> None:
        assert (await summary(reporting, MUONG_TE, "2026-02"))["figures"]["voters_reached"] == 40

    await eventually(counted)

    registries = Signer.from_dir(keys).registry
    lai_chau, dien_bien = registry_key(PROVINCE), registry_key(DIEN_BIEN)
    moved = HierarchyChanged(
        change_no=2, effective=EFFECTIVE, change=Reparent(unit=MUONG_TE, parent=DIEN_BIEN)
    )
    meeting = genuine.model_copy(update={"sequence": 50})
    await publish(
        settings,
        settings.topics.hierarchy,
        [
            (PROVINCE, forge(merge(1, PROVINCE), registries[DIEN_BIEN], dien_bien)),
            (PROVINCE, forge(seal(moved, PROVINCE), registries[PROVINCE], lai_chau)),
        ],
    )
    await publish(
        settings,
        settings.topics.meetings,
        [(MUONG_TE, forge(meeting, registries[PROVINCE], lai_chau))],
    )
    refusals = await letters(settings, expected=8)
    not_a_fact = "the registry of province 12 may not sign meeting.held: a registry key signs only"
    assert refusals == sorted(
        [
            *(
                (service, reason)
                for service in ("meetings", "oversight", "reporting")
                for reason in (
                    "the registry of province 11 may not name units outside it:"
                    " 12 (12); 03445 (12); 03442 (12)",
                    "the registry of province 12 may not name units outside it:"
                    " 03445 (11, 12); 11 (11)",
                )
            ),
            *((service, f"{not_a_fact} the unit tree") for service in ("oversight", "reporting")),
        ]
    )
    assert (await summary(reporting, MUONG_TE, "2026-02"))["figures"]["voters_reached"] == 40
    assert (await summary(reporting, DIEN_BIEN, "2026-02"))["figures"]["voters_reached"] == 0

    # Within its province, Lai Châu's registry is followed: the merger moves the figures.
    own_registry = Signer(registry={PROVINCE: registries[PROVINCE]})
    merged = own_registry.sign(merge(3, PROVINCE), [PROVINCE])
    await publish(settings, settings.topics.hierarchy, [(PROVINCE, merged.to_bytes())])

    async def followed() -> None:
        assert (await summary(reporting, PA_U, "2026-02"))["figures"]["voters_reached"] == 40
        assert meetings.app.state.meetings.hierarchy.find(MUONG_TE, date(2026, 3, 2)) is None

    await eventually(followed)
