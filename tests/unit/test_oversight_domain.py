"""The oversight domain and its contract, pure: a small synthetic hierarchy, no servers."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.oversight import SupervisionFinished
from contracts.timezone import VIETNAM_TZ
from services.common.errors import DomainError, Forbidden
from services.oversight.domain import RecordSupervision, record_supervision
from tests.builders import LAI_CHAU

TODAY = date(2025, 10, 15)
LEGACY_DAY = date(2025, 3, 20)

# Legacy: province 12 › districts 105, 106 › communes. 2025: province 12 › communes 03400, 03500.
HIERARCHY = LAI_CHAU


OMIT = object()


def supervision(**changes: Any) -> SupervisionFinished:
    fields: dict[str, Any] = {
        "supervision_id": "gs-2025-01",
        "activity": "thematic_supervision",
        "title": "Giám sát việc giải quyết đơn thư khiếu nại về đất đai",
        "body": "committee",
        "committee": "legal",
        "field": "land",
        "started_on": "2025-03-01",
        "finished_on": LEGACY_DAY.isoformat(),
        "supervised_units": ["03424"],
        "findings": "Còn 12 đơn tồn đọng quá hạn.",
        "recommendations": 5,
    }
    fields.update(changes)
    return SupervisionFinished.model_validate({k: v for k, v in fields.items() if v is not OMIT})


def decide(unit: str, s: SupervisionFinished, served: tuple[str, ...] = ()) -> Any:
    return record_supervision(RecordSupervision(unit, s), HIERARCHY, served, today=TODAY)


# -- the event --------------------------------------------------------------------------------


def test_a_finished_supervision_becomes_supervision_finished_at_noon_vietnam_time() -> None:
    s = supervision()
    draft = decide("106", s, served=("106",))
    assert (draft.type, draft.version, draft.unit) == ("supervision.finished", 2, "106")
    assert draft.occurred_at == datetime.combine(LEGACY_DAY, time(12), tzinfo=VIETNAM_TZ)
    assert draft.payload == s
    assert draft.payload.model_dump(mode="json")["committee"] == "legal"


def test_finished_today_is_accepted_and_an_empty_served_list_serves_everything() -> None:
    draft = decide("12", supervision(finished_on=TODAY.isoformat(), supervised_units=["03400"]))
    assert draft.unit == "12"


def test_supervision_id_defaults_to_a_fresh_hex_id() -> None:
    a, b = (supervision(supervision_id=OMIT) for _ in range(2))
    assert a.supervision_id != b.supervision_id and len(a.supervision_id) == 32


# -- domain rules ------------------------------------------------------------------------------


def test_future_finish_is_refused_naming_finished_on() -> None:
    with pytest.raises(DomainError) as err:
        decide("12", supervision(started_on="2025-10-01", finished_on="2025-10-16"))
    assert err.value.field == "supervision.finished_on" and type(err.value) is DomainError


@pytest.mark.parametrize(
    ("unit", "day"),
    [
        ("99", LEGACY_DAY),  # no such unit at all
        ("106", TODAY),  # districts ended with the 2025 reform
        ("03400", LEGACY_DAY),  # a 2025 commune did not exist before the reform
    ],
)
def test_unit_must_exist_on_the_day_it_finished(unit: str, day: date) -> None:
    with pytest.raises(DomainError) as err:
        decide(unit, supervision(finished_on=day.isoformat(), supervised_units=[]))
    assert err.value.field == "unit" and type(err.value) is DomainError


def test_unit_not_served_by_this_instance_is_forbidden() -> None:
    with pytest.raises(Forbidden) as err:
        decide("106", supervision(), served=("105",))
    assert isinstance(err.value, Forbidden) and err.value.kind == "not_served"


def test_a_served_province_covers_its_districts_and_communes() -> None:
    assert decide("03424", supervision(supervised_units=[]), served=("105", "12")).unit == "03424"


def test_a_served_district_covers_nothing_after_the_reform() -> None:
    s = supervision(started_on="2025-09-01", finished_on="2025-09-30", supervised_units=[])
    with pytest.raises(Forbidden):
        decide("03500", s, served=("106",))


def test_supervised_units_may_be_empty_or_the_unit_itself() -> None:
    assert decide("106", supervision(supervised_units=[])).payload.supervised_units == []
    assert decide("106", supervision(supervised_units=["106", "03430"])).unit == "106"


@pytest.mark.parametrize(
    ("units", "index"),
    [
        (["03424", "03385"], 1),  # a commune of another district
        (["12"], 0),  # the unit's own province is above it
        (["03400"], 0),  # a 2025 commune named in a legacy-era supervision
    ],
)
def test_supervised_units_must_be_the_unit_or_below_it(units: list[str], index: int) -> None:
    with pytest.raises(DomainError) as err:
        decide("106", supervision(supervised_units=units))
    assert err.value.field == f"supervision.supervised_units.{index}"


# -- contract validation --------------------------------------------------------------------------


def _error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_committee_is_required_when_a_committee_carried_it_out() -> None:
    with pytest.raises(ValidationError) as err:
        supervision(committee=None)
    assert _error_fields(err.value) == {"committee"}


@pytest.mark.parametrize("body", ["standing_committee", "delegate_group"])
def test_committee_is_absent_for_other_bodies(body: str) -> None:
    assert supervision(body=body, committee=None).committee is None
    with pytest.raises(ValidationError) as err:
        supervision(body=body, committee="legal")
    assert _error_fields(err.value) == {"committee"}


def test_finished_before_started_names_finished_on() -> None:
    with pytest.raises(ValidationError) as err:
        supervision(started_on="2025-03-21")
    assert _error_fields(err.value) == {"finished_on"}
    assert supervision(started_on=LEGACY_DAY.isoformat()).started_on == LEGACY_DAY  # one-day


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activity": "inspection"}, "activity"),
        ({"committee": "defence"}, "committee"),
        ({"field": "weather"}, "field"),
        ({"recommendations": -1}, "recommendations"),
        ({"supervised_units": ["03424", "03424"]}, "supervised_units"),
        ({"supervised_units": ["3424"]}, "supervised_units.0"),
        ({"title": ""}, "title"),
        ({"supervision_id": "has space"}, "supervision_id"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_fields_are_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        supervision(**changes)
    assert field in _error_fields(err.value)


def test_the_payload_survives_a_json_round_trip() -> None:
    s = supervision(activity="verification", field="budget", committee="economy_budget")
    assert SupervisionFinished.model_validate_json(s.model_dump_json()) == s
