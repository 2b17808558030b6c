"""The whole-country benchmark's generator: every commune of each era, gapless streams."""

from __future__ import annotations

from collections import defaultdict

import pytest

from bench.country import parse
from bench.country_data import Generated, Options, expected_events, voter_contacts
from contracts import MeetingHeld, decode_event
from services.common.hierarchy import Hierarchy
from tests.builders import legacy_province, province_2025


def small_country() -> Hierarchy:
    return Hierarchy.from_units(
        [
            *legacy_province(
                "90", "Tỉnh Thử", {"900": ("Huyện Một", {"90001": "Xã A", "90002": "Xã B"})}
            ),
            *province_2025("90", "Tỉnh Thử", {"90001": "Xã Mới"}),
        ],
        {"90": ["90"], "90001": ["90001"], "90002": ["90001"]},
    )


def test_every_commune_of_each_era_gets_its_contacts_in_gapless_streams() -> None:
    hierarchy = small_country()
    options = Options(legacy_contacts=2, contacts_2025=1)
    generated = Generated()
    records = list(voter_contacts(hierarchy, options, 3, "t.meetings", generated))

    assert len(records) == generated.events == expected_events(hierarchy, options) == 30
    sequences: dict[str, list[int]] = defaultdict(list)
    offsets: dict[int, list[int]] = defaultdict(list)
    voters = 0
    for record in records:
        event = decode_event(record.value or b"")
        assert isinstance(event.payload, MeetingHeld)
        assert record.key == event.envelope.unit.encode()
        sequences[event.envelope.stream].append(event.envelope.sequence)
        offsets[record.partition].append(record.offset)
        voters += event.payload.meeting.voters_attending  # type: ignore[union-attr]
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values())
    assert all(offs == list(range(len(offs))) for offs in offsets.values())
    assert generated.over("2025") == voters
    assert generated.over("2025-H1") + generated.over("2025-H2") == voters


def test_counts_must_be_positive() -> None:
    with pytest.raises(SystemExit):
        parse(["--runs", "0"])
