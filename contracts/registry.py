"""Which (type, version) pairs exist, and how raw bytes become a typed event.

Old versions stay accepted: an upcaster registered next to the newer class turns them into
the current shape on read. Unknown types and unknown (newer) versions raise InvalidEvent,
which consumers turn into a dead-letter record rather than a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope, InvalidEvent
from contracts.meetings import MeetingHeld
from contracts.oversight import SupervisionFinished

P = TypeVar("P", bound=BaseModel)
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Decoded(Generic[P]):
    """An accepted event: its envelope and its payload in the current version's model."""

    envelope: Envelope
    payload: P


@dataclass
class Registry:
    current: dict[str, type[BaseModel]] = field(default_factory=dict)
    # (type, old version) -> function lifting that payload one version up.
    upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, model: type[BaseModel]) -> None:
        self.current[_type_of(model)] = model

    def add_upcaster(self, event_type: str, from_version: int, fn: Upcaster) -> None:
        self.upcasters[(event_type, from_version)] = fn

    def model_for(self, event_type: str) -> type[BaseModel]:
        try:
            return self.current[event_type]
        except KeyError:
            raise InvalidEvent(f"unknown event type {event_type!r}") from None

    def decode(self, raw: bytes) -> Decoded[BaseModel]:
        try:
            envelope = Envelope.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidEvent(f"invalid envelope: {_first_error(exc)}") from None
        model = self.model_for(envelope.type)
        newest = _version_of(model)
        if envelope.version > newest:
            raise InvalidEvent(
                f"unsupported version {envelope.version} of {envelope.type!r}"
                f" (newest known: {newest})"
            )
        payload = dict(envelope.payload)
        for version in range(envelope.version, newest):
            upcast = self.upcasters.get((envelope.type, version))
            if upcast is None:
                raise InvalidEvent(f"no upcaster from version {version} of {envelope.type!r}")
            payload = upcast(payload)
        try:
            return Decoded(envelope, model.model_validate(payload))
        except ValidationError as exc:
            raise InvalidEvent(f"invalid {envelope.type} payload: {_first_error(exc)}") from None


def _type_of(model: type[BaseModel]) -> str:
    return str(model.TYPE)  # type: ignore[attr-defined]


def _version_of(model: type[BaseModel]) -> int:
    return int(model.VERSION)  # type: ignore[attr-defined]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


REGISTRY = Registry()
REGISTRY.register(MeetingHeld)
REGISTRY.register(SupervisionFinished)


def decode_event(raw: bytes) -> Decoded[BaseModel]:
    """Parse and validate one message value; raises InvalidEvent saying why it was refused."""
    return REGISTRY.decode(raw)
