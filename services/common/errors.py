"""What a rule says when a request cannot be true. Pure: the rules raise these without knowing
they will travel over HTTP; `services.common.http` maps each kind to its status.

`field` names what was wrong as a dotted path in the terms of the decision that refused it:
an attribute of what it decided on (``held_on``, ``supervised_units.0``, ``meeting.held_on``),
or ``unit`` for the unit the record is for. Where the request carried that field (the path,
the body, a part of the body) is for the layer that took the request to say: see
`services.common.http.request_field`.
"""

from __future__ import annotations


class DomainError(Exception):
    """A value the rules refuse (an unknown unit, a future meeting …)."""

    def __init__(self, field: str, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.kind = kind


class NotFound(DomainError):
    """What the request names does not exist (in the era asked)."""


class Conflict(DomainError):
    """The request contradicts what is already recorded (a taken id, a step out of order)."""


class Forbidden(DomainError):
    """The caller may not act on what the request names."""


def fault_reason(exc: BaseException) -> str:
    """How an exception no rule foresaw is named where it is reported (a dead letter's
    reason): its type and message."""
    return f"{type(exc).__name__}: {exc}"
