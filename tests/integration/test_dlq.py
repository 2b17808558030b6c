"""`hdnd dlq` on real servers: refused events are listed with their reasons, inspected, and
re-driven after a fix, each once, and the figures count every event exactly once."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner, Result

from contracts import REGISTRY
from contracts.keys import generate_keys
from contracts.oversight import SupervisionFinished
from contracts.signing import Signer
from deploy import dlq
from deploy.cli import app as cli
from deploy.dlq import Letter, LetterId, Selection, get_letter, list_letters, read_letters, redrive
from services.common.mongo import connect
from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app
from tests.integration.test_rollup import summary
from tests.integration.test_schema_evolution import old_event, publish_raw, v1_payload

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT = "12", "106"  # Tỉnh Lai Châu › Huyện Tam Đường
OFFICE = {"service": "oversight", "instance": "district-office"}  # the raw events' stream


def v2(supervision_id: str, recommendations: int) -> dict[str, Any]:
    """The v1 payload of the schema evolution tests in its v2 shape (renamed, a report number)."""
    payload = v1_payload(supervision_id, recommendations, report_ref=None)
    payload["recommendations"] = payload.pop("recommendations_issued")
    return payload


def event(settings: Settings, sequence: int, recommendations: int, **options: Any) -> bytes:
    unit = options.pop("unit", DISTRICT)
    payload = v2(f"gs-{sequence}", recommendations)
    version = options.pop("version", 2)
    return old_event(settings, unit, sequence, payload, version=version, source=OFFICE, **options)


@asynccontextmanager
async def reporting(settings: Settings) -> AsyncIterator[Running]:
    """A reporting service that can be stopped and started again (a redeploy)."""
    async with AsyncExitStack() as stack:
        yield await start_app(stack, reporting_app(settings), "http://reporting")


async def letters_now(settings: Settings, expected: int, **selection: Any) -> list[Letter]:
    async def all_there() -> list[Letter]:
        listing = await list_letters(settings, Selection(**selection), limit=1000)
        assert listing.matching == expected, [x.reason for x in listing.letters]
        return listing.letters

    result: list[Letter] = await eventually(all_there)
    return result


async def recommendations(reporting: Running) -> int:
    figures = (await summary(reporting, PROVINCE, "2025-03"))["figures"]
    return int(figures.get("recommendations_issued", 0))


async def consumed_past(reporting: Running, topic: str, partition: int, offset: int) -> None:
    """Wait until the projector has committed a batch beyond `offset` of that partition."""

    async def past() -> None:
        positions = reporting.app.state.reporting.consumer.status.positions
        assert positions.get(f"{topic}:{partition}", 0) > offset, positions

    await eventually(past)


async def hdnd(settings: Settings, *args: str, signing: bool = False) -> Result:
    """Run the `hdnd` CLI as an operator would, against the test's servers and prefixes
    (`signing`: with the unit keys, for commands that publish events)."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "MONGODB_URI": settings.mongodb_uri,
        "HDND_TOPIC_PREFIX": settings.topic_prefix,
        "HDND_DATABASE_PREFIX": settings.database_prefix,
        "COLUMNS": "220",
    }
    if settings.mongodb_secrets_dir is not None:
        env["HDND_MONGODB_SECRETS_DIR"] = str(settings.mongodb_secrets_dir)
    if signing and settings.keys_dir is not None:
        env["HDND_KEYS_DIR"] = str(settings.keys_dir)
    # The CLI runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


async def test_list_and_show_name_each_refusal(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger"  # a district office whose key was never registered
    generate_keys(stranger, [DISTRICT])
    await start_app(stack, reporting_app(settings), "http://reporting")
    await publish_raw(
        settings,
        settings.topics.oversight,
        [
            (DISTRICT, b"\xff not json"),
            (DISTRICT, event(settings, 1, 5, version=3)),
            ("99999", event(settings, 2, 5, unit="99999", signed_for=[PROVINCE])),
            (DISTRICT, event(settings, 3, 5, signer=Signer.from_dir(stranger))),
        ],
    )
    letters = await letters_now(settings, 4)
    by_reason = {letter.reason.split(":")[0].split(" (")[0]: letter for letter in letters}
    assert set(by_reason) == {
        "invalid envelope",
        "unsupported version 3 of 'supervision.finished'",
        "unit 99999 did not exist on 2025-03-20",
        "no registered public key for unit 106",
    }
    newer = by_reason["unsupported version 3 of 'supervision.finished'"]
    assert (newer.event_type, newer.event_version, newer.unit) == ("supervision.finished", 3, "106")
    assert newer.origin is not None and newer.origin[0] == settings.topics.oversight
    assert newer.key == DISTRICT.encode() and newer.header("dlq-service") == "reporting"
    assert ("event-version", b"3") in newer.original_headers()

    only = await list_letters(settings, Selection(reason="NO REGISTERED"))
    assert [x.id for x in only.letters] == [by_reason["no registered public key for unit 106"].id]
    assert (await list_letters(settings, limit=2)).matching == 4
    assert len((await list_letters(settings, limit=2)).letters) == 2
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await list_letters(settings, Selection(since=later))).matching == 0
    earlier = datetime.now(UTC) - timedelta(hours=1)
    assert (await list_letters(settings, Selection(since=earlier))).matching == 4

    poison = by_reason["invalid envelope"]
    found, marker = await get_letter(settings, poison.id)
    assert found.value == b"\xff not json" and marker is None

    listed = await hdnd(settings, "dlq", "list", "--since", "1h")
    assert listed.exit_code == 0, listed.output
    assert "4 matching" in listed.output
    for reason in by_reason:
        assert reason in listed.output
    assert "supervision.finished v3 · 106" in listed.output
    shown = await hdnd(settings, "dlq", "show", str(poison.id))
    assert shown.exit_code == 0, shown.output
    assert "ff 20 6e 6f 74 20 6a 73 6f 6e" in shown.output and ". not json" in shown.output
    shown = await hdnd(settings, "dlq", "show", str(newer.id))
    assert '"type": "supervision.finished"' in shown.output and "dlq-reason" in shown.output
    missing = await hdnd(settings, "dlq", "show", "0:9999")
    assert missing.exit_code == 1 and "no dead letter 0:9999" in missing.output
    unsaid = await hdnd(settings, "dlq", "redrive")
    assert unsaid.exit_code == 1 and "IDs, --reason TEXT, or --all" in unsaid.output


async def test_redrive_after_a_fix_counts_once_and_never_twice(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.keys_dir is not None
    keys, stranger = tmp_path / "keys", tmp_path / "stranger"
    shutil.copytree(settings.keys_dir, keys)
    generate_keys(stranger, [DISTRICT])
    settings = settings.model_copy(update={"keys_dir": keys})
    await publish_raw(
        settings,
        settings.topics.oversight,
        [
            (DISTRICT, event(settings, 1, 3)),  # genuine: counted at once
            ("99999", event(settings, 1, 40, unit="99999", signed_for=[PROVINCE])),
            (DISTRICT, event(settings, 2, 5, signer=Signer.from_dir(stranger))),
        ],
    )
    async with reporting(settings) as live:
        (ghost,) = await letters_now(settings, 1, reason="did not exist")
        (unknown_key,) = await letters_now(settings, 1, reason="no registered public key")
        assert await recommendations(live) == 3

        # Without a fix: re-driven once, refused again for the same reason, as a new letter.
        first = await redrive(settings, Selection(ids=frozenset([ghost.id])))
        assert [r[0] for r in first.redriven] == [ghost.id] and first.already == []
        again = await letters_now(settings, 2, reason="did not exist")
        assert again[-1].header(dlq.REDRIVEN_FROM) == str(ghost.id)
        assert again[-1].value == ghost.value and again[-1].reason == ghost.reason
        second = await redrive(settings, Selection(ids=frozenset([ghost.id])))
        assert second.redriven == [] and second.already == [ghost.id]

    # The fix: register the district's public key, and redeploy the consumer.
    for record in (stranger / "public").iterdir():
        shutil.copy(record, keys / "public" / record.name)
    async with reporting(settings) as live:
        done = await redrive(settings, Selection(reason="no registered public key"))
        assert [r[0] for r in done.redriven] == [unknown_key.id]

        async def counted() -> None:
            assert await recommendations(live) == 3 + 5

        await eventually(counted)
        nothing = await redrive(settings, Selection(reason="no registered public key"))
        assert nothing.redriven == [] and nothing.already == [unknown_key.id]
        listing = await list_letters(settings, Selection(ids=frozenset([unknown_key.id])))
        assert listing.redriven[unknown_key.id]["state"] == "redriven"

        # Even with the record of re-drives lost, a second copy is not counted twice.
        operator = connect(settings, "test-operator")  # the redrive log is the operator's
        await operator[settings.database_for("ops")].drop_collection("redriven")
        await operator.close()
        (_, topic, partition, offset), *_ = (
            await redrive(settings, Selection(reason="no registered public key"))
        ).redriven
        await consumed_past(live, topic, partition, offset)
        assert await recommendations(live) == 3 + 5
        await letters_now(settings, 1, reason="no registered public key")  # and not refused


class SupervisionFinishedV3(SupervisionFinished):
    """What a later release might make current (this test only)."""

    VERSION: ClassVar[int] = 3
    escalated: bool = False


async def test_a_newer_version_waits_until_a_consumer_knows_it_then_counts_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = event(settings, 1, 50, version=3)
    await publish_raw(settings, settings.topics.oversight, [(DISTRICT, newer)])
    async with reporting(settings) as live:
        (letter,) = await letters_now(settings, 1)
        assert letter.reason.startswith("unsupported version 3 of 'supervision.finished'")

    # The fix: a consumer that knows v3 (and lifts v2 to it) is deployed.
    kind = SupervisionFinished.TYPE
    monkeypatch.setitem(REGISTRY.current, kind, SupervisionFinishedV3)
    monkeypatch.setitem(REGISTRY.upcasters, (kind, 2), lambda p: {**p, "escalated": False})
    async with reporting(settings) as live:
        redriven = await hdnd(settings, "dlq", "redrive", str(letter.id))
        assert redriven.exit_code == 0, redriven.output
        assert f"re-drove 1 dead letter(s)\n  {letter.id} → {settings.topics.oversight}" in (
            redriven.output
        )

        async def counted() -> None:
            assert await recommendations(live) == 50

        await eventually(counted)
        repeated = await hdnd(settings, "dlq", "redrive", "--reason", "unsupported version")
        assert "re-drove 0 dead letter(s)" in repeated.output
        assert f"skipped 1 re-driven before: {letter.id}" in repeated.output
        listed = await hdnd(settings, "dlq", "list")
        assert "re-driven →" in listed.output and "pending" not in listed.output
        assert await recommendations(live) == 50


class Recorded:
    def __init__(self) -> None:
        self.total: int | None = None
        self.advanced: list[int] = []

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, scanned: int) -> None:
        self.advanced.append(scanned)


async def test_many_letters_are_read_in_bounded_batches_with_progress(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dlq, "READ_BATCH", 64)
    poison = [(DISTRICT, f"not an event {i}".encode()) for i in range(300)]
    await publish_raw(settings, settings.topics.oversight, poison)
    async with reporting(settings):
        await letters_now(settings, 300)
    sizes = [len(batch) async for batch in read_letters(settings)]
    assert sum(sizes) == 300 and max(sizes) <= 64

    progress = Recorded()
    dry = await redrive(settings, Selection(reason="invalid envelope"), dry_run=True)
    assert len(dry.would) == 300 and dry.redriven == []
    outcome = await redrive(settings, Selection(), everything=True, progress=progress)
    assert len(outcome.redriven) == 300 and progress.total == sum(progress.advanced) == 300
    assert [r[0] for r in outcome.redriven] == sorted(r[0] for r in outcome.redriven)
    assert (await redrive(settings, Selection(), everything=True, dry_run=True)).would == []
    missing = await redrive(settings, Selection(ids=frozenset([LetterId(0, 10_000)])))
    assert missing.missing == [LetterId(0, 10_000)] and missing.redriven == []


async def test_a_redrive_interrupted_before_the_ack_is_taken_over_after_its_lease(
    settings: Settings,
) -> None:
    await publish_raw(settings, settings.topics.oversight, [(DISTRICT, b"{}"), (DISTRICT, b"[]")])
    async with reporting(settings):
        first, second = await letters_now(settings, 2)
    log = dlq.RedriveLog(settings)
    try:
        long_ago = datetime.now(UTC) - dlq.CLAIM_LEASE - timedelta(seconds=5)
        for letter, claimed_at in ((first, long_ago), (second, datetime.now(UTC))):
            await log.collection.insert_one(
                {"_id": log.key(letter.id), "state": "publishing", "claimed_at": claimed_at}
            )
    finally:
        await log.close()
    outcome = await redrive(settings, Selection(), everything=True)
    assert [r[0] for r in outcome.redriven] == [first.id]  # the other run may still be going
    assert outcome.already == [second.id]


def test_ids_and_times_are_read_as_an_operator_types_them() -> None:
    now = datetime(2025, 6, 1, 1, 0, tzinfo=UTC)
    assert LetterId.parse(" 2:17 ") == LetterId(2, 17) and str(LetterId(2, 17)) == "2:17"
    with pytest.raises(dlq.DeadLetterError, match="partition:offset"):
        LetterId.parse("2-17")
    assert dlq.parse_since("90m", now) == now - timedelta(minutes=90)
    assert dlq.parse_since("7d", now) == now - timedelta(days=7)
    assert dlq.parse_since("2025-06-01", now) == datetime(2025, 5, 31, 17, 0, tzinfo=UTC)
    assert dlq.parse_since("2025-06-01T08:00+00:00", now) == datetime(2025, 6, 1, 8, tzinfo=UTC)
    with pytest.raises(dlq.DeadLetterError, match="use 30m, 2h, 7d"):
        dlq.parse_since("yesterday", now)
