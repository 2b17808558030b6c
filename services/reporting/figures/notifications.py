"""Figures from the notifier (contracts.notifications): how often the people of a unit were
reminded of a deadline ("đã nhắc") and how often the level above was told that the unit was
late ("đã báo cáo cấp trên"), counted for the unit reminded or late, on the day it was sent.
Digests and answers coming down count nothing; nor does a change of the deadline rules."""

from __future__ import annotations

from collections import Counter

from contracts import Decoded
from contracts.notifications import DeadlineRulesChanged, NotificationSent
from services.reporting.figures.base import Contribution, folds

LABELS: dict[str, str] = {
    "reminders_sent": "Lượt nhắc hạn đã gửi (đã nhắc)",
    "escalations_sent": "Lượt báo cáo cấp trên về việc quá hạn (đã báo cáo cấp trên)",
}
_COUNTED = {"reminder": "reminders_sent", "escalation": "escalations_sent"}


@folds(NotificationSent)
def notification_sent(decoded: Decoded[NotificationSent]) -> list[Contribution]:
    sent = decoded.payload
    figure = _COUNTED.get(sent.kind)
    if figure is None:
        return []
    return [Contribution(unit, sent.sent_on, Counter({figure: 1})) for unit in sent.units]


@folds(DeadlineRulesChanged)
def deadline_rules_changed(_: Decoded[DeadlineRulesChanged]) -> list[Contribution]:
    return []  # the rules are read by the notifier and the coordination extra, not counted
