"""What a rule says when a request cannot be true. Pure: the rules raise these without knowing
they will travel over HTTP; `services.common.http` maps each kind to its status.

`field` names what was wrong, as a dotted path in the caller's terms (``body.held_on``,
``path.unit``), so a client can show the message beside the field it concerns.
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
