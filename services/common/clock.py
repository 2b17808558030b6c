"""Where "now" comes from: the system's clock, or, for tests that travel in time, a file.

A deadline, a reminder and "missing since" are judged by today's date; a test cannot wait for
a 6-month report to fall due, so it names the moment in a file (HDND_CLOCK_FILE, an ISO date
or date-time, read again at every look) and moves it; a process it starts reads the same file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from contracts.timezone import VIETNAM_TZ


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The moment written in `path` (a date is its midnight in Vietnam); the system's time
    while the file is missing or empty."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        if not text:
            return datetime.now(UTC)
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM_TZ)

    def set(self, moment: datetime | date) -> None:
        """Move the clock (tests): the file is replaced whole, so no reader sees half of it."""
        partial = self.path.with_suffix(".tmp")
        partial.write_text(moment.isoformat())
        partial.replace(self.path)


def clock_of(path: Path | None) -> Clock:
    return FileClock(path) if path is not None else SystemClock()


def today_of(clock: Clock) -> date:
    """Today in Vietnam by `clock`."""
    return clock.now().astimezone(VIETNAM_TZ).date()
