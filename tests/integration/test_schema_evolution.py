"""Schema evolution on real servers: a history mixing `supervision.finished` v1 (written before
the rename) and v2 (today's oversight service) folds into the hand-computed figures; a newer
version waits in the dead-letter topic; old stored documents read back in the current shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import Field

from contracts import REGISTRY, Envelope
from contracts.coordination import CouncilDelegatesDeclared
from contracts.signing import Signer
from contracts.timezone import VIETNAM_TZ
from deploy.dlq import list_letters
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.builders import supervision
from tests.conftest import Running, eventually, granted, start_app
from tests.integration.test_rollup import summary

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (03390), before the reform.
PROVINCE, DISTRICT, COMMUNE = "12", "106", "03390"
V1_ERA = {"service": "oversight", "instance": "before-v2"}  # the old service's own stream


def old_event(
    settings: Settings,
    unit: str,
    sequence: int,
    payload: dict[str, Any],
    *,
    version: int = 1,
    source: dict[str, str] = V1_ERA,
    signer: Signer | None = None,
    signed_for: Sequence[str] | None = None,
) -> bytes:
    """An envelope exactly as the oversight service wrote it then, signed like any other
    (by the most specific key of `signer` covering `signed_for`: the unit's lineage)."""
    day = date.fromisoformat(payload["finished_on"])
    envelope = Envelope.model_validate(
        {
            "event_id": str(uuid4()),
            "type": "supervision.finished",
            "version": version,
            "unit": unit,
            "occurred_at": datetime.combine(day, time(12), tzinfo=VIETNAM_TZ).isoformat(),
            "recorded_at": datetime.now(UTC).isoformat(),
            "source": source,
            "sequence": sequence,
            "payload": payload,
        }
    )
    assert settings.keys_dir is not None
    signer = signer or Signer.from_dir(settings.keys_dir)
    lineage = signed_for or Hierarchy.load().lineage(unit, day)
    return signer.sign(envelope, lineage).to_bytes()


def v1_payload(supervision_id: str, recommendations_issued: int, **changes: Any) -> dict[str, Any]:
    return {
        "supervision_id": supervision_id,
        "activity": "thematic_supervision",
        "title": "Giám sát việc giải quyết đơn thư",
        "body": "standing_committee",
        "committee": None,
        "field": "petitions",
        "started_on": "2025-03-03",
        "finished_on": "2025-03-20",
        "supervised_units": [],
        "findings": None,
        "recommendations_issued": recommendations_issued,
        **changes,
    }


async def publish_raw(settings: Settings, topic: str, values: list[tuple[str, bytes]]) -> None:
    """Write (key, value) pairs straight to `topic`, headers as the outbox relay sets them."""
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.dead_letter])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in values:
            try:
                envelope = json.loads(value)
                headers = [
                    ("event-type", str(envelope["type"]).encode()),
                    ("event-version", str(envelope["version"]).encode()),
                ]
            except (ValueError, KeyError, TypeError):
                headers = []
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


async def caught_up(reporting: Running) -> None:
    status = reporting.app.state.reporting.consumer.status
    assert status.caught_up and status.lag == 0, status


async def test_a_mixed_v1_v2_history_replays_into_the_hand_computed_figures(
    stack: AsyncExitStack, settings: Settings
) -> None:
    # Written before the rename, by the old service (its own stream), one of them twice.
    survey = v1_payload("gs-v1-2", 7, activity="survey", field="land")
    verification = v1_payload(
        "tt-v1-3", 2, activity="verification", body="committee", committee="legal"
    )
    history = [
        (DISTRICT, old_event(settings, DISTRICT, 1, v1_payload("gs-v1-1", 4))),
        (DISTRICT, old_event(settings, DISTRICT, 2, survey)),
        (COMMUNE, old_event(settings, COMMUNE, 1, verification)),
    ]
    await publish_raw(settings, settings.topics.oversight, [*history, history[1]])
    newer = old_event(
        settings,
        DISTRICT,
        3,
        {**v1_payload("gs-v3", 50), "recommendations": 50, "escalated": True},
        version=3,
    )
    await publish_raw(settings, settings.topics.oversight, [(DISTRICT, newer)])

    # Today's service writes v2 through its API.
    oversight = await start_app(stack, oversight_app(settings), "http://oversight")

    def today(activity: str) -> dict[str, Any]:
        title, days = "Giám sát công tác tiếp công dân", "2025-03-10..2025-03-25"
        return supervision(activity, title, "standing_committee", "citizen_reception", days)

    for unit, body in [
        (DISTRICT, today("thematic_supervision") | {"recommendations": 5}),
        (PROVINCE, today("survey") | {"recommendations": 3, "report_ref": "9/BC-HĐND"}),
    ]:
        r = await oversight.client.post(f"/units/{unit}/supervisions", json=body)
        assert r.status_code == 201, r.text

    # Hand-computed: v1 4 + 7 (district) + 2 (commune), v2 5 (district) + 3 (province).
    expected_province = {
        "recommendations_issued": 21,
        "thematic_supervisions": 2,
        "surveys": 2,
        "verifications": 1,
        "verifications_committee_legal": 1,
    }

    async def figures_as_computed(reporting: Running) -> None:
        province = (await summary(reporting, PROVINCE, "2025-Q1"))["figures"]
        assert {k: province.get(k) for k in expected_province} == expected_province
        district = await summary(reporting, DISTRICT, "2025-03")
        assert district["own"]["recommendations_issued"] == 4 + 7 + 5
        assert district["figures"]["recommendations_issued"] == 4 + 7 + 5 + 2
        await caught_up(reporting)

    live = await start_app(stack, reporting_app(settings), "http://reporting")
    await eventually(lambda: figures_as_computed(live))
    # A projection rebuilt from offset 0 elsewhere gives the same figures.
    rebuilt = granted(
        settings.model_copy(update={"database_prefix": settings.database_prefix + "r"})
    )
    replay = await start_app(stack, reporting_app(rebuilt), "http://rebuilt")
    await eventually(lambda: figures_as_computed(replay))

    listing = await list_letters(settings)
    reasons = [letter.reason for letter in listing.letters]
    assert reasons == [
        "unsupported version 3 of 'supervision.finished' (newest known: 2)",
        "unsupported version 3 of 'supervision.finished' (newest known: 2)",
    ], reasons  # once per projection: each consumer refuses it on its own
    assert {letter.event_version for letter in listing.letters} == {3}


async def test_a_document_stored_as_v1_reads_back_as_v2_and_a_retry_matches_it(
    stack: AsyncExitStack, settings: Settings
) -> None:
    oversight = await start_app(stack, oversight_app(settings), "http://oversight")
    service = oversight.app.state.oversight
    v1 = v1_payload("gs-stored-v1", 6)
    await service.store.supervisions.insert_one(  # as the service stored it before v2
        {
            "_id": v1["supervision_id"],
            "unit": DISTRICT,
            "activity": v1["activity"],
            "finished_on": v1["finished_on"],
            "supervision": v1,
            "event_id": str(uuid4()),
            "recorded_at": datetime.now(UTC),
        }
    )
    as_v2 = {k: v for k, v in v1.items() if k != "recommendations_issued"} | {
        "recommendations": 6,
        "report_ref": None,
    }
    one = await oversight.client.get(f"/supervisions/{v1['supervision_id']}")
    assert one.status_code == 200, one.text
    assert {k: one.json()[k] for k in as_v2} == as_v2 and "recommendations_issued" not in one.json()
    listed = await oversight.client.get(f"/units/{DISTRICT}/supervisions")
    assert [{k: s[k] for k in as_v2} for s in listed.json()] == [as_v2]
    retried = await oversight.client.post(f"/units/{DISTRICT}/supervisions", json=as_v2)
    assert retried.status_code == 200 and retried.json()["status"] == "unchanged", retried.text


class DelegatesDeclaredV2(CouncilDelegatesDeclared):
    """A v2 of `council.delegates_declared` as it could come: it adds the delegates in office
    (seats less vacancies); v1 upcasts with every seat filled."""

    VERSION: ClassVar[int] = 2
    delegates_in_office: int = Field(ge=0, le=1000)


def coordination_event(
    settings: Settings, unit: str, version: int, payload: dict[str, Any]
) -> bytes:
    """A signed `council.delegates_declared` envelope of `version`, from a commune's instance."""
    day = date.fromisoformat(payload["as_of"])
    envelope = Envelope.model_validate(
        {
            "event_id": str(uuid4()),
            "type": CouncilDelegatesDeclared.TYPE,
            "version": version,
            "unit": unit,
            "occurred_at": datetime.combine(day, time(12), tzinfo=VIETNAM_TZ).isoformat(),
            "recorded_at": datetime.now(UTC).isoformat(),
            "source": {"service": "reporting", "instance": f"commune-{unit}"},
            "sequence": 1,
            "payload": payload,
        }
    )
    assert settings.keys_dir is not None
    lineage = Hierarchy.load().lineage(unit, day)
    return Signer.from_dir(settings.keys_dir).sign(envelope, lineage).to_bytes()


async def test_coordination_events_of_v1_and_v2_are_stored_upcast_and_replay_the_same(
    stack: AsyncExitStack, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordination consumer stores what the upcast payload says, not the wire shape: a v1
    declaration is kept in the v2 shape, next to a v2 one, and a replay keeps them so."""
    kind = CouncilDelegatesDeclared.TYPE
    monkeypatch.setitem(REGISTRY.current, kind, DelegatesDeclaredV2)
    monkeypatch.setitem(
        REGISTRY.upcasters, (kind, 1), lambda p: {**p, "delegates_in_office": p["seats"]}
    )
    old = {"declaration_id": "v1", "term": "2021-2026", "as_of": "2024-03-01", "seats": 25}
    new = {**old, "declaration_id": "v2", "seats": 21, "delegates_in_office": 20}
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    await publish_raw(
        settings,
        settings.topics.reporting,
        [
            (COMMUNE, coordination_event(settings, COMMUNE, 1, {**old, "delegates_trained": 20})),
            ("03394", coordination_event(settings, "03394", 2, {**new, "delegates_trained": 15})),
        ],
    )
    coordination = reporting.app.state.reporting.coordination

    async def stored() -> dict[str, Any]:
        docs = await coordination.store.declarations.find({}, {"recorded_at": 0}).to_list()
        assert len(docs) == 2, docs
        return {d["unit"]: d for d in docs}

    first = await eventually(stored)
    assert first[COMMUNE]["payload"]["delegates_in_office"] == 25  # upcast, not as it travelled
    assert first["03394"]["payload"]["delegates_in_office"] == 20
    assert first[COMMUNE]["figures"] == {"council_seats": 25, "delegates_trained": 20}
    figures = (await summary(reporting, DISTRICT, "2024-03"))["figures"]
    assert (figures["council_seats"], figures["delegates_trained"]) == (25 + 21, 20 + 15)

    await coordination.replay()

    async def replayed() -> None:
        status = coordination.consumer.status
        assert status.handled >= 2 and status.caught_up and status.lag == 0

    await eventually(replayed)
    assert await stored() == first
