"""Rules that fields of several events follow, each declared on a model in one line, so that a
refusal reads the same wherever it is made:

    _committee_given = present_iff("committee", when="body", equals=Body.COMMITTEE, missing=…)

Each makes a pydantic field validator of `field` that reads the fields validated before it.
`Record` is the rule every published shape follows: no field beyond those declared, and no
change once made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# What councils write, bounded so that no record can grow past what a broker takes (README,
# "Sizes"): a count, a line (a title, a name, a reason), an item (one opinion, one petition).
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
ItemText = Annotated[str, Field(min_length=1, max_length=2000)]

Rule = Any  # a field validator: pydantic finds it among the attributes of the class


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _rule(field: str, check: Callable[[Any, ValidationInfo], Any]) -> Rule:
    return field_validator(field)(check)


def present_iff(field: str, *, when: str, equals: object, missing: str) -> Rule:
    """`field` is given exactly when the field `when` equals `equals`; `missing` says why."""

    def check(value: object, info: ValidationInfo) -> object:
        other = info.data.get(when)
        if other is None:
            return value  # `when` itself is invalid; that error is reported already
        if other == equals and value is None:
            raise ValueError(missing)
        if other != equals and value is not None:
            raise ValueError(f"{field} must be absent when {when} is {other}")
        return value

    return _rule(field, check)


def not_before(field: str, start: str) -> Rule:
    """The day in `field` is not before the day in `start`."""

    def check(day: date, info: ValidationInfo) -> date:
        first = info.data.get(start)
        if first is not None and day < first:
            raise ValueError(f"{field} {day} is before {start} {first}")
        return day

    return _rule(field, check)


def at_most(field: str, bound: str, refusal: str) -> Rule:
    """The number in `field` is at most the one in `bound`; `refusal` is formatted with both
    (`{value}`, `{bound}`)."""

    def check(value: int, info: ValidationInfo) -> int:
        limit = info.data.get(bound)
        if limit is not None and value > limit:
            raise ValueError(refusal.format(value=value, bound=limit))
        return value

    return _rule(field, check)


def itemises(field: str, *, count: str, ids: str) -> Rule:
    """The list in `field` names each item (by its `ids`) once and, when given (not empty),
    has as many items as the number in `count` says."""

    def check(items: list[Any], info: ValidationInfo) -> list[Any]:
        named = [getattr(item, ids) for item in items]
        if len(named) != len(set(named)):
            raise ValueError(f"each {ids} may appear only once")
        given = info.data.get(count)
        if items and given is not None and given != len(items):
            raise ValueError(f"{len(items)} items given but {count} is {given}")
        return items

    return _rule(field, check)
