"""Worker processes for the CPU a consumer can hand off, and the one way to hand it off.

One Python process gets one core at a time. What a consumer does per record that needs
nothing but the record's bytes (decoding, signature checks:
services.reporting.read.projector.reading) is
sent, in chunks, to a pool of worker processes while the consumer goes on; the answers are
collected in order. If the pool cannot be used, the same function runs here, so nothing is
ever skipped.

The workers are spawned (not forked), so, as multiprocessing requires, a script that runs a
projector must guard its entry point with `if __name__ == "__main__":` (`python -m services.X`,
the `hdnd` command, pytest and `bench` do).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Generic, TypeVar

from services.common import heap

CHUNK = 250  # items per message to a worker: big enough that shipping them is cheap
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None

Item = TypeVar("Item")
R = TypeVar("R")


def workers() -> int:
    """How many worker processes: HDND_WORKERS, else one per core (the consumer's own process
    mostly waits on them and on MongoDB)."""
    return int(os.environ.get("HDND_WORKERS") or os.cpu_count() or 1)


def worker_pool() -> ProcessPoolExecutor | None:
    """The shared worker processes; None on one core, where they would only add copying."""
    global _pool
    if (os.cpu_count() or 1) < 2 or workers() < 1:
        return None
    with _lock:
        if _pool is None:
            # spawn, not fork: the consumer has threads (PyMongo's, asyncio's) a fork would copy
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=workers(), mp_context=context, initializer=_end_with_parent
            )
        return _pool


def warm(fn: Callable[..., Any], *args: Any) -> None:
    """Start the worker processes now, each running `fn([], *args)` once (its imports, its
    caches), instead of when the first records come: a worker's start is about a second of
    CPU, which the first batch of a rebuild or of a service just started then waited for."""
    pool = worker_pool()
    if pool is None:
        return
    try:
        with _started_deaf():
            for _ in range(workers()):
                pool.submit(fn, [], *args)
    except RuntimeError:  # broken or shut down: the records will be read here
        _forget(pool)


def _end_with_parent() -> None:
    """In a worker: exit once the process that spawned it is gone. A service stopped hard
    (SIGKILL, a crash) never shuts its pool down, and the worker, blocked on a queue whose
    ends it also holds, would otherwise live on (seen after `make run` stopped).

    A terminal's Ctrl-C reaches the workers of a command run in it too; the command stops on
    it and shuts the pool down, so the workers ignore it rather than answer its chunk with a
    KeyboardInterrupt (an error in the command's log while it stops). They start with it
    blocked (:func:`_started_deaf`): one that comes while they import is dropped here too."""
    heap.tune()  # a worker allocates a few dozen objects per record, and frees them all
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since its start
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


@contextlib.contextmanager
def _started_deaf() -> Iterator[None]:
    """Worker processes the pool starts in the block inherit SIGINT blocked (a signal mask
    survives fork and exec); the caller's own Ctrl-C waits for the block's end."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


class Offload(Generic[Item, R]):
    """`fn(chunk, *args)` over items added one by one, in chunks sent to the workers as they
    fill; `results` answers for every item in the order added (once). `fn` must be defined at
    module level and take and return plain, picklable data."""

    def __init__(self, fn: Callable[..., list[R]], *args: Any, local_below: int = CHUNK) -> None:
        self.fn = fn
        self.args = args
        self.local_below = local_below  # a smaller remainder is done here: cheaper than sending
        self._chunks: list[tuple[list[Item], Future[list[R]] | None]] = []
        self._chunk: list[Item] = []

    def add(self, item: Item) -> None:
        self._chunk.append(item)
        if len(self._chunk) >= CHUNK:
            self._ship()

    def _ship(self) -> None:
        chunk, self._chunk = self._chunk, []
        pool = worker_pool()
        future = None
        if pool is not None:
            try:
                with _started_deaf():  # a submit may start a worker
                    future = pool.submit(self.fn, chunk, *self.args)
            except RuntimeError:  # broken or shut down: do it here
                _forget(pool)
        self._chunks.append((chunk, future))

    def results(self) -> list[R]:
        return [answer for chunk in self.chunks() for answer in chunk]

    def chunks(self) -> Iterator[list[R]]:
        """`results`, a chunk at a time as each is answered: the caller works on one while
        the workers do the next."""
        if len(self._chunk) >= self.local_below:
            self._ship()
        tail, self._chunk = self._chunk, []
        shipped, self._chunks = self._chunks, []
        for chunk, future in shipped:
            yield self._answers(chunk, future)
        if tail:
            yield self.fn(tail, *self.args)

    def _answers(self, chunk: list[Item], future: Future[list[R]] | None) -> list[R]:
        if future is not None:
            try:
                return future.result()
            except (concurrent.futures.process.BrokenProcessPool, RuntimeError):
                pool = _pool
                if pool is not None:
                    _forget(pool)
        return self.fn(chunk, *self.args)
