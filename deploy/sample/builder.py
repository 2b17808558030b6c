"""The state of a sample being built, its helpers, and the meeting records."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from deploy.sample.posts import (
    SAMPLE_END,
    SAMPLE_PROVINCE,
    TERM,
    Chain,
    Json,
    Post,
    Probe,
)
from deploy.sample.texts import (
    FIELD_WEIGHTS,
    OPINION_ANSWERS,
    OPINION_RESULTS,
    OPINIONS,
    PETITION_OUTCOMES,
    PETITION_WEIGHTS,
    PETITIONS,
    VILLAGES,
    department,
    lower_first,
    ubnd,
)
from services.common.hierarchy import Hierarchy, Unit


def meeting(kind: str, mid: str, title: str, held: date, **fields: object) -> Json:
    """A meeting record: the four fields every kind leads with, then the kind's own."""
    return {"kind": kind, "meeting_id": mid, "title": title, "held_on": held.isoformat(), **fields}


@dataclass
class SampleBase:
    """The sample's seeded state and helpers, and how each kind of meeting is recorded."""

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
        return meeting(
            "session",
            mid,
            title,
            held,
            session_type=session_type,
            term=TERM,
            number_in_term=number if number is not None else self.next_number(unit),
            delegates_elected=seats,
            delegates_present=seats - self.rng.randint(0, max(1, seats // 10)),
            resolutions_adopted=self.rng.randint(*resolutions),
            questioning_held=questioning,
            questions_asked=self.rng.randint(3, 12) if questioning else 0,
        )

    def agencies(self, unit: Unit, field_: str, day: date) -> str:
        """The agency an opinion or a recommendation of `unit`'s council is addressed to."""
        province = self.top[unit.era]
        if unit.level == "province" or self.rng.random() < 0.45:
            return department(field_, province, day)
        if unit.level == "commune" and unit.era == "legacy" and self.rng.random() < 0.6:
            assert unit.parent is not None
            return ubnd(self.hierarchy.unit(unit.parent, "legacy"))
        return ubnd(unit)

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
        return meeting(
            "voter_contact",
            mid,
            "Tiếp xúc cử tri " + ("trước kỳ họp" if before else "sau kỳ họp") + f" của {group}",
            held,
            timing="before_session" if before else "after_session",
            delegate_group=group,
            voters_attending=self.rng.randint(45, 160) + 12 * n,
            opinions_raised=n,
            opinions=items,
        )

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
        return meeting(
            "citizen_reception",
            mid,
            "Tiếp công dân "
            + ("định kỳ" if periodic else "đột xuất")
            + f" tháng {held.month}/{held.year}",
            held,
            reception_type="periodic" if periodic else "ad_hoc",
            citizens_received=n + self.rng.randint(0, 9),
            petitions_received=n,
            petitions=items,
        )

    def standing(self, mid: str, held: date, ad_hoc: bool = False, topic: str = "") -> Json:
        title = f"Phiên họp Thường trực HĐND {'đột xuất' if ad_hoc else 'thường kỳ'}"
        return meeting(
            "standing_committee",
            mid,
            f"{title} tháng {held.month}/{held.year}{topic}",
            held,
            meeting_type="ad_hoc" if ad_hoc else "regular",
        )

    def delegate_report(self, mid: str, held: date, what: str, group: str | None) -> Json:
        return meeting(
            "delegate_report",
            mid,
            f"Đại biểu HĐND báo cáo với cử tri {what}",
            held,
            **({"delegate_group": group} if group else {}),
            delegates_reporting=self.rng.randint(2, 6),
            voters_attending=self.rng.randint(60, 220),
        )

    def delegate_rating(self, unit: Unit, mid: str, held: date) -> Json:
        rated = self.rng.randint(2, 5)
        voters = self.rng.randint(40, 120)
        given = rated * self.rng.randint(voters // 2, voters)
        good = given * self.rng.randint(70, 90) // 100
        fair = (given - good) * 4 // 5
        return meeting(
            "delegate_rating",
            mid,
            "Hội nghị lấy ý kiến nhận xét của cử tri nơi cư trú đối với đại biểu HĐND "
            + lower_first(unit.name),
            held,
            delegates_rated=rated,
            voters_participating=voters,
            ratings={"good": good, "fair": fair, "poor": given - good - fair},
        )

    def training(self, unit: Unit, mid: str, held: date, title: str, points: list[Unit]) -> Json:
        online = len(points) > 1
        bridge = []
        for p in points:
            attendees = self.rng.randint(40, 90) if p is unit else self.rng.randint(12, 45)
            delegates = attendees * self.rng.randint(55, 85) // 100
            bridge.append({"unit": p.code, "attendees": attendees, "delegates": delegates})
        return meeting(
            "training",
            mid,
            title,
            held,
            format="online" if online else "in_person",
            topics=self.rng.sample(
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
            bridge_points=bridge,
        )

    def conference(
        self, mid: str, held: date, kind: str, ordinal: int, title: str, units: list[Unit]
    ) -> Json:
        return meeting(
            "conference",
            mid,
            title,
            held,
            conference_type=kind,
            ordinal=ordinal,
            participating_units=[u.code for u in units],
            topics=self.rng.sample(
                [
                    "Kết quả hoạt động của HĐND các cấp trong quý",
                    "Chuẩn bị nội dung kỳ họp",
                    "Công tác giám sát và giải quyết kiến nghị của cử tri",
                    "Sắp xếp đơn vị hành chính và kiện toàn tổ chức HĐND",
                    "Kinh nghiệm tổ chức tiếp xúc cử tri",
                ],
                k=2,
            ),
        )

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
                agency = f"Thanh tra {lower_first(self.top[unit.era].name)}"
            elif unit.level == "commune" and unit.era == "legacy" and unit.parent:
                agency = ubnd(self.hierarchy.unit(unit.parent, "legacy"))
            else:
                agency = ubnd(unit)
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
