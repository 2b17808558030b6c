"""Sample data for `make run`: a real province, its districts and communes, ten months of
council work of every kind, recorded through the services' own HTTP APIs.

Tỉnh Lai Châu (12), January–June 2025 under the three-level administration (the province,
its 8 districts and 106 communes) and July–October 2025 under the two-level one (the
province and its 38 new communes): every unit code is one that existed on the record's day.

What it records, each through the route a council office would use:
- meetings: kỳ họp (regular, thematic, extraordinary, with seats and questioning), phiên họp
  Thường trực, hội nghị giao ban / trao đổi kinh nghiệm / tọa đàm, tập huấn with its điểm
  cầu, tiếp xúc cử tri with each opinion, tiếp công dân with each petition, báo cáo với cử
  tri, lấy ý kiến nhận xét của cử tri; some scheduled first and held later, some scheduled
  and cancelled, some corrected after they were recorded;
- oversight: supervision, survey and verification plans started and finished with their
  recommendations (some implemented on time, some late, the rest left to go overdue: the
  oversight service records that at its next sweep, hourly and at start), some recorded in
  one go; the voter opinions the oversight service opened from the voter
  contacts (waited for, then forwarded, answered and resolved for a realistic share);
  petitions taken at receptions or received by mail, transferred and settled;
- coordination: seats and delegates trained declared by every council (again after the
  August training by some), staff by all but the legacy communes, periodic
  reports filed on time, late or not at all, work programmes with their tasks done or not,
  proposals from communes (and, before the reform, districts) to the levels above, most of
  them answered.

Deterministic (seeded) and idempotent: every record has a stable id, and a chain of steps
(scheduled → held, planned → started → finished, received → forwarded → …) is first read
back, so a second `make run` answers "already there" for everything and counts nothing twice.
Follow-ups are dated no later than SAMPLE_END: what would come after stays pending.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.common.hierarchy import Hierarchy, Unit

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


# -- Vietnamese texts ----------------------------------------------------------------------------

VILLAGES = [
    "Nà Tăm", "Hô Be", "Thẳm", "Hon", "Sì Thâu Chải", "Nà Khum", "Phiêng Pẳn", "Hua Bum",
    "Nậm Cười", "Pa Pe", "Na Hối", "Lùng Thàng", "Chu Va", "Séo Lèng", "Nậm Đích", "Tả Chải",
]  # fmt: skip

# Opinions of voters by field (lĩnh vực); {v} is a village (bản).
OPINIONS: dict[str, list[str]] = {
    "investment_construction": [
        "Đề nghị đầu tư nâng cấp tuyến đường liên bản đến bản {v} đã xuống cấp, mùa mưa đi lại"
        " rất khó khăn.",
        "Cử tri đề nghị sớm sửa chữa cầu treo bản {v} bị hư hỏng sau mưa lũ.",
        "Đề nghị đầu tư công trình nước sinh hoạt tập trung cho bản {v}.",
        "Đề nghị đẩy nhanh tiến độ thi công kè chống sạt lở khu dân cư bản {v}.",
    ],
    "land": [
        "Đề nghị đẩy nhanh việc cấp giấy chứng nhận quyền sử dụng đất cho các hộ bản {v}.",
        "Cử tri phản ánh việc bồi thường, hỗ trợ giải phóng mặt bằng dự án thủy điện tại bản {v}"
        " còn chậm.",
        "Đề nghị xem xét bố trí đất tái định cư cho các hộ có nguy cơ sạt lở ở bản {v}.",
    ],
    "social_policy": [
        "Đề nghị hỗ trợ xóa nhà tạm, nhà dột nát cho các hộ nghèo bản {v}.",
        "Đề nghị chi trả kịp thời trợ cấp xã hội hằng tháng cho người cao tuổi, người khuyết tật.",
        "Đề nghị tiếp tục hỗ trợ giống cây, con giống cho hộ nghèo theo chương trình giảm nghèo"
        " bền vững.",
    ],
    "education_health": [
        "Đề nghị bổ sung giáo viên cho điểm trường bản {v}.",
        "Đề nghị tăng cường bác sĩ và thuốc thiết yếu cho trạm y tế xã.",
        "Đề nghị sửa chữa phòng học tạm, nhà bán trú cho học sinh bản {v}.",
    ],
    "budget": [
        "Đề nghị bố trí kinh phí sửa chữa nhà văn hóa bản {v}.",
        "Đề nghị công khai việc sử dụng kinh phí hỗ trợ phát triển sản xuất ở bản {v}.",
    ],
    "petitions": [
        "Đề nghị giải quyết dứt điểm vụ tranh chấp đất nương kéo dài giữa hai hộ ở bản {v}.",
    ],
    "other": [
        "Cử tri phản ánh điện lưới ở bản {v} thường xuyên mất điện, điện áp yếu.",
        "Đề nghị tăng cường sóng điện thoại di động, internet cho bản {v}.",
        "Đề nghị có biện pháp xử lý tình trạng khai thác cát, sỏi trái phép trên suối gần bản {v}.",
    ],
}
FIELD_WEIGHTS = {
    "investment_construction": 30, "land": 20, "social_policy": 15, "education_health": 12,
    "budget": 8, "petitions": 5, "other": 10,
}  # fmt: skip

PETITIONS: dict[str, list[str]] = {
    "complaint": [
        "Khiếu nại về mức bồi thường, hỗ trợ khi Nhà nước thu hồi đất làm đường giao thông.",
        "Khiếu nại quyết định xử phạt vi phạm hành chính trong lĩnh vực đất đai.",
    ],
    "denunciation": [
        "Tố cáo hành vi khai thác cát, sỏi trái phép trên suối Nậm Lúc.",
        "Tố cáo cán bộ địa chính gây khó khăn khi làm thủ tục cấp giấy chứng nhận.",
    ],
    "recommendation": [
        "Kiến nghị hỗ trợ hộ gia đình bị thiệt hại nhà ở do sạt lở đất.",
        "Kiến nghị cấp đổi giấy chứng nhận quyền sử dụng đất bị sai diện tích.",
        "Kiến nghị xem xét chế độ cho người có công với cách mạng.",
    ],
    "reflection": [
        "Phản ánh việc xây dựng công trình lấn chiếm hành lang an toàn giao thông.",
        "Phản ánh tình trạng ô nhiễm môi trường từ cơ sở chế biến chè.",
    ],
}
PETITION_WEIGHTS = {"complaint": 30, "denunciation": 10, "recommendation": 40, "reflection": 20}

OPINION_ANSWERS = [
    "{a} đã trả lời: nội dung kiến nghị đã được tổng hợp, đưa vào kế hoạch thực hiện năm 2026.",
    "{a} đã trả lời bằng văn bản, giải thích rõ chính sách và lộ trình thực hiện.",
    "{a} đã trả lời, cam kết bố trí nguồn lực để giải quyết trong năm.",
]
OPINION_RESULTS = [
    "Đã thực hiện xong, cử tri đồng tình.",
    "Đã khắc phục, đưa vào sử dụng.",
    "Đã chi trả đầy đủ cho các đối tượng.",
]
PETITION_OUTCOMES = [
    "Đã giải quyết, trả lời công dân bằng văn bản.",
    "Đã xác minh, kết luận; công dân đồng ý với kết quả giải quyết.",
    "Đã hướng dẫn công dân gửi đơn đến đúng cơ quan có thẩm quyền.",
]


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _ubnd(unit: Unit) -> str:
    """The people's committee of a unit: "UBND huyện Tam Đường"."""
    return "UBND " + _lower_first(unit.name)


def _local(text: str, unit: Unit) -> str:
    """A commune-level text as a phường or thị trấn writes it ("HĐND xã" → "HĐND phường")."""
    if unit.level != "commune":
        return text
    kind = next((k for k in ("Phường", "Thị trấn", "Đặc khu") if unit.name.startswith(k)), "Xã")
    return text.replace("HĐND xã", f"HĐND {kind.lower()}")


def _department(field_: str, province: Unit, day: date) -> str:
    """The provincial department competent for a field (the 2025 mergers from 1 March)."""
    merged = day >= date(2025, 3, 1)
    where = _lower_first(province.name)
    name = {
        "investment_construction": "Sở Xây dựng",
        "land": "Sở Nông nghiệp và Môi trường" if merged else "Sở Tài nguyên và Môi trường",
        "social_policy": "Sở Nội vụ" if merged else "Sở Lao động – Thương binh và Xã hội",
        "education_health": "Sở Y tế",
        "budget": "Sở Tài chính",
        "petitions": "Thanh tra",
        "citizen_reception": "Thanh tra",
        "other": "Công ty Điện lực",
    }[field_]
    return (
        f"{name} {province.short_name or province.name}" if field_ == "other" else f"{name} {where}"
    )


# -- the sample ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """Builds the chains of the sample, deterministically from `seed`."""

    hierarchy: Hierarchy
    province: str = SAMPLE_PROVINCE
    seed: int = 2025
    chains: list[Chain] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.numbers: dict[str, int] = {}  # last session number in the term, per council
        self.seats: dict[str, int] = {}  # seats per council, per era: "legacy:03390"
        self.corrected_report = False
        self.following: list[Chain] = []  # follow-ups of the meeting being built
        self.top = {e: self.hierarchy.unit(self.province, e) for e in ("legacy", "2025")}

    # -- helpers ---------------------------------------------------------------------------------

    def day(self, year: int, month: int, lo: int = 1, hi: int = 28) -> date:
        return date(year, month, self.rng.randint(lo, hi))

    def pick(self, weights: Mapping[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def add(self, *posts: Post, probe: Probe | None = None, late: bool = False) -> None:
        self.chains.append(Chain(tuple(posts), probe, late=late))
        if self.following and posts[0].service == "meetings":
            # the meeting whose opinions or petitions these follow: they wait for it
            index = len(self.chains) - 1
            self.chains += [replace(c, after=index) for c in self.following]
            self.following.clear()

    def follow(self, *posts: Post, probe: Probe) -> None:
        """Steps on an item the next meeting recorded opens (added after that meeting)."""
        self.following.append(Chain(tuple(posts), probe))

    def meeting(self, unit: Unit, body: Json) -> None:
        self.add(Post("meetings", f"/units/{unit.code}/meetings", body))

    def units(self, era: str) -> list[Unit]:
        top = self.top[era]
        return [top, *self.hierarchy.descendants(top.code, top.era)]

    def below(self, unit: Unit) -> list[Unit]:
        return self.hierarchy.children(unit.code, unit.era)

    def seats_of(self, unit: Unit) -> int:
        key = f"{unit.era}:{unit.code}"
        if key not in self.seats:
            if unit.level == "province":
                self.seats[key] = 50
            elif unit.level == "district":
                self.seats[key] = self.rng.randint(30, 35)
            elif unit.era == "legacy":
                self.seats[key] = self.rng.randint(17, 25)
            else:  # a 2025 commune's council gathers the delegates of the communes merged into it
                merged = [
                    self.seats_of(self.hierarchy.unit(c, "legacy"))
                    for c in self.hierarchy.predecessors(unit.code)
                    if self.hierarchy.find(c, "legacy") is not None
                ]
                self.seats[key] = min(sum(merged) or 30, 90)
        return self.seats[key]

    def next_number(self, unit: Unit) -> int:
        """Kỳ họp numbers run through the term; a 2025 commune's council starts at the first."""
        key = unit.code if unit.level == "province" else f"{unit.era}:{unit.code}"
        if key not in self.numbers:
            base = {"province": 26, "district": 20, "commune": 16}[unit.level]
            self.numbers[key] = 0 if unit.era == "2025" and unit.level == "commune" else base
            if self.numbers[key]:
                self.numbers[key] += self.rng.randint(0, 4)
        self.numbers[key] += 1
        return self.numbers[key]

    def session(
        self,
        unit: Unit,
        mid: str,
        title: str,
        held: date,
        session_type: str,
        resolutions: tuple[int, int],
        number: int | None = None,
    ) -> Json:
        seats = self.seats_of(unit)
        questioning = session_type == "regular" and self.rng.random() < 0.8
        return {
            "kind": "session",
            "meeting_id": mid,
            "title": title,
            "held_on": held.isoformat(),
            "session_type": session_type,
            "term": TERM,
            "number_in_term": number if number is not None else self.next_number(unit),
            "delegates_elected": seats,
            "delegates_present": seats - self.rng.randint(0, max(1, seats // 10)),
            "resolutions_adopted": self.rng.randint(*resolutions),
            "questioning_held": questioning,
            "questions_asked": self.rng.randint(3, 12) if questioning else 0,
        }

    def agencies(self, unit: Unit, field_: str, day: date) -> str:
        """The agency an opinion or a recommendation of `unit`'s council is addressed to."""
        province = self.top[unit.era]
        if unit.level == "province" or self.rng.random() < 0.45:
            return _department(field_, province, day)
        if unit.level == "commune" and unit.era == "legacy" and self.rng.random() < 0.6:
            assert unit.parent is not None
            return _ubnd(self.hierarchy.unit(unit.parent, "legacy"))
        return _ubnd(unit)

    # -- meetings --------------------------------------------------------------------------------

    def voter_contact(
        self, unit: Unit, mid: str, held: date, before: bool, group: str, opinions: tuple[int, int]
    ) -> Json:
        n = self.rng.randint(*opinions)
        items = []
        for i in range(n):
            f = self.pick(FIELD_WEIGHTS)
            text = self.rng.choice(OPINIONS[f]).format(v=self.rng.choice(VILLAGES))
            items.append(
                {
                    "opinion_id": f"{mid}-yk{i + 1}",
                    "text": text,
                    "field": f,
                    "addressed_to": self.agencies(unit, f, held),
                }
            )
            self.opinion_followup(unit, f"{mid}-yk{i + 1}", held, items[-1]["addressed_to"])
        return {
            "kind": "voter_contact",
            "meeting_id": mid,
            "title": "Tiếp xúc cử tri "
            + ("trước kỳ họp" if before else "sau kỳ họp")
            + f" của {group}",
            "held_on": held.isoformat(),
            "timing": "before_session" if before else "after_session",
            "delegate_group": group,
            "voters_attending": self.rng.randint(45, 160) + 12 * n,
            "opinions_raised": n,
            "opinions": items,
        }

    def reception(self, unit: Unit, mid: str, held: date, petitions: tuple[int, int]) -> Json:
        n = self.rng.randint(*petitions)
        items = []
        for i in range(n):
            kind = self.pick(PETITION_WEIGHTS)
            pid = f"{mid}-don{i + 1}"
            items.append(
                {
                    "petition_id": pid,
                    "petition_type": kind,
                    "summary": self.rng.choice(PETITIONS[kind]),
                }
            )
            self.petition_followup(unit, pid, held, kind, opened_by_service=True)
        periodic = self.rng.random() < 0.85
        return {
            "kind": "citizen_reception",
            "meeting_id": mid,
            "title": "Tiếp công dân "
            + ("định kỳ" if periodic else "đột xuất")
            + f" tháng {held.month}/{held.year}",
            "held_on": held.isoformat(),
            "reception_type": "periodic" if periodic else "ad_hoc",
            "citizens_received": n + self.rng.randint(0, 9),
            "petitions_received": n,
            "petitions": items,
        }

    def standing(self, mid: str, held: date, ad_hoc: bool = False, topic: str = "") -> Json:
        title = f"Phiên họp Thường trực HĐND {'đột xuất' if ad_hoc else 'thường kỳ'}"
        return {
            "kind": "standing_committee",
            "meeting_id": mid,
            "title": f"{title} tháng {held.month}/{held.year}{topic}",
            "held_on": held.isoformat(),
            "meeting_type": "ad_hoc" if ad_hoc else "regular",
        }

    def delegate_report(self, mid: str, held: date, what: str, group: str | None) -> Json:
        return {
            "kind": "delegate_report",
            "meeting_id": mid,
            "title": f"Đại biểu HĐND báo cáo với cử tri {what}",
            "held_on": held.isoformat(),
            **({"delegate_group": group} if group else {}),
            "delegates_reporting": self.rng.randint(2, 6),
            "voters_attending": self.rng.randint(60, 220),
        }

    def delegate_rating(self, unit: Unit, mid: str, held: date) -> Json:
        rated = self.rng.randint(2, 5)
        voters = self.rng.randint(40, 120)
        given = rated * self.rng.randint(voters // 2, voters)
        good = given * self.rng.randint(70, 90) // 100
        fair = (given - good) * 4 // 5
        return {
            "kind": "delegate_rating",
            "meeting_id": mid,
            "title": "Hội nghị lấy ý kiến nhận xét của cử tri nơi cư trú đối với đại biểu HĐND "
            + _lower_first(unit.name),
            "held_on": held.isoformat(),
            "delegates_rated": rated,
            "voters_participating": voters,
            "ratings": {"good": good, "fair": fair, "poor": given - good - fair},
        }

    def training(self, unit: Unit, mid: str, held: date, title: str, points: list[Unit]) -> Json:
        online = len(points) > 1
        bridge = []
        for p in points:
            attendees = self.rng.randint(40, 90) if p is unit else self.rng.randint(12, 45)
            delegates = attendees * self.rng.randint(55, 85) // 100
            bridge.append({"unit": p.code, "attendees": attendees, "delegates": delegates})
        return {
            "kind": "training",
            "meeting_id": mid,
            "title": title,
            "held_on": held.isoformat(),
            "format": "online" if online else "in_person",
            "topics": self.rng.sample(
                [
                    "Kỹ năng giám sát chuyên đề của HĐND",
                    "Thẩm tra báo cáo, dự thảo nghị quyết lĩnh vực Kinh tế – Ngân sách",
                    "Thẩm tra trong lĩnh vực Pháp chế",
                    "Thẩm tra trong lĩnh vực Văn hóa – Xã hội",
                    "Kỹ năng tiếp xúc cử tri và tiếp công dân",
                    "Quyết định dự toán ngân sách địa phương",
                ],
                k=3,
            ),
            "bridge_points": bridge,
        }

    def conference(
        self, mid: str, held: date, kind: str, ordinal: int, title: str, units: list[Unit]
    ) -> Json:
        return {
            "kind": "conference",
            "meeting_id": mid,
            "title": title,
            "held_on": held.isoformat(),
            "conference_type": kind,
            "ordinal": ordinal,
            "participating_units": [u.code for u in units],
            "topics": self.rng.sample(
                [
                    "Kết quả hoạt động của HĐND các cấp trong quý",
                    "Chuẩn bị nội dung kỳ họp",
                    "Công tác giám sát và giải quyết kiến nghị của cử tri",
                    "Sắp xếp đơn vị hành chính và kiện toàn tổ chức HĐND",
                    "Kinh nghiệm tổ chức tiếp xúc cử tri",
                ],
                k=2,
            ),
        }

    def scheduled_then_held(self, unit: Unit, meeting: Json, planned: date) -> None:
        plan: Json = {
            "meeting_id": meeting["meeting_id"],
            "kind": meeting["kind"],
            "title": meeting["title"],
            "scheduled_for": planned.isoformat(),
        }
        if meeting["kind"] == "session":
            plan["session"] = {k: meeting[k] for k in ("session_type", "term", "number_in_term")}
        base = f"/units/{unit.code}"
        self.add(
            Post("meetings", f"{base}/scheduled-meetings", plan, "scheduled"),
            Post("meetings", f"{base}/meetings/{meeting['meeting_id']}/hold", meeting, "held"),
            probe=self.meeting_probe(meeting["meeting_id"], "held"),
        )

    def scheduled_then_cancelled(
        self, unit: Unit, mid: str, kind: str, title: str, planned: date, reason: str
    ) -> None:
        plan = {"meeting_id": mid, "kind": kind, "title": title, "scheduled_for": str(planned)}
        base = f"/units/{unit.code}"
        self.add(
            Post("meetings", f"{base}/scheduled-meetings", plan, "scheduled"),
            Post("meetings", f"{base}/meetings/{mid}/cancel", {"reason": reason}, "cancelled"),
            probe=self.meeting_probe(mid, "cancelled"),
        )

    def recorded_then_corrected(self, unit: Unit, meeting: Json, changes: Json, why: str) -> None:
        base = f"/units/{unit.code}"
        corrected = {**meeting, **changes}
        self.add(
            Post("meetings", f"{base}/meetings", meeting, "held"),
            Post(
                "meetings",
                f"{base}/meetings/{meeting['meeting_id']}/correct",
                {"meeting": corrected, "reason": why},
            ),
            probe=self.meeting_probe(meeting["meeting_id"], "held"),
        )

    @staticmethod
    def meeting_probe(mid: str, last: str) -> Probe:
        return Probe("meetings", f"/meetings/{mid}", "status", ("scheduled", last))

    # -- follow-ups of opinions and petitions ----------------------------------------------------

    def steps(self, start: date, spec: list[tuple[float, int, int]]) -> list[date]:
        """Days of successive steps: each taken with its probability, a few days after the
        previous one, never after SAMPLE_END; the chain stops at the first not taken."""
        days: list[date] = []
        last = start
        for share, lo, hi in spec:
            last = last + timedelta(days=self.rng.randint(lo, hi))
            if self.rng.random() >= share or last > SAMPLE_END:
                break
            days.append(last)
        return days

    def opinion_followup(self, unit: Unit, oid: str, raised: date, agency: str) -> None:
        days = self.steps(raised, [(0.92, 3, 15), (0.78, 10, 45), (0.72, 5, 60)])
        if not days:
            return
        base = f"/units/{unit.code}/opinions/{oid}"
        bodies: list[tuple[str, Json]] = [
            ("forwarded", {"forwarded_on": str(days[0]), "agency": agency}),
        ]
        if len(days) > 1:
            answer = self.rng.choice(OPINION_ANSWERS).format(a=agency)
            bodies.append(("answered", {"answered_on": str(days[1]), "answer": answer}))
        if len(days) > 2:
            result = self.rng.choice(OPINION_RESULTS)
            bodies.append(("resolved", {"resolved_on": str(days[2]), "result": result}))
        self.follow(
            *(Post("oversight", f"{base}/{s}", b, s) for s, b in bodies),
            probe=Probe(
                "oversight",
                base,
                "stage",
                ("received", "forwarded", "answered", "resolved"),
                opened_by_service=True,
            ),
        )

    def petition_followup(
        self, unit: Unit, pid: str, received: date, kind: str, opened_by_service: bool
    ) -> None:
        """The follow-up of a petition; for one received by mail, its registration first."""
        base = f"/units/{unit.code}/petitions/{pid}"
        posts: list[Post] = []
        if not opened_by_service:
            summary = self.rng.choice(PETITIONS[kind])
            register = {
                "petition_id": pid,
                "petition_type": kind,
                "summary": summary,
                "received_on": str(received),
            }
            posts.append(Post("oversight", f"/units/{unit.code}/petitions", register, "received"))
        days = self.steps(received, [(0.85, 2, 10), (0.7, 10, 50)])
        if days:
            if kind == "denunciation":
                agency = f"Thanh tra {_lower_first(self.top[unit.era].name)}"
            elif unit.level == "commune" and unit.era == "legacy" and unit.parent:
                agency = _ubnd(self.hierarchy.unit(unit.parent, "legacy"))
            else:
                agency = _ubnd(unit)
            posts.append(
                Post(
                    "oversight",
                    f"{base}/transferred",
                    {"transferred_on": str(days[0]), "agency": agency},
                    "transferred",
                )
            )
        if len(days) > 1:
            outcome = self.rng.choice(PETITION_OUTCOMES)
            posts.append(
                Post(
                    "oversight",
                    f"{base}/settled",
                    {"settled_on": str(days[1]), "outcome": outcome},
                    "settled",
                )
            )
        if posts:
            order = ("received", "transferred", "settled")
            probe = Probe("oversight", base, "stage", order, opened_by_service=opened_by_service)
            if opened_by_service:
                self.follow(*posts, probe=probe)
            else:
                self.add(*posts, probe=probe)

    # -- oversight -------------------------------------------------------------------------------

    def supervision(
        self,
        unit: Unit,
        sid: str,
        plan: Json,
        planned: date,
        started: date | None,
        finished: date | None,
        recommendations: int,
    ) -> None:
        base = f"/units/{unit.code}/supervision-plans"
        below = self.below(unit)
        supervised = [u.code for u in self.rng.sample(below, k=min(len(below), 3))] or [unit.code]
        body = {
            "supervision_id": sid,
            **plan,
            "planned_on": str(planned),
            "starts_on": str(started or planned + timedelta(days=20)),
            "supervised_units": supervised,
        }
        posts = [Post("oversight", base, body, "planned")]
        if started is not None:
            posts.append(
                Post("oversight", f"{base}/{sid}/started", {"started_on": str(started)}, "started")
            )
        late: list[Post] = []
        if started is not None and finished is not None:
            recs = []
            for i in range(recommendations):
                rid = f"{sid}-kn{i + 1}"
                deadline = finished + timedelta(days=self.rng.choice([30, 45, 60, 90]))
                agency = self.agencies(unit, plan["field"], finished)
                recs.append(
                    {
                        "recommendation_id": rid,
                        "text": self.rng.choice(RECOMMENDATIONS).format(a=agency),
                        "addressed_to": agency,
                        "deadline": str(deadline),
                    }
                )
            finish = {
                "finished_on": str(finished),
                "findings": self.rng.choice(FINDINGS),
                "report_ref": f"{self.rng.randint(12, 240)}/BC-HĐND",
                "recommendations": recs,
            }
            posts.append(Post("oversight", f"{base}/{sid}/finished", finish, "finished"))
            for rec in recs:
                deadline = date.fromisoformat(rec["deadline"])
                fate = self.rng.random()
                if fate < 0.45:  # in time: with the activity (the same day again is a retry)
                    days = self.rng.randint(7, (deadline - finished).days)
                    done, to = finished + timedelta(days=days), posts
                elif fate < 0.65:  # late: after the deadline, among the follow-ups
                    done, to = deadline + timedelta(days=self.rng.randint(5, 40)), late
                else:  # left: overdue once the service notices its deadline passed
                    continue
                if done <= SAMPLE_END:
                    note = "Đã thực hiện, báo cáo kết quả bằng văn bản."
                    path = f"/units/{unit.code}/recommendations/{rec['recommendation_id']}"
                    body_ = {"implemented_on": str(done), "note": note}
                    to.append(Post("oversight", f"{path}/implemented", body_))
        probe = Probe("oversight", f"{base}/{sid}", "stage", ("planned", "started", "finished"))
        self.add(*posts, probe=probe)
        for post in late:  # a sweep of overdue recommendations may come first (hourly)
            self.add(post, late=True)

    def supervision_in_one_go(self, unit: Unit, sid: str, plan: Json, finished: date) -> None:
        body = {
            "supervision_id": sid,
            **plan,
            "started_on": str(finished - timedelta(days=self.rng.randint(3, 15))),
            "finished_on": str(finished),
            "supervised_units": [unit.code],
            "findings": self.rng.choice(FINDINGS),
            "recommendations": self.rng.randint(0, 4),
        }
        self.add(Post("oversight", f"/units/{unit.code}/supervisions", body))

    # -- coordination ----------------------------------------------------------------------------

    def declarations(
        self, unit: Unit, as_of: date, trained_share: tuple[int, int], staff_too: bool = True
    ) -> None:
        seats = self.seats_of(unit)
        trained = seats * self.rng.randint(*trained_share) // 100
        tag = f"s-{unit.era}-{unit.code}"
        delegates = {
            "declaration_id": f"{tag}-db-{as_of:%Y%m}",
            "term": TERM,
            "as_of": str(as_of),
            "seats": seats,
            "delegates_trained": trained,
        }
        full = {"province": (8, 10), "district": (2, 4), "commune": (1, 2)}[unit.level]
        if unit.era == "2025" and unit.level == "commune":
            full = (2, 3)  # the merged communes' councils have more to do
        staff = {
            "declaration_id": f"{tag}-cb-{as_of:%Y%m}",
            "as_of": str(as_of),
            "full_time": self.rng.randint(*full),
            "part_time": self.rng.randint(1, 4) + (6 if unit.level == "province" else 0),
        }
        self.add(Post("reporting", f"/units/{unit.code}/delegates", delegates))
        if staff_too and (unit.level != "commune" or unit.era == "2025"):
            # (the legacy communes' staff are left undeclared: the sample keeps its size)
            self.add(Post("reporting", f"/units/{unit.code}/staff", staff))

    def report(
        self, unit: Unit, period: str, due: date, title: str, window: tuple[int, int]
    ) -> None:
        """File a periodic report on time (mostly), late, or not at all."""
        fate = self.rng.random()
        if fate < 0.08:
            return  # missing: counted once its deadline passed
        early, late = window
        if fate < 0.78:
            filed = due - timedelta(days=self.rng.randint(0, early))
        else:
            filed = due + timedelta(days=self.rng.randint(1, late))
        body = {
            "report_id": f"s-{unit.era}-{unit.code}-bc-{period}",
            "period": period,
            "filed_on": str(filed),
            "title": title,
            "report_ref": f"{self.rng.randint(20, 300)}/BC-HĐND",
        }
        self.add(Post("reporting", f"/units/{unit.code}/reports", body))

    def tasks(
        self, unit: Unit, period: str, set_on: date, ends: date, titles: list[str], share: float
    ) -> None:
        for i, title in enumerate(titles, 1):
            title = _local(title, unit)
            tid = f"s-{unit.era}-{unit.code}-nv-{period}-{i}"
            body = {"task_id": tid, "period": period, "title": title, "set_on": str(set_on)}
            posts = [Post("reporting", f"/units/{unit.code}/tasks", body)]
            fate = self.rng.random()
            status = (
                "done"
                if fate < share
                else "in_progress"
                if fate < share + 0.2
                else "cancelled"
                if fate < share + 0.25
                else None
            )
            if status is not None:
                changed = min(set_on + timedelta(days=self.rng.randint(15, 85)), ends, SAMPLE_END)
                note = {
                    "done": "Đã hoàn thành theo kế hoạch.",
                    "in_progress": "Đang triển khai thực hiện.",
                    "cancelled": "Không thực hiện do thay đổi tổ chức sau sắp xếp.",
                }[status]
                posts.append(
                    Post(
                        "reporting",
                        f"/units/{unit.code}/tasks/{tid}/status",
                        {"status": status, "changed_on": str(changed), "note": note},
                    )
                )
            self.add(*posts)

    def proposal(
        self, unit: Unit, to: Unit, n: int, raised: date, title: str, last_answer: date
    ) -> None:
        pid = f"s-{unit.era}-{unit.code}-kn-{raised:%Y%m}-{n}"
        title = _local(title, unit)
        body = {
            "proposal_id": pid,
            "to_unit": to.code,
            "kind": "suggestion" if title.startswith("Đề xuất") else "recommendation",
            "title": title,
            "content": f"HĐND {_lower_first(unit.name)} {_lower_first(title)}.",
            "raised_on": str(raised),
        }
        posts = [Post("reporting", f"/units/{unit.code}/proposals", body)]
        answered = raised + timedelta(days=self.rng.randint(7, 40))
        if self.rng.random() < 0.8 and answered <= min(last_answer, SAMPLE_END):
            answer = self.rng.choice(PROPOSAL_ANSWERS).format(u=_lower_first(to.name))
            posts.append(
                Post(
                    "reporting",
                    f"/units/{to.code}/proposals/{pid}/answer",
                    {"answered_on": str(answered), "answer": answer},
                )
            )
        self.add(*posts)

    # -- the ten months --------------------------------------------------------------------------

    def build(self) -> list[Chain]:
        self.legacy()
        self.reform()
        return self.chains

    def legacy(self) -> None:
        top = self.top["legacy"]
        districts = self.below(top)
        last_day = REFORM - timedelta(days=1)
        for unit in self.units("legacy"):
            self.declarations(unit, date(2025, 1, 2), (70, 95))
            window = {"province": 10, "district": 8, "commune": 4}[unit.level]
            due = date(2025, 1, {"province": 15, "district": 10, "commune": 5}[unit.level])
            self.report(
                unit, "2024", due, "Báo cáo kết quả hoạt động của HĐND năm 2024", (window, 20)
            )
        for year, month in LEGACY_MONTHS:
            for unit in self.units("legacy"):
                tag = f"s-legacy-{unit.code}-{year}{month:02d}"
                if unit.level == "province":
                    self.province_month(unit, tag, year, month)
                elif unit.level == "district":
                    self.district_month(unit, tag, year, month)
                else:
                    self.legacy_commune_month(unit, tag, year, month)
        # The province's work programme, Q1 and Q2; the districts' too.
        self.tasks(top, "2025-Q1", date(2025, 1, 6), date(2025, 3, 31), PROVINCE_TASKS[:6], 0.7)
        self.tasks(top, "2025-Q2", date(2025, 4, 3), date(2025, 6, 30), PROVINCE_TASKS[6:12], 0.6)
        for d in districts:
            self.tasks(
                d, "2025-Q2", date(2025, 4, 7), last_day, self.rng.sample(DISTRICT_TASKS, k=4), 0.65
            )
        # Proposals: communes to their district (a few straight to the province), districts to
        # the province; a district answers before it ceases to exist, or never.
        n = 0
        for d in districts:
            for c in self.below(d):
                if self.rng.random() < 0.22:
                    n += 1
                    to = top if self.rng.random() < 0.2 else d
                    title = self.rng.choice(LEGACY_COMMUNE_PROPOSALS)
                    self.proposal(
                        c,
                        to,
                        n,
                        self.day(2025, self.rng.randint(2, 5)),
                        title,
                        last_day if to.code == d.code else SAMPLE_END,
                    )
            for title in self.rng.sample(DISTRICT_PROPOSALS, k=self.rng.randint(1, 2)):
                n += 1
                self.proposal(
                    d, top, n, self.day(2025, self.rng.randint(3, 6), hi=20), title, SAMPLE_END
                )
        # Mail petitions to the province and the districts.
        for i, unit in enumerate([top, *districts]):
            for j in range(self.rng.randint(1, 3)):
                received = self.day(2025, self.rng.randint(1, 6))
                kind = self.pick(PETITION_WEIGHTS)
                pid = f"s-legacy-{unit.code}-buuchinh-{i}-{j}"
                self.petition_followup(unit, pid, received, kind, opened_by_service=False)

    def province_month(self, unit: Unit, tag: str, year: int, month: int) -> None:
        era = unit.era
        below = self.below(unit)
        first = f"{year}{month:02d}"
        # Standing committee: every month, scheduled ahead from July; ad hoc in June and July.
        sc = self.standing(f"{tag}-tt", self.day(year, month, 3, 12))
        if month in (8, 9):
            self.scheduled_then_held(unit, sc, date(year, month, 3))
        else:
            self.meeting(unit, sc)
        if month in (6, 7):
            topic = (
                " về sắp xếp đơn vị hành chính"
                if month == 6
                else " về kiện toàn tổ chức sau sắp xếp"
            )
            self.meeting(
                unit, self.standing(f"{tag}-ttdx", self.day(year, month, 15, 27), True, topic)
            )
        # Sessions: thematic in February and September, extraordinary in April (the reform
        # could not wait), the regular mid-year session in July (scheduled, then held).
        if month == 2:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp chuyên đề HĐND tỉnh",
                    date(year, 2, 20),
                    "thematic",
                    (8, 14),
                ),
            )
        if month == 4:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp bất thường thông qua Đề án sắp xếp đơn vị hành chính cấp xã",
                    date(year, 4, 25),
                    "extraordinary",
                    (3, 6),
                ),
            )
        if month == 7:
            held = date(year, 7, 10)
            s = self.session(
                unit,
                f"{tag}-kh",
                "Kỳ họp thường lệ giữa năm 2025 HĐND tỉnh",
                held,
                "regular",
                (18, 30),
            )
            self.scheduled_then_held(unit, s, date(year, 7, 9))
        if month == 9:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp chuyên đề HĐND tỉnh về chương trình mục tiêu quốc gia",
                    date(year, 9, 26),
                    "thematic",
                    (4, 9),
                ),
            )
        # Voter contacts of the province's delegate groups: before the July session (June),
        # after it (July, August); one per group, in the units below.
        if month in (6, 7, 8):
            groups = self.rng.sample(range(1, 9), k=3 if era == "legacy" else 4)
            for g in groups:
                held = self.day(year, month, 2, 27)
                self.meeting(
                    unit,
                    self.voter_contact(
                        unit,
                        f"{tag}-txct{g}",
                        held,
                        month == 6,
                        f"Tổ đại biểu HĐND tỉnh số {g}",
                        (2, 5),
                    ),
                )
        # Citizen receptions: the standing committee's periodic day each month.
        rec = self.reception(
            unit, f"{tag}-tcd", date(year, month, self.rng.randint(10, 20)), (1, 3)
        )
        if month == 5:  # recorded with the wrong count of citizens, then corrected
            self.recorded_then_corrected(
                unit,
                rec,
                {"citizens_received": rec["citizens_received"] + 9},
                "Nhập nhầm số lượt công dân được tiếp",
            )
        else:
            self.meeting(unit, rec)
        # Trainings with bridge points in every district (March) or every commune (August).
        if month in (3, 8):
            title = (
                "Tập huấn kỹ năng giám sát chuyên đề cho đại biểu HĐND tỉnh và cấp huyện"
                if month == 3
                else "Bồi dưỡng kỹ năng hoạt động cho đại biểu HĐND cấp xã sau sắp xếp"
            )
            self.meeting(
                unit,
                self.training(
                    unit, f"{tag}-taphuan", self.day(year, month, 10, 20), title, [unit, *below]
                ),
            )
        # Conferences between levels.
        if month == 1:
            self.meeting(
                unit,
                self.conference(
                    f"{tag}-giaoban",
                    date(year, 1, 16),
                    "briefing",
                    5,
                    "Hội nghị giao ban Thường trực HĐND tỉnh với Thường trực HĐND các huyện,"
                    " thành phố lần thứ năm",
                    below,
                ),
            )
        if month == 4:
            self.meeting(
                unit,
                self.conference(
                    f"{tag}-traodoi",
                    date(year, 4, 11),
                    "experience_exchange",
                    2,
                    "Hội nghị trao đổi kinh nghiệm hoạt động của HĐND các cấp",
                    below,
                ),
            )
        if month == 9:
            self.meeting(
                unit,
                self.conference(
                    f"{tag}-giaoban",
                    date(year, 9, 12),
                    "briefing",
                    1,
                    "Hội nghị giao ban Thường trực HĐND tỉnh với Thường trực HĐND các xã,"
                    " phường lần thứ nhất",
                    below,
                ),
            )
        if month == 10:
            self.scheduled_then_cancelled(
                unit,
                f"{tag}-toadam",
                "conference",
                "Tọa đàm nâng cao chất lượng hoạt động của Tổ đại biểu HĐND tỉnh",
                date(year, 10, 24),
                "Lùi sang quý I năm 2026 do tập trung chuẩn bị kỳ họp cuối năm",
            )
            self.meeting(
                unit,
                self.conference(
                    f"{tag}-toadam2",
                    date(year, 10, 8),
                    "roundtable",
                    1,
                    "Tọa đàm về hoạt động giám sát của HĐND cấp xã sau sắp xếp",
                    below[:12],
                ),
            )
        if month == 1:
            self.meeting(
                unit,
                self.delegate_report(
                    f"{tag}-bccutri",
                    date(year, 1, 22),
                    "kết quả hoạt động năm 2024",
                    "Tổ đại biểu HĐND tỉnh số 1",
                ),
            )
        self.province_oversight(unit, year, month, first)

    def province_oversight(self, unit: Unit, year: int, month: int, first: str) -> None:
        tag = f"s-{unit.era}-{unit.code}-{first}"
        plans = PROVINCE_PLANS.get(month, [])
        for i, (plan, span) in enumerate(plans):
            planned = date(year, month, 3 + i)
            started = planned + timedelta(days=span[0]) if span[0] >= 0 else None
            finished = (
                planned + timedelta(days=span[1]) if started is not None and span[1] >= 0 else None
            )
            self.supervision(
                unit, f"{tag}-gs{i + 1}", plan, planned, started, finished, self.rng.randint(3, 6)
            )

    def district_month(self, unit: Unit, tag: str, year: int, month: int) -> None:
        below = self.below(unit)
        if self.rng.random() < 0.9 or month == 3:
            sc = self.standing(f"{tag}-tt", self.day(year, month, 2, 26))
            if month == 3 and unit.code == self.below(self.top["legacy"])[1].code:
                # recorded on the wrong day (31 March), moved to 1 April
                sc = {
                    **sc,
                    "held_on": "2025-03-31",
                    "title": "Phiên họp Thường trực HĐND thường kỳ tháng 3/2025",
                }
                self.recorded_then_corrected(
                    unit, sc, {"held_on": "2025-04-01"}, "Ghi nhầm ngày họp"
                )
            else:
                self.meeting(unit, sc)
        if month == 3 and self.rng.random() < 0.15:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp bất thường HĐND " + _lower_first(unit.name),
                    self.day(year, 3, 10, 25),
                    "extraordinary",
                    (2, 5),
                ),
            )
        if month == 6:
            s = self.session(
                unit,
                f"{tag}-kh",
                "Kỳ họp thường lệ giữa năm, kỳ họp cuối cùng của HĐND " + _lower_first(unit.name),
                self.day(year, 6, 16, 27),
                "regular",
                (8, 15),
            )
            if self.rng.random() < 0.5:
                self.scheduled_then_held(unit, s, date.fromisoformat(s["held_on"]))
            else:
                self.meeting(unit, s)
            for g in range(1, self.rng.randint(2, 3)):
                held = self.day(year, 6, 2, 14)
                self.meeting(
                    unit,
                    self.voter_contact(
                        unit, f"{tag}-txct{g}", held, True, f"Tổ đại biểu HĐND huyện số {g}", (2, 4)
                    ),
                )
            if unit.code in {u.code for u in self.below(self.top["legacy"])[2:4]}:
                self.scheduled_then_cancelled(
                    unit,
                    f"{tag}-giaoban",
                    "conference",
                    "Hội nghị giao ban Thường trực HĐND huyện với Thường trực HĐND các xã quý II",
                    date(year, 6, 27),
                    "Không tổ chức do kết thúc hoạt động của đơn vị hành chính cấp huyện từ"
                    " ngày 01/7/2025",
                )
        if self.rng.random() < 0.8:
            self.meeting(
                unit, self.reception(unit, f"{tag}-tcd", self.day(year, month, 5, 25), (0, 2))
            )
        if month == 4:
            points = [unit, *self.rng.sample(below, k=min(len(below), 5))]
            self.meeting(
                unit,
                self.training(
                    unit,
                    f"{tag}-taphuan",
                    self.day(year, 4, 8, 24),
                    "Tập huấn nghiệp vụ cho đại biểu HĐND cấp xã",
                    points if self.rng.random() < 0.6 else [unit],
                ),
            )
        if month == 3:
            self.meeting(
                unit,
                self.conference(
                    f"{tag}-giaoban",
                    self.day(year, 3, 3, 14),
                    "briefing",
                    self.rng.randint(3, 9),
                    "Hội nghị giao ban Thường trực HĐND"
                    " huyện với Thường trực HĐND các xã, thị trấn",
                    below,
                ),
            )
        if month == 1 and self.rng.random() < 0.4:
            self.meeting(
                unit,
                self.delegate_report(
                    f"{tag}-bccutri", self.day(year, 1, 8, 24), "kết quả hoạt động năm 2024", None
                ),
            )
        # One supervision a district, Feb–May; a verification before the June session.
        if month == 2 + int(unit.code) % 4:
            plan = self.rng.choice(DISTRICT_PLANS)
            planned = self.day(year, month, 1, 10)
            self.supervision(
                unit,
                f"{tag}-gs",
                plan,
                planned,
                planned + timedelta(days=10),
                planned + timedelta(days=self.rng.randint(20, 35)),
                self.rng.randint(2, 4),
            )
        if month == 6 and self.rng.random() < 0.6:
            self.supervision_in_one_go(
                unit, f"{tag}-tt", VERIFY_MIDYEAR_DISTRICT, self.day(year, 6, 8, 14)
            )

    def legacy_commune_month(self, unit: Unit, tag: str, year: int, month: int) -> None:
        if self.rng.random() < 0.12:
            self.meeting(unit, self.standing(f"{tag}-tt", self.day(year, month)))
        if month == 3 + int(unit.code) % 2 and self.rng.random() < 0.04:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp bất thường thông qua chủ trương sắp xếp đơn vị hành chính cấp xã",
                    self.day(year, month, 5, 25),
                    "extraordinary",
                    (1, 3),
                ),
            )
        if month == 6 and self.rng.random() < 0.9:
            self.meeting(
                unit,
                self.session(
                    unit,
                    f"{tag}-kh",
                    "Kỳ họp thường lệ giữa năm 2025",
                    self.day(year, 6, 15, 27),
                    "regular",
                    (4, 9),
                ),
            )
        if month == 6 and self.rng.random() < 0.3:
            held = self.day(year, 6, 1, 14)
            self.meeting(
                unit,
                self.voter_contact(
                    unit,
                    f"{tag}-txct",
                    held,
                    True,
                    _local("Tổ đại biểu HĐND xã số 1", unit),
                    (1, 3),
                ),
            )
        if self.rng.random() < 0.09:
            self.meeting(unit, self.reception(unit, f"{tag}-tcd", self.day(year, month), (0, 2)))
        if month == 1 and self.rng.random() < 0.08:
            self.meeting(
                unit,
                self.delegate_report(
                    f"{tag}-bccutri", self.day(year, 1), "kết quả hoạt động năm 2024", None
                ),
            )
        if month == 4 and self.rng.random() < 0.05:
            self.meeting(unit, self.delegate_rating(unit, f"{tag}-nhanxet", self.day(year, 4)))
        if month == 6 and self.rng.random() < 0.1:
            self.supervision_in_one_go(
                unit, f"{tag}-tt", VERIFY_MIDYEAR_COMMUNE, self.day(year, 6, 5, 12)
            )

    def reform(self) -> None:
        top = self.top["2025"]
        communes = self.below(top)
        self.declarations(top, REFORM, (80, 95))
        for c in communes:
            self.declarations(c, REFORM, (35, 60))
        # After the August training the province's figures of delegates trained go up.
        for c in [top, *communes[::6]]:
            self.declarations(c, date(2025, 9, 1), (75, 95), staff_too=False)
        for unit in [top, *communes]:
            due_h1 = date(2025, 7, 15 if unit is top else 5)
            due_9m = date(2025, 10, 15 if unit is top else 5)
            self.report(
                unit, "2025-H1", due_h1, "Báo cáo kết quả hoạt động 6 tháng đầu năm 2025", (4, 20)
            )
            self.report(
                unit, "2025-9M", due_9m, "Báo cáo kết quả hoạt động 9 tháng năm 2025", (10, 15)
            )
        for year, month in REFORM_MONTHS:
            for unit in [top, *communes]:
                tag = f"s-2025-{unit.code}-{year}{month:02d}"
                if unit is top:
                    self.province_month(unit, tag, year, month)
                else:
                    self.commune_month(unit, tag, year, month)
        self.tasks(top, "2025-Q3", date(2025, 7, 3), date(2025, 9, 30), PROVINCE_TASKS[12:18], 0.6)
        self.tasks(top, "2025-Q4", date(2025, 10, 2), SAMPLE_END, PROVINCE_TASKS[18:26], 0.25)
        for c in communes:
            if self.rng.random() < 0.35:
                self.tasks(
                    c,
                    "2025-Q3",
                    date(2025, 7, self.rng.randint(3, 15)),
                    date(2025, 9, 30),
                    self.rng.sample(COMMUNE_TASKS, k=3),
                    0.6,
                )
        n = 0
        for c in communes:
            for _ in range(self.rng.choice([0, 1, 1, 2])):
                n += 1
                self.proposal(
                    c,
                    top,
                    n,
                    self.day(2025, self.rng.randint(7, 10)),
                    self.rng.choice(COMMUNE_PROPOSALS),
                    SAMPLE_END,
                )
        for i, unit in enumerate([top, *communes[:6]]):
            received = self.day(2025, self.rng.randint(7, 10))
            kind = self.pick(PETITION_WEIGHTS)
            self.petition_followup(unit, f"s-2025-{unit.code}-buuchinh-{i}", received, kind, False)

    def commune_month(self, unit: Unit, tag: str, year: int, month: int) -> None:
        if month == 7:  # the new council's first session, on the day the commune is established
            s = self.session(
                unit,
                f"{tag}-kh",
                "Kỳ họp thứ nhất HĐND " + _lower_first(unit.name),
                date(year, 7, 1),
                "regular",
                (6, 12),
            )
            if unit.code == self.below(self.top["2025"])[0].code:
                self.recorded_then_corrected(
                    unit,
                    s,
                    {"resolutions_adopted": s["resolutions_adopted"] + 2},
                    "Bổ sung 02 nghị quyết được thông qua tại kỳ họp",
                )
            elif self.rng.random() < 0.3:
                self.scheduled_then_held(unit, s, date(year, 7, 1))
            else:
                self.meeting(unit, s)
        if month in (9, 10) and self.rng.random() < 0.2:
            s = self.session(
                unit,
                f"{tag}-kh",
                "Kỳ họp chuyên đề HĐND " + _lower_first(unit.name),
                self.day(year, month, 5, 25),
                "thematic",
                (2, 5),
            )
            self.meeting(unit, s)
        if self.rng.random() < 0.35:
            self.meeting(unit, self.standing(f"{tag}-tt", self.day(year, month)))
        if month in (7, 8) and self.rng.random() < 0.3:
            held = self.day(year, month, 5, 28)
            g = _local(f"Tổ đại biểu HĐND xã số {self.rng.randint(1, 4)}", unit)
            self.meeting(unit, self.voter_contact(unit, f"{tag}-txct", held, False, g, (1, 4)))
        if month == 8 and unit.code in {u.code for u in self.below(self.top["2025"])[5:7]}:
            self.scheduled_then_cancelled(
                unit,
                f"{tag}-txct-hoan",
                "voter_contact",
                "Tiếp xúc cử tri sau kỳ họp thứ nhất",
                date(year, 8, 14),
                "Mưa lũ gây sạt lở, chia cắt đường giao thông đến các bản",
            )
        if self.rng.random() < 0.3:
            self.meeting(unit, self.reception(unit, f"{tag}-tcd", self.day(year, month), (0, 2)))
        if month == 8 and self.rng.random() < 0.12:
            r = self.delegate_report(
                f"{tag}-bccutri",
                self.day(year, 8),
                "kết quả kỳ họp thứ nhất",
                _local("Tổ đại biểu HĐND xã số 1", unit),
            )
            if not self.corrected_report:  # the voters were counted twice, then corrected
                self.corrected_report = True
                voters = r["voters_attending"]
                r = {**r, "voters_attending": voters * 2}
                why = "Cộng trùng số lượt cử tri dự"
                self.recorded_then_corrected(unit, r, {"voters_attending": voters}, why)
            else:
                self.meeting(unit, r)
        if month == 10 and self.rng.random() < 0.08:
            self.meeting(unit, self.delegate_rating(unit, f"{tag}-nhanxet", self.day(year, 10)))
        if month == 8 and self.rng.random() < 0.22:
            plan = self.rng.choice(COMMUNE_PLANS)
            planned = self.day(year, 8, 1, 10)
            finished = planned + timedelta(days=self.rng.randint(25, 45))
            self.supervision(
                unit,
                f"{tag}-gs",
                plan,
                planned,
                planned + timedelta(days=7),
                finished if self.rng.random() < 0.8 else None,
                self.rng.randint(1, 3),
            )


# -- texts of the oversight and coordination records ---------------------------------------------


def _plan(activity: str, title: str, body: str, field_: str, committee: str | None = None) -> Json:
    return {
        "activity": activity,
        "title": title,
        "body": body,
        **({"committee": committee} if committee else {}),
        "field": field_,
    }


# Per month: (plan, (days planned → started, days planned → finished)); -1: not yet.
PROVINCE_PLANS: dict[int, list[tuple[Json, tuple[int, int]]]] = {
    2: [
        (_plan("thematic_supervision", "Giám sát việc giải quyết đơn thư khiếu nại, tố cáo của"
               " công dân năm 2024", "standing_committee", "petitions"), (14, 50)),
        (_plan("survey", "Khảo sát tình hình sạt lở đất và công tác khắc phục hậu quả thiên tai",
               "committee", "other", "ethnic"), (7, 25)),
    ],
    3: [
        (_plan("verification", "Thẩm tra dự thảo nghị quyết điều chỉnh kế hoạch đầu tư công trung"
               " hạn giai đoạn 2021–2025", "committee", "investment_construction",
               "economy_budget"), (3, 30)),
    ],
    5: [
        (_plan("thematic_supervision", "Giám sát công tác bồi thường, giải phóng mặt bằng các dự"
               " án trọng điểm", "committee", "land", "economy_budget"), (10, 45)),
    ],
    6: [
        (_plan("verification", "Thẩm tra báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế –"
               " xã hội 6 tháng đầu năm 2025", "committee", "budget", "economy_budget"), (5, 25)),
        (_plan("verification", "Thẩm tra báo cáo công tác phòng, chống tội phạm và vi phạm pháp"
               " luật 6 tháng đầu năm", "committee", "other", "legal"), (5, 26)),
    ],
    8: [
        (_plan("thematic_supervision", "Giám sát việc thực hiện chính sách hỗ trợ giáo dục đối với"
               " học sinh vùng đồng bào dân tộc thiểu số", "committee", "education_health",
               "culture_society"), (10, 40)),
        (_plan("survey", "Khảo sát việc quản lý, sử dụng trụ sở, tài sản công dôi dư sau sắp xếp"
               " đơn vị hành chính", "committee", "budget", "economy_budget"), (5, 28)),
    ],
    9: [
        (_plan("verification", "Thẩm tra dự thảo nghị quyết quy định mức hỗ trợ đối với người"
               " hoạt động không chuyên trách ở thôn, bản", "committee", "social_policy",
               "culture_society"), (2, 18)),
        (_plan("thematic_supervision", "Giám sát việc thực hiện Chương trình mục tiêu quốc gia"
               " giảm nghèo bền vững", "delegate_group", "social_policy"), (15, -1)),
    ],
    10: [
        (_plan("thematic_supervision", "Giám sát công tác tiếp công dân và giải quyết kiến nghị"
               " của cử tri sau sắp xếp", "standing_committee", "citizen_reception"), (-1, -1)),
    ],
}  # fmt: skip
DISTRICT_PLANS = [
    _plan("thematic_supervision", "Giám sát việc cấp giấy chứng nhận quyền sử dụng đất",
          "committee", "land", "economy_society"),
    _plan("thematic_supervision", "Giám sát việc giải quyết đơn thư của công dân",
          "standing_committee", "petitions"),
    _plan("survey", "Khảo sát chất lượng công trình giao thông nông thôn", "committee",
          "investment_construction", "economy_society"),
    _plan("thematic_supervision", "Giám sát việc thực hiện chính sách bảo trợ xã hội",
          "committee", "social_policy", "legal"),
]  # fmt: skip
COMMUNE_PLANS = [
    _plan("thematic_supervision", "Giám sát việc thực hiện chính sách hỗ trợ nhà ở cho hộ nghèo",
          "committee", "social_policy", "culture_society"),
    _plan("thematic_supervision", "Giám sát công tác tiếp công dân của UBND xã",
          "delegate_group", "citizen_reception"),
    _plan("survey", "Khảo sát tình hình hoạt động của trạm y tế và các điểm trường",
          "committee", "education_health", "culture_society"),
    _plan("thematic_supervision", "Giám sát việc quản lý, sử dụng đất công", "committee", "land",
          "economy_budget"),
]  # fmt: skip
VERIFY_MIDYEAR_DISTRICT = _plan(
    "verification",
    "Thẩm tra báo cáo kinh tế – xã hội 6 tháng đầu năm 2025 của UBND huyện",
    "committee",
    "budget",
    "economy_society",
)
VERIFY_MIDYEAR_COMMUNE = _plan(
    "verification",
    "Thẩm tra dự thảo nghị quyết phê duyệt quyết toán ngân sách xã năm 2024",
    "committee",
    "budget",
    "economy_society",
)
FINDINGS = [
    "Cơ bản thực hiện đúng quy định; còn chậm giải quyết một số vụ việc tồn đọng.",
    "Đã triển khai đầy đủ; công tác phối hợp giữa các cơ quan còn hạn chế, hồ sơ lưu trữ chưa"
    " đầy đủ.",
    "Kết quả đạt khá; một số chỉ tiêu chưa đạt kế hoạch do thiếu nguồn lực và ảnh hưởng của"
    " thiên tai.",
]
RECOMMENDATIONS = [
    "Đề nghị {a} chỉ đạo giải quyết dứt điểm các vụ việc tồn đọng, báo cáo kết quả về Thường"
    " trực HĐND.",
    "Đề nghị {a} rà soát, bổ sung kinh phí và hướng dẫn thực hiện thống nhất.",
    "Đề nghị {a} tăng cường kiểm tra, xử lý nghiêm các sai phạm được phát hiện qua giám sát.",
    "Đề nghị {a} công khai kết quả thực hiện và trả lời cử tri bằng văn bản.",
]
PROVINCE_TASKS = [
    # Q1
    "Tổ chức kỳ họp chuyên đề HĐND tỉnh tháng 2",
    "Giám sát việc giải quyết đơn thư khiếu nại, tố cáo năm 2024",
    "Tổ chức hội nghị giao ban Thường trực HĐND tỉnh với cấp huyện",
    "Tập huấn kỹ năng giám sát cho đại biểu HĐND tỉnh và cấp huyện",
    "Tổng hợp, đôn đốc giải quyết kiến nghị cử tri sau kỳ họp cuối năm 2024",
    "Tiếp công dân định kỳ theo quy định",
    # Q2
    "Tổ chức kỳ họp bất thường thông qua Đề án sắp xếp đơn vị hành chính cấp xã",
    "Thẩm tra các báo cáo, dự thảo nghị quyết trình kỳ họp giữa năm",
    "Tổ chức tiếp xúc cử tri trước kỳ họp giữa năm",
    "Hướng dẫn HĐND cấp huyện kết thúc hoạt động",
    "Giám sát công tác bồi thường, giải phóng mặt bằng các dự án trọng điểm",
    "Chuẩn bị nội dung kỳ họp thường lệ giữa năm 2025",
    # Q3
    "Tổ chức kỳ họp thường lệ giữa năm 2025",
    "Hướng dẫn HĐND cấp xã mới kiện toàn tổ chức, ban hành quy chế hoạt động",
    "Bồi dưỡng kỹ năng hoạt động cho đại biểu HĐND cấp xã",
    "Tổ chức tiếp xúc cử tri sau kỳ họp giữa năm",
    "Giám sát chính sách hỗ trợ giáo dục vùng đồng bào dân tộc thiểu số",
    "Tổ chức hội nghị giao ban với Thường trực HĐND các xã, phường",
    # Q4: the 8 main tasks of the fourth quarter
    "Chuẩn bị nội dung kỳ họp thường lệ cuối năm 2025",
    "Thẩm tra dự toán ngân sách địa phương năm 2026",
    "Giám sát công tác tiếp công dân và giải quyết kiến nghị của cử tri",
    "Tổ chức tiếp xúc cử tri trước kỳ họp cuối năm",
    "Tổng kết hoạt động của HĐND tỉnh nhiệm kỳ 2021–2026",
    "Chuẩn bị công tác bầu cử đại biểu HĐND nhiệm kỳ 2026–2031",
    "Đôn đốc thực hiện kiến nghị sau giám sát năm 2025",
    "Xây dựng chương trình giám sát năm 2026",
]
DISTRICT_TASKS = [
    "Tổ chức kỳ họp cuối cùng của HĐND huyện",
    "Bàn giao hồ sơ, tài liệu của HĐND huyện",
    "Giám sát việc giải quyết đơn thư của công dân",
    "Tổ chức tiếp xúc cử tri trước kỳ họp giữa năm",
    "Tổng kết hoạt động của HĐND huyện nhiệm kỳ 2021–2025",
    "Hướng dẫn HĐND các xã chuẩn bị sắp xếp đơn vị hành chính",
]
COMMUNE_TASKS = [
    "Kiện toàn các Ban của HĐND xã",
    "Ban hành quy chế hoạt động của HĐND xã",
    "Tổ chức tiếp xúc cử tri sau kỳ họp thứ nhất",
    "Xây dựng chương trình giám sát 6 tháng cuối năm",
    "Tiếp công dân định kỳ tại trụ sở HĐND xã",
]
LEGACY_COMMUNE_PROPOSALS = [
    "Kiến nghị hỗ trợ kinh phí sửa chữa đường giao thông nông thôn bị sạt lở",
    "Đề xuất bổ sung công chức giúp việc HĐND xã",
    "Kiến nghị hướng dẫn bàn giao hồ sơ, tài liệu khi sắp xếp đơn vị hành chính",
    "Kiến nghị hỗ trợ kinh phí tổ chức kỳ họp bất thường về sắp xếp đơn vị hành chính",
    "Đề xuất tập huấn nghiệp vụ cho đại biểu HĐND xã",
]
DISTRICT_PROPOSALS = [
    "Kiến nghị hướng dẫn kết thúc hoạt động của HĐND cấp huyện",
    "Đề xuất phương án bố trí cán bộ chuyên trách HĐND sau sắp xếp",
    "Kiến nghị bố trí kinh phí khắc phục hậu quả mưa lũ",
]
COMMUNE_PROPOSALS = [
    "Kiến nghị bố trí kinh phí hoạt động của HĐND xã năm 2025 sau sắp xếp",
    "Đề xuất hướng dẫn thống nhất mẫu báo cáo định kỳ của HĐND cấp xã",
    "Kiến nghị hỗ trợ trang thiết bị phục vụ kỳ họp trực tuyến",
    "Kiến nghị sớm tổ chức bồi dưỡng cho đại biểu HĐND xã mới",
    "Đề xuất hướng dẫn bố trí trụ sở làm việc của HĐND xã",
]
PROPOSAL_ANSWERS = [
    "Thường trực HĐND {u} đã đề nghị UBND xem xét, bố trí kinh phí trong dự toán năm 2026.",
    "Thường trực HĐND {u} đã có văn bản hướng dẫn thực hiện.",
    "Nội dung kiến nghị đã được tổng hợp, trình kỳ họp gần nhất xem xét.",
]


def sample_chains(
    hierarchy: Hierarchy, province: str = SAMPLE_PROVINCE, seed: int = 2025
) -> list[Chain]:
    """Every chain of the sample, in the order they are recorded."""
    return Sample(hierarchy, province, seed).build()


def sample_posts(
    hierarchy: Hierarchy, province: str = SAMPLE_PROVINCE, seed: int = 2025
) -> list[Post]:
    """Every POST of the sample, in order."""
    return [p for c in sample_chains(hierarchy, province, seed) for p in c.posts]


# -- loading -------------------------------------------------------------------------------------


@dataclass
class _Loader:
    clients: Mapping[str, httpx.AsyncClient]
    outcome: dict[str, int]
    advance: Callable[[int], None]
    say: Callable[[str], None]
    semaphore: asyncio.Semaphore
    done: list[asyncio.Event]

    async def probe(self, probe: Probe) -> int:
        """How far along its stages the chain's item is: -1 when it does not exist."""
        client = self.clients[probe.service]
        deadline = time.monotonic() + (OPENED_WITHIN if probe.opened_by_service else 0)
        while True:
            async with self.semaphore:
                r = await client.get(probe.path)
            if r.status_code == 200:
                value = r.json().get(probe.key)
                if value in probe.order:
                    return probe.order.index(value)
                self.say(f"[red]{probe.path}[/red] is {value}, not one of {probe.order}")
                return -2
            if r.status_code != 404 or time.monotonic() > deadline:
                if probe.opened_by_service or r.status_code != 404:
                    self.say(f"[red]{r.status_code}[/red] GET {probe.path}: {r.text[:300]}")
                    return -2
                return -1
            await asyncio.sleep(0.3)  # the service opens it once it has read the meeting

    async def post(self, post: Post) -> httpx.Response:
        """POST, retried on a server error: every record has its id, so a retry of one that
        was written after all answers "unchanged" and counts nothing twice."""
        for attempt in range(RETRIES + 1):
            async with self.semaphore:
                r = await self.clients[post.service].post(post.path, json=post.body)
            if r.status_code < 500 or attempt == RETRIES:
                return r
            self.say(f"[yellow]{r.status_code}[/yellow] {post.path}: {r.text[:100]}; retrying")
            await asyncio.sleep(1 + attempt)
        raise AssertionError("unreachable")

    async def chain(self, index: int, chain: Chain) -> None:
        try:
            if chain.after is not None:
                await self.done[chain.after].wait()
            await self.steps(chain)
        finally:
            self.done[index].set()

    async def steps(self, chain: Chain) -> None:
        reached = -1 if chain.probe is None else await self.probe(chain.probe)
        if reached == -2:  # never opened, or unreadable: its steps cannot be taken
            self.outcome["refused"] += len(chain.posts)
            self.advance(len(chain.posts))
            return
        for post in chain.posts:
            if chain.probe and post.stage and chain.probe.order.index(post.stage) <= reached:
                self.outcome["unchanged"] += 1
                self.advance(1)
                continue
            r = await self.post(post)
            self.advance(1)
            if r.status_code in (200, 201):  # oversight's steps answer 200 either way
                fresh = r.json().get("status") != "unchanged"
                self.outcome["recorded" if fresh else "unchanged"] += 1
            else:  # the steps after it cannot be taken
                left = len(chain.posts) - chain.posts.index(post) - 1
                self.outcome["refused"] += 1 + left
                self.advance(left)
                self.say(f"[red]{r.status_code}[/red] {post.path}: {r.text[:300]}")
                return


def within(chains: list[Chain], units: Collection[str]) -> list[Chain]:
    """The chains recorded for `units` (codes of either era): a smaller sample, for tests."""
    kept: dict[int, int] = {}
    out: list[Chain] = []
    for i, c in enumerate(chains):
        if c.posts[0].path.split("/")[2] in units and (c.after is None or c.after in kept):
            kept[i] = len(out)
            out.append(c if c.after is None else replace(c, after=kept[c.after]))
    return out


def _interleaved(chains: list[tuple[int, Chain]]) -> list[tuple[int, Chain]]:
    """The chains of each service in turn, so that all three services work at once."""
    by_service: dict[str, list[tuple[int, Chain]]] = {}
    for i, c in chains:
        by_service.setdefault(c.posts[0].service, []).append((i, c))
    queues = list(by_service.values())
    out: list[tuple[int, Chain]] = []
    for n in range(max((len(q) for q in queues), default=0)):
        out += [q[n] for q in queues if n < len(q)]
    return out


async def record_sample(
    clients: Mapping[str, httpx.AsyncClient],
    hierarchy: Hierarchy,
    province: str = SAMPLE_PROVINCE,
    *,
    before_followups: Callable[[], Awaitable[object]] | None = None,
    show_progress: bool = True,
    concurrency: int = CONCURRENCY,
    units: Collection[str] | None = None,
) -> dict[str, int]:
    """Record the sample through `clients` ("meetings", "oversight", "reporting": each bound
    to its service, with a secretary's token of the province); count the outcomes.

    Every chain runs as soon as a request slot is free, except the follow-ups of the voter
    opinions and petitions the oversight service opens from a meeting (they wait for it, then
    for the item to appear) and, last, the recommendations implemented after their deadline.
    `before_followups` runs before those (a test sweeps overdue recommendations there, as the
    service does hourly). `units` limits the sample to the records of those units."""
    chains = sample_chains(hierarchy, province)
    if units is not None:
        chains = within(chains, units)
    total = sum(len(c.posts) for c in chains)
    outcome = {"recorded": 0, "unchanged": 0, "refused": 0, "posts": total}
    columns = (
        TextColumn("[bold]Nạp dữ liệu mẫu"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("sample", total=total)
        loader = _Loader(
            clients,
            outcome,
            lambda n: progress.advance(task, n),
            progress.console.print,
            asyncio.Semaphore(concurrency),
            [asyncio.Event() for _ in chains],
        )
        for late in (False, True):
            if late and before_followups is not None:
                await before_followups()
            phase = _interleaved([(i, c) for i, c in enumerate(chains) if c.late == late])
            await asyncio.gather(*(loader.chain(i, c) for i, c in phase))
    outcome["seconds"] = round(time.monotonic() - started)
    return outcome


def load_sample(
    base_urls: dict[str, str],
    hierarchy: Hierarchy,
    province: str = SAMPLE_PROVINCE,
    *,
    token: str,
) -> dict[str, int]:
    """POST the sample through the services' APIs with a progress bar; count the outcomes
    (recorded, unchanged, refused; and posts, seconds).

    `token` is a bearer token of a secretary of the province, which covers every unit below
    it in both eras."""

    async def run() -> dict[str, int]:
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            name: httpx.AsyncClient(base_url=url, headers=headers, timeout=60)
            for name, url in base_urls.items()
        }
        try:
            return await record_sample(clients, hierarchy, province)
        finally:
            for client in clients.values():
                await client.aclose()

    return asyncio.run(run())
