"""Figures from the notifier (contracts.notifications): how often the people of a unit were
reminded of a deadline ("đã nhắc") and how often the level above was told that the unit was
late ("đã báo cáo cấp trên"), counted for the unit reminded or late, on the day it was sent.
Digests and answers coming down count nothing; nor does a change of the deadline rules."""

from __future__ import annotations

from typing import assert_never

from contracts import Decoded
from contracts.notifications import DeadlineRulesChanged, NoticeKind, NotificationSent
from services.reporting.read.figures.base import Contribution, folds
from services.reporting.read.figures.catalogue import Figure, Group, Section, counts

FIGURES = Section()
REMINDERS_SENT = FIGURES.count(
    "reminders_sent", "Lượt nhắc hạn đã gửi (đã nhắc)", Group.NOTIFICATIONS, "lượt"
)
ESCALATIONS_SENT = FIGURES.count(
    "escalations_sent",
    "Lượt báo cáo cấp trên về việc quá hạn (đã báo cáo cấp trên)",
    Group.NOTIFICATIONS,
    "lượt",
)


def _counted(kind: NoticeKind) -> Figure | None:
    match kind:
        case "reminder":
            return REMINDERS_SENT
        case "escalation":
            return ESCALATIONS_SENT
        case "digest" | "answer":
            return None
        case _:
            assert_never(kind)


@folds(NotificationSent)
def notification_sent(decoded: Decoded[NotificationSent]) -> list[Contribution]:
    sent = decoded.payload
    figure = _counted(sent.kind)
    if figure is None:
        return []
    return [Contribution(unit, sent.sent_on, counts((figure, 1))) for unit in sent.units]


@folds(DeadlineRulesChanged)
def deadline_rules_changed(_: Decoded[DeadlineRulesChanged]) -> list[Contribution]:
    return []  # the rules are read by the notifier and the coordination extra, not counted
