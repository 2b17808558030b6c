"""The sender: POSTs due deliveries to their receivers, signed, and records each try.

A round claims the deliveries due (services.reporting.webhooks.store), sends them at once, and
records the outcome of each: a 2xx answer is delivered; anything else (another status, a
timeout, a refused connection, an address no longer allowed) is tried again after a backoff
with jitter, and after the last try is `failed` (dead-lettered) until redriven. Redirects are
not followed: a receiver that moved is a failure to fix, and a redirect could lead anywhere.

The host is looked up before each try and every address it gives is held to the rules
(services.reporting.webhooks.rules.address_problem), so a name that changes to a private
address is refused then too. Delivery is at least once: a sender stopped between a
receiver's 2xx and its note sends that delivery again (same `X-Hdnd-Delivery`), which
receivers dedupe.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from services.common.background import Loop
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.settings import Settings
from services.reporting.webhooks import rules
from services.reporting.webhooks.store import State, WebhookStore

log = get_logger()
ROUND = 20  # deliveries claimed per round
PRUNE_EVERY = 600.0  # seconds between deletions of deliveries past the retention age


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: when, the receiver's status (None: no answer) and what went wrong."""

    at: datetime
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def doc(self) -> Document:
        return {"at": self.at, "status": self.status, "error": self.error}


async def resolve(url: str) -> list[str]:
    """The addresses the URL's host resolves to (an address in the URL: itself)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found = await asyncio.get_running_loop().getaddrinfo(
        parts.hostname, port, type=socket.SOCK_STREAM
    )
    return sorted({str(info[4][0]) for info in found})


class Poster:
    """One signed POST of a body to a receiver, under the deployment's address rules."""

    def __init__(self, settings: Settings) -> None:
        self.allowed = rules.networks(settings.webhook_allowed_networks)
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_ms / 1000, follow_redirects=False, trust_env=False
        )

    async def where_not(self, url: str) -> str | None:
        """Why a delivery may not go to `url` now; None if it may."""
        problem = rules.url_problem(url)
        if problem is not None:
            return problem
        try:
            addresses = await resolve(url)
        except OSError as exc:
            return f"cannot look up {urlsplit(url).hostname}: {exc}"
        return rules.address_problem(url, addresses, self.allowed)

    async def post(self, subscription: Document, body: bytes, event: str, delivery: str) -> Attempt:
        url, started = subscription["url"], datetime.now(UTC)
        refused = await self.where_not(url)
        if refused is not None:
            return Attempt(started, None, refused)
        sent = rules.headers(subscription["secret"], int(time.time()), body, event, delivery)
        try:
            answer = await self.client.post(url, content=body, headers=sent)
        except httpx.HTTPError as exc:
            return Attempt(started, None, f"{type(exc).__name__}: {exc}"[:300])
        error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
        return Attempt(started, answer.status_code, error)

    async def close(self) -> None:
        await self.client.aclose()


class WebhookSender:
    def __init__(self, settings: Settings, store: WebhookStore, poster: Poster) -> None:
        self.store = store
        self.poster = poster
        self.max_tries = settings.webhook_max_tries
        self.base = settings.webhook_backoff_ms / 1000
        self.cap = settings.webhook_backoff_max_ms / 1000
        self.poll = settings.webhook_poll_ms / 1000
        self.lease = timedelta(milliseconds=settings.webhook_timeout_ms * 2 + 5000)
        self.retention = timedelta(days=settings.outbox_retention_days)
        self._pruned_at = 0.0
        self._background = Loop("webhook-sender")
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._background.start(self._run())

    def wake(self) -> None:
        """New deliveries are due: send them now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        self._background.stopping.set()
        self._wake.set()
        await self._background.stop(grace=15.0)

    async def _run(self) -> None:
        while not self._background.stopping.is_set():
            try:
                busy = await self.round()
                await self._prune()
            except Exception as exc:  # MongoDB away: try again at the next poll
                log.warning("webhook_round_failed", error=f"{type(exc).__name__}: {exc}")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll)
                self._wake.clear()

    async def _prune(self) -> None:
        """At most every 10 minutes, drop the deliveries delivered before the retention age."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        pruned = await self.store.prune(datetime.now(UTC) - self.retention)
        if pruned:
            log.info("webhook_deliveries_pruned", count=pruned)

    async def round(self) -> bool:
        """Send what is due now; whether a full round was claimed (more may be due)."""
        now = datetime.now(UTC)
        due = await self.store.claim_due(now, self.lease, ROUND)
        if not due:
            return False
        subscriptions = await self.store.by_ids(sorted({d["subscription"] for d in due}))
        await asyncio.gather(*(self._send(d, subscriptions.get(d["subscription"])) for d in due))
        return len(due) == ROUND

    async def _send(self, delivery: Document, subscription: Document | None) -> None:
        if subscription is None or not subscription["active"]:
            attempt = Attempt(datetime.now(UTC), None, "the subscription is disabled")
            await self.store.outcome(delivery, attempt.doc(), "failed", None)
            return
        attempt = await self.poster.post(
            subscription, bytes(delivery["body"]), delivery["event_type"], delivery["_id"]
        )
        tries = delivery["tries"] + 1
        state: State
        next_at: datetime | None = None
        if attempt.delivered:
            state = "delivered"
        elif tries >= self.max_tries:
            state = "failed"
        else:
            delay = rules.retry_delay(tries, self.base, self.cap)
            state, next_at = "pending", datetime.now(UTC) + timedelta(seconds=delay)
        await self.store.outcome(delivery, attempt.doc(), state, next_at)
        log.info(
            "webhook_try",
            delivery=delivery["_id"],
            subscription=subscription["_id"],
            event_type=delivery["event_type"],
            status=attempt.status,
            error=attempt.error,
            state=state,
            tries=tries,
        )
