"""January–June 2025 under the three-level administration."""

from __future__ import annotations

from datetime import date, timedelta

from deploy.sample.posts import (
    LEGACY_MONTHS,
    REFORM,
    SAMPLE_END,
    Json,
)
from deploy.sample.province import ProvinceMonths
from deploy.sample.texts import (
    DISTRICT_PLANS,
    DISTRICT_PROPOSALS,
    DISTRICT_TASKS,
    LEGACY_COMMUNE_PROPOSALS,
    PETITION_WEIGHTS,
    PROVINCE_TASKS,
    VERIFY_MIDYEAR_COMMUNE,
    VERIFY_MIDYEAR_DISTRICT,
    local,
    lower_first,
)
from services.common.hierarchy import Unit

# A district's sessions of the legacy era: title (before the council's name), month, the days
# it may fall on, and how many resolutions it adopts.
DISTRICT_SESSIONS: dict[str, tuple[str, int, tuple[int, int], tuple[int, int]]] = {
    "extraordinary": ("Kỳ họp bất thường HĐND ", 3, (10, 25), (2, 5)),
    "regular": ("Kỳ họp thường lệ giữa năm, kỳ họp cuối cùng của HĐND ", 6, (16, 27), (8, 15)),
}


class LegacyMonths(ProvinceMonths):
    """The legacy months: the province, its districts and their communes."""

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

    def district_session(self, unit: Unit, tag: str, year: int, session_type: str) -> Json:
        """A district's session of the legacy era: an extraordinary one in March, the last
        regular one in June (DISTRICT_SESSIONS)."""
        title, month, days, resolutions = DISTRICT_SESSIONS[session_type]
        held = self.day(year, month, *days)
        return self.session(
            unit, f"{tag}-kh", title + lower_first(unit.name), held, session_type, resolutions
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
            self.meeting(unit, self.district_session(unit, tag, year, "extraordinary"))
        if month == 6:
            s = self.district_session(unit, tag, year, "regular")
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
                    local("Tổ đại biểu HĐND xã số 1", unit),
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
