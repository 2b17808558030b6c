"""What the sample posts: its months and pacing, and the chains of steps on one record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

SAMPLE_PROVINCE = "12"  # Tỉnh Lai Châu: 8 district-level units, 106 communes; kept its code in 2025
LEGACY_MONTHS = [(2025, m) for m in range(1, 7)]  # under the three-level administration
REFORM_MONTHS = [(2025, m) for m in range(7, 11)]  # under the 2025 two-level administration
REFORM = date(2025, 7, 1)
SAMPLE_END = date(2025, 10, 31)  # no follow-up is dated later: what would come after is pending
TERM = "2021-2026"
CONCURRENCY = 4  # requests in flight: the services are on the same (small) machine
RETRIES = 2  # a server error (say, a transaction interrupted on a busy machine) is retried
OPENED_WITHIN = 120.0  # seconds to wait for the oversight intake to open an opinion or petition

Json = dict[str, Any]


# -- what is posted ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One POST; `stage` is what the item's stage (or status) reads once it is taken."""

    service: str  # "meetings" | "oversight" | "reporting"
    path: str
    body: Json
    stage: str | None = None


@dataclass(frozen=True)
class Probe:
    """Where a chain's item is read back before its steps are posted: the steps it already
    took are not posted again (a step repeated after a later one would be out of order)."""

    service: str
    path: str
    key: str  # "stage" or "status"
    order: tuple[str, ...]
    opened_by_service: bool = False  # the service opens the item itself: wait until it appears


@dataclass(frozen=True)
class Chain:
    """Steps on one item, in order; chains run concurrently unless one waits for another."""

    posts: tuple[Post, ...]
    probe: Probe | None = None
    after: int | None = None  # the chain (index) this one waits for: the meeting it follows
    late: bool = False  # after the hook between the phases (recommendations implemented late)
