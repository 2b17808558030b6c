"""Which (type, version) pairs exist, and how raw bytes become a typed event.

Old versions stay accepted: upcasters declared next to the event classes (`@upcaster`, see
contracts.versioning) lift them to the current shape on read. Unknown types and unknown
(newer) versions raise InvalidEvent, which consumers turn into a dead-letter record rather
than a crash. The envelope is never rewritten: its payload stays as it was written (and
signed); only the decoded payload is in the current version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from contracts.audit import AuditRoot
from contracts.coordination import COORDINATION_EVENTS
from contracts.envelope import Envelope, InvalidEvent
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.identity import IDENTITY_EVENTS
from contracts.meetings import MeetingCancelled, MeetingCorrected, MeetingHeld, MeetingScheduled
from contracts.notifications import NOTIFICATION_EVENTS
from contracts.opinions import GROUP_EVENTS
from contracts.outbox import EventParked
from contracts.oversight import EVENTS as OVERSIGHT_EVENTS
from contracts.privacy import PRIVACY_EVENTS
from contracts.versioning import DECLARED, Payload, Upcaster, event_type, event_version

P = TypeVar("P", bound=BaseModel)

__all__ = ["REGISTRY", "Decoded", "Registry", "Upcaster", "decode_event"]


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
    # (type, old version) -> the class of that version, when kept (validation, schemas).
    retired: dict[tuple[str, int], type[BaseModel]] = field(default_factory=dict)

    def register(self, model: type[BaseModel]) -> None:
        """Make `model` the current version of its type, with the upcasters declared for it."""
        kind = event_type(model)
        self.current[kind] = model
        for (step_kind, version), step in DECLARED.items():
            if step_kind == kind and version < event_version(model):
                self.add_upcaster(kind, version, step.lift, old=step.old)

    def add_upcaster(
        self,
        event_type: str,
        from_version: int,
        fn: Upcaster,
        old: type[BaseModel] | None = None,
    ) -> None:
        """Lift payloads of `from_version` one version up; `old` validates them first."""
        self.upcasters[(event_type, from_version)] = fn
        if old is not None:
            self.retired[(event_type, from_version)] = old

    def model_for(self, event_type: str) -> type[BaseModel]:
        try:
            return self.current[event_type]
        except KeyError:
            raise InvalidEvent(f"unknown event type {event_type!r}") from None

    def missing_upcasters(self) -> list[tuple[str, int]]:
        """(type, version) pairs below a current version that nothing lifts; should be none."""
        return [
            (kind, version)
            for kind, model in sorted(self.current.items())
            for version in range(1, event_version(model))
            if (kind, version) not in self.upcasters
        ]

    def upcast(self, event_type: str, version: int, payload: Payload) -> Payload:
        """The payload of (`event_type`, `version`) in the current version's shape, not yet
        validated against it; raises InvalidEvent for unknown or newer versions."""
        newest = event_version(self.model_for(event_type))
        if version > newest:
            raise InvalidEvent(
                f"unsupported version {version} of {event_type!r} (newest known: {newest})"
            )
        old = self.retired.get((event_type, version))
        if old is not None and version < newest:
            try:
                payload = old.model_validate(payload).model_dump(mode="json")
            except ValidationError as exc:
                raise InvalidEvent(
                    f"invalid {event_type} v{version} payload: {_first_error(exc)}"
                ) from None
        for step in range(version, newest):
            lift = self.upcasters.get((event_type, step))
            if lift is None:
                raise InvalidEvent(f"no upcaster from version {step} of {event_type!r}")
            try:
                payload = lift(dict(payload))
            except Exception as exc:  # a bad old payload must dead-letter, not stop a consumer
                raise InvalidEvent(
                    f"cannot upcast {event_type} v{step}: {type(exc).__name__}: {exc}"
                ) from None
        return payload

    def decode(self, raw: bytes) -> Decoded[BaseModel]:
        try:
            envelope = Envelope.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidEvent(f"invalid envelope: {_first_error(exc)}") from None
        model = self.model_for(envelope.type)
        payload = self.upcast(envelope.type, envelope.version, envelope.payload)
        try:
            return Decoded(envelope, model.model_validate(payload))
        except ValidationError as exc:
            raise InvalidEvent(f"invalid {envelope.type} payload: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


REGISTRY = Registry()
REGISTRY.register(MeetingHeld)
REGISTRY.register(UnitRegistered)
REGISTRY.register(HierarchyChanged)
REGISTRY.register(MeetingScheduled)
REGISTRY.register(MeetingCancelled)
REGISTRY.register(MeetingCorrected)
for _model in OVERSIGHT_EVENTS:
    REGISTRY.register(_model)
for _model in (*COORDINATION_EVENTS, *PRIVACY_EVENTS, *NOTIFICATION_EVENTS, *GROUP_EVENTS):
    REGISTRY.register(_model)
for _model in IDENTITY_EVENTS:
    REGISTRY.register(_model)
REGISTRY.register(EventParked)
REGISTRY.register(AuditRoot)


def decode_event(raw: bytes) -> Decoded[BaseModel]:
    """Parse and validate one message value; raises InvalidEvent saying why it was refused."""
    return REGISTRY.decode(raw)
