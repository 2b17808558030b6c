"""One answer for a group of opinions: oversight reads the answers and resolutions a standing
committee recorded for a group (`opinion_group.answered`, `opinion_group.resolved` on the
reporting topic, contracts.opinions) and answers (resolves) each opinion of the group that it
tracks, with the opinion's own `opinion.answered` (`opinion.resolved`): the figures count
those, so an opinion answered with its group counts once, in its own unit.

- an opinion not yet forwarded is forwarded to the group's agency on the answer's day first;
- an opinion answered (resolved) already, withdrawn, or whose own steps forbid the day (it
  was forwarded after the group's answer) is left as it is: the group's answer never answers
  an opinion twice, and its figures stay right;
- a group resolution resolves the opinions answered (by the group or on their own).

The events it writes carry the group event's actor and name it as their cause. Each batch
commits its items, their events (outbox) and the consumer's positions in one transaction: a
redelivered answer finds its opinions answered and writes nothing. A group event naming an
opinion outside its level's units (contracts.opinions.stranger) is skipped whole; reporting's
projector dead-letters it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, Envelope, EventDraft, InvalidEvent
from contracts.opinions import Member, OpinionGroupAnswered, OpinionGroupResolved, stranger
from contracts.signing import Lineage
from contracts.versioning import event_type
from services.common.consumer import PositionStore, Record
from services.common.errors import DomainError
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.pipeline import Consuming, Dispatch, Pipeline, claiming
from services.common.recording import serves
from services.common.trust import lineage_of
from services.oversight import followups
from services.oversight.items import ItemStore, tracked_of
from services.oversight.tracking import OPINION, Tracked

log = get_logger()
WANTED = frozenset(event_type(m) for m in (OpinionGroupAnswered, OpinionGroupResolved))
Steps = Callable[[Tracked], list[tuple[str, date, list[EventDraft]]]]


class GroupAnswers:
    """Oversight's consumer of the answers given to groups of opinions."""

    def __init__(
        self,
        context: Consuming,
        items: ItemStore,
        hierarchy: Hierarchy,
        today: Callable[[], date],
        notify: Callable[[], None],
    ) -> None:
        self.items = items
        self.hierarchy = hierarchy
        self.lineage: Lineage = lineage_of(hierarchy)
        self.served = context.settings.units
        self.today = today
        self.notify = notify
        self.positions = PositionStore(items.db["group_answer_positions"])
        self.pipeline = Pipeline(context, self.positions, dead_letters="faults")
        self.dispatch = Dispatch[Callable[[Decoded[Any]], list[Decoded[Any]]]](
            {OpinionGroupAnswered: self._checked, OpinionGroupResolved: self._checked},
            otherwise=lambda _: [],
        )

    def _checked(self, event: Decoded[Any]) -> list[Decoded[Any]]:
        reason = stranger(self.lineage, event.envelope.unit, event.payload.members)
        if reason is not None:
            raise InvalidEvent(reason)
        return [event]

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        events, skipped = self.pipeline.judge(
            claiming(records, WANTED), lambda e: self.dispatch.of(e)(e)
        )

        async def work(session: AsyncClientSession) -> Counter[str]:
            done: Counter[str] = Counter()
            for event in events:
                done.update(await self._follow(session, event))
            return done

        done = await self.pipeline.commit(records, skipped, work)
        if done["answered"] or done["resolved"]:
            self.notify()
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        log.info("group_answers_batch", groups=len(events), **done, latency_ms=elapsed)

    async def _follow(self, session: AsyncClientSession, event: Decoded[Any]) -> Counter[str]:
        """Answer (resolve) each opinion of the group this instance tracks, as far as it may."""
        envelope, payload = event.envelope, event.payload
        if isinstance(payload, OpinionGroupAnswered):
            steps: Steps = lambda item: _answer_steps(item, payload)  # noqa: E731
            done = "answered"
        else:
            steps = lambda item: _resolve_steps(item, payload)  # noqa: E731
            done = "resolved"
        counted: Counter[str] = Counter()
        for member in payload.members:
            if not await self._tracked(session, member):
                counted["not_here"] += 1
                continue
            doc = await self.items.find("opinions", member.opinion_id, session)
            assert doc is not None
            try:
                for to, on, drafts in steps(tracked_of(doc)):
                    caused = [_caused_by(d, envelope) for d in drafts]
                    await self.items.step(
                        session, OPINION, "opinions", member.opinion_id, to, on, self.today(),
                        lambda *_, made=caused: made,
                    )  # fmt: skip
            except DomainError as exc:  # its own steps forbid it: left as it is
                counted["left"] += 1
                log.info("group_answer_left", opinion_id=member.opinion_id, reason=exc.message)
                continue
            counted[done] += 1
        return counted

    async def _tracked(self, session: AsyncClientSession, member: Member) -> bool:
        """Whether the opinion is one this instance tracks (of a unit it serves)."""
        if not serves(self.hierarchy, member.unit, member.raised_on, self.served):
            return False
        doc = await self.items.find("opinions", member.opinion_id, session)
        return doc is not None and doc["unit"] == member.unit


def _caused_by(draft: EventDraft, envelope: Envelope) -> EventDraft:
    """The draft done by the group event's actor, which caused it."""
    caused = draft.model_copy(update={"causation_id": envelope.event_id})
    return caused.by(envelope.actor)


def _answer_steps(
    item: Tracked, answered: OpinionGroupAnswered
) -> list[tuple[str, date, list[EventDraft]]]:
    """The steps that take `item` to answered: none if it went past received and forwarded."""
    on = answered.answered_on
    steps: list[tuple[str, date, list[EventDraft]]] = []
    if item.stage == "received":
        steps.append(("forwarded", on, followups.opinion_forwarded(item, on, answered.agency)))
    if item.stage in ("received", "forwarded"):
        steps.append(("answered", on, followups.opinion_answered(item, on, answered.answer)))
        return steps
    raise DomainError("opinion_id", f"opinion {item.item_id} is {item.stage} already")


def _resolve_steps(
    item: Tracked, resolved: OpinionGroupResolved
) -> list[tuple[str, date, list[EventDraft]]]:
    if item.stage != "answered":
        raise DomainError("opinion_id", f"opinion {item.item_id} is {item.stage}, not answered")
    on = resolved.resolved_on
    return [("resolved", on, followups.opinion_resolved(item, on, resolved.result))]
