"""Erasure of a person's data on a lawful request, on real servers: the documents no longer
name them, the figures are what they were, the erasure is recorded (an audit record and a
`personal_data.erased` event that names nobody), a restore from an older backup erases it
again, and an event not yet published stops it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import decode_event
from contracts.privacy import ERASED_MARKER, PersonalDataErased
from deploy.backup import backup, restore
from deploy.erasure import ErasureRefused, Request, erase
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from tests.conftest import eventually, start_app
from tests.integration.test_backup_restore import (
    DISTRICT,
    NA_LAY,
    PROVINCE,
    Instance,
    databases,
    reception,
    wipe,
)
from tests.integration.test_story_district import opinion, post, summary, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration

AN, BINH = "Nguyễn Văn An", "Lò Văn Bình"


async def mentions(settings: Settings, *names: str) -> set[str]:
    """Where the instance's databases still hold any of `names` (outbox rows decoded)."""
    found = set()
    async with databases(settings) as client:
        for service in ("meetings", "oversight", "reporting"):
            db = client[settings.database_for(service)]
            for collection in await db.list_collection_names():
                async for doc in db[collection].find():
                    if collection == "outbox":
                        doc = orjson.loads(bytes(doc["value"]))
                    text = orjson.dumps(doc, default=str).decode()
                    found |= {f"{service}.{collection} {n}" for n in names if n in text}
    return found


async def figures(instance: Instance) -> dict[str, Any]:
    return {
        unit: (await summary(instance.reporting, unit, "2025"))["figures"]
        for unit in (PROVINCE, DISTRICT, NA_LAY)
    }


async def test_erasure_removes_a_persons_data_keeps_the_figures_and_is_recorded(
    settings: Settings, tmp_path: Path
) -> None:
    instance = Instance(settings)
    async with instance:
        m, o = instance.meetings, instance.oversight
        raised = [opinion("yk-1", "land", f"Cử tri {AN}, bản Nà Nọi: đường vào bản sạt lở")]
        contact = voter_contact("tx-nl", "2025-01-10", "before_session", 60, raised)
        await post(m, f"/units/{NA_LAY}/meetings", contact)
        taken = [("don-1", f"Ông {BINH} khiếu nại bồi thường đất"), ("don-2", "Đơn về sổ đỏ")]
        await post(m, f"/units/{DISTRICT}/meetings", reception("tcd-1", "2025-02-20", taken))
        await instance.settled()
        forwarded = {"forwarded_on": "2025-01-15", "agency": "UBND thị xã"}
        await post(o, f"/units/{NA_LAY}/opinions/yk-1/forwarded", forwarded, 200)
        answered = {"answered_on": "2025-01-20", "answer": f"Đã trả lời ông {AN}"}
        await post(o, f"/units/{NA_LAY}/opinions/yk-1/answered", answered, 200)
        await instance.settled()
        archive = await backup(instance.settings, tmp_path)
        was = await figures(instance)
        assert await mentions(instance.settings, AN, BINH) == {
            f"meetings.meetings {AN}",
            f"meetings.meetings {BINH}",
            f"meetings.outbox {AN}",
            f"meetings.outbox {BINH}",
            f"oversight.opinions {AN}",
            f"oversight.outbox {AN}",
            f"oversight.petitions {BINH}",
            f"oversight.outbox {BINH}",
            f"reporting.voter_opinions {AN}",  # the register of opinions' copy
        }

        index = instance.reporting.app.state.reporting.similar
        assert f"{NA_LAY}:yk-1" in index.refs  # suggested while a secretary types
        by_petition = await erase(instance.settings, Request(DISTRICT, petition="don-1"))
        by_name = await erase(
            instance.settings, Request(DISTRICT, texts=[AN.upper()], request_ref="12/2025/YC")
        )
        assert await mentions(instance.settings, AN, BINH) == set()
        assert (by_petition.documents, by_petition.fields) == (2, 2)  # reception, petition
        # the contact; the opinion's text and answer, in oversight and in reporting's register
        assert (by_name.documents, by_name.fields) == (3, 5)
        assert by_petition.outbox_rows == 2 and by_name.outbox_rows == 3
        one = (await o.client.get(f"/units/{DISTRICT}/petitions/don-1")).json()
        assert one["opened"]["summary"] == ERASED_MARKER
        other = (await o.client.get(f"/units/{DISTRICT}/petitions/don-2")).json()
        assert other["opened"]["summary"] == "Đơn về sổ đỏ"  # the rest of the reception stays
        await instance.settled()
        assert await figures(instance) == was  # and the projector took the events as nothing

        async def no_longer_suggested() -> None:
            assert f"{NA_LAY}:yk-1" not in index.refs

        await eventually(no_longer_suggested)

        async with databases(instance.settings) as client:
            audit = client[instance.settings.database_for("reporting")]["erasures"]
            recorded = {d["_id"]: d async for d in audit.find()}
        assert recorded[by_name.erasure_id]["request_ref"] == "12/2025/YC"
        assert recorded[by_name.erasure_id]["by_database"] == {
            "meetings": 1,
            "oversight": 2,
            "reporting": 2,
        }
        records = await records_on(instance.settings, instance.settings.topics.reporting, 2)
        events = [decode_event(r.value or b"") for r in records]
        erased = [e.payload for e in events if isinstance(e.payload, PersonalDataErased)]
        assert sorted(len(e.fields) for e in erased) == [2, 5]
        assert not [r for r in records if AN.encode() in (r.value or b"")]
        # The topics are immutable: the events published before the erasure keep the texts.
        published = await records_on(instance.settings, instance.settings.topics.meetings, 2)
        assert [r for r in published if AN.encode() in (r.value or b"")]
        # The register of opinions read again from those topics keeps what was erased.
        register = instance.reporting.app.state.reporting.voter_opinions
        await register.consumer.stop()
        await register.store.opinions.delete_many({})
        await register.replay()
        await instance.settled()
        assert await mentions(instance.settings, AN, BINH) == set()
        again = await register.store.opinions.find_one({"opinion_id": "yk-1"})
        assert again is not None and again["text"] == ERASED_MARKER and again["stage"] == "answered"
        await eventually(no_longer_suggested)  # the index follows the register read again

    # A restore from the backup taken before the erasure erases it again.
    await wipe(instance.settings)
    restored = await restore(instance.settings, archive.path)
    assert restored.replayed == 2 and not restored.failed, restored
    assert await mentions(instance.settings, AN, BINH) == set()


async def test_an_erasure_waits_for_the_events_that_carry_the_data_to_be_published(
    stack: AsyncExitStack, settings: Settings
) -> None:
    served = settings.model_copy(update={"units": [PROVINCE], "relay": False})
    m = await start_app(stack, meetings_app(served), "http://meetings")
    taken = [("don-1", f"Ông {BINH} khiếu nại bồi thường đất")]
    await post(m, f"/units/{DISTRICT}/meetings", reception("tcd-1", "2025-02-20", taken))
    with pytest.raises(ErasureRefused, match="not yet published"):
        await erase(served, Request(DISTRICT, texts=[BINH]))
    stored = await m.app.state.meetings.store.find("tcd-1")
    assert stored is not None and BINH in stored["meeting"]["petitions"][0]["summary"]
    with pytest.raises(ErasureRefused, match="say whose data"):
        await erase(served, Request(DISTRICT, texts=["  "]))
