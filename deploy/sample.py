"""Sample data for `make run`: a real province, its districts and communes, a few months of
council work of every kind, recorded through the services' own HTTP APIs.

Deterministic (seeded) and idempotent: every record has a stable id, so a second `make run`
answers "unchanged" instead of counting anything twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.common.hierarchy import Hierarchy, Unit

SAMPLE_PROVINCE = "12"  # Tỉnh Lai Châu: 8 district-level units, 106 communes; kept its code in 2025
LEGACY_MONTHS = [(2025, m) for m in range(1, 7)]  # under the three-level administration
REFORM_MONTHS = [(2025, m) for m in range(7, 11)]  # under the 2025 two-level administration


@dataclass(frozen=True)
class Post:
    service: str  # "meetings" | "oversight"
    path: str
    body: dict[str, Any]


def _day(rng: random.Random, year: int, month: int) -> str:
    return date(year, month, rng.randint(1, 28)).isoformat()


def _session_number(year: int, month: int, thematic: bool = False) -> int:
    """Sessions are numbered once within the term (2021-2026): one number per month sampled."""
    return (100 if thematic else 0) + (year - 2021) * 12 + month


def _meetings_of(unit: Unit, year: int, month: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """What a council of this level plausibly does in one month."""
    tag = f"s-{unit.era}-{unit.code}-{year}{month:02d}"
    commune = unit.level == "commune"
    if month in (1, 6, 7) and rng.random() < 0.9:
        yield {
            "kind": "session",
            "meeting_id": f"{tag}-session",
            "title": f"Kỳ họp thường lệ {unit.name}",
            "held_on": _day(rng, year, month),
            "session_type": "regular",
            "term": "2021-2026",
            "number_in_term": _session_number(year, month),
            "delegates_present": rng.randint(20, 28) if commune else rng.randint(30, 50),
            "resolutions_adopted": rng.randint(3, 15),
            "questioning_held": rng.random() < 0.7,
        }
    if rng.random() < 0.08:
        yield {
            "kind": "session",
            "meeting_id": f"{tag}-thematic",
            "title": f"Kỳ họp chuyên đề {unit.name}",
            "held_on": _day(rng, year, month),
            "session_type": rng.choice(["thematic", "extraordinary"]),
            "term": "2021-2026",
            "number_in_term": _session_number(year, month, thematic=True),
            "delegates_present": rng.randint(18, 40),
            "resolutions_adopted": rng.randint(1, 4),
            "questioning_held": False,
        }
    if not commune or rng.random() < 0.6:
        yield {
            "kind": "standing_committee",
            "meeting_id": f"{tag}-tt",
            "title": f"Phiên họp Thường trực HĐND tháng {month}",
            "held_on": _day(rng, year, month),
            "meeting_type": "regular" if rng.random() < 0.85 else "ad_hoc",
        }
    if month in (1, 5, 7) or rng.random() < 0.25:
        yield {
            "kind": "voter_contact",
            "meeting_id": f"{tag}-txct",
            "title": "Tiếp xúc cử tri " + ("trước kỳ họp" if month in (5, 6) else "sau kỳ họp"),
            "held_on": _day(rng, year, month),
            "timing": "before_session" if month in (5, 6) else "after_session",
            "delegate_group": f"Tổ đại biểu số {rng.randint(1, 6)}",
            "voters_attending": rng.randint(40, 180),
            "opinions_raised": rng.randint(0, 14),
        }
    if rng.random() < (0.5 if commune else 0.9):
        yield {
            "kind": "citizen_reception",
            "meeting_id": f"{tag}-tcd",
            "title": "Tiếp công dân định kỳ",
            "held_on": _day(rng, year, month),
            "reception_type": "periodic" if rng.random() < 0.8 else "ad_hoc",
            "citizens_received": rng.randint(0, 25),
            "petitions_received": rng.randint(0, 8),
        }


def _upper_level_work(
    unit: Unit, below: list[Unit], year: int, month: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """A province or district also trains and confers with the units below it."""
    tag = f"s-{unit.era}-{unit.code}-{year}{month:02d}"
    if month in (3, 8):
        points = [unit, *rng.sample(below, k=min(len(below), 6))]
        yield {
            "kind": "training",
            "meeting_id": f"{tag}-taphuan",
            "title": "Tập huấn kỹ năng giám sát chuyên đề cho đại biểu HĐND",
            "held_on": _day(rng, year, month),
            "format": "online",
            "topics": ["Kỹ năng giám sát chuyên đề", "Thẩm tra lĩnh vực Kinh tế – Ngân sách"],
            "bridge_points": [
                {"unit": p.code, "attendees": (a := rng.randint(15, 60)), "delegates": a // 2}
                for p in points
            ],
        }
    if month in (4, 9):
        yield {
            "kind": "conference",
            "meeting_id": f"{tag}-giaoban",
            "title": "Hội nghị giao ban Thường trực HĐND",
            "held_on": _day(rng, year, month),
            "conference_type": rng.choice(["briefing", "experience_exchange", "roundtable"]),
            "ordinal": month // 4,
            "participating_units": [u.code for u in below],
            "topics": ["Kết quả hoạt động quý", "Chuẩn bị kỳ họp"],
        }


def _supervision(unit: Unit, below: list[Unit], year: int, month: int, rng: random.Random) -> Post:
    tag = f"s-{unit.era}-{unit.code}-{year}{month:02d}-gs"
    finished = date(year, month, rng.randint(10, 28))
    body = rng.choice(["standing_committee", "committee", "delegate_group"])
    activity = rng.choice(
        ["thematic_supervision", "thematic_supervision", "survey", "verification"]
    )
    return Post(
        "oversight",
        f"/units/{unit.code}/supervisions",
        {
            "supervision_id": tag,
            "activity": activity,
            "title": "Giám sát việc giải quyết đơn thư của công dân",
            "body": body,
            **(
                {"committee": rng.choice(["legal", "economy_budget", "culture_society"])}
                if body == "committee"
                else {}
            ),
            "field": rng.choice(["land", "petitions", "investment_construction", "budget"]),
            "started_on": (finished - timedelta(days=rng.randint(3, 20))).isoformat(),
            "finished_on": finished.isoformat(),
            "supervised_units": [u.code for u in rng.sample(below, k=min(len(below), 2))],
            "findings": "Cơ bản thực hiện đúng quy định; còn chậm giải quyết một số vụ việc.",
            "recommendations": rng.randint(0, 9),
        },
    )


def sample_posts(
    hierarchy: Hierarchy, province: str = SAMPLE_PROVINCE, seed: int = 2025
) -> list[Post]:
    rng = random.Random(seed)
    posts: list[Post] = []
    for era, months in (("legacy", LEGACY_MONTHS), ("2025", REFORM_MONTHS)):
        top = hierarchy.unit(province, era)  # type: ignore[arg-type]
        for year, month in months:
            for unit in [top, *hierarchy.descendants(top.code, top.era)]:
                below = hierarchy.children(unit.code, unit.era)
                for m in _meetings_of(unit, year, month, rng):
                    posts.append(Post("meetings", f"/units/{unit.code}/meetings", m))
                if below:
                    for m in _upper_level_work(unit, below, year, month, rng):
                        posts.append(Post("meetings", f"/units/{unit.code}/meetings", m))
                    if rng.random() < 0.3:
                        posts.append(_supervision(unit, below, year, month, rng))
    return posts


def load_sample(
    base_urls: dict[str, str],
    hierarchy: Hierarchy,
    province: str = SAMPLE_PROVINCE,
    *,
    token: str,
) -> dict[str, int]:
    """POST the sample through the services' APIs with a progress bar; count the outcomes.

    `token` is a bearer token of a secretary of the province, which covers every unit below
    it in both eras."""
    posts = sample_posts(hierarchy, province)
    outcome = {"recorded": 0, "unchanged": 0, "refused": 0}
    columns = (
        TextColumn("[bold]Nạp dữ liệu mẫu"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30, headers=headers) as client, Progress(*columns) as progress:
        task = progress.add_task("sample", total=len(posts))
        for post in posts:
            r = client.post(base_urls[post.service] + post.path, json=post.body)
            if r.status_code == 201:
                outcome["recorded"] += 1
            elif r.status_code == 200:
                outcome["unchanged"] += 1
            else:
                outcome["refused"] += 1
                progress.console.print(f"[red]{r.status_code}[/red] {post.path}: {r.text[:300]}")
            progress.advance(task)
    return outcome
