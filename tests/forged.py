"""Records a compromised instance could publish: signed with the real key of a unit it served,
written straight to a topic, with whatever envelope and payload it likes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

from pydantic import BaseModel

from contracts import Envelope
from contracts.envelope import Source
from contracts.signing import Signer
from contracts.versioning import event_type, event_version
from services.common.recording import business_time


def envelope_of(payload: BaseModel, unit: str, day: date, instance: str, sequence: int) -> Envelope:
    """An unsigned envelope of `payload` for `unit`, happened on `day`."""
    return Envelope(
        event_id=uuid4(),
        type=event_type(type(payload)),
        version=event_version(type(payload)),
        unit=unit,
        occurred_at=business_time(day),
        recorded_at=datetime.now(UTC),
        source=Source(service="reporting", instance=instance),
        sequence=sequence,
        payload=payload.model_dump(mode="json"),
    )


class Compromised:
    """An instance holding the private key of `unit` (from `keys_dir`) and nothing else; its
    records are one stream of its own per envelope unit, numbered from 1."""

    def __init__(self, keys_dir: Path, unit: str) -> None:
        self.unit = unit
        self.signer = Signer({unit: Signer.from_dir(keys_dir).keys[unit]})
        self.sequences: dict[str, itertools.count[int]] = {}

    def record(self, payload: BaseModel, unit: str, day: date) -> tuple[str, bytes]:
        """(Kafka key, value) of `payload` for envelope unit `unit`, happened on `day`."""
        sequence = next(self.sequences.setdefault(unit, itertools.count(1)))
        envelope = envelope_of(payload, unit, day, f"compromised-{self.unit}", sequence)
        return unit, self.signer.sign(envelope, [self.unit]).to_bytes()
