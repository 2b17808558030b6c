"""July–October 2025 under the two-level administration."""

from __future__ import annotations

from datetime import date, timedelta

from deploy.sample.posts import (
    REFORM,
    REFORM_MONTHS,
    SAMPLE_END,
)
from deploy.sample.province import ProvinceMonths
from deploy.sample.texts import (
    COMMUNE_PLANS,
    COMMUNE_PROPOSALS,
    COMMUNE_TASKS,
    PETITION_WEIGHTS,
    PROVINCE_TASKS,
    local,
    lower_first,
)
from services.common.hierarchy import Unit


class ReformMonths(ProvinceMonths):
    """The months since the reform: the province and its new communes."""

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
                "Kỳ họp thứ nhất HĐND " + lower_first(unit.name),
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
                "Kỳ họp chuyên đề HĐND " + lower_first(unit.name),
                self.day(year, month, 5, 25),
                "thematic",
                (2, 5),
            )
            self.meeting(unit, s)
        if self.rng.random() < 0.35:
            self.meeting(unit, self.standing(f"{tag}-tt", self.day(year, month)))
        if month in (7, 8) and self.rng.random() < 0.3:
            held = self.day(year, month, 5, 28)
            g = local(f"Tổ đại biểu HĐND xã số {self.rng.randint(1, 4)}", unit)
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
                local("Tổ đại biểu HĐND xã số 1", unit),
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
