"""The backup drill on real servers: record a story, back up, record more, wipe the databases,
restore, rebuild the projections from the topics; the figures, items and report numbers equal
what they were, and what is recorded afterwards collides with nothing.

Thị xã Mường Lay (095, Tỉnh Điện Biên) and two of its communes record through the services'
HTTP APIs, as in test_story_district. What "equal" means for what was recorded after the
backup: its events are on the topics, so the figures count it without anything else; its
documents were only in the wiped databases, and `hdnd restore` writes them again from this
instance's own events on the topics (deploy/replay.py), with the events they had. The one thing
not on the topics is the bytes of a report document attached after the backup (its SHA-256 is).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from deploy.audit import verify
from deploy.backup import backup, restore
from deploy.projections import rebuild
from services.common.mongo import Document, connect
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, bearer, eventually, start_app
from tests.integration.test_report_document import number_of
from tests.integration.test_story_district import (
    opinion,
    post,
    session,
    standing,
    summary,
    voter_contact,
)

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT = "11", "095"
NA_LAY, LAY_NUA = "03151", "03184"
UNITS = (DISTRICT, NA_LAY, LAY_NUA)
PERIODS = ("2024-07..2025-06", "2025-H1", "2024")
SERVICES = ("meetings", "oversight", "reporting")
LISTS = [
    "meetings",
    "supervisions",
    "supervision-plans",
    "recommendations",
    "opinions",
    "petitions",
    "tasks",
    "reports",
    "proposals?direction=raised",
    "proposals?direction=received",
]


MAILED = {  # a petition by mail that names its sender
    "petition_id": "don-bc-1",
    "petition_type": "recommendation",
    "summary": "Bà Lường Thị Cúc đề nghị hỗ trợ nhà ở",
    "received_on": "2025-02-01",
}


def reception(meeting_id: str, day: str, petitions: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "kind": "citizen_reception",
        "meeting_id": meeting_id,
        "title": "Tiếp công dân định kỳ",
        "held_on": day,
        "reception_type": "periodic",
        "citizens_received": len(petitions) + 1,
        "petitions_received": len(petitions),
        "petitions": [
            {"petition_id": pid, "petition_type": "complaint", "summary": text}
            for pid, text in petitions
        ],
    }


class Instance:
    """The three services of the province's instance, started and stopped together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"units": [PROVINCE]})
        self.exits = AsyncExitStack()

    async def start(self) -> None:
        """Each service under its own instance name, as the production compose file runs
        them (meetings-1 …); backups and restores run as "test"."""
        apps = []
        for service, create in (
            ("meetings", meetings_app),
            ("oversight", oversight_app),
            ("reporting", reporting_app),
        ):
            served = self.settings.model_copy(update={"instance": f"{service}-1"})
            apps.append(await start_app(self.exits, create(served), "http://x", bearer(DISTRICT)))
        self.meetings, self.oversight, self.reporting = apps

    async def stop(self) -> None:
        await self.exits.aclose()
        self.exits = AsyncExitStack()

    async def __aenter__(self) -> Instance:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def settled(self) -> None:
        """Every outbox published, every consumer caught up with the topics."""

        async def quiet() -> None:
            for app in (self.meetings, self.oversight, self.reporting):
                ready = (await app.client.get("/ready", headers=bearer(None, "operator"))).json()
                assert ready["outbox_pending"] == 0, ready
                for consumer in ("intake", "projector", "coordination", "voter_opinions"):
                    if consumer in ready:
                        assert ready[consumer]["lag"] == 0, ready
            answer = await self.reporting.client.get("/ready", headers=bearer(None, "operator"))
            projector = answer.json()["projector"]
            assert projector["caught_up"], projector

        await eventually(quiet, within=40)
        await eventually(quiet, within=40)  # twice: what the last round wrote is out too

    async def seen(self) -> dict[str, Any]:
        """What the instance answers: figures of every unit and period, every item list,
        and the report numbers."""
        out: dict[str, Any] = {}
        for unit in (PROVINCE, *UNITS):
            for period in PERIODS:
                s = await summary(self.reporting, unit, period)
                out[f"summary {unit} {period}"] = {k: s[k] for k in ("figures", "rates", "own")}
        for unit in UNITS:
            for listed in LISTS:
                app = self.app_for(listed)
                r = await app.client.get(f"/units/{unit}/{listed}", headers=bearer(unit))
                assert r.status_code == 200, (listed, r.text)
                out[f"{listed} {unit}"] = r.json()
        for period in ("2024-9M", "2024-H1"):
            out[f"number {period}"] = number_of(await self.report(period))
        return out

    def app_for(self, listed: str) -> Running:
        if listed == "meetings":
            return self.meetings
        if listed.startswith(("tasks", "reports", "proposals")):
            return self.reporting
        return self.oversight

    async def report(self, period: str) -> bytes:
        r = await self.reporting.client.get(f"/units/{DISTRICT}/report", params={"period": period})
        assert r.status_code == 200, r.text
        return r.content


async def before_the_backup(i: Instance) -> None:
    m, o, r = i.meetings, i.oversight, i.reporting
    await post(
        m,
        f"/units/{DISTRICT}/meetings",
        session("kh-tx-10", "2025-03-12", 10, "thematic", 25, 21, 4, None),
    )
    raised = [
        opinion("yk-1", "land", "Cử tri Nguyễn Văn An, bản Nà Nọi: đường vào bản sạt lở"),
        opinion("yk-2", "other", "Điện sinh hoạt chập chờn"),
    ]
    await post(
        m,
        f"/units/{NA_LAY}/meetings",
        voter_contact("tx-nl", "2025-01-10", "before_session", 60, raised),
    )
    taken = [("don-1", "Ông Lò Văn Bình khiếu nại bồi thường đất"), ("don-2", "Đơn về cấp sổ đỏ")]
    await post(m, f"/units/{DISTRICT}/meetings", reception("tcd-1", "2025-02-20", taken))
    plan = {
        "meeting_id": "kh-tx-11",
        "kind": "session",
        "title": "Kỳ họp thứ mười một",
        "scheduled_for": "2025-06-20",
        "session": {"session_type": "regular", "term": "2021-2026", "number_in_term": 11},
    }
    await post(m, f"/units/{DISTRICT}/scheduled-meetings", plan)

    async def opened() -> None:
        for unit, kind, n in [(NA_LAY, "opinions", 2), (DISTRICT, "petitions", 2)]:
            assert len((await o.client.get(f"/units/{unit}/{kind}")).json()) == n

    await eventually(opened)
    forwarded = {"forwarded_on": "2025-01-15", "agency": "UBND thị xã"}
    await post(o, f"/units/{NA_LAY}/opinions/yk-1/forwarded", forwarded, 200)
    await post(o, f"/units/{DISTRICT}/petitions", MAILED)
    plans = f"/units/{DISTRICT}/supervision-plans"
    await post(
        o,
        plans,
        {
            "supervision_id": "gs-1",
            "activity": "thematic_supervision",
            "title": "Giám sát đầu tư công",
            "body": "standing_committee",
            "field": "investment_construction",
            "planned_on": "2025-03-03",
            "starts_on": "2025-04-07",
        },
    )
    await post(o, f"{plans}/gs-1/started", {"started_on": "2025-04-07"}, 200)
    task = {"task_id": "nv-1", "period": "2025-Q1", "title": "Nhiệm vụ", "set_on": "2025-01-02"}
    await post(r, f"/units/{DISTRICT}/tasks", task)
    filing = {"report_id": "bc-9t", "period": "2024-9M", "filed_on": "2024-10-08"}
    await post(r, f"/units/{DISTRICT}/reports", filing | {"attach_document": True})
    proposal = {
        "proposal_id": "kn-1",
        "to_unit": DISTRICT,
        "kind": "recommendation",
        "title": "Kè suối",
    }
    await post(
        r,
        f"/units/{NA_LAY}/proposals",
        proposal | {"raised_on": "2025-02-10"},
        headers=bearer(NA_LAY),
    )


async def after_the_backup(i: Instance) -> None:
    m, o, r = i.meetings, i.oversight, i.reporting
    held = session("kh-tx-11", "2025-06-20", 11, "regular", 25, 24, 7, 3)
    await post(m, f"/units/{DISTRICT}/meetings/kh-tx-11/hold", held)
    raised = [opinion("yk-3", "land", "Cấp giấy chứng nhận chậm")]
    await post(
        m,
        f"/units/{LAY_NUA}/meetings",
        voter_contact("tx-ln", "2025-05-05", "after_session", 40, raised),
    )
    await post(o, f"/units/{NA_LAY}/opinions/yk-1/answered", {"answered_on": "2025-01-20"}, 200)
    # Na Lay's contact was held on 2024-12-28 and raised only yk-1: yk-1 moves, yk-2 goes.
    fixed = voter_contact(
        "tx-nl",
        "2024-12-28",
        "before_session",
        60,
        [opinion("yk-1", "land", "Cử tri Nguyễn Văn An, bản Nà Nọi: đường vào bản sạt lở")],
    )
    await post(m, f"/units/{NA_LAY}/meetings/tx-nl/correct", {"meeting": fixed})

    async def followed() -> None:
        two = (await o.client.get(f"/units/{NA_LAY}/opinions/yk-2")).json()
        assert two["stage"] == "withdrawn", two
        assert (await o.client.get(f"/units/{LAY_NUA}/opinions/yk-3")).status_code == 200

    await eventually(followed)
    forwarded = {"forwarded_on": "2025-05-12", "agency": "UBND thị xã"}
    await post(o, f"/units/{LAY_NUA}/opinions/yk-3/forwarded", forwarded, 200)
    finished = {
        "finished_on": "2025-05-16",
        "findings": "Giải ngân chậm.",
        "recommendations": [
            {
                "recommendation_id": rid,
                "text": text,
                "addressed_to": "UBND thị xã",
                "deadline": "2030-09-30",
            }
            for rid, text in [("kn-a", "Đẩy nhanh giải ngân"), ("kn-b", "Rà soát nhà thầu")]
        ],
    }
    await post(o, f"/units/{DISTRICT}/supervision-plans/gs-1/finished", finished, 200)
    await post(
        o,
        f"/units/{DISTRICT}/recommendations/kn-a/implemented",
        {"implemented_on": "2025-06-01"},
        200,
    )
    transferred = {"transferred_on": "2025-02-24", "agency": "UBND thị xã"}
    await post(o, f"/units/{DISTRICT}/petitions/don-1/transferred", transferred, 200)
    await post(
        r,
        f"/units/{DISTRICT}/tasks/nv-1/status",
        {"status": "done", "changed_on": "2025-03-20"},
    )
    filing = {"report_id": "bc-6t", "period": "2024-H1", "filed_on": "2024-07-08"}
    await post(r, f"/units/{DISTRICT}/reports", filing | {"attach_document": True})
    answer = {"answered_on": "2025-03-05", "answer": "Bố trí vốn quý II."}
    await post(r, f"/units/{DISTRICT}/proposals/kn-1/answer", answer)


def differences(was: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """What differs, down to single figures."""
    out: dict[str, Any] = {}
    for key in sorted(set(was) | set(now)):
        a, b = was.get(key), now.get(key)
        if a == b:
            continue
        if key.startswith("summary") and a and b:
            out[key] = {
                (part, f): (a[part][f], b[part][f])
                for part in a
                for f in a[part]
                if a[part][f] != b[part].get(f)
            }
        else:
            out[key] = (a, b)
    return out


async def wipe(settings: Settings) -> dict[str, int]:
    """Drop the instance's databases; returns each stream's counter as it was."""
    counters: dict[str, int] = {}
    async with databases(settings) as client:
        for service in SERVICES:
            db = client[settings.database_for(service)]
            counters |= {d["_id"]: d["seq"] async for d in db["outbox_sequences"].find()}
            await client.drop_database(db.name)
        names = await client.list_database_names()
    assert not [s for s in SERVICES if settings.database_for(s) in names]
    return counters


@asynccontextmanager
async def databases(settings: Settings) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = connect(settings, "drill")
    try:
        yield client
    finally:
        await client.close()


async def test_back_up_wipe_restore_rebuild_and_nothing_collides(
    settings: Settings, tmp_path: Path
) -> None:
    instance = Instance(settings)
    async with instance:
        await before_the_backup(instance)
        await instance.settled()
        archive = await backup(instance.settings, tmp_path)
        await after_the_backup(instance)
        await instance.settled()
        before = await instance.seen()

    # A dated, compressed archive with a checksum beside it, and a manifest that says what
    # it holds and where the topics stood.
    assert archive.path.name.endswith(".tar.gz") and archive.path.parent == tmp_path
    assert archive.checksum.read_text().split() == [archive.digest, archive.path.name]
    with tarfile.open(archive.path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = tar.getnames()
    assert manifest["instance"] == "test"
    assert manifest["databases"]["meetings"]["collections"]["meetings"]["documents"] == 4
    assert manifest["topics"]["meetings"] and manifest["databases"]["oversight"]["positions"]
    assert any(n.startswith("keys/public/unit.11.") for n in names)
    assert not [n for n in names if "private" in n or "registry/" in n]

    counters = await wipe(instance.settings)
    restored = await restore(instance.settings, archive.path)
    assert restored.replayed > 0 and not restored.skipped and not restored.failed, restored
    assert restored.numbers == 1  # 02, allocated to the 2024-H1 report after the backup

    async with instance:
        await instance.settled()
        after = await instance.seen()
        assert after == before, differences(before, after)  # caught up from their positions
        result = await rebuild(instance.settings, lambda *_: None, wait=120)
        assert result.switched
        rebuilt = await instance.seen()
        assert rebuilt == before, differences(before, rebuilt)  # a rebuild from the topics agrees
        # The bytes of a document attached after the backup were in no event: gone, as said.
        gone = await instance.reporting.client.get(f"/units/{DISTRICT}/reports/2024-H1/document")
        assert gone.status_code == 404
        kept = await instance.reporting.client.get(f"/units/{DISTRICT}/reports/2024-9M/document")
        assert kept.status_code == 200

        # Recording goes on where the topics are: fresh sequences, fresh report numbers, and
        # a record made after the backup is known, so a retry of it counts nothing.
        m, r = instance.meetings, instance.reporting
        done = await post(
            m, f"/units/{DISTRICT}/meetings", standing("tt-new", "2025-06-23", "ad_hoc")
        )
        assert done["sequence"] == counters[f"meetings/meetings-1/{DISTRICT}"] + 1
        again = voter_contact(
            "tx-ln",
            "2025-05-05",
            "after_session",
            40,
            [opinion("yk-3", "land", "Cấp giấy chứng nhận chậm")],
        )
        retried = await post(m, f"/units/{LAY_NUA}/meetings", again, 200)
        assert retried["status"] == "unchanged"
        await post(
            r,
            f"/units/{DISTRICT}/reports",
            {"period": "2023", "filed_on": "2024-01-09", "attach_document": True},
        )
        assert number_of(await instance.report("2023")) == "03"  # 01, 02 taken in the 2024 series
        await instance.settled()
        now = await instance.seen()
        figures = {k: v["figures"] for k, v in now.items() if k.startswith("summary")}
        was = {k: v["figures"] for k, v in before.items() if k.startswith("summary")}
        changed = {
            (k, f): n - was[k][f]
            for k, fs in figures.items()
            for f, n in fs.items()
            if n != was[k][f]
        }
        meeting = ("standing_committee_meetings", "standing_committee_meetings_ad_hoc")
        report = {"reports_on_time": 1, "reports_missing": -1}  # 2023's, due in January 2024
        assert changed == {  # what the new records add, once each; nothing else moved
            **{
                (f"summary {unit} {period}", figure): 1
                for unit in (DISTRICT, PROVINCE)
                for period in ("2024-07..2025-06", "2025-H1")
                for figure in meeting
            },
            **{
                (f"summary {unit} 2024", figure): n
                for unit in (DISTRICT, PROVINCE)
                for figure, n in report.items()
            },
        }
        # and the chains go on from the topics' newest envelope, not the backup's: no fork
        assert (await verify(settings)).findings == []
