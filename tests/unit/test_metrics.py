"""What a service's metrics count, without servers: dead letters by the type their header
claims (one the contracts know, else "unknown") and their kind, every label set an alert
watches present at 0 from the start, projected events once per type per batch."""

from __future__ import annotations

import asyncio

from aiokafka.structs import ConsumerRecord
from prometheus_client.parser import text_string_to_metric_families

from services.common.deadletter import DeadLetter
from services.common.metrics import Metrics, known_type


def letter(claimed: bytes | None, fault: bool = False) -> DeadLetter:
    headers = [("event-type", claimed)] if claimed is not None else []
    record = ConsumerRecord("hdnd.meetings", 0, 7, 0, 0, b"12", b"{}", None, 2, 2, headers)
    return DeadLetter(record, "a reason", fault=fault)


def scraped(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = asyncio.run(metrics.exposition()).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_type_fit_for_a_label_is_one_the_contracts_know() -> None:
    assert known_type("meeting.held") == "meeting.held"
    for claimed in (None, "", "Nguyễn Văn A", "03390", "meeting.held\n", "x" * 10_000):
        assert known_type(claimed) == "unknown"


def test_dead_letters_count_by_claimed_type_and_kind_and_start_at_zero() -> None:
    metrics = Metrics()
    before = scraped(metrics)
    name = "hdnd_dead_letters_total"
    assert before[(name, (("kind", "refused"), ("type", "opinion.received")))] == 0
    assert before[(name, (("kind", "fault"), ("type", "unknown")))] == 0

    metrics.count_dead_letters(
        [
            letter(b"meeting.held"),
            letter(b"meeting.held"),
            letter("Nguyễn Văn A".encode()),
            letter(None, fault=True),
            letter(b"\xff\xfe", fault=True),
        ]
    )
    after = scraped(metrics)
    assert after[(name, (("kind", "refused"), ("type", "meeting.held")))] == 2
    assert after[(name, (("kind", "refused"), ("type", "unknown")))] == 1
    assert after[(name, (("kind", "fault"), ("type", "unknown")))] == 2
    assert {v for (n, labels), v in after.items() if n == name} == {0, 1, 2}


def test_projected_events_are_counted_per_type_and_every_type_starts_at_zero() -> None:
    metrics = Metrics()
    metrics.expect_projected()
    metrics.count_projected(["meeting.held"] * 3 + ["opinion.received"])
    metrics.count_projected([])
    after = scraped(metrics)
    name = "hdnd_events_projected_total"
    assert after[(name, (("type", "meeting.held"),))] == 3
    assert after[(name, (("type", "opinion.received"),))] == 1
    assert after[(name, (("type", "petition.settled"),))] == 0


def test_sign_in_failures_are_counted_by_reason_from_a_fixed_set() -> None:
    metrics = Metrics()
    metrics.sign_in_failed("wrong_password")
    after = scraped(metrics)
    reasons = {
        dict(labels)["reason"]: v
        for (n, labels), v in after.items()
        if n == "hdnd_sign_in_failures_total"
    }
    assert reasons == {
        "unknown_account": 0,
        "wrong_password": 1,
        "wrong_code": 0,
        "locked_out": 0,
        "disabled": 0,
        "other": 0,
    }
