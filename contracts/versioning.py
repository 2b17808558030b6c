"""Event versions and upcasters: how an old payload becomes the current shape on read.

An upcaster is declared next to the event classes it joins, with a decorator:

    @upcaster(SupervisionFinishedV1, to=SupervisionFinished)
    def recommendations_renamed(v1: Payload) -> Payload: ...

It receives a payload already validated against the old class (so its reasons name the old
fields) and returns the payload one version newer. The registry (contracts.registry) chains
the steps: v1 → v2 → … → current. This module imports no event module, so event modules can
import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
U = TypeVar("U", bound=Upcaster)


def event_type(model: type[BaseModel]) -> str:
    return str(model.TYPE)  # type: ignore[attr-defined]


def event_version(model: type[BaseModel]) -> int:
    return int(model.VERSION)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Step:
    """Lifts payloads of `old` (a retired version, kept for validation and schemas) one up."""

    old: type[BaseModel]
    lift: Upcaster


# (type, old version) -> step; filled by @upcaster at import, read by Registry.register.
DECLARED: dict[tuple[str, int], Step] = {}


def upcaster(old: type[BaseModel], *, to: type[BaseModel]) -> Callable[[U], U]:
    """Declare `fn` as the step from `old` (version n) to `to` (version n + 1) of one event."""
    kind, version = event_type(old), event_version(old)
    if event_type(to) != kind or event_version(to) != version + 1:
        raise TypeError(
            f"an upcaster joins consecutive versions of one event type, not {kind} v{version}"
            f" → {event_type(to)} v{event_version(to)}"
        )

    def declare(fn: U) -> U:
        if (kind, version) in DECLARED:
            raise TypeError(f"{kind} v{version} already has an upcaster")
        DECLARED[(kind, version)] = Step(old, fn)
        return fn

    return declare
