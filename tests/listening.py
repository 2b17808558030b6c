"""A service's app listening on a real port inside the test process (its lifespan run by the
test), for what only a real listener shows: a browser, a service that calls another."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


class _Server(uvicorn.Server):
    """uvicorn inside the test process: Ctrl-C stays pytest's, not the listener's."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listener:
    """One service's HTTP port: uvicorn without lifespan (the app runs on regardless)."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app, self.port = app, port
        self.server: _Server | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="off", log_config=None
        )
        self.server = _Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises why it could not listen
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
            self.server = self.task = None
