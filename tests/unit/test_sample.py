"""The `make run` sample, without servers: deterministic, every record valid for its route,
every unit existing on the record's day, every kind of activity in it, ids unique."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    TaskSet,
)
from contracts.meetings import Meeting, MeetingKind, MeetingScheduled
from contracts.oversight import SupervisionFinished, SupervisionPlanned
from deploy.sample import SAMPLE_END, SAMPLE_PROVINCE, Chain, Post, sample_chains, within
from services.common.hierarchy import Hierarchy
from services.meetings.api import Cancellation, Correction
from services.oversight.steps import (
    AnswerOpinion,
    FinishSupervision,
    ForwardOpinion,
    ImplementRecommendation,
    PetitionByMail,
    ResolveOpinion,
    SettlePetition,
    StartSupervision,
    TransferPetition,
)
from services.reporting.coordination.api import Answer, ReportToFile, StatusChange

HIERARCHY = Hierarchy.load()
CHAINS = sample_chains(HIERARCHY)
POSTS = [p for c in CHAINS for p in c.posts]

# The model each route validates its body with, by the path's last segment.
MODELS: dict[str, Any] = {
    "meetings": TypeAdapter(Meeting),
    "scheduled-meetings": MeetingScheduled,
    "hold": TypeAdapter(Meeting),
    "cancel": Cancellation,
    "correct": Correction,
    "supervisions": SupervisionFinished,
    "supervision-plans": SupervisionPlanned,
    "started": StartSupervision,
    "finished": FinishSupervision,
    "implemented": ImplementRecommendation,
    "forwarded": ForwardOpinion,
    "answered": AnswerOpinion,
    "resolved": ResolveOpinion,
    "petitions": PetitionByMail,
    "transferred": TransferPetition,
    "settled": SettlePetition,
    "delegates": CouncilDelegatesDeclared,
    "staff": CouncilStaffDeclared,
    "reports": ReportToFile,
    "tasks": TaskSet,
    "status": StatusChange,
    "proposals": ProposalRaised,
    "answer": Answer,
}
# The day a record is made on, for the routes whose unit must exist that day.
DAY_OF: dict[str, str] = {
    "meetings": "held_on",
    "scheduled-meetings": "scheduled_for",
    "hold": "held_on",
    "supervisions": "finished_on",
    "supervision-plans": "planned_on",
    "started": "started_on",
    "finished": "finished_on",
    "petitions": "received_on",
    "delegates": "as_of",
    "staff": "as_of",
    "reports": "filed_on",
    "tasks": "set_on",
    "status": "changed_on",
    "proposals": "raised_on",
    "answer": "answered_on",
}


def route(post: Post) -> str:
    return post.path.rsplit("/", 1)[1]


def test_the_sample_is_the_same_every_time() -> None:
    assert sample_chains(HIERARCHY) == CHAINS


def test_its_size_stays_near_two_thousand_records() -> None:
    assert 2000 <= len(POSTS) <= 2400


def test_every_body_is_valid_for_its_route() -> None:
    invalid = []
    for post in POSTS:
        model = MODELS[route(post)]
        try:
            if isinstance(model, TypeAdapter):
                model.validate_python(post.body)
            else:
                assert issubclass(model, BaseModel)
                model.model_validate(post.body)
        except ValidationError as exc:
            invalid.append((post.path, str(exc)[:300]))
    assert invalid == []


def test_every_unit_exists_in_the_province_on_the_day_of_its_record() -> None:
    wrong = []
    for post in POSTS:
        field = DAY_OF.get(route(post))
        if field is None:
            continue
        unit, day = post.path.split("/")[2], date.fromisoformat(post.body[field])
        if HIERARCHY.find(unit, day) is None or not (
            unit == SAMPLE_PROVINCE or HIERARCHY.is_within(unit, SAMPLE_PROVINCE, day)
        ):
            wrong.append((post.path, day))
    assert wrong == []


def test_every_day_is_in_the_sample_months() -> None:
    days = [
        date.fromisoformat(v)
        for p in POSTS
        for k, v in p.body.items()
        if k.endswith("_on") or k in ("as_of", "scheduled_for")
    ]
    assert min(days) >= date(2025, 1, 1) and max(days) <= SAMPLE_END


def test_ids_are_unique() -> None:
    def ident(post: Post) -> str:
        body = post.body
        keys = ("meeting_id", "supervision_id", "petition_id", "declaration_id", "report_id")
        keys += ("task_id", "proposal_id")
        found = next((str(body[k]) for k in keys if k in body), "")
        return f"{post.path} {found} {route(post)}"

    steps = Counter(ident(p) for p in POSTS)
    assert [k for k, n in steps.items() if n > 1] == []
    opinions = [o["opinion_id"] for p in POSTS for o in p.body.get("opinions", [])]
    petitions = [x["petition_id"] for p in POSTS for x in p.body.get("petitions", [])]
    assert len(set(opinions)) == len(opinions) and len(set(petitions)) == len(petitions)


def test_every_kind_of_activity_is_in_it() -> None:
    kinds = Counter(p.body["kind"] for p in POSTS if route(p) == "meetings")
    assert set(kinds) == set(MeetingKind)
    routes = Counter(route(p) for p in POSTS)
    assert set(routes) == set(MODELS)
    sessions = [
        p.body for p in POSTS if route(p) in ("meetings", "hold") and p.body["kind"] == "session"
    ]
    assert {s["session_type"] for s in sessions} == {"regular", "thematic", "extraordinary"}
    assert all(s["delegates_elected"] >= s["delegates_present"] for s in sessions)
    activities = {p.body["activity"] for p in POSTS if route(p) == "supervision-plans"}
    assert activities == {"thematic_supervision", "survey", "verification"}
    statuses = {p.body["status"] for p in POSTS if route(p) == "status"}
    assert statuses == {"done", "in_progress", "cancelled"}


def test_follow_ups_come_after_the_meeting_that_opens_their_item() -> None:
    for i, chain in enumerate(CHAINS):
        if chain.after is None:
            continue
        meeting = CHAINS[chain.after].posts[0]
        assert chain.after < i and meeting.service == "meetings"
        assert chain.probe is not None and chain.probe.opened_by_service
        items = meeting.body.get("opinions", []) + meeting.body.get("petitions", [])
        ids = {x.get("opinion_id") or x.get("petition_id") for x in items}
        assert chain.probe.path.rsplit("/", 1)[1] in ids


def test_a_smaller_sample_keeps_its_chains_whole() -> None:
    units = {SAMPLE_PROVINCE, "106"}
    part: list[Chain] = within(CHAINS, units)
    assert 0 < len(part) < len(CHAINS)
    assert all(c.posts[0].path.split("/")[2] in units for c in part)
    for i, chain in enumerate(part):
        if chain.after is not None:
            assert chain.after < i and part[chain.after].posts[0].service == "meetings"


def session_types(posts: list[Post]) -> Counter[str]:
    """Sessions (kỳ họp) held in the sample, by type: each recorded or held once."""
    held = Counter[str]()
    for post in posts:
        if route(post) in ("meetings", "hold") and post.body.get("kind") == "session":
            held[post.body["session_type"]] += 1
    return held


def test_sessions_are_mostly_regular_some_thematic_and_rarely_extraordinary() -> None:
    """A council holds its two regular sessions a year, a thematic one now and then, and an
    extraordinary one only when something cannot wait (the 2025 reform was one such)."""
    held = session_types(POSTS)
    total = held.total()
    assert held["regular"] >= 0.6 * total, held
    assert 0 < held["thematic"] < held["regular"], held
    assert 0 < held["extraordinary"] <= 0.15 * total, held
