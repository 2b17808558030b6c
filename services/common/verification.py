"""Signature checks of a batch in a worker process, while the consumer goes on decoding.

The Ed25519 verify was most of the projector's CPU per event (57 % of its samples, profiled),
and one Python process gets one core. Claims (key, signature, message: plain bytes) are sent
in chunks to one worker process as they are made; the answers are collected in order. Every
signature is still verified: if the worker cannot be used, here, in this process.

The worker is spawned (not forked), so, as multiprocessing requires, a script that runs a
projector must guard its entry point with `if __name__ == "__main__":` (`python -m services.X`,
the `hdnd` command, pytest and `bench` do).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from contracts.signing import Claim, verify_claims

CHUNK = 250  # claims per message to the worker: big enough that shipping them is cheap
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None

Plain = tuple[bytes, bytes, bytes]


def _worker_pool() -> ProcessPoolExecutor | None:
    """The shared worker process; None on one core, where it would only add copying."""
    global _pool
    if (os.cpu_count() or 1) < 2:
        return None
    with _lock:
        if _pool is None:
            # spawn, not fork: the consumer has threads (PyMongo's, asyncio's) a fork would copy
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_end_with_parent
            )
        return _pool


def _end_with_parent() -> None:
    """In the worker: exit once the process that spawned it is gone. A service stopped hard
    (SIGKILL, a crash) never shuts its pool down, and the worker, blocked on a queue whose
    ends it also holds, would otherwise live on (seen after `make run` stopped)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


class Verification:
    """Claims of one stretch of a batch, verified in order; `add`, then `results` once."""

    def __init__(self) -> None:
        self._chunks: list[tuple[list[Plain], Future[list[bool]] | None]] = []
        self._chunk: list[Plain] = []

    def add(self, claim: Claim) -> None:
        self._chunk.append(claim.plain())
        if len(self._chunk) >= CHUNK:
            self._ship()

    def _ship(self) -> None:
        chunk, self._chunk = self._chunk, []
        pool = _worker_pool()
        future = None
        if pool is not None:
            try:
                future = pool.submit(verify_claims, chunk)
            except RuntimeError:  # broken or shut down: verify here
                _forget(pool)
        self._chunks.append((chunk, future))

    def results(self) -> list[bool]:
        """Whether each added claim holds, in the order added. Small remainders are verified
        here (shipping them would cost more than verifying them)."""
        tail, self._chunk = self._chunk, []
        out: list[bool] = []
        for chunk, future in self._chunks:
            out.extend(_answers(chunk, future))
        out.extend(verify_claims(tail))
        self._chunks = []
        return out


def _answers(chunk: list[Plain], future: Future[list[bool]] | None) -> list[bool]:
    if future is not None:
        try:
            return future.result()
        except (concurrent.futures.process.BrokenProcessPool, RuntimeError):
            pool = _pool
            if pool is not None:
                _forget(pool)
    return verify_claims(chunk)
