"""Every figure adds up, and a reused code never joins two councils' figures.

For every unit, period (month, quarter, 6 and 9 months, year, term, a range, those that
straddle the 2025 reform) and view: `total = own + Σ children's totals` for every figure
(rates are computed from these counts), a unit without children has `total = own`, and a
child's row is its own summary. Over the `make run` sample (recorded once for the module: the
province, Huyện Sìn Hồ (108) with its communes and the 2025 communes they went into), and over
random histories (Hypothesis) of every kind of record that makes a figure, in a small tree
whose codes are reused in 2025 by other councils, with random hierarchy changes in both eras,
folded and queried on mongod.

The issue's case: Xã Tủa Sín Chải (03529 from 2025-07-01) has no unit below it, yet showed for
2025-9M the reports its code's legacy namesake Xã Làng Mô (03529 until 2025-06-30) owed.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Decoded, EventDraft, Source
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    ReportFiled,
    TaskSet,
)
from deploy.local import Endpoints
from deploy.sample import SAMPLE_PROVINCE, record_sample
from services.common.errors import DomainError
from services.common.hierarchy import Hierarchy
from services.common.hierarchy.units import ERAS
from services.common.mongo import Document, connect, in_transaction
from services.common.outbox import Outbox
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.coordination import domain as coordination
from services.reporting.coordination.extra import CoordinationExtra
from services.reporting.coordination.store import CoordinationStore
from services.reporting.deadlines.service import Deadlines
from services.reporting.deadlines.sessions import SessionStore
from services.reporting.deadlines.store import RulesStore
from services.reporting.read.periods import month_end, month_start, parse_period
from services.reporting.read.projector.fold import Fold
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.read.views import TodayViews, Views, eras_of
from services.reporting.wiring import Reporting
from tests.builders import held_voter_contact, legacy_province
from tests.conftest import Running, bearer, eventually, isolated_settings, start_app
from tests.unit.test_hierarchy_changes import LEGACY, NEW, POOL

pytestmark = pytest.mark.integration

HIERARCHY = Hierarchy.load()
DISTRICT, TUA_SIN_CHAI = "108", "03529"  # Huyện Sìn Hồ; Xã Làng Mô, then Xã Tủa Sín Chải
UNITS = {SAMPLE_PROVINCE, DISTRICT} | {
    code
    for c in HIERARCHY.children(DISTRICT, "legacy")
    for code in (c.code, *HIERARCHY.successors(c.code))
}
PERIODS = [
    "2025-03",
    "2025-08",
    "2025-Q2",
    "2025-Q3",
    "2025-H1",
    "2025-H2",
    "2025-9M",
    "2025",
    "2025-05..2025-08",
    "2021-2026",
]
VIEWS = ("as_it_was", "as_today")


@pytest.fixture(scope="module")
async def sample(servers: Endpoints, unit_keys: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The reporting service's client once every record of the sample is counted."""
    settings = isolated_settings(servers, unit_keys).model_copy(update={"units": [SAMPLE_PROVINCE]})
    headers = bearer(SAMPLE_PROVINCE)
    async with AsyncExitStack() as stack:
        apps: dict[str, Running] = {
            name: await start_app(stack, create(settings), f"http://{name}", headers)
            for name, create in (
                ("meetings", meetings_app),
                ("oversight", oversight_app),
                ("reporting", reporting_app),
            )
        }
        outcome = await record_sample(
            {name: app.client for name, app in apps.items()},
            HIERARCHY,
            before_followups=apps["oversight"].app.state.oversight.sweep_overdue,
            show_progress=False,
            units=UNITS,
        )
        assert outcome["refused"] == 0, outcome
        runtimes = [apps[name].app.state[name].runtime for name in apps]
        reporting: Reporting = apps["reporting"].app.state.reporting

        intake = apps["oversight"].app.state.oversight.intake.status  # opens items of meetings

        async def counted() -> None:
            meetings = await runtimes[0].outbox.rows.count_documents({})
            assert intake.handled >= meetings and intake.caught_up
            assert [await r.outbox.pending_count() for r in runtimes] == [0, 0, 0]
            published = [await r.outbox.rows.count_documents({}) for r in runtimes]
            projector, coordination = reporting.consumer.status, reporting.coordination.consumer
            assert projector.handled >= sum(published) and projector.caught_up
            assert coordination.status.handled >= published[-1]

        await eventually(counted, within=60, interval=0.2)
        yield apps["reporting"].client


async def summary(client: httpx.AsyncClient, unit: str, period: str, view: str) -> Any:
    r = await client.get(f"/units/{unit}/summary", params={"period": period, "view": view})
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()


Answers = Mapping[tuple[str, str, str], Any]  # (unit, period, view) → summary, None if 404


def stayed(hierarchy: Hierarchy, child: str, parent: str, period: str) -> bool:
    """Whether `child` was below `parent` whenever it existed during the period (its row is
    then all of its own summary; a change moving it makes a row the part under `parent`)."""
    asked = parse_period(period)
    start, end = month_start(asked.first), month_end(asked.last)
    days = [start, *(d for era in ERAS for d in hierarchy.change_dates(era) if start < d <= end)]
    return all(
        (unit := hierarchy.find(child, day)) is None or unit.parent == parent for day in days
    )


def assert_add_up(answers: Answers, hierarchy: Hierarchy) -> None:
    """Every summary's total is its own figures plus its children's totals (so a unit without
    children has total = own), and a child's row is what the child's own summary says."""
    wrong: list[str] = []
    for (code, period, view), s in answers.items():
        if s is None:  # the code named no unit then (as today: names none today)
            if view == "as_today":
                assert hierarchy.current(code, "2025") != code, (code, period, view)
            else:
                eras = eras_of(parse_period(period))
                assert not any(hierarchy.find(code, era) for era in eras), (code, period, view)
            continue
        where = f"{code} ({s['unit']['name']}) {period} {view}"
        for key, total in s["figures"].items():
            own = s["own"].get(key, 0)
            below = sum(c["figures"].get(key, 0) for c in s["children"])
            if total != own + below:
                wrong.append(f"{where}: {key} {total} ≠ own {own} + children {below}")
        for row in s["children"]:
            alone = answers.get((row["code"], period, view))
            if alone is None or alone["unit"]["era"] != row["era"]:
                continue  # not asked, or its code names another council over the period
            if view == "as_today" or stayed(hierarchy, row["code"], code, period):
                differ = {k: (v, alone["figures"][k]) for k, v in row["figures"].items()}
                differ = {k: v for k, v in differ.items() if v[0] != v[1]}
                if differ:
                    wrong.append(f"{where}: row of {row['code']} ≠ its summary: {differ}")
    assert wrong == [], f"{len(wrong)} do not add up, e.g.\n" + "\n".join(wrong[:25])


async def test_every_total_is_own_plus_the_children_for_every_unit_period_and_view(
    sample: httpx.AsyncClient,
) -> None:
    answers: dict[tuple[str, str, str], Any] = {}
    codes = sorted(UNITS)
    for view in VIEWS:
        for period in PERIODS:  # a unit's requests at once: they wait on mongod, not the CPU
            got = await asyncio.gather(*(summary(sample, c, period, view) for c in codes))
            answers.update({(c, period, view): s for c, s in zip(codes, got, strict=True)})
    assert_add_up(answers, HIERARCHY)


async def test_a_2025_commune_shows_none_of_its_legacy_namesakes_figures(
    sample: httpx.AsyncClient,
) -> None:
    """As it was, 2025-9M of Xã Tủa Sín Chải is its own council's from July: the one report it
    owes (2025-H1, due on 5 July), not the 2024 report Xã Làng Mô owed in January."""
    s = await summary(sample, TUA_SIN_CHAI, "2025-9M", "as_it_was")
    assert s["unit"]["name"] == "Xã Tủa Sín Chải"
    assert s["figures"] == s["own"]
    assert s["figures"]["reports_due"] == 1
    third_quarter = await summary(sample, TUA_SIN_CHAI, "2025-Q3", "as_it_was")
    assert s["figures"] == third_quarter["figures"]
    # Làng Mô's figures are its own, before the reform (and in its district's row).
    lang_mo = await summary(sample, TUA_SIN_CHAI, "2025-H1", "as_it_was")
    assert lang_mo["unit"]["name"] == "Xã Làng Mô" and lang_mo["figures"] == lang_mo["own"]
    # The report document says so, from the same summary.
    r = await sample.get(f"/units/{TUA_SIN_CHAI}/report", params={"period": "2025-9M"})
    assert r.status_code == 200, r.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert "Có 1 báo cáo định kỳ đến hạn phải gửi" in text, text


# -- random histories -------------------------------------------------------------------------

# The tree of the hierarchy-change tests (Tỉnh Một, 01, with two districts; in 2025 Tỉnh Một
# and Tỉnh Hai, 02, with three communes each) and a legacy Tỉnh Hai (02) whose code the 2025
# Tỉnh Hai reuses without carrying its history: legacy 01 and 02 both went into 2025 01. Most
# commune codes name other councils after the reform: 2025 00001 succeeds legacy 00002 and
# 00005 (legacy 00001 went into 00003), legacy 00003 is divided between 00003 (its default
# successor) and 00002, and 00004..00006 of 2025 have no legacy history.
TREE = Hierarchy.from_units(
    [*LEGACY, *legacy_province("02", "Tỉnh Hai", {"003": ("Huyện Ba", {"00005": "Xã Năm"})}), *NEW],
    {
        "00001": ["00003"],
        "00002": ["00001"],
        "00003": ["00003", "00002"],
        "00004": ["00002"],
        "00005": ["00001"],
    },
)
# Their changes in both eras that take effect on the first of a month (a month document shows
# the parent on its last day: a change inside a month splits that month exactly by day only).
CHANGES = [c for c in POOL if c.effective.day == 1]
TODAY = date(2026, 5, 1)
SOURCE = Source(service="reporting", instance="prop")
CODES = sorted(
    {u.code for era in ("legacy", "2025") for u in TREE.units(era)} | {"00009", "00010", "00011"}
)  # with the units the changes establish
REPORTS = ["2024-H1", "2024-9M", "2024", "2025-H1", "2025-9M", "2025"]
TASK_PERIODS = ["2024-Q4", "2025-Q2", "2025-Q3", "2025-H2", "2026-Q1"]
GENERATED_PERIODS = [*PERIODS, "2024", "2025-06", "2025-07", "2026", "2024-11..2025-02"]


def _record(draw: st.DrawFn, n: int, tree: Hierarchy) -> Decoded[BaseModel] | None:
    """One record some council of the tree could make, drafted by the coordination and
    meetings rules (None when they refuse it, e.g. a report not yet owed)."""
    context = coordination.Context(tree, (), TODAY)
    day = draw(st.dates(date(2024, 1, 1), date(2026, 4, 30)))
    unit = draw(st.sampled_from(sorted(u.code for u in tree.units(day))))
    kind = draw(st.sampled_from(["contact", "delegates", "staff", "report", "task", "proposal"]))
    try:
        if kind == "contact":
            voters = draw(st.integers(1, 90))
            contact: Decoded[Any] = held_voter_contact(unit, day, n, voters, source=SOURCE)
            return contact
        if kind == "delegates":
            seats = draw(st.integers(1, 60))
            declared = CouncilDelegatesDeclared(
                declaration_id=f"d{n}",
                term="2021-2026",
                as_of=day,
                seats=seats,
                delegates_trained=draw(st.integers(0, seats)),
            )
            return _sealed(coordination.declare_delegates(context, unit, declared), n)
        if kind == "staff":
            staff = CouncilStaffDeclared(
                declaration_id=f"s{n}",
                as_of=day,
                full_time=draw(st.integers(0, 5)),
                part_time=draw(st.integers(0, 5)),
            )
            return _sealed(coordination.declare_staff(context, unit, staff), n)
        if kind == "report":
            period = parse_period(draw(st.sampled_from(REPORTS)))
            due = coordination.due_on(tree.unit(unit, day).level, period)
            filed_on = due + timedelta(days=draw(st.integers(-20, 30)))
            command = coordination.FileReport(unit, f"r{n}", period.key, filed_on)
            return _sealed(coordination.file_report(context, command), n)
        if kind == "task":
            task = TaskSet(
                task_id=f"t{n}",
                period=draw(st.sampled_from(TASK_PERIODS)),
                title="Nhiệm vụ",
                set_on=day,
            )
            return _sealed(coordination.set_task(context, unit, task), n)
        above = tree.ancestors(unit, day)
        if not above:
            return None  # a province has no council above it
        raised = ProposalRaised(
            proposal_id=f"p{n}", to_unit=above[0], kind="recommendation", title="Kiến nghị",
            raised_on=day,
        )  # fmt: skip
        return _sealed(coordination.raise_proposal(context, unit, raised), n)
    except DomainError:
        return None


def _sealed(draft: EventDraft, n: int) -> Decoded[BaseModel]:
    return Decoded(draft.seal(SOURCE, n), draft.payload)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Hierarchy, list[Decoded[BaseModel]]]:
    tree = TREE.copy()
    tree.apply(draw(st.lists(st.sampled_from(CHANGES), unique_by=lambda c: c.change_no)))
    records: list[Decoded[BaseModel]] = []
    filed: set[tuple[str, str]] = set()  # a council files a report once (a retry is unchanged)
    for n in range(1, draw(st.integers(1, 30)) + 1):
        record = _record(draw, n, tree)
        if record is None:
            continue
        if isinstance(record.payload, ReportFiled):
            if (record.envelope.unit, record.payload.period) in filed:
                continue
            filed.add((record.envelope.unit, record.payload.period))
        records.append(record)
    return tree, records


@dataclass
class Stores:
    """One database for every example: emptied before each, its indexes made once."""

    client: AsyncMongoClient[Document]
    projection: ProjectionStore
    documents: CoordinationStore
    deadlines: Deadlines  # the default rules: none set in this database

    async def record(
        self, tree: Hierarchy, records: list[Decoded[BaseModel]]
    ) -> tuple[Views, TodayViews]:
        """The records folded and stored as the projector and the coordination consumer do."""
        for collection in (
            self.projection.unit_months,
            self.projection.unit_days,
            self.projection.streams,
            self.documents.declarations,
            self.documents.filings,
        ):
            await collection.delete_many({})
        kept = [
            ("declarations", CoordinationStore.declaration_upsert(r))
            if r.envelope.type in (CouncilDelegatesDeclared.TYPE, CouncilStaffDeclared.TYPE)
            else ("filings", CoordinationStore.filing_upsert(r))
            for r in records
            if r.envelope.type in DOCUMENTED
        ]

        async def write(session: AsyncClientSession) -> None:
            fold = Fold(tree, {})
            for r in records:
                fold.add(r)
            await self.projection.apply(session, fold, [])
            if kept:
                await self.documents.apply(session, kept)

        await in_transaction(self.client, write)
        extra = CoordinationExtra(self.documents, tree, lambda: TODAY, self.deadlines)
        unit_months = self.projection.unit_months
        return Views(unit_months, tree, [extra]), TodayViews(unit_months, tree, [extra])


DOCUMENTED = {CouncilDelegatesDeclared.TYPE, CouncilStaffDeclared.TYPE, ReportFiled.TYPE}


@pytest.fixture(scope="module")
async def stores(servers: Endpoints, unit_keys: Path) -> AsyncIterator[Stores]:
    # the operator's client: the servers require a user, and this database is nobody's service
    client: AsyncMongoClient[Document] = connect(isolated_settings(servers, unit_keys), "sums")
    db = client[f"sums{os.getpid()}"]
    projection = ProjectionStore(db)
    await projection.create_indexes()
    documents = CoordinationStore(db, Outbox(db, SOURCE), "unused")
    await documents.create_indexes()
    deadlines = Deadlines(RulesStore(db, Outbox(db, SOURCE), "unused"), SessionStore(db))
    try:
        yield Stores(client, projection, documents, deadlines)
    finally:
        await client.drop_database(db.name)
        await client.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=histories(),
    periods=st.lists(st.sampled_from(GENERATED_PERIODS), min_size=1, max_size=3, unique=True),
)
async def test_random_histories_add_up_in_every_unit_period_and_view(
    stores: Stores, history: tuple[Hierarchy, list[Decoded[BaseModel]]], periods: list[str]
) -> None:
    tree, records = history
    views, today_views = await stores.record(tree, records)

    async def as_it_was(code: str, period: str) -> Any:
        was = await views.summary(code, parse_period(period))
        return was and was.as_json()

    asked = [(code, period) for period in periods for code in CODES]
    was = await asyncio.gather(*(as_it_was(c, p) for c, p in asked))
    now = await asyncio.gather(*(today_views.summary(c, parse_period(p)) for c, p in asked))
    answers = {(c, p, "as_it_was"): s for (c, p), s in zip(asked, was, strict=True)}
    answers.update({(c, p, "as_today"): s for (c, p), s in zip(asked, now, strict=True)})
    assert_add_up(answers, tree)
