"""The deadline rules a deployment starts with, each with its source (README, "Deadlines").

- Cut-off periods (thời gian chốt số liệu): Nghị định 09/2019/NĐ-CP, Điều 12: 6 months from
  15/12 of the previous year to 14/06; a year from 15/12 of the previous year to 14/12; a
  quarter from the 15th of the month before it to the 14th of its last month. No 9-month rule
  there: it is derived from the quarterly rule (15/12 of the previous year to 14/09), and the
  end-of-term report's likewise (the 15th of the month before the term to the 14th of its last
  month); both are marked `derived`.
- When a report is due: no national deadline for the periodic reports of People's Councils to
  the level above was found; hdnd's default is its own convention, lower levels first so each
  level compiles its own from the reports below it: day 5 (commune), 10 (district), 15
  (province) of the month after the period. A deployment may set instead a number of days
  after the cut-off, or a number of days before the session the report is for.
- Voter opinions forwarded to an agency and not answered: no national time limit for opinions
  a People's Council forwards was found (provinces set their own, e.g. Bắc Kạn's Quyết định
  62/2017/QĐ-UBND); the default, 40 days, is that of Quyết định 33/2017/QĐ-TTg, Điều 12, for
  voters' petitions the National Assembly forwards to ministries and provinces. Nghị quyết
  594/NQ-UBTVQH15 was not found in the sources searched.
- Petitions transferred and not settled: 30 days, the time limit for settling a first
  complaint (Luật Khiếu nại 2011, Điều 28) and a denunciation (Luật Tố cáo 2018, Điều 30),
  counted there from acceptance (thụ lý, within 10 days of receipt, Luật Khiếu nại Điều 27),
  here from the transfer; complex cases may be extended by law, which the rule does not see.
- Reminders 7 and 1 days before; the level above told the day after; a weekly digest on
  Mondays: hdnd's defaults (issue 22), no legal source.
"""

from __future__ import annotations

from contracts.notifications import CutOff, DeadlineRules, ItemRule, PerLevel, ReportDue

ND09 = "Nghị định 09/2019/NĐ-CP, Điều 12"
DEFAULT_RULES = DeadlineRules(
    cutoffs={
        "first_half": CutOff(source=f"{ND09}, khoản 3 (báo cáo định kỳ 6 tháng)"),
        "nine_months": CutOff(
            derived=True,
            source=f"Suy ra từ {ND09}, khoản 2 (báo cáo định kỳ hằng quý): Nghị định không"
            " quy định báo cáo 9 tháng",
        ),
        "year": CutOff(source=f"{ND09}, khoản 4 (báo cáo định kỳ hằng năm)"),
        "term": CutOff(
            derived=True,
            source=f"Suy ra từ {ND09}: Nghị định không quy định báo cáo nhiệm kỳ",
        ),
    },
    report_due=ReportDue(
        mode="month_after",
        day_of_month_after=PerLevel(commune=5, district=10, province=15),
        days_after_cutoff=PerLevel(commune=21, district=26, province=31),
        days_before_session=10,
        source="Quy ước của hdnd (không tìm thấy quy định chung về hạn gửi báo cáo định kỳ"
        " của HĐND lên cấp trên): cấp xã ngày 05, cấp huyện ngày 10, cấp tỉnh ngày 15 của"
        " tháng sau kỳ báo cáo",
    ),
    opinion_answer=ItemRule(
        days=40,
        source="Theo Quyết định 33/2017/QĐ-TTg, Điều 12 (kiến nghị cử tri do Quốc hội chuyển"
        " đến: 40 ngày); không tìm thấy thời hạn chung cho ý kiến cử tri do HĐND chuyển",
    ),
    petition_settle=ItemRule(
        days=30,
        source="Luật Khiếu nại 2011, Điều 28; Luật Tố cáo 2018, Điều 30 (30 ngày kể từ ngày"
        " thụ lý); ở đây tính từ ngày chuyển đơn",
    ),
    remind_days_before=[7, 1],
    escalate_days_after=1,
    digest_weekday=0,
    look_back_days=30,
)
