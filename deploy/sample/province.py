"""A month of the province council."""

from __future__ import annotations

from datetime import date, timedelta

from deploy.sample.records import Records
from deploy.sample.texts import PROVINCE_PLANS
from services.common.hierarchy import Unit

PROVINCE_SESSIONS: dict[int, tuple[str, int, str, tuple[int, int]]] = {
    2: ("Kỳ họp chuyên đề HĐND tỉnh", 20, "thematic", (8, 14)),
    4: (
        "Kỳ họp bất thường thông qua Đề án sắp xếp đơn vị hành chính cấp xã",
        25,
        "extraordinary",
        (3, 6),
    ),
    7: ("Kỳ họp thường lệ giữa năm 2025 HĐND tỉnh", 10, "regular", (18, 30)),
    9: ("Kỳ họp chuyên đề HĐND tỉnh về chương trình mục tiêu quốc gia", 26, "thematic", (4, 9)),
}
"""The province council's sessions by month: title, day, kind and how many resolutions (a range)."""

PROVINCE_CONFERENCES: dict[int, tuple[str, int, str, int, str, int | None]] = {
    1: ("giaoban", 16, "briefing", 5, "Hội nghị giao ban Thường trực HĐND tỉnh với Thường trực"
        " HĐND các huyện, thành phố lần thứ năm", None),
    4: ("traodoi", 11, "experience_exchange", 2,
        "Hội nghị trao đổi kinh nghiệm hoạt động của HĐND các cấp", None),
    9: ("giaoban", 12, "briefing", 1, "Hội nghị giao ban Thường trực HĐND tỉnh với Thường trực"
        " HĐND các xã, phường lần thứ nhất", None),
    10: ("toadam2", 8, "roundtable", 1,
         "Tọa đàm về hoạt động giám sát của HĐND cấp xã sau sắp xếp", 12),
}  # fmt: skip
"""The province council's conferences between levels by month: id suffix, day, kind, ordinal,
title, and how many of the units below take part (None: all)."""

AD_HOC_STANDING = {6: " về sắp xếp đơn vị hành chính", 7: " về kiện toàn tổ chức sau sắp xếp"}
"""The topics of the province's ad hoc standing committee meetings, by month."""
TRAININGS = {
    3: "Tập huấn kỹ năng giám sát chuyên đề cho đại biểu HĐND tỉnh và cấp huyện",
    8: "Bồi dưỡng kỹ năng hoạt động cho đại biểu HĐND cấp xã sau sắp xếp",
}
"""The province's trainings by month, with bridge points in every unit below."""


class ProvinceMonths(Records):
    """What the province council records in a month, in either era."""

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
        if month in AD_HOC_STANDING:
            held = self.day(year, month, 15, 27)
            self.meeting(unit, self.standing(f"{tag}-ttdx", held, True, AD_HOC_STANDING[month]))
        # Sessions: thematic in February and September, extraordinary in April (the reform
        # could not wait), the regular mid-year session in July (scheduled, then held).
        if month in PROVINCE_SESSIONS:
            title, day, kind, resolutions = PROVINCE_SESSIONS[month]
            s = self.session(unit, f"{tag}-kh", title, date(year, month, day), kind, resolutions)
            if month == 7:
                self.scheduled_then_held(unit, s, date(year, 7, 9))
            else:
                self.meeting(unit, s)
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
        if month in TRAININGS:
            held = self.day(year, month, 10, 20)
            training = self.training(unit, f"{tag}-taphuan", held, TRAININGS[month], [unit, *below])
            self.meeting(unit, training)
        if month == 10:
            self.scheduled_then_cancelled(
                unit,
                f"{tag}-toadam",
                "conference",
                "Tọa đàm nâng cao chất lượng hoạt động của Tổ đại biểu HĐND tỉnh",
                date(year, 10, 24),
                "Lùi sang quý I năm 2026 do tập trung chuẩn bị kỳ họp cuối năm",
            )
        # Conferences between levels.
        if month in PROVINCE_CONFERENCES:
            name, day, kind, ordinal, title, invited = PROVINCE_CONFERENCES[month]
            held = date(year, month, day)
            self.meeting(
                unit, self.conference(f"{tag}-{name}", held, kind, ordinal, title, below[:invited])
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
