"""The `make run` sample on real servers: the three services in-process, the sample recorded
through their HTTP APIs, every figure family of the province non-zero, and a second load that
records nothing.

To stay within a minute on a small machine the test records the sample's records of the
province itself, of Huyện Tam Đường (106) with its communes and the 2025 communes they went
into, and of one commune more (its voters rated their delegates): about a quarter of the
sample, with every kind of record in it. `make run` records the whole sample the same way."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from typing import Any

import pytest

from deploy.sample import SAMPLE_PROVINCE, record_sample
from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.oversight.wiring import Oversight
from services.reporting.app import create_app as reporting_app
from tests.conftest import bearer, eventually, start_app

pytestmark = pytest.mark.integration

HIERARCHY = Hierarchy.load()
DISTRICT, RATED = "106", "03434"
UNITS = {SAMPLE_PROVINCE, DISTRICT, RATED} | {
    code
    for c in HIERARCHY.children(DISTRICT, "legacy")
    for code in (c.code, *HIERARCHY.successors(c.code))
}

# One figure of each family the province wants to see (shared/domain.md), for 2025.
FAMILIES = [
    # meetings
    "sessions_regular", "sessions_thematic", "sessions_extraordinary", "session_seats",
    "session_questions", "resolutions_adopted", "standing_committee_meetings_regular",
    "standing_committee_meetings_ad_hoc", "conferences_briefing",
    "conferences_experience_exchange", "conferences_roundtable", "trainings_online",
    "trainings_in_person", "training_bridge_points", "training_delegate_attendances",
    "voter_contacts_before_session", "voter_contacts_after_session", "voters_reached",
    "voter_opinions_raised", "citizen_receptions_periodic", "citizen_receptions_ad_hoc",
    "citizens_received", "petitions_received", "delegate_reports", "delegates_reporting",
    "delegate_ratings", "delegate_ratings_given", "meetings_scheduled", "meetings_cancelled",
    # oversight
    "thematic_supervisions", "surveys", "verifications", "thematic_supervisions_planned",
    "thematic_supervisions_started", "recommendations_issued", "recommendations_implemented",
    "recommendations_implemented_late", "recommendations_overdue", "opinions_forwarded",
    "opinions_answered", "opinions_resolved", "voter_opinions_pending",
    "petitions_received_by_mail", "petitions_transferred", "petitions_settled",
    "petitions_pending",
    # coordination
    "council_seats", "delegates_trained", "staff_full_time", "staff_part_time", "reports_due",
    "reports_on_time", "reports_late", "reports_missing", "tasks_set", "tasks_done",
    "tasks_cancelled", "proposals_raised", "proposals_answered",
]  # fmt: skip


async def test_the_sample_records_every_kind_of_activity_once(
    stack: AsyncExitStack, settings: Settings
) -> None:
    served = settings.model_copy(update={"units": [SAMPLE_PROVINCE]})
    headers = bearer(SAMPLE_PROVINCE)
    apps = {
        name: await start_app(stack, create(served), f"http://{name}", headers)
        for name, create in (
            ("meetings", meetings_app),
            ("oversight", oversight_app),
            ("reporting", reporting_app),
        )
    }
    clients = {name: app.client for name, app in apps.items()}
    oversight: Oversight = apps["oversight"].app.state.oversight

    started = time.monotonic()
    # Between the records and their follow-ups, sweep overdue recommendations as the service
    # does hourly: those implemented afterwards count as implemented late.
    first = await record_sample(
        clients,
        HIERARCHY,
        before_followups=oversight.sweep_overdue,
        show_progress=False,
        units=UNITS,
    )
    loaded = time.monotonic() - started
    assert first["refused"] == 0, first
    assert first["recorded"] == first["posts"] > 500, first

    async def every_family_counted() -> dict[str, Any]:
        # The whole year is the legacy province's half and the 2025 province's: as today.
        r = await clients["reporting"].get(
            f"/units/{SAMPLE_PROVINCE}/summary", params={"period": "2025", "view": "as_today"}
        )
        assert r.status_code == 200, r.text
        figures: dict[str, Any] = r.json()["figures"]
        assert [f for f in FAMILIES if not figures.get(f)] == []
        return figures

    figures = await eventually(every_family_counted, within=60, interval=0.5)
    # What a province's year looks like: mostly regular sessions, rarely extraordinary ones.
    sessions = [figures[f"sessions_{t}"] for t in ("regular", "thematic", "extraordinary")]
    assert sessions[0] > sessions[1] + sessions[2] and sessions[2] < 0.15 * sum(sessions)
    counted = time.monotonic() - started
    assert figures["voter_opinions_pending"] == (
        figures["voter_opinions_raised"] - figures["opinions_resolved"]
    )

    second = await record_sample(clients, HIERARCHY, show_progress=False, units=UNITS)
    assert second["recorded"] == second["refused"] == 0, second
    assert second["unchanged"] == second["posts"] == first["posts"]
    print(
        f"\nsample: {first['posts']} posts recorded in {loaded:.1f} s, figures complete after"
        f" {counted:.1f} s; reloaded (all unchanged) in {second['seconds']} s"
    )
