"""Recording the sample through the services' HTTP APIs, concurrently and idempotently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from deploy.sample.chains import sample_chains
from deploy.sample.posts import (
    CONCURRENCY,
    OPENED_WITHIN,
    RETRIES,
    SAMPLE_PROVINCE,
    Chain,
    Post,
    Probe,
)
from services.common.hierarchy import Hierarchy

# -- loading -------------------------------------------------------------------------------------


@dataclass
class _Loader:
    clients: Mapping[str, httpx.AsyncClient]
    outcome: dict[str, int]
    advance: Callable[[int], None]
    say: Callable[[str], None]
    semaphore: asyncio.Semaphore
    done: list[asyncio.Event]

    async def probe(self, probe: Probe) -> int:
        """How far along its stages the chain's item is: -1 when it does not exist."""
        client = self.clients[probe.service]
        deadline = time.monotonic() + (OPENED_WITHIN if probe.opened_by_service else 0)
        while True:
            async with self.semaphore:
                r = await client.get(probe.path)
            if r.status_code == 200:
                value = r.json().get(probe.key)
                if value in probe.order:
                    return probe.order.index(value)
                self.say(f"[red]{probe.path}[/red] is {value}, not one of {probe.order}")
                return -2
            if r.status_code != 404 or time.monotonic() > deadline:
                if probe.opened_by_service or r.status_code != 404:
                    self.say(f"[red]{r.status_code}[/red] GET {probe.path}: {r.text[:300]}")
                    return -2
                return -1
            await asyncio.sleep(0.3)  # the service opens it once it has read the meeting

    async def post(self, post: Post) -> httpx.Response:
        """POST, retried on a server error: every record has its id, so a retry of one that
        was written after all answers "unchanged" and counts nothing twice."""
        for attempt in range(RETRIES + 1):
            async with self.semaphore:
                r = await self.clients[post.service].post(post.path, json=post.body)
            if r.status_code < 500 or attempt == RETRIES:
                return r
            self.say(f"[yellow]{r.status_code}[/yellow] {post.path}: {r.text[:100]}; retrying")
            await asyncio.sleep(1 + attempt)
        raise AssertionError("unreachable")

    async def chain(self, index: int, chain: Chain) -> None:
        try:
            if chain.after is not None:
                await self.done[chain.after].wait()
            await self.steps(chain)
        finally:
            self.done[index].set()

    async def steps(self, chain: Chain) -> None:
        reached = -1 if chain.probe is None else await self.probe(chain.probe)
        if reached == -2:  # never opened, or unreadable: its steps cannot be taken
            self.outcome["refused"] += len(chain.posts)
            self.advance(len(chain.posts))
            return
        for post in chain.posts:
            if chain.probe and post.stage and chain.probe.order.index(post.stage) <= reached:
                self.outcome["unchanged"] += 1
                self.advance(1)
                continue
            r = await self.post(post)
            self.advance(1)
            if r.status_code in (200, 201):  # oversight's steps answer 200 either way
                fresh = r.json().get("status") != "unchanged"
                self.outcome["recorded" if fresh else "unchanged"] += 1
            else:  # the steps after it cannot be taken
                left = len(chain.posts) - chain.posts.index(post) - 1
                self.outcome["refused"] += 1 + left
                self.advance(left)
                self.say(f"[red]{r.status_code}[/red] {post.path}: {r.text[:300]}")
                return


def within(chains: list[Chain], units: Collection[str]) -> list[Chain]:
    """The chains recorded for `units` (codes of either era): a smaller sample, for tests."""
    kept: dict[int, int] = {}
    out: list[Chain] = []
    for i, c in enumerate(chains):
        if c.posts[0].path.split("/")[2] in units and (c.after is None or c.after in kept):
            kept[i] = len(out)
            out.append(c if c.after is None else replace(c, after=kept[c.after]))
    return out


def _interleaved(chains: list[tuple[int, Chain]]) -> list[tuple[int, Chain]]:
    """The chains of each service in turn, so that all three services work at once."""
    by_service: dict[str, list[tuple[int, Chain]]] = {}
    for i, c in chains:
        by_service.setdefault(c.posts[0].service, []).append((i, c))
    queues = list(by_service.values())
    out: list[tuple[int, Chain]] = []
    for n in range(max((len(q) for q in queues), default=0)):
        out += [q[n] for q in queues if n < len(q)]
    return out


async def record_sample(
    clients: Mapping[str, httpx.AsyncClient],
    hierarchy: Hierarchy,
    province: str = SAMPLE_PROVINCE,
    *,
    before_followups: Callable[[], Awaitable[object]] | None = None,
    show_progress: bool = True,
    concurrency: int = CONCURRENCY,
    units: Collection[str] | None = None,
) -> dict[str, int]:
    """Record the sample through `clients` ("meetings", "oversight", "reporting": each bound
    to its service, with a secretary's token of the province); count the outcomes.

    Every chain runs as soon as a request slot is free, except the follow-ups of the voter
    opinions and petitions the oversight service opens from a meeting (they wait for it, then
    for the item to appear) and, last, the recommendations implemented after their deadline.
    `before_followups` runs before those (a test sweeps overdue recommendations there, as the
    service does hourly). `units` limits the sample to the records of those units."""
    chains = sample_chains(hierarchy, province)
    if units is not None:
        chains = within(chains, units)
    total = sum(len(c.posts) for c in chains)
    outcome = {"recorded": 0, "unchanged": 0, "refused": 0, "posts": total}
    columns = (
        TextColumn("[bold]Nạp dữ liệu mẫu"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("sample", total=total)
        loader = _Loader(
            clients,
            outcome,
            lambda n: progress.advance(task, n),
            progress.console.print,
            asyncio.Semaphore(concurrency),
            [asyncio.Event() for _ in chains],
        )
        for late in (False, True):
            if late and before_followups is not None:
                await before_followups()
            phase = _interleaved([(i, c) for i, c in enumerate(chains) if c.late == late])
            await asyncio.gather(*(loader.chain(i, c) for i, c in phase))
    outcome["seconds"] = round(time.monotonic() - started)
    return outcome


def load_sample(
    base_urls: dict[str, str],
    hierarchy: Hierarchy,
    province: str = SAMPLE_PROVINCE,
    *,
    token: str,
    units: Collection[str] | None = None,
) -> dict[str, int]:
    """POST the sample (its records of `units` only, when given) through the services' APIs
    with a progress bar; count the outcomes (recorded, unchanged, refused; and posts, seconds).

    `token` is a bearer token of a secretary of the province, which covers every unit below
    it in both eras."""

    async def run() -> dict[str, int]:
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            name: httpx.AsyncClient(base_url=url, headers=headers, timeout=60)
            for name, url in base_urls.items()
        }
        try:
            return await record_sample(clients, hierarchy, province, units=units)
        finally:
            for client in clients.values():
                await client.aclose()

    return asyncio.run(run())
