"""One record must never stop a consumer: whatever it makes go wrong (a rule it breaks, a
number beyond its bounds, an exception no rule foresaw) makes that record a dead letter with
the reason, and the records after it are taken.

Each consumer is fed such a record on its real topic: natural ones where they exist (a taken
change number, numbers beyond 2^53, a stream name MongoDB cannot store, a sequence far ahead of
its stream), signed with the real keys a compromised instance of province 12 would hold;
where a consumer has no natural case left, a fault injected into its own step for one record.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Envelope, Source
from contracts.hierarchy import HierarchyChanged, Merge, NewUnit, Rename
from contracts.meetings import MeetingHeld
from contracts.signing import Signer
from deploy.registry import Registry
from services.common import hierarchy_feed
from services.common.hierarchy import Hierarchy
from services.common.recording import recorded
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.oversight.intake_consumer import Intake
from services.reporting.app import create_app as reporting_app
from services.reporting.coordination.consumer import CoordinationConsumer
from services.reporting.read.projector.fold import STREAM_WINDOW
from tests.builders import held_voter_contact, meeting
from tests.conftest import Running, eventually, granted, start_app
from tests.faults.support import MEETING, publish
from tests.integration.test_coordination_flow import proposal
from tests.integration.test_rollup import summary, voter_contact
from tests.integration.test_signatures import dead_letter_reasons

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT = "12", "106"  # Tỉnh Lai Châu, and its legacy Huyện Tam Đường
COMMUNES = [u.code for u in Hierarchy.load().children(PROVINCE, "2025")]  # its 2025 communes
COMPROMISED = Source(service="meetings", instance="compromised")
FAULT = "RuntimeError: a fault no rule foresaw"


def signed(settings: Settings, envelope: Envelope, sequence: int) -> Envelope:
    """`envelope` numbered `sequence` (any number: the copy is not validated) and signed with
    province 12's key, as a compromised instance of the province would sign it."""
    assert settings.keys_dir is not None
    numbered = envelope.model_copy(update={"sequence": sequence})
    return Signer.from_dir(settings.keys_dir).sign(numbered, [PROVINCE])


def contact(
    settings: Settings,
    unit: str,
    day: date,
    sequence: int,
    voters: int,
    source: Source = COMPROMISED,
) -> Envelope:
    """A voter contact of `unit` on `day`, number `sequence` of its stream."""
    held = held_voter_contact(unit, day, 1, voters, opinions=0, source=source)
    return signed(settings, held.envelope, sequence)


async def registry_of(stack: AsyncExitStack, settings: Settings) -> Registry:
    runtime = Runtime(settings, "hierarchy")
    stack.push_async_callback(runtime.stop)
    return Registry(runtime)


async def forge(registry: Registry, changes: Sequence[HierarchyChanged]) -> None:
    """Publish `changes` through the registry's own outbox, signed as it signs, without the
    checks `Registry.change` makes: what a compromised registry could publish."""

    async def work(session: AsyncClientSession) -> None:
        drafts = [recorded(c, PROVINCE, c.effective) for c in changes]
        await registry.runtime.outbox.append(session, registry.topic, drafts)

    await registry.runtime.write(work)


async def published(registry: Registry) -> None:
    await registry.drain(lambda _: None, wait=30)


async def contacts(reporting: Running, unit: str, period: str) -> tuple[int, int]:
    figures = (await summary(reporting, unit, period))["figures"]
    return figures["voter_contacts"], figures["voters_reached"]


async def test_a_record_no_rule_foresaw_is_dead_lettered_and_the_projector_counts_what_follows(
    stack: AsyncExitStack, settings: Settings
) -> None:
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    registry = await registry_of(stack, settings)
    unit, day = COMMUNES[0], date(2026, 1, 10)
    genuine = await registry.change(Rename(unit=unit, name="Xã Tên Mới"), date(2026, 1, 1))
    # The number of a change already applied, for another change; a number beyond 2^53.
    taken = genuine.model_copy(update={"change": Rename(unit=unit, name="Xã Tên Khác")})
    await forge(registry, [taken, genuine.model_copy(update={"change_no": 2**70})])
    await published(registry)
    # A stream name MongoDB cannot store (a NUL in a field name), a sequence beyond 2^53.
    unstorable = Source.model_construct(service="meetings", instance="phường\x00xã")
    await publish(
        settings,
        settings.topics.meetings,
        [
            contact(settings, unit, day, 1, voters=10),
            contact(settings, unit, day, 2**70, voters=1000),
            contact(settings, unit, day, 1, voters=1000, source=unstorable),
            contact(settings, unit, day, 2, voters=20),
        ],
    )

    async def the_others_counted() -> None:
        assert await contacts(reporting, unit, "2026-01") == (2, 30)
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(the_others_counted)
    reasons = await dead_letter_reasons(settings, expected=4)
    assert f"ValueError: change {genuine.change_no} is already a different change" in reasons
    assert sum("less than or equal to 9007199254740992" in r for r in reasons) == 2, reasons
    assert any(r.startswith("invalid envelope: source.instance") for r in reasons), reasons
    assert reporting.app.state.reporting.hierarchy.find(unit, day).name == "Xã Tên Mới"


async def test_a_sequence_far_ahead_of_its_stream_is_dead_lettered_and_the_stream_goes_on(
    stack: AsyncExitStack, settings: Settings
) -> None:
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    unit, day = COMMUNES[1], date(2026, 2, 3)
    beyond = [1 + STREAM_WINDOW + 1, 10**9]
    await publish(
        settings,
        settings.topics.meetings,
        [
            contact(settings, unit, day, 1, voters=1),
            *(contact(settings, unit, day, s, voters=1000) for s in beyond),
            contact(settings, unit, day, 3, voters=3),  # ahead of a gap, within the window
            contact(settings, unit, day, 2, voters=2),  # fills the gap
        ],
    )

    async def counted() -> None:
        assert await contacts(reporting, unit, "2026-02") == (3, 6)
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(counted)
    reasons = await dead_letter_reasons(settings, expected=2)
    stream = COMPROMISED.stream(unit)
    assert sorted(reasons) == sorted(
        f"sequence {s} of stream {stream} is more than {STREAM_WINDOW} ahead of 1,"
        " the last it applied without a gap"
        for s in beyond
    )
    stored = await reporting.app.state.reporting.store.load_streams([stream])
    assert (stored[stream].applied_through, stored[stream].ahead) == (3, set())


async def test_the_hierarchy_feed_dead_letters_what_it_fails_on_and_follows_the_next_change(
    stack: AsyncExitStack, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    follow = hierarchy_feed._changed

    def failing(working: Hierarchy, event: Any) -> list[HierarchyChanged]:
        if event.payload.decision == "lỗi":
            raise RuntimeError("a fault no rule foresaw")
        return follow(working, event)

    monkeypatch.setattr(hierarchy_feed, "_changed", failing)
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    registry = await registry_of(stack, settings)
    a, b, c = COMMUNES[:3]
    first = await registry.change(Rename(unit=a, name="Xã Lỗi"), date(2026, 1, 1), "lỗi")
    await forge(registry, [first.model_copy(update={"change_no": 2**70, "decision": ""})])
    await registry.change(Merge(units=[b], into=c), date(2026, 3, 1))
    await published(registry)
    hierarchy = meetings.app.state.meetings.hierarchy

    async def followed() -> None:
        assert hierarchy.find(b, date(2026, 3, 5)) is None

    await eventually(followed)
    assert hierarchy.find(a, date(2026, 1, 5)).name != "Xã Lỗi"
    reasons = await dead_letter_reasons(settings, expected=2)
    assert FAULT in reasons
    assert any("change_no: Input should be less than or equal to" in r for r in reasons)


async def test_the_intake_dead_letters_a_meeting_it_fails_on_and_opens_the_next_ones(
    stack: AsyncExitStack, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = Intake._plan

    def failing(self: Intake, event: Any) -> list[Any]:
        if event.payload.meeting.meeting_id == "tx-loi":
            raise RuntimeError("a fault no rule foresaw")
        return plan(self, event)

    monkeypatch.setattr(Intake, "_plan", failing)
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    served = settings.model_copy(update={"units": [DISTRICT]})
    oversight = await start_app(stack, oversight_app(served), "http://oversight")
    commune = Hierarchy.load().children(DISTRICT, "legacy")[0].code
    for meeting_id in ("tx-loi", "tx-ok"):
        body = raised_at(meeting_id, ["Sửa đường liên xã", "Cấp sổ đỏ"])
        r = await meetings.client.post(f"/units/{commune}/meetings", json=body)
        assert r.status_code == 201, r.text

    async def opened() -> None:
        items = (await oversight.client.get(f"/units/{commune}/opinions")).json()
        assert sorted(o["opinion_id"] for o in items) == ["tx-ok-0", "tx-ok-1"], items

    await eventually(opened)
    assert await dead_letter_reasons(settings, expected=1) == [FAULT]


def raised_at(meeting_id: str, opinions: list[str]) -> dict[str, Any]:
    """A voter contact of May 2025 where voters raised `opinions` (ids `<meeting_id>-<i>`)."""
    body = meeting("voter_contact", meeting_id, "Tiếp xúc cử tri", "2025-05-05")
    items = [
        {"opinion_id": f"{meeting_id}-{i}", "text": t, "field": "other", "addressed_to": "UBND"}
        for i, t in enumerate(opinions)
    ]
    return body | {
        "timing": "before_session",
        "delegate_group": "Tổ đại biểu số 2",
        "voters_attending": 40,
        "opinions_raised": len(items),
        "opinions": items,
    }


async def test_the_coordination_consumer_dead_letters_an_event_it_fails_on_and_takes_the_next(
    stack: AsyncExitStack, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes_for = CoordinationConsumer.writes_for

    def failing(self: CoordinationConsumer, event: Any) -> list[Any]:
        in_the_district = DISTRICT in self.served  # the commune's instance takes it
        if getattr(event.payload, "proposal_id", None) == "kn-loi" and in_the_district:
            raise RuntimeError("a fault no rule foresaw")
        return writes_for(self, event)

    monkeypatch.setattr(CoordinationConsumer, "writes_for", failing)
    commune = "03390"  # Thị trấn Tam Đường, in Huyện Tam Đường (106) until 2025

    def serving(unit: str, name: str) -> Settings:
        """An instance of its own (databases and name) serving `unit` alone."""
        prefix = f"{settings.database_prefix}{name}"
        return granted(settings.model_copy(update={"units": [unit], "database_prefix": prefix}))

    raising = await start_app(stack, reporting_app(serving(commune, "c")), "http://commune")
    district = await start_app(stack, reporting_app(serving(DISTRICT, "d")), "http://district")
    for proposal_id in ("kn-loi", "kn-ok"):
        r = await raising.client.post(
            f"/units/{commune}/proposals", json=proposal(proposal_id=proposal_id)
        )
        assert r.status_code == 201, r.text

    async def in_the_inbox() -> None:
        r = await district.client.get(f"/units/{DISTRICT}/proposals")
        assert [p["proposal_id"] for p in r.json()] == ["kn-ok"], r.json()
        figures = (await summary(district, DISTRICT, "2024-03"))["figures"]
        assert figures["proposals_raised"] == 2  # its projector took both

    await eventually(in_the_inbox)
    # The commune's instance took both into its own copy when it raised them; the district's
    # consumer failed on one, which it alone (not its projector) dead-letters.
    assert await dead_letter_reasons(settings, expected=1) == [FAULT]


async def test_a_record_for_a_unit_a_change_ended_or_established_later_says_which_change(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    registry = await registry_of(stack, settings)
    merged, new = COMMUNES[3], "03999"
    established = NewUnit(code=new, name="Xã Hợp Nhất")
    change = await registry.change(
        Merge(units=[merged], into=new, established=established), date(2026, 3, 1)
    )
    await published(registry)
    n = change.change_no

    async def followed() -> None:
        assert meetings.app.state.meetings.hierarchy.find(new, date(2026, 3, 1)) is not None

    await eventually(followed)
    refusals = {
        (merged, "2026-03-05"): f"unit {merged} was merged into {new} on 2026-03-01 (change {n})",
        (new, "2026-02-10"): f"unit {new} did not exist on 2026-02-10: change {n}"
        " established it on 2026-03-01",
    }
    for (unit, day), reason in refusals.items():
        body = voter_contact(f"vc-{unit}", day, voters=5, opinions=0)
        r = await meetings.client.post(f"/units/{unit}/meetings", json=body)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail == [{"loc": ["path", "unit"], "msg": reason, "type": "value_error"}]

    # A training of the province with a bridge point at the new commune before it existed.
    training = MEETING.validate_python(
        meeting("training", "th-1", "Tập huấn kỹ năng giám sát", "2026-02-10")
        | {
            "format": "online",
            "topics": ["Giám sát chuyên đề"],
            "bridge_points": [{"unit": PROVINCE, "attendees": 30}, {"unit": new, "attendees": 9}],
        }
    )
    draft = recorded(MeetingHeld(meeting=training), PROVINCE, date(2026, 2, 10))
    bridged = signed(settings, draft.seal(COMPROMISED, 1), 1)
    # A voter contact of the new commune itself before it existed; one of the merged commune
    # after the merger, which counts in the new one.
    before = contact(settings, new, date(2026, 2, 10), 1, voters=8)
    later = contact(settings, merged, date(2026, 3, 6), 1, voters=4)
    await publish(settings, settings.topics.meetings, [bridged, before, later])

    async def counted() -> None:
        assert await contacts(reporting, new, "2026-03") == (1, 4)
        assert reporting.app.state.reporting.consumer.status.caught_up

    await eventually(counted)
    reasons = await dead_letter_reasons(settings, expected=2)
    assert reasons == [refusals[(new, "2026-02-10")]] * 2
