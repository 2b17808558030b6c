"""A process SIGKILLed inside a MongoDB transaction leaves it open, write locks and all, for
`transactionLifetimeLimitSeconds` (60 s). Found by the SIGKILL test: the restarted projector
stalled a minute on write conflicts with its dead predecessor's transaction. The relay now ends
such orphans of its own service after a few seconds."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.mongo import credentials
from services.common.settings import Settings
from tests.faults.support import EventFactory, databases, publish, running_reporting, wait_caught_up

pytestmark = [pytest.mark.faults, pytest.mark.integration]

ORPHAN = """
import json, sys, time
from pymongo import MongoClient
uri, credentials, database, *ids = sys.argv[1:]
client = MongoClient(uri, appname="hdnd-reporting", **json.loads(credentials))
positions = client[database]["consumer_positions"]
for _id in ids:  # the offsets of a partition, as the projector stores them
    topic, partition = _id.rsplit(":", 1)
    doc = {"_id": _id, "topic": topic, "partition": int(partition), "next_offset": 0}
    positions.insert_one(doc)
session = client.start_session()
session.start_transaction()
for _id in ids:  # a batch half written when the process dies
    positions.update_one({"_id": _id}, {"$set": {"half_written": True}}, session=session)
print("in transaction", flush=True)
time.sleep(600)
"""


def orphan_transaction(settings: Settings, ids: list[str], tmp_path: Path) -> None:
    """A process that dies (SIGKILL) inside a transaction holding these documents."""
    database = settings.database_for("reporting")
    signed_in = json.dumps(credentials(settings, "reporting"))  # as the projector it stands for
    process = subprocess.Popen(
        [sys.executable, "-c", ORPHAN, settings.mongodb_uri, signed_in, database, *ids],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "orphan.log").open("wb"),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"in transaction", tmp_path / "orphan.log"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


async def test_a_transaction_left_open_by_a_killed_process_does_not_stall_the_projector(
    settings: Settings, tmp_path: Path
) -> None:
    events = EventFactory(settings).make(300)
    await publish(settings, settings.topics.meetings, events)
    partitions = [f"{settings.topics.meetings}:{p}" for p in range(settings.topic_partitions)]
    orphan_transaction(settings, partitions, tmp_path)

    async with databases(settings) as db, running_reporting(settings) as reporting:
        # Without the reaper this waits until MongoDB expires the orphan, 60 s after it began.
        await wait_caught_up(settings, db, within=30)
        await db.assert_exact(events)
        assert reporting.runtime.relay.status.orphans_ended >= 1
