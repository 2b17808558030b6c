"""Follow-ups of opinions and petitions, oversight and coordination records."""

from __future__ import annotations

from datetime import date, timedelta

from deploy.sample.builder import SampleBase
from deploy.sample.posts import (
    SAMPLE_END,
    TERM,
    Json,
    Post,
    Probe,
)
from deploy.sample.texts import (
    FINDINGS,
    PROPOSAL_ANSWERS,
    RECOMMENDATIONS,
    local,
    lower_first,
)
from services.common.hierarchy import Unit


class Records(SampleBase):
    """Records beside the meetings: follow-ups, supervisions, declarations, reports,
    tasks and proposals."""

    # -- oversight -------------------------------------------------------------------------------

    def supervision(
        self,
        unit: Unit,
        sid: str,
        plan: Json,
        planned: date,
        started: date | None,
        finished: date | None,
        recommendations: int,
    ) -> None:
        base = f"/units/{unit.code}/supervision-plans"
        below = self.below(unit)
        supervised = [u.code for u in self.rng.sample(below, k=min(len(below), 3))] or [unit.code]
        body = {
            "supervision_id": sid,
            **plan,
            "planned_on": str(planned),
            "starts_on": str(started or planned + timedelta(days=20)),
            "supervised_units": supervised,
        }
        posts = [Post("oversight", base, body, "planned")]
        if started is not None:
            posts.append(
                Post("oversight", f"{base}/{sid}/started", {"started_on": str(started)}, "started")
            )
        late: list[Post] = []
        if started is not None and finished is not None:
            recs = []
            for i in range(recommendations):
                rid = f"{sid}-kn{i + 1}"
                deadline = finished + timedelta(days=self.rng.choice([30, 45, 60, 90]))
                agency = self.agencies(unit, plan["field"], finished)
                recs.append(
                    {
                        "recommendation_id": rid,
                        "text": self.rng.choice(RECOMMENDATIONS).format(a=agency),
                        "addressed_to": agency,
                        "deadline": str(deadline),
                    }
                )
            finish = {
                "finished_on": str(finished),
                "findings": self.rng.choice(FINDINGS),
                "report_ref": f"{self.rng.randint(12, 240)}/BC-HĐND",
                "recommendations": recs,
            }
            posts.append(Post("oversight", f"{base}/{sid}/finished", finish, "finished"))
            for rec in recs:
                deadline = date.fromisoformat(rec["deadline"])
                fate = self.rng.random()
                if fate < 0.45:  # in time: with the activity (the same day again is a retry)
                    days = self.rng.randint(7, (deadline - finished).days)
                    done, to = finished + timedelta(days=days), posts
                elif fate < 0.65:  # late: after the deadline, among the follow-ups
                    done, to = deadline + timedelta(days=self.rng.randint(5, 40)), late
                else:  # left: overdue once the service notices its deadline passed
                    continue
                if done <= SAMPLE_END:
                    note = "Đã thực hiện, báo cáo kết quả bằng văn bản."
                    path = f"/units/{unit.code}/recommendations/{rec['recommendation_id']}"
                    body_ = {"implemented_on": str(done), "note": note}
                    to.append(Post("oversight", f"{path}/implemented", body_))
        probe = Probe("oversight", f"{base}/{sid}", "stage", ("planned", "started", "finished"))
        self.add(*posts, probe=probe)
        for post in late:  # a sweep of overdue recommendations may come first (hourly)
            self.add(post, late=True)

    def supervision_in_one_go(self, unit: Unit, sid: str, plan: Json, finished: date) -> None:
        body = {
            "supervision_id": sid,
            **plan,
            "started_on": str(finished - timedelta(days=self.rng.randint(3, 15))),
            "finished_on": str(finished),
            "supervised_units": [unit.code],
            "findings": self.rng.choice(FINDINGS),
            "recommendations": self.rng.randint(0, 4),
        }
        self.add(Post("oversight", f"/units/{unit.code}/supervisions", body))

    # -- coordination ----------------------------------------------------------------------------

    def declarations(
        self, unit: Unit, as_of: date, trained_share: tuple[int, int], staff_too: bool = True
    ) -> None:
        seats = self.seats_of(unit)
        trained = seats * self.rng.randint(*trained_share) // 100
        tag = f"s-{unit.era}-{unit.code}"
        delegates = {
            "declaration_id": f"{tag}-db-{as_of:%Y%m}",
            "term": TERM,
            "as_of": str(as_of),
            "seats": seats,
            "delegates_trained": trained,
        }
        full = {"province": (8, 10), "district": (2, 4), "commune": (1, 2)}[unit.level]
        if unit.era == "2025" and unit.level == "commune":
            full = (2, 3)  # the merged communes' councils have more to do
        staff = {
            "declaration_id": f"{tag}-cb-{as_of:%Y%m}",
            "as_of": str(as_of),
            "full_time": self.rng.randint(*full),
            "part_time": self.rng.randint(1, 4) + (6 if unit.level == "province" else 0),
        }
        self.add(Post("reporting", f"/units/{unit.code}/delegates", delegates))
        if staff_too and (unit.level != "commune" or unit.era == "2025"):
            # (the legacy communes' staff are left undeclared: the sample keeps its size)
            self.add(Post("reporting", f"/units/{unit.code}/staff", staff))

    def report(
        self, unit: Unit, period: str, due: date, title: str, window: tuple[int, int]
    ) -> None:
        """File a periodic report on time (mostly), late, or not at all."""
        fate = self.rng.random()
        if fate < 0.08:
            return  # missing: counted once its deadline passed
        early, late = window
        if fate < 0.78:
            filed = due - timedelta(days=self.rng.randint(0, early))
        else:
            filed = due + timedelta(days=self.rng.randint(1, late))
        body = {
            "report_id": f"s-{unit.era}-{unit.code}-bc-{period}",
            "period": period,
            "filed_on": str(filed),
            "title": title,
            "report_ref": f"{self.rng.randint(20, 300)}/BC-HĐND",
        }
        self.add(Post("reporting", f"/units/{unit.code}/reports", body))

    def tasks(
        self, unit: Unit, period: str, set_on: date, ends: date, titles: list[str], share: float
    ) -> None:
        for i, title in enumerate(titles, 1):
            title = local(title, unit)
            tid = f"s-{unit.era}-{unit.code}-nv-{period}-{i}"
            body = {"task_id": tid, "period": period, "title": title, "set_on": str(set_on)}
            posts = [Post("reporting", f"/units/{unit.code}/tasks", body)]
            fate = self.rng.random()
            status = (
                "done"
                if fate < share
                else "in_progress"
                if fate < share + 0.2
                else "cancelled"
                if fate < share + 0.25
                else None
            )
            if status is not None:
                changed = min(set_on + timedelta(days=self.rng.randint(15, 85)), ends, SAMPLE_END)
                note = {
                    "done": "Đã hoàn thành theo kế hoạch.",
                    "in_progress": "Đang triển khai thực hiện.",
                    "cancelled": "Không thực hiện do thay đổi tổ chức sau sắp xếp.",
                }[status]
                posts.append(
                    Post(
                        "reporting",
                        f"/units/{unit.code}/tasks/{tid}/status",
                        {"status": status, "changed_on": str(changed), "note": note},
                    )
                )
            self.add(*posts)

    def proposal(
        self, unit: Unit, to: Unit, n: int, raised: date, title: str, last_answer: date
    ) -> None:
        pid = f"s-{unit.era}-{unit.code}-kn-{raised:%Y%m}-{n}"
        title = local(title, unit)
        body = {
            "proposal_id": pid,
            "to_unit": to.code,
            "kind": "suggestion" if title.startswith("Đề xuất") else "recommendation",
            "title": title,
            "content": f"HĐND {lower_first(unit.name)} {lower_first(title)}.",
            "raised_on": str(raised),
        }
        posts = [Post("reporting", f"/units/{unit.code}/proposals", body)]
        answered = raised + timedelta(days=self.rng.randint(7, 40))
        if self.rng.random() < 0.8 and answered <= min(last_answer, SAMPLE_END):
            answer = self.rng.choice(PROPOSAL_ANSWERS).format(u=lower_first(to.name))
            posts.append(
                Post(
                    "reporting",
                    f"/units/{to.code}/proposals/{pid}/answer",
                    {"answered_on": str(answered), "answer": answer},
                )
            )
        self.add(*posts)
