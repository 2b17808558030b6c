"""`hdnd webhooks add|list|test|deliveries|redrive` on the server, against the real servers and
a receiver that verifies what it is sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient
from typer.testing import CliRunner

from deploy.cli import app
from services.common.mongo import OPERATOR, credentials
from services.common.settings import Settings
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.integration


def test_webhooks_are_added_listed_tested_and_redriven_from_the_command_line(
    settings: Settings,
) -> None:
    env = settings.environment() | {"HDND_UNITS": "12"}
    local = env | {"HDND_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    runner = CliRunner()

    def hdnd(*args: str, ok: bool = True, environment: dict[str, str] = local) -> str:
        done = runner.invoke(app, list(args), env=environment)
        assert (done.exit_code == 0) == ok, (args, done.output)
        return done.output

    receiver = Receiver()
    events = "proposal.raised,proposal.answered"
    added = hdnd("webhooks", "add", "--unit", "12", "--url", receiver.url, "--events", events)
    webhook = re.search(r"\b(wh-[0-9a-f]+)\b", added)
    secret = re.search(r"secret: (\S+)", added)
    assert webhook and secret, added
    receiver.secret = secret[1]
    with receiver.serving():
        assert "delivered: HTTP 200" in hdnd("webhooks", "test", webhook[1])
    (ping,) = receiver.taken.values()
    assert ping.event == "webhook.test" and b'"unit": "12"' in ping.body
    assert "not delivered" in hdnd("webhooks", "test", webhook[1], ok=False)  # it stopped

    refused = hdnd("webhooks", "add", "--unit", "12", "--url", receiver.url, "--events",
                   "proposal.raised", ok=False, environment=env)  # fmt: skip
    assert "not a public address" in refused
    assert "no event type" in hdnd(
        "webhooks", "add", "--unit", "12", "--url", receiver.url, "--events", "x.y", ok=False
    )
    listed = hdnd("webhooks", "list", "--unit", "12")
    assert webhook[1] in listed and "proposal.raised" in listed

    # a dead-lettered delivery, as the sender leaves one after its last try
    with MongoClient(settings.mongodb_uri, **credentials(settings, OPERATOR)) as mongo:
        deliveries = mongo[settings.database_for("reporting")]["webhook_deliveries"]
        deliveries.insert_one(
            {"_id": "d-1", "subscription": webhook[1], "unit": "12", "event_id": "e-1",
             "event_type": "proposal.raised", "event_unit": "03390", "state": "failed",
             "tries": 12, "created_at": datetime.now(UTC), "next_at": datetime.now(UTC),
             "body": b"{}", "attempts": [{"at": datetime.now(UTC), "status": 503,
                                          "error": "HTTP 503"}]}
        )  # fmt: skip
        assert "HTTP 503" in hdnd("webhooks", "deliveries", webhook[1], "--state", "failed")
        assert "requeued 1 deliveries" in hdnd("webhooks", "redrive", webhook[1])
        assert "requeued 0 deliveries" in hdnd("webhooks", "redrive", webhook[1])
        again = deliveries.find_one({"_id": "d-1"})
        assert again is not None and again["state"] == "pending" and again["tries"] == 0
    assert "no such webhook" in hdnd("webhooks", "redrive", "wh-none", ok=False)
