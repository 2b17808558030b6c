"""Loops a service runs beside its HTTP app (consumers, the outbox relay, sweeps): started
once, asked to stop between rounds, cancelled only where waiting would not end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Loop:
    """One named task that runs until `stop`: it checks `stopping` between rounds, and waits
    with `pause`, which a stop cuts short."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self, run: Coroutine[Any, Any, None]) -> None:
        self.task = asyncio.create_task(run, name=self.name)

    async def stop(self, grace: float | None = None) -> None:
        """Ask the loop to stop and wait for it to finish its round; cancel it after `grace`
        seconds (None: wait as long as it takes)."""
        self.stopping.set()
        if self.task is None:
            return
        if grace is None:
            await self.task
            return
        try:
            await asyncio.wait_for(asyncio.shield(self.task), grace)
        except TimeoutError:
            await cancel(self.task)

    async def pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if a stop is asked meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)
