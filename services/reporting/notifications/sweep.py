"""The sweep: what is due, late or answered today, decided into notices exactly once.

Each run reads, by the injected clock's today: the periodic reports owed by the units this
instance serves (by the deadline rules in force, not yet filed: the coordination store), the
items waiting on an agency and the answers to tell (the notifier's own projection), and
decides the notices due (services.reporting.notifications.notices). Each notice is written
with a notification per person of its unit (services.reporting.notifications.recipients), the
e-mails they chose and its `notification.sent` event, in one transaction whose key is the
notice: a run that decides it again (every run does, until its window passes), a crash and a
restart between two notices, or two notifiers at once, write it once. Nothing in memory
survives a run, so a process killed mid-sweep loses nothing: the next run decides the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.notifications import DeadlineRules
from services.common.clock import Clock, today_of
from services.common.hierarchy import Hierarchy, Unit
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.settings import Settings
from services.reporting.coordination.domain import obligations_around
from services.reporting.coordination.store import CoordinationStore
from services.reporting.deadlines.service import Deadlines
from services.reporting.document.numbers import vn_date
from services.reporting.identity.store import IdentityStore
from services.reporting.notifications import notices as decided
from services.reporting.notifications.mail import compose
from services.reporting.notifications.notices import Deadline, Notice
from services.reporting.notifications.recipients import level_above, people_of
from services.reporting.notifications.store import NotificationStore

log = get_logger()
ITEM_WHAT = {
    "opinion": "trả lời ý kiến cử tri đã chuyển {agency} ngày {started}",
    "petition": "giải quyết đơn thư đã chuyển {agency} ngày {started}",
    "recommendation": "thực hiện kiến nghị sau giám sát gửi {agency} ngày {started}",
}


@dataclass
class Sweep:
    settings: Settings
    store: NotificationStore
    coordination: CoordinationStore
    deadlines: Deadlines
    identity: IdentityStore
    hierarchy: Hierarchy
    clock: Clock
    decided_here: int = 0

    def name(self, code: str) -> str:
        found = self.hierarchy.find(code, today_of(self.clock))
        return found.name if found is not None else code

    async def run(self) -> int:
        """One sweep; how many notices it wrote (those decided before are skipped)."""
        today = today_of(self.clock)
        version, rules = await self.deadlines.current()

        def parent(code: str) -> str | None:
            above = level_above(self.hierarchy, code, today)
            return above.code if above is not None else None

        open_now = [*await self._reports(today, rules), *await self._items(rules)]
        planned: list[tuple[Notice, str | None]] = [
            (n, None) for n in decided.decide(open_now, today, rules, self.name, parent)
        ]
        planned += await self._answers(today, rules)
        done = await self.store.decided([n.notice_id for n, _ in planned])
        written = 0
        for notice, answer_id in planned:
            if notice.notice_id not in done and await self._write(notice, version, answer_id):
                written += 1
        return written

    async def _write(self, notice: Notice, version: int, answer_id: str | None) -> bool:
        people = await people_of(self.identity, self.hierarchy, notice.unit, notice.day)
        if not people:
            return False  # nobody to tell yet: decided when the unit has people
        unit_name = self.name(notice.unit)
        recipients = []
        for person in people:
            nid = f"{notice.notice_id}:{person.account_id}"
            doc: Document = {
                **notice.document(),
                "_id": nid,
                "notice_id": notice.notice_id,
                "account_id": person.account_id,
                "lines": list(notice.lines),
                "link": notice.link,
                "link_unit": notice.link_unit or notice.unit,
                "read_at": None,
            }
            mail = None
            if person.email is not None and person.wants_email(notice.kind):
                url = self.settings.public_url
                mail = compose(notice, nid, person.email, person.full_name, unit_name, url)
            recipients.append((doc, mail))
        written = await self.store.decide(notice, recipients, version, answer_id)
        if written:
            self.decided_here += 1
            log.info("notice_sent", notice=notice.notice_id, kind=notice.kind, unit=notice.unit)
            pause = self.settings.notify_fault_pause_after
            if pause and self.decided_here == pause:
                log.warning("notify_fault_pause", after=pause)  # a test kills the process now
                await asyncio.sleep(3600)
        return written

    # -- what is open --------------------------------------------------------------------------

    def _scope(self, today: date) -> list[Unit]:
        served = self.settings.units or [u.code for u in self.hierarchy.provinces(today)]
        found: list[Unit] = []
        for code in served:
            unit = self.hierarchy.find(code, today)
            if unit is not None:
                found += [unit, *self.hierarchy.descendants(code, today)]
        return found

    async def _reports(self, today: date, rules: DeadlineRules) -> list[Deadline]:
        units = self._scope(today)
        _, sessions = await self.deadlines.in_force([u.code for u in units], today)
        ahead = max(rules.remind_days_before, default=0) + 1
        owed: list[tuple[Unit, str, str, date]] = []
        for unit in units:
            held = sessions.get(unit.code, ())
            for period, due in obligations_around(unit.level, today, 400, ahead, rules, held):
                owed.append((unit, period.key, f"gửi báo cáo {period.label.lower()}", due))
        if not owed:
            return []
        filed = await self.coordination.filed({u.code for u, *_ in owed}, {p for _, p, *_ in owed})
        return [
            Deadline("report", key, unit.code, due, what)
            for unit, key, what, due in owed
            if (unit.code, key) not in filed
        ]

    async def _items(self, rules: DeadlineRules) -> list[Deadline]:
        found = []
        for doc in await self.store.open_items():
            started = date.fromisoformat(doc["started_on"])
            if doc["rule"] == "recommendation":
                due = date.fromisoformat(doc["due_on"])
            else:
                rule = rules.opinion_answer if doc["rule"] == "opinion" else rules.petition_settle
                due = started + timedelta(days=rule.days)
            what = ITEM_WHAT[doc["rule"]].format(
                agency=doc.get("agency"), started=f"{started:%d/%m/%Y}"
            )
            found.append(Deadline(doc["rule"], doc["item"], doc["unit"], due, what))
        return found

    # -- answers coming down -------------------------------------------------------------------

    async def _answers(self, today: date, rules: DeadlineRules) -> list[tuple[Notice, str | None]]:
        since = today - timedelta(days=rules.look_back_days)
        planned: list[tuple[Notice, str | None]] = []
        for answer in await self.store.answers_to_tell(since):
            notices = await self._told_by(answer, today)
            if not notices:
                await self.store.told(answer["_id"])
            planned += [(notice, answer["_id"]) for notice in notices]
        return planned

    async def _told_by(self, answer: Document, today: date) -> list[Notice]:
        rule, unit, item = answer["rule"], answer["unit"], answer["item"]
        day = date.fromisoformat(answer["day"])
        if rule == "proposal_answered":
            proposal = await self.coordination.find_proposal(unit, item)
            given = (proposal or {}).get("answer") or {}
            if given.get("event_id") != answer.get("event_id"):
                return []  # not the answer the inbox kept (or not from a unit that may answer)
            title = f"Kiến nghị, đề xuất đã được trả lời: {proposal['title']}"  # type: ignore[index]
            lines = (
                f"{self.name(given['answered_by'])} trả lời {vn_date(day)}: {given['answer']}"[
                    :600
                ],
            )
            return [
                Notice(
                    "answer", rule, item, unit, (unit,), None, today, title, lines, link_unit=unit
                )
            ]
        if rule == "opinion":
            title = f"Ý kiến cử tri của {self.name(unit)} đã được cơ quan trả lời {vn_date(day)}"
            return [Notice("answer", rule, item, unit, (unit,), None, today, title, link_unit=unit)]
        below = await self.store.supervised_units(unit, answer["supervision_id"])
        targets = [u for u in below if u != unit and unit in self.hierarchy.ancestors(u, day)]
        title = (
            f"Kiến nghị sau giám sát của {self.name(unit)} gửi {answer.get('agency')}"
            f" ngày {day:%d/%m/%Y}"
        )
        return [
            Notice(
                "answer",
                "recommendation",
                item,
                target,
                (target,),
                None,
                today,
                title,
                link_unit=target,
            )
            for target in _unique(targets)
        ]


def _unique(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes))
