"""The events of the whole-country benchmark: one voter contact per commune and month, and
what they add up to (the figures the check expects)."""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from bench.common import meeting_held
from bench.data import ERA_MONTHS, YEAR
from contracts import Source
from services.common.consumer import Record
from services.common.hierarchy import Era, Hierarchy, Unit
from services.reporting.read.periods import parse_period


@dataclass(frozen=True)
class Options:
    legacy_contacts: int = 1  # per legacy commune and month, 2025-01..06
    contacts_2025: int = 1  # per 2025 commune and month, 2025-07..12
    runs: int = 20  # timed requests per query and period…
    budget_s: float = 4.0  # …unless they take longer than this (then at least MIN_RUNS)
    batch: int = 2_000  # records per Projector.handle call (the service's consumer_batch)


def communes(hierarchy: Hierarchy, era: Era, province: str | None = None) -> list[Unit]:
    """Every commune of the era, or only those of `province` (a code of both eras)."""
    return [
        u
        for u in hierarchy.units(era)
        if u.level == "commune" and (province is None or hierarchy.is_within(u.code, province, era))
    ]


@dataclass
class Generated:
    """What the generated events add up to, per month: the figures the check expects."""

    events: int = 0
    voters: Counter[str] = field(default_factory=Counter)  # month -> voters_reached

    def over(self, period: str) -> int:
        p = parse_period(period)
        return sum(v for month, v in self.voters.items() if p.first <= month <= p.last)


def voter_contacts(
    hierarchy: Hierarchy,
    options: Options,
    partitions: int,
    topic: str,
    generated: Generated,
    province: str | None = None,
) -> Iterator[Record]:
    """Unsigned `meeting.held` voter contacts, every commune (of `province`, if given) of
    the era of each month, one stream per unit, as Kafka would hand them to the projector
    (key = unit)."""
    rng = random.Random(YEAR)
    source = Source(service="meetings", instance="bench-country")
    sequences: Counter[str] = Counter()
    offsets: Counter[int] = Counter()
    per_month = {"legacy": options.legacy_contacts, "2025": options.contacts_2025}
    eras: tuple[Era, ...] = ("legacy", "2025")
    for era in eras:
        everyone = communes(hierarchy, era, province)
        for month in ERA_MONTHS[era]:
            for k in range(per_month[era]):
                for unit in everyone:
                    day = date(YEAR, month, rng.randint(1, 28))
                    voters = rng.randint(40, 180)
                    body = {
                        "meeting_id": f"country-{unit.code}-{month}-{k}-{era}",
                        "held_on": day.isoformat(),
                        "kind": "voter_contact",
                        "title": "Tiếp xúc cử tri trước kỳ họp",
                        "timing": "before_session",
                        "delegate_group": "Tổ đại biểu số 1",
                        "voters_attending": voters,
                        "opinions_raised": 0,
                    }
                    stream = source.stream(unit.code)
                    sequences[stream] += 1
                    envelope = meeting_held(
                        source, sequences[stream], unit.code, body, day
                    ).envelope
                    key, value = unit.code.encode(), envelope.to_bytes()
                    partition = zlib.crc32(key) % partitions
                    generated.events += 1
                    generated.voters[f"{YEAR}-{month:02d}"] += voters
                    yield Record(
                        topic=topic,
                        partition=partition,
                        offset=offsets[partition],
                        timestamp=int(time.time() * 1000),
                        timestamp_type=0,
                        key=key,
                        value=value,
                        checksum=None,
                        serialized_key_size=len(key),
                        serialized_value_size=len(value),
                        headers=[(k, v.encode()) for k, v in envelope.headers().items()],
                    )
                    offsets[partition] += 1


def expected_events(hierarchy: Hierarchy, options: Options) -> int:
    return len(ERA_MONTHS["legacy"]) * options.legacy_contacts * len(
        communes(hierarchy, "legacy")
    ) + len(ERA_MONTHS["2025"]) * options.contacts_2025 * len(communes(hierarchy, "2025"))
