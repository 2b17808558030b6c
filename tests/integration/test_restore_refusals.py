"""Restores that must refuse or take care, on real servers: records forged in this instance's
name, a damaged archive, databases holding data, and the hierarchy registry's own numbering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts import EventDraft, Source
from contracts.hierarchy import Rename
from contracts.meetings import MeetingHeld
from contracts.signing import Signer
from deploy.backup import Archive, RestoreRefused, backup, restore
from deploy.registry import Registry
from services.common.hierarchy import Hierarchy
from services.common.recording import business_time
from services.common.runtime import Runtime
from services.common.settings import Settings
from tests.integration.test_backup_restore import (
    DISTRICT,
    NA_LAY,
    PROVINCE,
    Instance,
    databases,
    wipe,
)
from tests.integration.test_story_district import post, standing

pytestmark = pytest.mark.integration


async def backed_up_after_one_meeting(instance: Instance, tmp_path: Path) -> Archive:
    """The archive of an instance that recorded one standing-committee meeting, taken with
    mongod keeping 10 minutes of history for the run, and its own setting again after."""
    window = "minSnapshotHistoryWindowInSeconds"
    async with instance:
        meeting = standing("tt-1", "2025-03-04", "regular")
        await post(instance.meetings, f"/units/{DISTRICT}/meetings", meeting)
        await instance.settled()
        async with databases(instance.settings) as client:
            was = (await client.admin.command({"getParameter": 1, window: 1}))[window]
            archive = await backup(instance.settings, tmp_path, history_window=600)
            assert (await client.admin.command({"getParameter": 1, window: 1}))[window] == was
        return archive


async def test_a_forged_record_claiming_this_instances_stream_is_neither_replayed_nor_numbered(
    settings: Settings, tmp_path: Path, unit_keys: Path
) -> None:
    """A compromised instance of another province (it holds Lai Châu's key, 12) publishes a
    `meeting.held` claiming to come from this instance ("meetings/meetings-1"), once for a unit this
    instance serves, signed with its own key, and once for its own unit. Neither is this
    instance's: the restore replays neither and moves no counter for them."""
    instance = Instance(settings)
    archive = await backed_up_after_one_meeting(instance, tmp_path)
    lai_chau = Signer({"12": Signer.from_dir(unit_keys).keys["12"]})
    ours = Source(service="meetings", instance="meetings-1")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for unit, meeting_id in [(DISTRICT, "forged-here"), ("105", "forged-there")]:
            payload = MeetingHeld.model_validate(
                {"meeting": standing(meeting_id, "2025-03-05", "regular")}
            )
            draft = EventDraft(
                type=MeetingHeld.TYPE,
                version=MeetingHeld.VERSION,
                unit=unit,
                occurred_at=business_time(payload.meeting.held_on),
                payload=payload,
            )
            forged = lai_chau.sign(draft.seal(ours, 50), ["12"])
            await producer.send_and_wait(
                settings.topics.meetings, forged.to_bytes(), key=unit.encode()
            )
    finally:
        await producer.stop()

    await wipe(instance.settings)
    restored = await restore(instance.settings, archive.path)
    assert restored.replayed == 0 and restored.skipped == 2, restored
    async with databases(settings) as client:
        db = client[settings.database_for("meetings")]
        assert await db["meetings"].count_documents({"_id": {"$regex": "^forged"}}) == 0
        counters = {d["_id"]: d["seq"] async for d in db["outbox_sequences"].find()}
    assert counters == {f"meetings/meetings-1/{DISTRICT}": 1}


async def test_a_restore_refuses_a_damaged_archive_and_databases_that_hold_data(
    settings: Settings, tmp_path: Path
) -> None:
    instance = Instance(settings)
    archive = await backed_up_after_one_meeting(instance, tmp_path)
    with pytest.raises(RestoreRefused, match="hold data"):
        await restore(instance.settings, archive.path)
    damaged = tmp_path / "damaged" / archive.path.name
    damaged.parent.mkdir()
    content = bytearray(archive.path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    damaged.write_bytes(bytes(content))
    (damaged.parent / archive.checksum.name).write_text(archive.checksum.read_text())
    with pytest.raises(RestoreRefused, match="checksum"):
        await restore(instance.settings, damaged, wipe=True)
    restored = await restore(instance.settings, archive.path, wipe=True)
    assert restored.documents > 0 and restored.replayed == 0


async def test_the_registrys_changes_after_the_backup_come_back_and_keep_their_numbers(
    settings: Settings, tmp_path: Path
) -> None:
    """The hierarchy registry of the province: a change recorded after the backup is written
    again (its number, the unit versions it started), and the next change takes the next
    number, not one a consumer already applied."""
    served = settings.model_copy(update={"units": [PROVINCE], "instance": "hierarchy-1"})

    async def registered(work: Callable[[Registry], Awaitable[Any]]) -> Any:
        runtime = Runtime(served, "hierarchy")
        try:
            registry = Registry(runtime)
            done = await work(registry)
            await registry.drain(lambda _: None, wait=60)
            return done
        finally:
            await runtime.stop()

    await registered(lambda r: r.load(Hierarchy.load(), lambda _: None, scope=[PROVINCE]))
    archive = await backup(served, tmp_path)
    renamed = Rename(unit=NA_LAY, name="Phường Mường Lay Mới")
    await registered(lambda r: r.change(renamed, date(2025, 9, 1)))
    async with databases(served) as client:
        units = client[served.database_for("hierarchy")]["units"]
        before = await units.find({"code": NA_LAY}).sort("_id").to_list()
        await client.drop_database(served.database_for("hierarchy"))

    restored = await restore(served, archive.path)
    assert (restored.replayed, restored.failed) == (1, []), restored
    async with databases(served) as client:
        units = client[served.database_for("hierarchy")]["units"]
        assert await units.find({"code": NA_LAY}).sort("_id").to_list() == before
    again = Rename(unit=NA_LAY, name="Phường Mường Lay")
    change = await registered(lambda r: r.change(again, date(2025, 10, 1)))
    assert change.change_no == 2
