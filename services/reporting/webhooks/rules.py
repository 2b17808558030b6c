"""The pure rules of webhooks: which events a subscription gets, how a delivery is signed,
when a failed one is tried again, and which addresses a delivery may go to. No I/O.

- A subscription of a unit gets the events of the types it names recorded from its creation
  on, of its unit and every unit below it (a 2025 unit's also of the legacy units it carries,
  as its tokens read them), and those addressed to it: a proposal raised to it, the answer to
  one it raised.
- Signature: `X-Hdnd-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`, the
  timestamp (Unix seconds) in `X-Hdnd-Timestamp`, fresh on every try, so a receiver refuses a
  replay by its age and a forgery by the HMAC.
- Retries: exponential backoff with jitter, `base · 2^(tries−1)` capped, drawn in its upper
  half; after the last try the delivery is dead-lettered (`failed`) until redriven.
- Addresses: only public ones, and over HTTPS, unless the deployment names networks a
  receiver may be on (`HDND_WEBHOOK_ALLOWED_NETWORKS`, e.g. the province's own network; the
  tests' 127.0.0.0/8), where plain HTTP is allowed too: a subscription cannot make the server
  reach its own loopback, the cloud's metadata address or the office network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from contracts import Decoded
from contracts import coordination as c
from contracts.asyncapi import events_by_topic
from contracts.signing import Lineage
from services.common.hierarchy import Era, era_of
from services.common.pipeline import Dispatch

DELIVERED_TOPICS = ("meetings", "oversight", "reporting")
"""The topics (`Topics` properties) whose events subscriptions can name: what councils do."""

TEST_EVENT = "webhook.test"
"""The type of the ping `test` sends: no event of the topics, only to check a receiver."""

SIGNATURE_PREFIX = "sha256="
DELIVERY_NAMESPACE = uuid.UUID("6f1d4c1e-3b7a-5d0e-9c61-4e8a2f0b7d15")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def deliverable_types() -> frozenset[str]:
    """Every event type a subscription may name: those of DELIVERED_TOPICS (the relay's own
    events, on every topic, are no council's)."""
    placed = events_by_topic()
    return frozenset(
        str(model.TYPE)  # type: ignore[attr-defined]
        for topic in DELIVERED_TOPICS
        for model in placed.get(topic, [])
        if not model.__module__.endswith(".outbox")
    )


# -- which events a subscription gets -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscription:
    """What matching needs of a subscription: its scope by era (a 2025 unit's legacy scope is
    the legacy units it carries), the event types it names, and since when."""

    id: str
    scope: Mapping[Era, frozenset[str]]
    events: frozenset[str]
    since: datetime


def scope_of(
    unit: str, era: Era, predecessors: Callable[[str], Sequence[str]]
) -> dict[Era, frozenset[str]]:
    """The units whose subtrees a subscription of `unit` of `era` covers, by era."""
    if era == "legacy":
        return {"legacy": frozenset({unit})}
    return {"2025": frozenset({unit}), "legacy": frozenset(predecessors(unit))}


def _raised(event: Decoded[Any]) -> tuple[str, ...]:
    payload: c.ProposalRaised = event.payload
    return (payload.to_unit,)


def _answered(event: Decoded[Any]) -> tuple[str, ...]:
    payload: c.ProposalAnswered = event.payload
    return (payload.raised_by,)


ADDRESSED = Dispatch[Callable[[Decoded[Any]], tuple[str, ...]]](
    {c.ProposalRaised: _raised, c.ProposalAnswered: _answered}, otherwise=lambda _: ()
)
"""The units an event is addressed to besides its own (the coordination consumer has checked
who may send it there: services.reporting.coordination.owners)."""


def concerns(event: Decoded[BaseModel]) -> tuple[str, ...]:
    """The units an event is of or for: its envelope's, and those it is addressed to."""
    return (event.envelope.unit, *ADDRESSED.of(event)(event))


def matches(subscription: Subscription, event: Decoded[BaseModel], lineage: Lineage) -> bool:
    """Whether `subscription` gets `event` (see the module docstring)."""
    envelope = event.envelope
    if envelope.type not in subscription.events or envelope.recorded_at < subscription.since:
        return False
    day = envelope.business_day
    scope = subscription.scope.get(era_of(day), frozenset())
    return any(code in scope for unit in concerns(event) for code in lineage(unit, day) or ())


def test_body(subscription: str, unit: str, delivery: str, timestamp: int) -> bytes:
    """The body of a ping: no event, only who it is for and when it was sent."""
    sent_at = datetime.fromtimestamp(timestamp, UTC).isoformat()
    ping = {"type": TEST_EVENT, "subscription": subscription, "unit": unit, "delivery": delivery}
    return json.dumps({**ping, "sent_at": sent_at}).encode()


def delivery_id(subscription: str, event_id: str) -> str:
    """The stable id of the delivery of one event to one subscription (`X-Hdnd-Delivery`):
    the same however often the event is read, so receivers dedupe by it."""
    return str(uuid.uuid5(DELIVERY_NAMESPACE, f"{subscription}/{event_id}"))


# -- signing --------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Hdnd-Signature` of `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def headers(secret: str, timestamp: int, body: bytes, event: str, delivery: str) -> dict[str, str]:
    """The headers of one try of a delivery."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "hdnd-webhooks/1",
        "X-Hdnd-Event": event,
        "X-Hdnd-Delivery": delivery,
        "X-Hdnd-Timestamp": str(timestamp),
        "X-Hdnd-Signature": signature(secret, timestamp, body),
    }


# -- retries --------------------------------------------------------------------------------------


def retry_delay(
    tries: int, base: float, cap: float, draw: Callable[[], float] = random.random
) -> float:
    """Seconds before the next try after `tries` failed ones: `base · 2^(tries−1)`, at most
    `cap`, drawn in its upper half (jitter: receivers that failed together are not all tried
    again at once)."""
    ceiling = min(cap, base * 2.0 ** min(max(tries - 1, 0), 60))
    return ceiling / 2 + draw() * ceiling / 2


# -- addresses ------------------------------------------------------------------------------------


def networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The allowed networks a deployment names (ValueError for one that is not a network)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def url_problem(url: str) -> str | None:
    """What is wrong with a subscription URL before its host is looked up; None if nothing."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "the URL must start with https:// (or http:// to an allowed network)"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username is not None or parts.password is not None:
        return "the URL may not carry a user or password: the signature authenticates"
    try:
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        return "the URL's port is not a port number"
    return None


def address_problem(url: str, addresses: Sequence[str], allowed: Sequence[Network]) -> str | None:
    """Why a delivery may not go to `url` whose host resolved to `addresses`; None if it may.
    Every address must be public, or inside an allowed network; plain HTTP only to one inside."""
    if not addresses:
        return f"{urlsplit(url).hostname} resolves to no address"
    inside = True
    for text in addresses:
        address = _plain(ipaddress.ip_address(text.split("%", 1)[0]))
        if any(address in network for network in allowed):
            continue
        inside = False
        if not address.is_global or address.is_multicast:
            return (
                f"{urlsplit(url).hostname} resolves to {address}, not a public address (a"
                " receiver on a private network needs HDND_WEBHOOK_ALLOWED_NETWORKS)"
            )
    if urlsplit(url).scheme != "https" and not inside:
        return "a receiver on a public address is reached over https:// only"
    return None


def _plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
