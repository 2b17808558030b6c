"""The tracked items of oversight, pure: lifecycle rules, the overdue rule, the intake of
meetings events, and the figures their events add."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel

from contracts import Decoded, Envelope, Source
from contracts.meetings import MeetingHeld
from contracts.oversight import (
    EVENTS,
    OpinionResolved,
    PetitionReceived,
    PetitionSettled,
    RecommendationImplemented,
    RecommendationOverdue,
    SupervisionStarted,
)
from services.common.errors import Conflict, DomainError
from services.oversight import followups
from services.oversight.intake import openings
from services.oversight.items import tracked_of
from services.oversight.tracking import (
    OPINION,
    PETITION,
    RECOMMENDATION,
    OpenRecommendation,
    Tracked,
    advance,
    overdue_as_of,
)
from services.reporting.read.figures import FOLDS, LABELS, RATES, contributions_of, rates_of
from tests.builders import LAI_CHAU, meeting

TODAY = date(2025, 10, 15)
RAISED = date(2025, 3, 20)
HIERARCHY = LAI_CHAU


def opinion(stage: str = "received", **days: date) -> Tracked:
    return Tracked("yk-1", "03424", stage, {"received": RAISED, **days})


# -- the lifecycle -----------------------------------------------------------------------------


def test_each_step_follows_the_one_before() -> None:
    assert advance(OPINION, opinion(), "forwarded", date(2025, 3, 25), TODAY)
    answered = opinion("answered", forwarded=date(2025, 3, 25), answered=date(2025, 4, 2))
    assert advance(OPINION, answered, "resolved", date(2025, 4, 2), TODAY)


@pytest.mark.parametrize(
    ("item", "to"),
    [
        (opinion(), "resolved"),  # skips forwarded and answered
        (opinion(), "answered"),
        (opinion("forwarded", forwarded=date(2025, 3, 25)), "forwarded"),  # again, another day
        (opinion("resolved", resolved=date(2025, 5, 1)), "answered"),  # backwards
    ],
)
def test_a_step_out_of_order_is_a_conflict(item: Tracked, to: str) -> None:
    with pytest.raises(Conflict) as refused:
        advance(OPINION, item, to, date(2025, 6, 1), TODAY)
    assert refused.value.field == "opinion_id"


def test_repeating_the_step_taken_that_day_is_a_retry() -> None:
    item = opinion("forwarded", forwarded=date(2025, 3, 25))
    assert advance(OPINION, item, "forwarded", date(2025, 3, 25), TODAY) is False


@pytest.mark.parametrize(
    ("item", "to", "on", "says"),
    [
        (opinion(), "forwarded", date(2025, 3, 19), "before the opinion was raised on 2025-03-20"),
        (opinion(), "forwarded", date(2025, 10, 16), "in the future"),
        (
            opinion("answered", forwarded=date(2025, 3, 25), answered=date(2025, 4, 9)),
            "resolved",
            date(2025, 4, 1),
            "before it was answered on 2025-04-09",
        ),
    ],
)
def test_a_step_on_an_impossible_day_names_its_field(
    item: Tracked, to: str, on: date, says: str
) -> None:
    with pytest.raises(DomainError) as refused:
        advance(OPINION, item, to, on, TODAY)
    assert type(refused.value) is DomainError
    assert refused.value.field == f"{to}_on" and says in refused.value.message


def test_petitions_and_recommendations_have_their_own_stages() -> None:
    petition = Tracked("d-1", "106", "received", {"received": RAISED})
    assert advance(PETITION, petition, "transferred", RAISED, TODAY)
    with pytest.raises(Conflict):
        advance(PETITION, petition, "settled", RAISED, TODAY)
    rec = Tracked("kn-1", "106", "implemented", {"issued": RAISED, "implemented": RAISED})
    with pytest.raises(Conflict, match="no further step"):
        advance(RECOMMENDATION, rec, "implemented", TODAY, TODAY)


# -- overdue -----------------------------------------------------------------------------------


def rec(deadline: date, **flags: bool) -> OpenRecommendation:
    return OpenRecommendation(f"kn-{deadline}", "gs-1", "106", RAISED, deadline, **flags)


def test_a_recommendation_is_overdue_the_day_after_its_deadline() -> None:
    due = [rec(date(2025, 6, 30)), rec(date(2025, 7, 1)), rec(date(2025, 7, 2))]
    assert overdue_as_of(due, date(2025, 7, 2)) == due[:2]
    assert overdue_as_of(due, date(2025, 7, 1)) == due[:1]


def test_implemented_or_already_overdue_recommendations_are_not_overdue_again() -> None:
    done = [rec(date(2025, 6, 1), implemented=True), rec(date(2025, 6, 2), overdue=True)]
    assert overdue_as_of(done, TODAY) == []


def test_follow_ups_happen_on_their_items_day_as_far_as_the_envelope_says() -> None:
    ((item_id, draft),) = followups.overdue_events([rec(date(2025, 6, 30))], noticed_on=TODAY)
    assert item_id == "kn-2025-06-30" and draft.occurred_at.date() == RAISED
    assert isinstance(draft.payload, RecommendationOverdue)
    assert draft.payload.noticed_on == TODAY and draft.payload.issued_on == RAISED


def test_resolving_counts_the_days_since_the_opinion_was_raised() -> None:
    (draft,) = followups.opinion_resolved(opinion(), date(2025, 4, 19), None)
    assert isinstance(draft.payload, OpinionResolved)
    assert (draft.payload.raised_on, draft.payload.days_to_resolve) == (RAISED, 30)
    assert draft.unit == "03424" and draft.occurred_at.date() == RAISED


def test_a_recommendation_deadline_before_its_issue_names_the_item() -> None:
    plan: dict[str, Any] = {
        "opened": {
            "supervision_id": "gs-1",
            "activity": "survey",
            "body": "standing_committee",
            "committee": None,
            "field": "land",
            "title": "Khảo sát",
            "supervised_units": [],
        }
    }
    item = Tracked("gs-1", "106", "started", {"planned": RAISED, "started": RAISED})
    from contracts.oversight import Recommendation

    recs = [
        Recommendation(text="a", addressed_to="UBND huyện", deadline=date(2025, 9, 1)),
        Recommendation(text="b", addressed_to="UBND huyện", deadline=date(2025, 3, 1)),
    ]
    with pytest.raises(DomainError) as refused:
        followups.supervision_finished(item, plan, date(2025, 4, 1), None, None, recs)
    assert refused.value.field == "recommendations.1.deadline"
    drafts = followups.supervision_finished(item, plan, date(2025, 4, 1), "x", None, recs[:1])
    assert [d.type for d in drafts] == ["supervision.finished", "recommendation.issued"]
    assert drafts[0].payload.recommendations == 1  # type: ignore[attr-defined]


# -- intake ------------------------------------------------------------------------------------


def decoded(payload: BaseModel, unit: str = "03424", day: date = RAISED) -> Decoded[BaseModel]:
    envelope = Envelope(
        event_id=uuid4(),
        type=payload.TYPE,  # type: ignore[attr-defined]
        version=payload.VERSION,  # type: ignore[attr-defined]
        unit=unit,
        occurred_at=datetime(day.year, day.month, day.day, 5, tzinfo=UTC),
        recorded_at=datetime.now(UTC),
        source=Source(service="meetings", instance="t"),
        sequence=1,
        payload=payload.model_dump(mode="json"),
    )
    return Decoded(envelope, payload)


def held(kind: str, title: str, fields: dict[str, Any], changes: dict[str, Any]) -> MeetingHeld:
    """Meeting tx-1 held on RAISED, its `fields` with `changes` over them."""
    first = meeting(kind, "tx-1", title, RAISED.isoformat())
    return MeetingHeld.model_validate({"meeting": first | fields | changes})


def voter_contact(**changes: Any) -> MeetingHeld:
    opinions = [
        {"opinion_id": "yk-1", "text": "Sửa đường", "field": "land", "addressed_to": "UBND"},
        {"opinion_id": "yk-2", "text": "Trường", "field": "other", "addressed_to": "UBND"},
    ]
    group = {"timing": "before_session", "delegate_group": "Tổ đại biểu số 2"}
    met = {"voters_attending": 120, "opinions_raised": 2, "opinions": opinions}
    return held("voter_contact", "Tiếp xúc cử tri trước kỳ họp", group | met, changes)


def reception(**changes: Any) -> MeetingHeld:
    petitions = [{"petition_id": "d1", "petition_type": "complaint", "summary": "s"}]
    fields = {"reception_type": "periodic", "citizens_received": 2, "petitions_received": 1}
    return held("citizen_reception", "Tiếp công dân", fields | {"petitions": petitions}, changes)


def test_a_voter_contact_opens_one_opinion_per_opinion_raised() -> None:
    opened = openings(decoded(voter_contact()), HIERARCHY, served=("106",))
    assert [(o.collection, o.item_id, o.unit, o.day) for o in opened] == [
        ("opinions", "yk-1", "03424", RAISED),
        ("opinions", "yk-2", "03424", RAISED),
    ]
    assert opened[0].draft.type == "opinion.received"
    assert opened[0].draft.causation_id is not None


def test_units_not_served_open_nothing() -> None:
    assert openings(decoded(voter_contact()), HIERARCHY, served=("105",)) == []
    assert openings(decoded(voter_contact()), HIERARCHY, served=()) != []


def test_a_citizen_reception_opens_its_petitions() -> None:
    taken = [{"petition_id": "d1", "petition_type": "complaint", "summary": "Đất"}]
    periodic = reception(
        meeting_id="tcd-1", title="Tiếp công dân định kỳ", citizens_received=3, petitions=taken
    )
    (o,) = openings(decoded(periodic), HIERARCHY, served=())
    assert o.collection == "petitions" and isinstance(o.draft.payload, PetitionReceived)
    assert o.draft.payload.channel == "citizen_reception"


# -- figures -----------------------------------------------------------------------------------


def test_every_oversight_event_has_a_fold_and_every_figure_a_label() -> None:
    assert {m.TYPE for m in EVENTS} <= set(FOLDS)  # type: ignore[attr-defined]
    for rate in RATES.values():
        assert rate.numerator in LABELS and rate.denominator in LABELS


def test_follow_ups_count_on_the_day_the_item_was_raised() -> None:
    resolved = OpinionResolved(
        opinion_id="yk-1", raised_on=RAISED, resolved_on=date(2025, 8, 1), days_to_resolve=134
    )
    (c,) = contributions_of(decoded(resolved, day=date(2025, 8, 1)))
    assert (c.unit, c.day) == ("03424", RAISED)
    assert c.figures == Counter(
        opinions_resolved=1, opinion_days_to_resolve=134, voter_opinions_pending=-1
    )


def test_a_late_implementation_takes_back_the_overdue_it_was_counted_as() -> None:
    done = RecommendationImplemented(
        recommendation_id="kn",
        supervision_id="gs",
        issued_on=RAISED,
        deadline=date(2025, 5, 1),
        implemented_on=date(2025, 6, 1),
        was_overdue=True,
    )
    (c,) = contributions_of(decoded(done, unit="106"))
    assert c.figures == Counter(
        recommendations_implemented=1,
        recommendations_implemented_late=1,
        recommendations_overdue=-1,
    )


def test_only_petitions_by_mail_add_to_petitions_received() -> None:
    by_mail = PetitionReceived(
        petition_id="d", received_on=RAISED, petition_type="complaint", summary="x", channel="mail"
    )
    at_reception = by_mail.model_copy(update={"channel": "citizen_reception"})

    def received(petition: PetitionReceived) -> Counter[str]:
        (c,) = contributions_of(decoded(petition))
        return c.figures

    assert received(by_mail) == Counter(
        petitions_received=1, petitions_received_by_mail=1, petitions_pending=1
    )
    assert received(at_reception) == Counter(petitions_pending=1)
    settled = PetitionSettled(
        petition_id="d", received_on=RAISED, settled_on=date(2025, 3, 30), days_to_settle=10
    )
    assert contributions_of(decoded(settled))[0].figures["petitions_pending"] == -1


def test_started_supervisions_count_by_body_and_field() -> None:
    started = SupervisionStarted(
        supervision_id="gs",
        activity="verification",
        body="committee",
        committee="legal",
        field="budget",
        started_on=RAISED,
    )
    (c,) = contributions_of(decoded(started, unit="106"))
    assert c.figures == Counter(
        verifications_started=1,
        verifications_started_body_committee=1,
        verifications_started_field_budget=1,
    )
    assert all(key in LABELS for key in c.figures)


def test_rates_are_ratios_of_summed_counts() -> None:
    rates = rates_of(
        {
            "voter_opinions_raised": 96,
            "opinions_resolved": 40,
            "opinion_days_to_resolve": 600,
            "recommendations_issued": 8,
            "recommendations_implemented": 2,
        }
    )
    assert rates["opinion_resolution_rate"] == 41.7
    assert rates["opinion_mean_days_to_resolve"] == 15.0
    assert rates["recommendation_implementation_rate"] == 25.0
    assert rates["petition_settlement_rate"] is None


def test_a_correction_opens_the_opinions_it_adds_and_other_events_open_nothing() -> None:
    from contracts.meetings import MeetingCorrected

    before, after = voter_contact(opinions_raised=0, opinions=[]), voter_contact()
    corrected = MeetingCorrected(
        meeting_id="tx-1", previous=before.meeting, corrected=after.meeting
    )
    assert [o.item_id for o in openings(decoded(corrected), HIERARCHY, served=())] == [
        "yk-1",
        "yk-2",
    ]
    assert openings(decoded(before), HIERARCHY, served=()) == []
    started = SupervisionStarted(
        activity="survey", body="standing_committee", field="land", started_on=RAISED
    )
    assert openings(decoded(started), HIERARCHY, served=()) == []


# -- items following a corrected voter contact or citizen reception ---------------------------

MOVED_TO = date(2025, 2, 27)  # the contact of RAISED (2025-03-20) was really held then


def correction(before: MeetingHeld, after: MeetingHeld, served: tuple[str, ...] = ()) -> Any:
    from contracts.meetings import MeetingCorrected
    from services.oversight.intake import plan

    event = MeetingCorrected(meeting_id="tx-1", previous=before.meeting, corrected=after.meeting)
    (planned,) = plan(decoded(event, day=after.meeting.held_on), HIERARCHY, served)
    return planned


def stored(
    item_id: str, stage: str, raised: date = RAISED, resolved: date | None = None
) -> dict[str, Any]:
    """An opinion as ItemStore keeps it, taken up to `stage`."""
    days = {"received": raised.isoformat()}
    steps: dict[str, Any] = {}
    for step in ("forwarded", "answered", "resolved")[
        : ("received", "forwarded", "answered", "resolved").index(stage)
    ]:
        days[step] = (resolved or raised).isoformat()
        steps[step] = {"opinion_id": item_id, "raised_on": raised.isoformat()}
    if stage == "resolved":
        assert resolved is not None
        steps["resolved"] |= {
            "resolved_on": resolved.isoformat(),
            "days_to_resolve": (resolved - raised).days,
        }
    opened = {"opinion_id": item_id, "raised_on": raised.isoformat(), "meeting_id": "tx-1"}
    return {
        "_id": item_id,
        "unit": "03424",
        "stage": stage,
        "raised_on": raised.isoformat(),
        "days": days,
        "opened": opened,
        "steps": steps,
    }


def test_a_correction_is_planned_as_one_step_with_the_items_it_lists() -> None:
    from services.oversight.intake import Correction

    planned = correction(voter_contact(), voter_contact(held_on=MOVED_TO.isoformat()))
    assert isinstance(planned, Correction)
    assert (planned.unit, planned.meeting_id, planned.day) == ("03424", "tx-1", MOVED_TO)
    assert [o.item_id for o in planned.wanted] == ["yk-1", "yk-2"]
    unserved = correction(voter_contact(), voter_contact(), served=("105",))
    assert unserved.wanted == ()  # its items here, if any, are withdrawn


def test_items_a_correction_drops_are_withdrawn_and_kept_ones_move_with_the_meeting() -> None:
    from services.oversight.intake import reconcile

    kept = [voter_contact().meeting.opinions[0]]  # type: ignore[union-attr]
    after = voter_contact(held_on=MOVED_TO.isoformat(), opinions_raised=1, opinions=kept)
    resolved_on = date(2025, 4, 1)
    tracked = [
        ("opinions", stored("yk-1", "resolved", resolved=resolved_on)),
        ("opinions", stored("yk-2", "forwarded")),
    ]
    new, changes = reconcile(correction(voter_contact(), after), tracked)
    assert new == []
    moved, withdrawn = changes
    assert (moved.item_id, moved.kind, withdrawn.item_id, withdrawn.kind) == (
        "yk-1",
        "moved",
        "yk-2",
        "withdrawn",
    )
    assert moved.draft.type == "opinion.moved" and moved.draft.causation_id is not None
    assert moved.draft.payload.model_dump(mode="json") == {
        "opinion_id": "yk-1",
        "raised_on": "2025-02-27",
        "meeting_id": "tx-1",
        "previous_raised_on": "2025-03-20",
        "stage": "resolved",
        "previous_days_to_resolve": 12,
        "days_to_resolve": 33,  # counted again from the day it was really raised
    }
    assert moved.fields["raised_on"] == moved.fields["days.received"] == "2025-02-27"
    assert moved.fields["steps.resolved.days_to_resolve"] == 33
    assert moved.fields["steps.forwarded.raised_on"] == "2025-02-27"
    assert withdrawn.draft.occurred_at.date() == RAISED  # taken back where it counted
    assert withdrawn.draft.payload.model_dump(mode="json") == {
        "opinion_id": "yk-2",
        "raised_on": "2025-03-20",
        "meeting_id": "tx-1",
        "stage": "forwarded",
        "days_to_resolve": None,
    }
    assert withdrawn.fields == {"stage": "withdrawn", "withdrawn_at_stage": "forwarded"}


def test_a_correction_opens_new_items_reopens_withdrawn_ones_and_leaves_the_rest() -> None:
    from services.oversight.intake import reconcile

    tracked = [("opinions", stored("yk-1", "answered")), ("opinions", stored("yk-2", "received"))]
    tracked[1][1]["stage"] = "withdrawn"
    new, changes = reconcile(correction(voter_contact(), voter_contact()), tracked)
    assert new == []
    (reopened,) = changes  # yk-1 is where it was, on the same day: nothing to do
    assert (reopened.item_id, reopened.kind, reopened.draft.type) == (
        "yk-2",
        "reopened",
        "opinion.received",
    )
    assert reopened.opening is not None and reopened.opening.day == RAISED
    new, changes = reconcile(correction(voter_contact(), voter_contact()), [])
    assert [o.item_id for o in new] == ["yk-1", "yk-2"] and changes == []


def test_a_voter_contact_corrected_into_a_reception_withdraws_its_opinions() -> None:
    from services.oversight.intake import reconcile

    taken = [{"petition_id": "d1", "petition_type": "reflection", "summary": "s"}]
    ad_hoc = reception(reception_type="ad_hoc", petitions=taken)
    tracked = [("opinions", stored("yk-1", "received"))]
    new, changes = reconcile(correction(voter_contact(), ad_hoc), tracked)
    assert [(o.collection, o.item_id) for o in new] == [("petitions", "d1")]
    assert [(c.item_id, c.kind) for c in changes] == [("yk-1", "withdrawn")]


def test_a_petition_settled_then_moved_counts_its_days_from_the_new_day() -> None:
    from services.oversight.intake import reconcile

    held, later = reception(), reception(held_on=date(2025, 3, 25))
    doc = {
        "_id": "d1",
        "unit": "03424",
        "stage": "settled",
        "raised_on": RAISED.isoformat(),
        "days": {"received": RAISED.isoformat()},
        "opened": {"petition_id": "d1", "received_on": RAISED.isoformat(), "meeting_id": "tx-1"},
        "steps": {
            "transferred": {"received_on": RAISED.isoformat()},
            "settled": {"settled_on": "2025-03-24", "days_to_settle": 4},
        },
    }
    (moved,) = reconcile(correction(held, later), [("petitions", doc)])[1]
    assert moved.draft.type == "petition.moved"
    payload = moved.draft.payload.model_dump(mode="json")
    assert (payload["previous_days_to_settle"], payload["days_to_settle"]) == (4, 0)
    assert moved.fields["opened.received_on"] == "2025-03-25"


def test_a_withdrawn_item_takes_no_further_step() -> None:
    with pytest.raises(Conflict) as refused:
        advance(OPINION, opinion("withdrawn"), "forwarded", RAISED, TODAY)
    assert "withdrawn" in refused.value.message


def test_a_withdrawn_opinion_takes_back_what_it_counted_on_its_day() -> None:
    from contracts.oversight import OpinionWithdrawn, PetitionWithdrawn

    answered = OpinionWithdrawn(
        opinion_id="yk", raised_on=RAISED, meeting_id="tx", stage="answered"
    )
    (c,) = contributions_of(decoded(answered))
    assert c.day == RAISED
    assert c.figures == Counter(
        voter_opinions_pending=-1, opinions_forwarded=-1, opinions_answered=-1
    )
    resolved = OpinionWithdrawn(
        opinion_id="yk", raised_on=RAISED, meeting_id="tx", stage="resolved", days_to_resolve=9
    )
    assert contributions_of(decoded(resolved))[0].figures == Counter(
        opinions_forwarded=-1,
        opinions_answered=-1,
        opinions_resolved=-1,
        opinion_days_to_resolve=-9,
    )
    petition = PetitionWithdrawn(
        petition_id="d", received_on=RAISED, meeting_id="tcd", stage="received"
    )
    assert contributions_of(decoded(petition))[0].figures == Counter(petitions_pending=-1)


# Opinion yk of the contact tx, moved from RAISED to MOVED_TO by a correction of the contact;
# where it had come to (`stage`, its days) is each test's own.
MOVED_OPINION: dict[str, Any] = {
    "opinion_id": "yk",
    "raised_on": MOVED_TO,
    "previous_raised_on": RAISED,
    "meeting_id": "tx",
}


def test_a_moved_opinion_leaves_its_old_day_and_counts_on_the_new_one() -> None:
    from contracts.oversight import OpinionMoved, PetitionMoved

    moved = OpinionMoved.model_validate(
        MOVED_OPINION | {"stage": "resolved", "previous_days_to_resolve": 12, "days_to_resolve": 33}
    )
    old, new = contributions_of(decoded(moved, day=MOVED_TO))
    assert (old.day, new.day) == (RAISED, MOVED_TO)
    counted = Counter(opinions_forwarded=1, opinions_answered=1, opinions_resolved=1)
    assert new.figures == counted + Counter(opinion_days_to_resolve=33)
    assert old.figures == Counter(
        opinions_forwarded=-1,
        opinions_answered=-1,
        opinions_resolved=-1,
        opinion_days_to_resolve=-12,
    )
    pending = PetitionMoved(
        petition_id="d",
        received_on=MOVED_TO,
        previous_received_on=RAISED,
        meeting_id="tcd",
        stage="transferred",
    )
    old, new = contributions_of(decoded(pending, day=MOVED_TO))
    assert old.figures == Counter(petitions_pending=-1, petitions_transferred=-1)
    assert new.figures == Counter(petitions_pending=1, petitions_transferred=1)


@pytest.mark.parametrize(
    "changes",
    [
        {"stage": "resolved"},  # resolved without its days
        {"stage": "answered", "days_to_resolve": 3, "previous_days_to_resolve": 3},
        {"previous_raised_on": MOVED_TO},  # nothing moved
    ],
)
def test_a_move_must_say_what_it_moves(changes: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from contracts.oversight import OpinionMoved

    with pytest.raises(ValidationError):
        OpinionMoved.model_validate(MOVED_OPINION | {"stage": "received"} | changes)


# -- a correction moving an item after its last step --------------------------------------------


def _set(doc: dict[str, Any], fields: dict[str, Any]) -> None:
    """Apply a MongoDB `$set` of dotted fields to `doc`, as ItemStore would."""
    for dotted, value in fields.items():
        *path, last = dotted.split(".")
        target = doc
        for key in path:
            target = target[key]
        target[last] = value


def _took_step(doc: dict[str, Any], lifecycle: Any, to: str, on: date, drafts: list[Any]) -> None:
    """Record the step `to` on `on` in `doc` as ItemStore.step does once `advance` allowed it."""
    assert advance(lifecycle, tracked_of(doc), to, on, TODAY)
    doc["stage"] = to
    doc["days"][to] = on.isoformat()
    doc["steps"][to] = drafts[0].payload.model_dump(mode="json")


LATER = date(2025, 4, 10)  # the meeting of RAISED (2025-03-20) was really held then


@pytest.mark.parametrize("kind", ["opinion", "petition"])
def test_an_item_moved_after_its_last_step_counts_zero_days_and_its_retry_changes_nothing(
    kind: str,
) -> None:
    """A correction moves the item's meeting to LATER, after the day it was resolved
    (settled): its resolution stays on its day, counts 0 days (never negative), and retrying
    that step as first taken is still a retry; with other details, a conflict."""
    from services.oversight.intake import reconcile

    closed_on = date(2025, 4, 1)
    if kind == "opinion":
        collection, lifecycle, final, took = "opinions", OPINION, "resolved", "days_to_resolve"
        doc = stored("yk-1", "answered")
        doc["days"] = {"received": RAISED.isoformat(), "forwarded": "2025-03-25"}
        doc["days"]["answered"] = "2025-03-28"

        def close(item: Tracked, detail: str | None) -> list[Any]:
            return followups.opinion_resolved(item, closed_on, detail)

        kept = [voter_contact().meeting.opinions[0]]  # type: ignore[union-attr]
        before = voter_contact(opinions_raised=1, opinions=kept)
        after = voter_contact(held_on=LATER.isoformat(), opinions_raised=1, opinions=kept)
    else:
        collection, lifecycle, final, took = "petitions", PETITION, "settled", "days_to_settle"
        day = RAISED.isoformat()
        doc = {
            "_id": "d1",
            "unit": "03424",
            "stage": "transferred",
            "raised_on": day,
            "days": {"received": day, "transferred": "2025-03-25"},
            "opened": {"petition_id": "d1", "received_on": day, "meeting_id": "tx-1"},
            "steps": {"transferred": {"petition_id": "d1", "received_on": day}},
        }

        def close(item: Tracked, detail: str | None) -> list[Any]:
            return followups.petition_settled(item, closed_on, detail)

        before, after = reception(held_on=RAISED), reception(held_on=LATER)

    _took_step(doc, lifecycle, final, closed_on, close(tracked_of(doc), "done"))
    assert doc["steps"][final][took] == 12

    (moved,) = reconcile(correction(before, after), [(collection, doc)])[1]
    assert moved.kind == "moved"
    payload = moved.draft.payload.model_dump(mode="json")
    assert (payload[f"previous_{took}"], payload[took]) == (12, 0)
    _set(doc, moved.fields)
    assert doc["raised_on"] == LATER.isoformat() and doc["steps"][final][took] == 0

    item = tracked_of(doc)
    assert advance(lifecycle, item, final, closed_on, TODAY) is False  # a retry
    (again,) = close(item, "done")  # rebuilt to compare with what was stored, no error
    assert again.payload.model_dump(mode="json") == doc["steps"][final]
    assert again.payload.model_dump(mode="json")[took] == 0
    (other,) = close(item, "something else")
    assert other.payload.model_dump(mode="json") != doc["steps"][final]
    with pytest.raises(Conflict):  # another day is no retry: it has no further step
        advance(lifecycle, item, final, LATER, TODAY)

    (back,) = reconcile(correction(after, before), [(collection, doc)])[1]  # corrected back
    payload = back.draft.payload.model_dump(mode="json")
    assert (payload[f"previous_{took}"], payload[took]) == (0, 12)


def test_days_to_close_are_never_negative() -> None:
    from services.oversight.tracking import days_to_close

    assert days_to_close(RAISED, date(2025, 4, 19)) == 30
    assert days_to_close(RAISED, RAISED) == 0
    assert days_to_close(LATER, date(2025, 4, 1)) == 0  # moved after it was closed


@pytest.mark.parametrize("model", ["opinion", "petition"])
def test_a_closing_event_dated_before_its_item_counts_zero_days_and_no_other(model: str) -> None:
    from pydantic import ValidationError

    if model == "opinion":
        fields: dict[str, Any] = {
            "opinion_id": "yk",
            "raised_on": LATER,
            "resolved_on": date(2025, 4, 1),
        }
        make: Any = OpinionResolved
        took = "days_to_resolve"
    else:
        fields = {"petition_id": "d", "received_on": LATER, "settled_on": date(2025, 4, 1)}
        make = PetitionSettled
        took = "days_to_settle"
    assert getattr(make(**fields, **{took: 0}), took) == 0
    for wrong in (-9, 3):
        with pytest.raises(ValidationError):
            make(**fields, **{took: wrong})
