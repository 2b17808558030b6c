"""The deadline rules over HTTP: read them (any signed-in person), their history, and set a
new version (an admin of a unit this instance serves: the deployment's own; `hdnd deadlines
set` on the server). Changing them is a `deadline_rules.changed` event."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts.notifications import DeadlineRules
from services.common.activity import guarded_router
from services.common.auth import CallerDep
from services.common.errors import Forbidden
from services.reporting.deadlines.defaults import DEFAULT_RULES

router = guarded_router("deadlines")


class RulesChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: DeadlineRules
    based_on: int | None = Field(
        default=None, ge=0, description="The version edited: a 409 if another came meanwhile."
    )


def _reporting(request: Request) -> Any:
    return request.app.state.reporting


@router.get("/deadline-rules", summary="The deadline rules in force, and the defaults")
async def rules_in_force(request: Request, caller: CallerDep) -> dict[str, Any]:
    version, rules = await _reporting(request).deadlines.current()
    return {
        "version": version,
        "rules": rules.model_dump(mode="json"),
        "defaults": DEFAULT_RULES.model_dump(mode="json"),
    }


@router.get("/deadline-rules/history", summary="Every version of the deadline rules, newest first")
async def rules_history(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    return await _reporting(request).deadlines.store.history()  # type: ignore[no-any-return]


@router.put(
    "/deadline-rules",
    summary="Put new deadline rules in force (an admin of the deployment's own unit)",
    responses={
        403: {"description": "Not an admin of a unit this instance serves"},
        409: {"description": "Another change came first"},
    },
)
async def change_rules(
    request: Request, change: Annotated[RulesChange, Body()], caller: CallerDep
) -> dict[str, Any]:
    reporting = _reporting(request)
    principal = caller.principal
    served = reporting.settings.units
    if (
        principal.role != "admin"
        or principal.unit is None
        or (served and principal.unit not in served)
    ):
        raise Forbidden(
            "header.authorization",
            "only an admin of the deployment's own unit sets its deadline rules",
            "not_admin",
        )
    today = reporting.coordination.today()
    version = await reporting.deadlines.store.change(
        change.rules, principal.unit, today, principal.actor(), change.based_on
    )
    reporting.notifications.poke()
    return {"version": version, "rules": change.rules.model_dump(mode="json")}
