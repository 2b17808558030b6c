"""Kafka topics by bounded context; the message key is always the unit code."""

from __future__ import annotations

from dataclasses import dataclass

EVERY_TOPIC = "*"
"""The `TOPIC` of a context whose events travel on every topic of events: the outbox relay's
own (contracts.outbox)."""


class Topic:
    """One context's topic, `hdnd.<context>` under the prefix of the `Topics` it is read on:
    a table of contexts rather than a property each."""

    def __init__(self, context: str) -> None:
        self.context = context

    def __get__(self, topics: Topics, owner: type[Topics] | None = None) -> str:
        return f"{topics.prefix}hdnd.{self.context}"


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names, optionally prefixed so that tests and tenants can share one broker."""

    prefix: str = ""

    meetings = Topic("meetings")
    oversight = Topic("oversight")
    reporting = Topic("reporting")
    hierarchy = Topic("hierarchy")
    audit = Topic("audit")
    """Each instance's daily roots of its hash chains (contracts.audit): few and small, read by
    the reporting of every level above, apart from the facts."""
    identity = Topic("identity")
    """Accounts, sign-ins and sign-outs (contracts.identity): the token issuer's."""
    dead_letter = Topic("deadletter")

    @property
    def facts(self) -> tuple[str, ...]:
        """The topics the province's reporting service folds into its projections."""
        return (self.meetings, self.oversight, self.reporting)

    @property
    def every(self) -> list[str]:
        """Every topic a deployment has: what the services create at start, and what
        docker-compose's kafka-init creates before them."""
        return [*self.facts, self.hierarchy, self.audit, self.identity, self.dead_letter]
