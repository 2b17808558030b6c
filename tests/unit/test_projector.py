"""The pure fold: figures land in the unit and every ancestor, duplicates count once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import Decoded, InvalidEvent
from contracts.meetings import MeetingHeld, Training
from services.common.hierarchy import Hierarchy
from services.reporting.read.figures import LABELS
from services.reporting.read.projector.fold import (
    STREAM_WINDOW,
    Fold,
    StreamPosition,
    fold,
    month_of,
)
from tests.builders import held_voter_contact, legacy_province, sealed

H = Hierarchy.from_units(
    legacy_province(
        "01",
        "Tỉnh Thử",
        {
            "001": ("Huyện A", {"00001": "Xã A1", "00002": "Xã A2"}),
            "002": ("Huyện B", {"00003": "Xã B1"}),
        },
    )
)
UNITS = ["01", "001", "002", "00001", "00002", "00003"]


def contact(unit: str, day: date, seq: int, voters: int = 10) -> Decoded[MeetingHeld]:
    return held_voter_contact(unit, day, seq, voters)


def test_figures_go_to_the_unit_and_every_ancestor_but_own_only_to_the_unit() -> None:
    result = fold(H, [contact("00001", date(2025, 3, 5), 1, voters=40)])
    assert set(result.changes) == {("00001", "2025-03"), ("001", "2025-03"), ("01", "2025-03")}
    assert result.changes[("01", "2025-03")].total["voters_reached"] == 40
    assert result.changes[("01", "2025-03")].own == Counter()
    assert result.changes[("00001", "2025-03")].own["voter_contacts"] == 1


def test_business_day_is_read_in_vietnam_time() -> None:
    # 2025-03-31 20:00 UTC is already 1 April in Hà Nội: the event belongs to April.
    event = contact("00001", date(2025, 3, 31), 1)
    late = event.envelope.model_copy(update={"occurred_at": datetime(2025, 3, 31, 20, tzinfo=UTC)})
    result = fold(H, [Decoded(late, event.payload)])
    assert ("00001", "2025-04") in result.changes


def test_training_attendees_count_at_each_bridge_point() -> None:
    payload = MeetingHeld(
        meeting=Training(
            title="Tập huấn",
            held_on=date(2025, 3, 1),
            format="online",
            topics=["Kỹ năng giám sát"],
            bridge_points=[
                {"unit": "001", "attendees": 30, "delegates": 10},
                {"unit": "00002", "attendees": 12, "delegates": 4},
            ],
        )
    )
    result = fold(H, [sealed(payload, "001", datetime(2025, 3, 1, 5, tzinfo=UTC))])
    district = result.changes[("001", "2025-03")]
    assert district.own["trainings"] == 1 and district.own["training_attendees"] == 30
    assert district.total["training_attendees"] == 42
    assert result.changes[("00002", "2025-03")].own["training_attendees"] == 12
    assert result.changes[("01", "2025-03")].total["training_delegate_attendances"] == 14


def test_unknown_unit_is_refused_before_anything_changes() -> None:
    state = Fold(H, {})
    try:
        state.add(contact("99999", date(2025, 3, 1), 1))
    except InvalidEvent as exc:
        assert "99999" in str(exc)
    else:
        raise AssertionError("an unknown unit must be refused")
    assert state.changes == {} and state.streams == {}


def test_a_sequence_beyond_the_window_is_refused_before_anything_changes() -> None:
    """A stream's sequences applied ahead of a gap are kept until the gap fills: one more than
    STREAM_WINDOW past the last applied without a gap is refused, so that set stays bounded."""
    day = date(2025, 3, 1)
    state = Fold(H, {})
    first = contact("00001", day, 1)
    state.add(first)
    for far in (2 + STREAM_WINDOW, 10**9):
        with pytest.raises(InvalidEvent, match=f"more than {STREAM_WINDOW} ahead of 1,"):
            state.add(contact("00001", day, far))
    assert state.applied == 1 and state.streams[first.envelope.stream].ahead == set()
    assert state.add(contact("00001", day, 1 + STREAM_WINDOW))  # the window's edge counts


def test_every_figure_the_fold_produces_has_a_vietnamese_label() -> None:
    result = fold(H, [contact("00001", date(2025, 3, 5), 1)])
    for doc in result.changes.values():
        assert set(doc.total) <= set(LABELS)


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=120))
def test_stream_position_accepts_each_sequence_exactly_once(deliveries: list[int]) -> None:
    position = StreamPosition()
    accepted = [s for s in deliveries if position.accept(s)]
    assert sorted(accepted) == sorted(set(deliveries))
    contiguous = 0
    while contiguous + 1 in set(deliveries):
        contiguous += 1
    assert position.applied_through == contiguous
    assert position.ahead == {s for s in set(deliveries) if s > contiguous}


events = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 6, 30)),
        st.integers(min_value=0, max_value=500),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(events, st.data())
def test_parents_equal_own_plus_children_and_redelivery_changes_nothing(
    history: list[tuple[str, date, int]], data: st.DataObject
) -> None:
    decoded = [contact(u, d, i + 1, voters=v) for i, (u, d, v) in enumerate(history)]
    once = fold(H, decoded)

    # Deliver the same history again in random batches, with random duplicates.
    again = Fold(H, {})
    dupes = data.draw(st.lists(st.sampled_from(decoded), max_size=10)) if decoded else []
    noisy = data.draw(st.permutations(decoded + dupes))
    for event in noisy:
        again.add(event)
    assert {k: (v.own, v.total) for k, v in again.changes.items()} == {
        k: (v.own, v.total) for k, v in once.changes.items()
    }

    for (code, month), doc in once.changes.items():
        children = [c.code for c in H.children(code, "legacy")]
        below: Counter[str] = Counter()
        for child in children:
            if (child, month) in once.changes:
                below.update(once.changes[(child, month)].total)
        assert Counter(doc.total) == Counter(doc.own) + below, (code, month)
    assert sum(doc.own["voter_contacts"] for doc in once.changes.values()) == len(history)


def test_month_of() -> None:
    assert month_of(date(2025, 1, 9)) == "2025-01"
