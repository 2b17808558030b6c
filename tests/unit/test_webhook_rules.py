"""The pure rules of webhooks: who gets which event, the signature a receiver recomputes,
the backoff, and the addresses a delivery may go to."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import Decoded
from contracts.coordination import ProposalAnswered, ProposalKind, ProposalRaised
from contracts.meetings import MeetingHeld
from services.common.hierarchy import Hierarchy
from services.common.trust import lineage_of
from services.reporting.webhooks import rules
from tests.forged import envelope_of

HIERARCHY = Hierarchy.load()
LINEAGE = lineage_of(HIERARCHY)
SINCE = datetime.now(UTC) - timedelta(minutes=1)
DAY_2025, DAY_LEGACY = date(2025, 8, 4), date(2024, 3, 10)


def subscription(unit: str, era: str, *events: str) -> rules.Subscription:
    scope = rules.scope_of(unit, era, HIERARCHY.predecessors)  # type: ignore[arg-type]
    return rules.Subscription("wh-1", scope, frozenset(events), SINCE)


def event(payload: BaseModel, unit: str, day: date) -> Decoded[BaseModel]:
    return Decoded(envelope_of(payload, unit, day, "test", 1), payload)


def raised(to_unit: str, day: date) -> ProposalRaised:
    return ProposalRaised(
        proposal_id="kn-1", to_unit=to_unit, kind=ProposalKind.RECOMMENDATION, title="Đường",
        raised_on=day,
    )  # fmt: skip


def answered(raised_by: str, day: date) -> ProposalAnswered:
    return ProposalAnswered(
        proposal_id="kn-1", raised_by=raised_by, raised_on=day, answered_on=day, answer="Đã có"
    )


def test_a_subscription_gets_its_types_of_its_subtree_and_what_is_addressed_to_it() -> None:
    province = subscription("12", "2025", "proposal.raised", "proposal.answered")
    commune = subscription("03390", "2025", "proposal.answered")
    of_commune = event(raised("12", DAY_2025), "03390", DAY_2025)
    answer = event(answered("03390", DAY_2025), "12", DAY_2025)
    assert rules.matches(province, of_commune, LINEAGE)  # a commune below it
    assert rules.matches(province, answer, LINEAGE)  # its own
    assert rules.matches(commune, answer, LINEAGE)  # the answer comes down to who raised it
    assert not rules.matches(commune, of_commune, LINEAGE)  # not a type it named
    sibling_answer = event(answered("03394", DAY_2025), "12", DAY_2025)
    assert not rules.matches(commune, sibling_answer, LINEAGE)
    hanoi = event(raised("01", DAY_2025), "00004", DAY_2025)
    assert not rules.matches(province, hanoi, LINEAGE)


def test_a_2025_unit_gets_the_events_of_the_legacy_units_it_carries_and_no_others() -> None:
    province = subscription("12", "2025", "proposal.raised")
    tam_duong = event(raised("106", DAY_LEGACY), "03390", DAY_LEGACY)  # Thị trấn Tam Đường
    assert rules.matches(province, tam_duong, LINEAGE)
    binh_lu = subscription("03390", "2025", "proposal.raised")  # carries 03390, 03412, 03413
    assert rules.matches(binh_lu, tam_duong, LINEAGE)
    then_sin = event(raised("106", DAY_LEGACY), "03394", DAY_LEGACY)  # went into Sin Suối Hồ
    assert not rules.matches(binh_lu, then_sin, LINEAGE)
    # a legacy council's subscription: nothing of the 2025 council that reuses its code
    legacy = subscription("03390", "legacy", "proposal.raised")
    assert rules.matches(legacy, tam_duong, LINEAGE)
    assert not rules.matches(legacy, event(raised("12", DAY_2025), "03390", DAY_2025), LINEAGE)


def test_only_events_recorded_since_the_subscription_are_owed() -> None:
    scope = rules.scope_of("12", "2025", HIERARCHY.predecessors)
    later = datetime.now(UTC) + timedelta(minutes=1)
    late = rules.Subscription("wh-2", scope, frozenset({"proposal.raised"}), later)
    assert not rules.matches(late, event(raised("12", DAY_2025), "03390", DAY_2025), LINEAGE)


def test_the_types_a_webhook_may_name_are_the_councils_events() -> None:
    kinds = rules.deliverable_types()
    assert {"meeting.held", "opinion.answered", "proposal.answered", "report.filed"} <= kinds
    assert "event.parked" not in kinds and "account.created" not in kinds
    assert MeetingHeld.TYPE in kinds


@given(st.text(min_size=1), st.integers(0, 2**40), st.binary())
def test_the_signature_is_the_hmac_a_receiver_recomputes(secret: str, at: int, body: bytes) -> None:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    assert rules.signature(secret, at, body) == f"sha256={mac}"
    assert rules.signature(secret, at + 1, body) != rules.signature(secret, at, body)
    sent = rules.headers(secret, at, body, "meeting.held", "d-1")
    assert sent["X-Hdnd-Timestamp"] == str(at) and sent["X-Hdnd-Delivery"] == "d-1"


def test_a_delivery_id_is_the_same_for_the_same_event_and_subscription() -> None:
    assert rules.delivery_id("wh-1", "e-1") == rules.delivery_id("wh-1", "e-1")
    assert rules.delivery_id("wh-1", "e-1") != rules.delivery_id("wh-2", "e-1")


@given(st.integers(1, 80), st.floats(0, 1))
def test_the_backoff_doubles_in_its_upper_half_up_to_the_cap(tries: int, draw: float) -> None:
    delay = rules.retry_delay(tries, 10, 3600, lambda: draw)
    ceiling = min(3600, 10 * 2 ** (tries - 1))
    assert ceiling / 2 <= delay <= ceiling
    assert rules.retry_delay(1, 10, 3600, lambda: 1.0) == 10
    assert rules.retry_delay(3, 10, 3600, lambda: 1.0) == 40


def test_only_public_addresses_over_https_unless_a_network_is_allowed() -> None:
    none: tuple[rules.Network, ...] = ()
    local = rules.networks(["127.0.0.0/8", "10.20.0.0/16"])
    for address in [
        "127.0.0.1", "10.0.0.5", "192.168.1.1", "172.16.0.1", "169.254.169.254", "0.0.0.0",
        "100.64.0.1", "::1", "::ffff:127.0.0.1", "fc00::1", "fe80::1%eth0", "224.0.0.1",
    ]:  # fmt: skip
        assert "not a public address" in str(rules.address_problem("https://x/", [address], none))
    assert rules.address_problem("https://x/", ["93.184.216.34"], none) is None
    assert "https://" in str(rules.address_problem("http://x/", ["93.184.216.34"], none))
    assert rules.address_problem("http://x/", ["127.0.0.1"], local) is None
    assert rules.address_problem("http://x/", ["10.20.3.4"], local) is None
    assert rules.address_problem("http://x/", ["10.21.3.4"], local) is not None
    # a name giving a public and a private address is refused: a connection may take either
    assert rules.address_problem("https://x/", ["93.184.216.34", "10.0.0.5"], none) is not None
    assert rules.address_problem("https://x/", [], none) is not None
    assert rules.url_problem("ftp://x/") is not None
    assert rules.url_problem("https://u:p@x/") is not None
    assert rules.url_problem("https:///path") is not None
    assert rules.url_problem("https://x:99999/") is not None
    assert rules.url_problem("https://hệ-thống.vn/hook") is None
