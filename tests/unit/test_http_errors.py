"""Refusals raised by pure rules travel as HTTP answers: the status by kind, the field located
in the request that carried it."""

import pytest

from services.common.errors import Conflict, DomainError, Forbidden, NotFound
from services.common.http import request_field, status_of


@pytest.mark.parametrize(
    ("field", "path", "body", "located"),
    [
        ("meeting.held_on", ("unit",), "meeting", "body.held_on"),  # the body is that value
        ("meeting.held_on", ("unit",), "correction", "body.meeting.held_on"),  # nested in it
        ("unit", ("unit",), "meeting", "path.unit"),
        ("opinion_id", ("unit", "opinion_id"), "step", "path.opinion_id"),
        ("resolved_on", ("unit",), "step", "body.resolved_on"),
        ("query.period", ("unit",), None, "query.period"),  # located already
        ("header.authorization", (), None, "header.authorization"),
    ],
)
def test_a_field_is_located_where_the_request_carried_it(
    field: str, path: tuple[str, ...], body: str | None, located: str
) -> None:
    assert request_field(field, path, body) == located


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("unit", "no unit"), 404),
        (Conflict("meeting_id", "taken"), 409),
        (Forbidden("unit", "not yours"), 403),
        (DomainError("held_on", "in the future"), 422),
    ],
)
def test_each_kind_of_refusal_has_its_status(error: DomainError, status: int) -> None:
    assert status_of(error) == status
