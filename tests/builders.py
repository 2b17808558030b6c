"""Builders shared by the tests: small synthetic hierarchies and sealed events.

A tree is written as it nests (province › districts › communes), so levels and parents follow
from where a unit stands instead of being repeated on every line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel

from contracts import Decoded, EventDraft, Source
from contracts.coordination import ReportFiled, ReportObligation
from contracts.meetings import MeetingHeld, VoterContact
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy, Unit

Districts = Mapping[str, tuple[str, Mapping[str, str]]]  # code → (name, {commune: name})


def legacy_province(code: str, name: str, districts: Districts) -> list[Unit]:
    """A province of the three-level era (until 2025-06-30) with its districts and communes."""
    units = [Unit(code, name, "province", None, "legacy")]
    for district, (district_name, communes) in districts.items():
        units.append(Unit(district, district_name, "district", code, "legacy"))
        units += [Unit(c, n, "commune", district, "legacy") for c, n in communes.items()]
    return units


def province_2025(code: str, name: str, communes: Mapping[str, str]) -> list[Unit]:
    """A province of the two-level era (from 2025-07-01) with its communes."""
    units = [Unit(code, name, "province", None, "2025")]
    return units + [Unit(c, n, "commune", code, "2025") for c, n in communes.items()]


# Tỉnh Lai Châu (12), a few of its real units. Legacy: districts 105 and 106 with three
# communes; 2025: communes 03400 and 03500.
LAI_CHAU = Hierarchy.from_units(
    [
        *legacy_province(
            "12",
            "Tỉnh Lai Châu",
            {
                "105": ("Thành phố Lai Châu", {"03385": "Phường Quyết Thắng"}),
                "106": ("Huyện Tam Đường", {"03424": "Xã Bình Lư", "03430": "Xã Bản Bo"}),
            },
        ),
        *province_2025("12", "Tỉnh Lai Châu", {"03400": "Phường Tân Phong", "03500": "Xã Bình Lư"}),
    ]
)


def meeting(kind: str, meeting_id: str, title: str, held_on: str) -> dict[str, Any]:
    """What every meeting held says first (in a `meeting.held` payload, or the body of
    POST /units/{unit}/meetings); each kind adds its own fields to it."""
    return {"kind": kind, "meeting_id": meeting_id, "title": title, "held_on": held_on}


def supervision(activity: str, title: str, body: str, field: str, days: str) -> dict[str, Any]:
    """What every supervision recorded as finished says first (in a `supervision.finished`
    payload, or the body of POST /units/{unit}/supervisions): which activity, by which body, in
    which field, from which day to which (`days` as "start..end"); each case adds the rest."""
    started_on, finished_on = days.split("..")
    return {
        "activity": activity,
        "title": title,
        "body": body,
        "field": field,
        "started_on": started_on,
        "finished_on": finished_on,
    }


# A giám sát chuyên đề of land titles by the economy-society committee, March 2025: the part of a
# `supervision.finished` payload that is the same in every version.
LAND_SUPERVISION = supervision(
    "thematic_supervision",
    "Giám sát việc cấp giấy chứng nhận quyền sử dụng đất",
    "committee",
    "land",
    "2025-03-03..2025-03-28",
) | {"committee": "economy_society"}


def first_half_report(report_id: str, year: int, filed_on: date) -> ReportFiled:
    """A commune's report for the first six months (6 tháng đầu năm) of `year`, filed on
    `filed_on`: due on 5 July, as communes file by the 5th of the month after."""
    return ReportFiled(
        report_id=report_id,
        obligation=ReportObligation.FIRST_HALF,
        period=f"{year}-H1",
        due_on=date(year, 7, 5),
        filed_on=filed_on,
    )


TEST_SOURCE = Source(service="meetings", instance="t")


def sealed(
    payload: BaseModel, unit: str, occurred_at: datetime, seq: int = 1, source: Source = TEST_SOURCE
) -> Decoded[Any]:
    """`payload` as its service's outbox would have sealed it: number `seq` of `source`."""
    draft = EventDraft(
        type=payload.TYPE,  # type: ignore[attr-defined]
        version=payload.VERSION,  # type: ignore[attr-defined]
        unit=unit,
        occurred_at=occurred_at,
        payload=payload,
    )
    return Decoded(draft.seal(source, seq), payload)


def held_voter_contact(
    unit: str,
    day: date,
    seq: int,
    voters: int = 10,
    *,
    opinions: int = 1,
    source: Source = TEST_SOURCE,
) -> Decoded[MeetingHeld]:
    """A `meeting.held` event of a voter contact (tiếp xúc cử tri) held at noon on `day`."""
    payload = MeetingHeld(
        meeting=VoterContact(
            title="Tiếp xúc cử tri",
            held_on=day,
            timing="after_session",
            delegate_group="Tổ 1",
            voters_attending=voters,
            opinions_raised=opinions,
        )
    )
    return sealed(payload, unit, datetime.combine(day, time(12), tzinfo=VIETNAM_TZ), seq, source)
