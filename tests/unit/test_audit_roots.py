"""The daily roots' pure parts: which day has ended, which unit signs a root, and parts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.audit import MAX_HEADS, StreamHead
from services.common.audit_roots import PART_BYTES, _parts, ended_day, signing_unit
from services.common.hierarchy import Hierarchy
from services.common.trust import lineage_of


def test_a_day_ends_at_midnight_in_vietnam() -> None:
    assert ended_day(datetime(2025, 3, 2, 16, 59, tzinfo=UTC)) == date(2025, 3, 1)
    assert ended_day(datetime(2025, 3, 2, 17, 0, tzinfo=UTC)) == date(2025, 3, 2)


def test_a_root_is_signed_by_the_served_unit_covering_its_streams() -> None:
    lineage = lineage_of(Hierarchy.load())
    today = date(2026, 1, 5)
    # a legacy commune of Lai Châu, served by the province's instance
    assert signing_unit("03390", ["11", "12"], lineage, today) == "12"
    assert signing_unit("12", ["12"], lineage, today) == "12"
    # nothing served (tests, development): the stream's province
    assert signing_unit("03390", [], lineage, today) in {u for u in lineage("03390", today) or ()}


def test_many_streams_go_in_parts_small_enough_for_an_event() -> None:
    for name in ("m/i/{n:05d}", "m" * 180 + "/{n:05d}"):
        heads = [
            StreamHead(stream=name.format(n=n), sequence=2**40, hash="f" * 64) for n in range(7000)
        ]
        parts = list(_parts(heads))
        assert [h for p in parts for h in p] == heads and len(parts) > 2
        for part in parts:
            assert len(part) <= MAX_HEADS
            assert sum(len(h.model_dump_json()) + 1 for h in part) < PART_BYTES
