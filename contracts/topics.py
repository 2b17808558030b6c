"""Kafka topics by bounded context; the message key is always the unit code."""

from __future__ import annotations

from dataclasses import dataclass

EVERY_TOPIC = "*"
"""The `TOPIC` of a context whose events travel on every topic of events: the outbox relay's
own (contracts.outbox)."""


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names, optionally prefixed so that tests and tenants can share one broker."""

    prefix: str = ""

    def _name(self, context: str) -> str:
        return f"{self.prefix}hdnd.{context}"

    @property
    def meetings(self) -> str:
        return self._name("meetings")

    @property
    def oversight(self) -> str:
        return self._name("oversight")

    @property
    def reporting(self) -> str:
        return self._name("reporting")

    @property
    def hierarchy(self) -> str:
        return self._name("hierarchy")

    @property
    def audit(self) -> str:
        """Each instance's daily roots of its hash chains (contracts.audit): few and small,
        read by the reporting of every level above, apart from the facts."""
        return self._name("audit")

    @property
    def identity(self) -> str:
        """Accounts, sign-ins and sign-outs (contracts.identity): the token issuer's."""
        return self._name("identity")

    @property
    def dead_letter(self) -> str:
        return self._name("deadletter")

    @property
    def facts(self) -> tuple[str, ...]:
        """The topics the province's reporting service folds into its projections."""
        return (self.meetings, self.oversight, self.reporting)

    @property
    def every(self) -> list[str]:
        """Every topic a deployment has: what the services create at start, and what
        docker-compose's kafka-init creates before them."""
        return [*self.facts, self.hierarchy, self.audit, self.identity, self.dead_letter]
