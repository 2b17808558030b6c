"""On real servers: a log nobody can quietly rewrite (issue 20, item 8).

A story is recorded by the three services; each stream's envelopes are chained; a day later
each service signs its roots, the province's reporting keeps them and prints their code on the
report; `hdnd audit verify` finds every chain whole. Then one stored outbox row is edited in
MongoDB and an altered copy of a published record is appended to its topic (re-signed with
the real key, as a compromised instance would), and verify names both. Roots forged for
streams their signer may not vouch for are dead-lettered, not kept.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from bson import Binary
from pydantic import BaseModel
from typer.testing import CliRunner

from contracts import Envelope, EventDraft, Source, decode_event
from contracts.audit import AuditRoot, StreamHead, root_of
from contracts.chain import Chains
from contracts.signing import Signer
from contracts.timezone import today_in_vietnam
from deploy.cli import app as cli
from services.common.hierarchy import Hierarchy
from services.common.limits import EventTooLarge
from services.common.mongo import connect, in_transaction
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.common.trust import lineage_of
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.document.model import Verification
from tests.builders import held_voter_contact
from tests.conftest import Running, eventually, start_app
from tests.integration.test_oversight import land_supervision
from tests.integration.test_rollup import voter_contact
from tests.integration.test_signatures import dead_letter_reasons, holding_its_own_key
from tests.topics import records_on

pytestmark = pytest.mark.integration
PROVINCE, DISTRICT = "12", "106"
COMMUNE, OTHER_COMMUNE = "03390", "03391"  # Tam Đường and Lản Nhì Thàng, Tỉnh Lai Châu
Apps = dict[str, Running]


class LargePayload(BaseModel):
    text: str


async def record_story(apps: Apps) -> None:
    """Voter contacts (two at once in one commune), a supervision, a delegates declaration."""
    meetings = apps["meetings"].client
    posts = [
        meetings.post(
            f"/units/{unit}/meetings", json=voter_contact(f"vc-{i}", "2025-03-02", 40 + i, 1)
        )
        for i, unit in enumerate([COMMUNE, COMMUNE, COMMUNE, OTHER_COMMUNE])
    ]
    for r in await asyncio.gather(*posts):  # concurrent writers of one stream: no fork
        assert r.status_code == 201, r.text
    r = await apps["oversight"].client.post(
        f"/units/{DISTRICT}/supervisions", json=land_supervision()
    )
    assert r.status_code == 201, r.text
    declared = {"term": "2021-2026", "as_of": "2025-03-01", "seats": 25, "delegates_trained": 20}
    r = await apps["reporting"].client.post(f"/units/{COMMUNE}/delegates", json=declared)
    assert r.status_code == 201, r.text


async def start(stack: AsyncExitStack, settings: Settings) -> Apps:
    served = settings.model_copy(update={"units": [PROVINCE]})
    return {
        "meetings": await start_app(stack, meetings_app(served), "http://meetings"),
        "oversight": await start_app(stack, oversight_app(served), "http://oversight"),
        "reporting": await start_app(stack, reporting_app(served), "http://reporting"),
    }


def runtime_of(app: Running, name: str) -> Any:
    return getattr(app.app.state, name).runtime


async def published(apps: Apps) -> None:
    for name, app in apps.items():
        assert await runtime_of(app, name).outbox.pending_count() == 0, name


async def verify(settings: Settings) -> tuple[int, str]:
    env = settings.environment()
    done = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify"], env=env)
    return done.exit_code, " ".join(done.output.split())


async def test_chains_roots_and_what_verify_names_after_an_edit_and_an_appended_copy(
    stack: AsyncExitStack, settings: Settings
) -> None:
    apps = await start(stack, settings)
    await record_story(apps)
    await eventually(lambda: published(apps))

    # every stream is chained: each envelope names the hash of the one before
    on_topic = await records_on(settings, settings.topics.meetings, expected=4)
    chains = Chains()
    for r in on_topic:
        assert chains.take(decode_event(r.value).envelope, f"{r.partition}:{r.offset}") is None
    stream = Source(service="meetings", instance="test").stream(COMMUNE)
    assert chains.link(stream) is not None and chains.link(stream)[0] == 3  # type: ignore[index]

    # a day later, each service signs where its chains stand: once, whatever happens
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for name, app in apps.items():
        roots = runtime_of(app, name).roots
        roots.clock = lambda: tomorrow
        [written] = await roots.sweep()
        assert written.type == "audit.root" and written.source.service == f"{name}-audit"
        assert await roots.sweep() == []  # the day is marked in the same transaction
        runtime_of(app, name).relay.notify()
    root = AuditRoot.model_validate(written.payload)  # reporting's own: its declaration
    assert [(h.stream, h.sequence) for h in root.streams] == [(f"reporting/test/{COMMUNE}", 1)]
    day = today_in_vietnam()
    reporting = apps["reporting"]

    async def all_three_kept() -> dict[str, Any]:
        r = await reporting.client.get(f"/units/{PROVINCE}/audit-roots", params={"day": str(day)})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert len(body["roots"]) == 3, body
        return body

    kept = await eventually(all_three_kept)
    heads = {h["stream"]: h for r in kept["roots"] for h in r["streams"]}
    assert heads[stream]["sequence"] == 3
    assert heads[stream]["hash"] == chains.link(stream)[1]  # type: ignore[index]
    commune = await reporting.client.get(
        f"/units/{OTHER_COMMUNE}/audit-roots", params={"day": str(day)}
    )
    assert [r["source"]["service"] for r in commune.json()["roots"]] == ["meetings-audit"]

    # the report dated the next day prints the code of the roots it was built on
    r = await reporting.client.get(
        f"/units/{PROVINCE}/report",
        params={"period": "2025-H1", "format": "html", "dated": str(day + timedelta(days=1))},
    )
    assert r.status_code == 200, r.text
    assert Verification(day, kept["code"], 3).text in r.text

    await eventually(lambda: published(apps))
    code, output = await verify(settings)
    assert code == 0, output
    assert "every chain holds" in output

    # edit one stored document: the second voter contact's row, its figures changed in place
    db = runtime_of(apps["meetings"], "meetings").db
    row = await db["outbox"].find_one({"stream": stream, "seq": 2})
    envelope = json.loads(bytes(row["value"]))
    envelope["payload"]["meeting"]["voters_attending"] = 4000
    edited = Binary(json.dumps(envelope, ensure_ascii=False).encode())
    await db["outbox"].update_one({"_id": row["_id"]}, {"$set": {"value": edited}})

    # and append an altered copy of the first record, signed with the province's real key
    envelopes = [decode_event(r.value).envelope for r in on_topic]
    first = next(e for e in envelopes if (e.stream, e.sequence) == (stream, 1))
    payload = {**first.payload, "meeting": {**first.payload["meeting"], "voters_attending": 4}}
    assert settings.keys_dir is not None
    forged = Signer.from_dir(settings.keys_dir).sign(
        first.model_copy(update={"payload": payload, "signature": None}), [COMMUNE, PROVINCE]
    )
    metadata = await publish(settings, settings.topics.meetings, forged)

    code, output = await verify(settings)
    assert code == 1, output
    assert f"{db.name}/outbox/{row['_id']}" in output, output
    assert "the stored row differs from the published record" in output
    assert f"{settings.topics.meetings} {metadata.partition}:{metadata.offset}" in output
    assert "a second, different record for sequence 1" in output
    assert "2 differ" in output


async def publish(settings: Settings, topic: str, envelope: Envelope) -> Any:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        return await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.unit.encode())
    finally:
        await producer.stop()


def forged_root(source: Source, unit: str, heads: list[StreamHead]) -> Envelope:
    """A root of a day before the reform, when both communes existed."""
    now = datetime(2025, 3, 2, 17, tzinfo=UTC)
    payload = AuditRoot(day=now.date(), as_of=now, streams=heads, root=root_of(heads))
    return Envelope(
        event_id="7f0c4c2e-8a55-4f0e-9d53-3c1a7e7d2b10",
        type=AuditRoot.TYPE,
        version=AuditRoot.VERSION,
        unit=unit,
        occurred_at=now,
        recorded_at=datetime.now(UTC),
        source=source,
        sequence=1,
        payload=payload.model_dump(mode="json"),
    )


async def test_roots_vouching_for_streams_not_theirs_are_dead_lettered(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    settings = holding_its_own_key(settings, tmp_path, COMMUNE)  # a commune's, compromised
    assert settings.keys_dir is not None
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    commune = Signer.from_dir(settings.keys_dir)
    head = StreamHead(stream=f"meetings/a/{OTHER_COMMUNE}", sequence=9, hash="a" * 64)
    audit = Source(service="meetings-audit", instance="a")
    for_another = commune.sign(forged_root(audit, COMMUNE, [head]), [COMMUNE])
    strangers = commune.sign(
        forged_root(Source(service="meetings-audit", instance="b"), COMMUNE, [head]), [COMMUNE]
    )
    await publish(settings, settings.topics.audit, for_another)
    await publish(settings, settings.topics.audit, strangers)
    reasons = await dead_letter_reasons(settings, expected=2)
    assert f"signer {COMMUNE} may not vouch for stream meetings/a/{OTHER_COMMUNE}" in reasons[0]
    assert "the root lists streams not of its instance: meetings/a/03391" in reasons[1]
    kept = await reporting.app.state.reporting.audit_roots.roots.count_documents({})
    assert kept == 0


async def test_two_processes_and_an_aborted_write_never_fork_a_stream(settings: Settings) -> None:
    """Two HTTP workers of one instance write the same stream in turn and at once, and a
    write refused after its envelope was sealed (too large) aborts: every envelope still
    names the one before it, none twice."""
    client = connect(settings, app_name="hdnd-test")
    stack_db = client[settings.database_for("meetings")]
    source = Source(service="meetings", instance="test")
    assert settings.keys_dir is not None
    signer, lineage = Signer.from_dir(settings.keys_dir), lineage_of(Hierarchy.load())
    workers = [Outbox(stack_db, source, signer, lineage, max_event_bytes=2048) for _ in range(2)]
    payload = held_voter_contact(COMMUNE, date(2025, 3, 2), 1).payload

    def draft(opinions: int = 0) -> EventDraft:
        body = payload.model_copy(
            update={"meeting": payload.meeting.model_copy(update={"opinions_raised": opinions})}
        )
        return EventDraft(
            type="meeting.held",
            version=2,
            unit=COMMUNE,
            occurred_at=datetime(2025, 3, 2, 5, tzinfo=UTC),
            payload=body,
        )

    async def write(worker: Outbox, *drafts: EventDraft) -> None:
        await in_transaction(client, lambda s: worker.append(s, "t", list(drafts)))

    try:
        for i in range(6):  # in turn: each finds the head the other moved
            await write(workers[i % 2], draft(), draft())
        too_large = draft().model_copy(
            update={"payload": LargePayload(text="ệ" * 2000)}  # over 2 KiB once sealed
        )
        with pytest.raises(EventTooLarge):  # sealed as 13 and 14, never written
            await write(workers[0], draft(), too_large)
        await write(workers[1], draft(), draft())  # the real 13 and 14
        await write(workers[0], draft())  # 15 follows the real 14, not the one it sealed
        await asyncio.gather(*(write(workers[i % 2], draft()) for i in range(8)))  # at once
        rows = await stack_db["outbox"].find().sort("seq", 1).to_list()
    finally:
        await client.close()
    envelopes = [Envelope.model_validate_json(bytes(r["value"])) for r in rows]
    assert [e.sequence for e in envelopes] == list(range(1, 24))
    chains = Chains()
    assert [chains.take(e, "here") for e in envelopes] == [None] * 23
