"""Realistic council work for the benchmarks: every unit of Tỉnh Lai Châu, months of 2025 H1.

Deterministic (seeded). The mix follows what councils record most: voter contacts, citizen
receptions and standing-committee meetings, some sessions, and trainings and conferences
held by the province and its districts with the units below them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.common import MONTHS, PROVINCE
from services.common.hierarchy import Era, Hierarchy, Unit

YEAR = 2025
ERA_MONTHS: dict[Era, range] = {"legacy": range(1, 7), "2025": range(7, 13)}
"""The months of the year under each era's units."""


@dataclass(frozen=True)
class Work:
    """One meeting a council of `unit` held, as the body of `POST /units/{unit}/meetings`."""

    unit: str
    body: dict[str, Any]

    @property
    def held_on(self) -> date:
        return date.fromisoformat(self.body["held_on"])


def units(hierarchy: Hierarchy) -> list[Unit]:
    """The province and every unit below it, as they stood in 2025 H1."""
    top = hierarchy.unit(PROVINCE, "legacy")
    return [top, *hierarchy.descendants(top.code, "legacy")]


def meeting_body(
    rng: random.Random,
    hierarchy: Hierarchy,
    unit: Unit,
    month: int,
    meeting_id: str,
    era: Era = "legacy",
) -> dict[str, Any]:
    day = date(YEAR, month, rng.randint(1, 28)).isoformat()
    below = hierarchy.children(unit.code, era)
    common = {"meeting_id": meeting_id, "held_on": day}
    roll = rng.random()
    if below and roll < 0.06:
        points = [unit, *rng.sample(below, k=min(len(below), 6))]
        return {
            **common,
            "kind": "training",
            "title": "Tập huấn kỹ năng giám sát chuyên đề cho đại biểu HĐND",
            "format": "online",
            "topics": ["Kỹ năng giám sát chuyên đề"],
            "bridge_points": [
                {"unit": p.code, "attendees": (a := rng.randint(15, 60)), "delegates": a // 2}
                for p in points
            ],
        }
    if below and roll < 0.12:
        return {
            **common,
            "kind": "conference",
            "title": "Hội nghị giao ban Thường trực HĐND",
            "conference_type": rng.choice(["briefing", "experience_exchange", "roundtable"]),
            "participating_units": [u.code for u in below],
            "topics": ["Kết quả hoạt động quý"],
        }
    if roll < 0.22:
        return {
            **common,
            "kind": "session",
            "title": f"Kỳ họp {unit.name}",
            "session_type": rng.choice(["regular", "regular", "thematic", "extraordinary"]),
            "term": "2021-2026",
            "number_in_term": rng.randint(8, 12),
            "delegates_present": rng.randint(18, 50),
            "resolutions_adopted": rng.randint(1, 15),
            "questioning_held": rng.random() < 0.6,
        }
    if roll < 0.42:
        return {
            **common,
            "kind": "standing_committee",
            "title": f"Phiên họp Thường trực HĐND tháng {month}",
            "meeting_type": "regular" if rng.random() < 0.85 else "ad_hoc",
        }
    if roll < 0.72:
        return {
            **common,
            "kind": "voter_contact",
            "title": "Tiếp xúc cử tri sau kỳ họp",
            "timing": rng.choice(["before_session", "after_session"]),
            "delegate_group": f"Tổ đại biểu số {rng.randint(1, 6)}",
            "voters_attending": rng.randint(40, 180),
            "opinions_raised": rng.randint(0, 14),
        }
    return {
        **common,
        "kind": "citizen_reception",
        "title": "Tiếp công dân định kỳ",
        "reception_type": "periodic" if rng.random() < 0.8 else "ad_hoc",
        "citizens_received": rng.randint(0, 25),
        "petitions_received": rng.randint(0, 8),
    }


def council_work(hierarchy: Hierarchy, count: int, seed: int, tag: str) -> Iterator[Work]:
    """`count` meetings spread over every unit (round robin, so that neighbours in the
    sequence belong to different units) and the months of 2025 H1."""
    rng = random.Random(seed)
    everyone = units(hierarchy)
    months = list(MONTHS)
    for i in range(count):
        unit = everyone[i % len(everyone)]
        month = months[(i // len(everyone)) % len(months)]
        body = meeting_body(rng, hierarchy, unit, month, f"{tag}-{i}")
        if body["kind"] == "session":  # a council numbers its sessions once within the term
            body["number_in_term"] = 1 + (i // len(everyone)) % 200
        yield Work(unit.code, body)
