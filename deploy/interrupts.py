"""Ctrl-C means stop, at any moment, for every long command.

Ctrl-C (SIGINT) raises KeyboardInterrupt wherever the main thread is; inside `asyncio.run`
it cancels the main task, so `finally` blocks and `async with` exits run before it surfaces.
A long command leaves SIGINT so and, with :func:`ctrl_c_stops`, makes SIGTERM (a
supervisor's stop) do the same. It puts its cleanup (services, proxy, servers) in `finally`
under :func:`shielded`, so that the second Ctrl-C of an impatient user cannot cut it short
and leave a server running; what it had done stays done (every load is idempotent, so the
next run goes on from there), it says so and exits with :data:`INTERRUPTED`.

A waiting loop never ignores SIGINT through a handler that only sets a flag: that is how a
first `make run` used to finish loading the sample before noticing a Ctrl-C.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT (128 + 2)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """SIGTERM handled as SIGINT is, by whichever SIGINT handler is in place (asyncio's inside
    `asyncio.run`, KeyboardInterrupt elsewhere)."""
    signal.raise_signal(signal.SIGINT)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def ctrl_c_stops() -> Iterator[None]:
    """For the block: SIGINT raises KeyboardInterrupt (its default) and SIGTERM does too."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    before = signal.signal(signal.SIGTERM, _as_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGINT, previous)


@contextmanager
def shielded(note: Callable[[int], None] | None = None) -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM off for the block (a cleanup; a process started and its pid
    written down): each one that comes is noted and listed in the value, nothing is raised.
    A caller that must still stop after its block re-raises with :func:`stop_if`."""
    received: list[int] = []
    if not _main_thread():
        yield received
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if note is not None:
            note(signum)

    previous = {s: signal.signal(s, hold) for s in STOP_SIGNALS}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def exit_interrupted() -> NoReturn:
    """Exit with INTERRUPTED once everything is stopped; the interpreter's last collection
    skips what is alive now (the hierarchy, the sample: a second on a busy machine)."""
    gc.freeze()
    raise SystemExit(INTERRUPTED)


def stop_if(received: list[int]) -> None:
    """Raise the KeyboardInterrupt a shielded block held off, if one came."""
    if received:
        raise KeyboardInterrupt


@contextmanager
def stops_on_ctrl_c(kept: str, say: Callable[[str], object] | None = None) -> Iterator[None]:
    """The whole of a long command: Ctrl-C or SIGTERM stops it at any moment (its `finally`
    blocks run on the way out), then it says what it kept and exits with INTERRUPTED, without
    a traceback."""
    try:
        with ctrl_c_stops():
            yield
    except KeyboardInterrupt:
        message = f"stopped (Ctrl-C): {kept}"
        if say is None:
            print(message, file=sys.stderr, flush=True)
        else:
            say(message)
        exit_interrupted()
