"""HTTP routes of webhooks, for admins of a unit and of the units above it.

    POST  /units/{unit}/webhooks                              subscribe; the secret, shown once
    GET   /units/{unit}/webhooks                              the unit's and those below it
    GET   /units/{unit}/webhooks/{webhook_id}                 one, with its deliveries by state
    PATCH /units/{unit}/webhooks/{webhook_id}                 {"active": false|true}
    GET   /units/{unit}/webhooks/{webhook_id}/deliveries      newest first (`state=failed` …)
    POST  /units/{unit}/webhooks/{webhook_id}/redrive         failed ones due again
    POST  /units/{unit}/webhooks/{webhook_id}/test            a signed ping now, and its answer

A unit or subscription the caller does not manage answers 404, as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from services.common.activity import IdPath, Limit, Unit, guarded_router
from services.common.auth import CallerDep
from services.common.hierarchy import Era
from services.reporting.webhooks.service import Webhooks
from services.reporting.webhooks.store import State

router = guarded_router("webhooks")
router.responses.update(
    {
        404: {"description": "No such unit or webhook among those you manage"},
        422: {"description": "A value refused: the URL (its address), an event type"},
    }
)


def webhooks_of(request: Request) -> Webhooks:
    webhooks: Webhooks = request.app.state.reporting.webhooks
    return webhooks


WebhooksDep = Annotated[Webhooks, Depends(webhooks_of)]


class NewWebhook(BaseModel):
    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where deliveries are POSTed: https:// on a public address, or an address"
        " of a network the deployment allows (HDND_WEBHOOK_ALLOWED_NETWORKS).",
        examples=["https://vanban.laichau.gov.vn/hdnd/webhook"],
    )
    events: list[str] = Field(
        min_length=1,
        max_length=100,
        description="The event types it receives (`meeting.held`, `proposal.answered` …).",
    )
    description: str | None = Field(default=None, max_length=200)
    era: Era | None = Field(default=None, description="The unit's era (default: its latest).")


class WebhookChanges(BaseModel):
    active: bool


@router.post(
    "/units/{unit}/webhooks",
    status_code=201,
    summary="Subscribe another system to a unit's events; its secret is shown this once",
)
async def create_webhook(
    unit: Unit, body: NewWebhook, caller: CallerDep, webhooks: WebhooksDep
) -> dict[str, Any]:
    actor = caller.principal.actor()
    found, secret = await webhooks.create(
        caller, actor, unit, body.url, body.events, body.description, body.era
    )
    return {"webhook": found, "secret": secret}


@router.get("/units/{unit}/webhooks", summary="Webhooks of the unit and the units below it")
async def list_webhooks(unit: Unit, caller: CallerDep, webhooks: WebhooksDep) -> Any:
    return await webhooks.listed(caller, unit)


@router.get("/units/{unit}/webhooks/{webhook_id}", summary="One webhook, deliveries by state")
async def get_webhook(
    unit: Unit, webhook_id: IdPath, caller: CallerDep, webhooks: WebhooksDep
) -> Any:
    return await webhooks.show(caller, unit, webhook_id)


@router.patch("/units/{unit}/webhooks/{webhook_id}", summary="Disable or enable a webhook")
async def change_webhook(
    unit: Unit, webhook_id: IdPath, body: WebhookChanges, caller: CallerDep, webhooks: WebhooksDep
) -> Any:
    return await webhooks.set_active(caller, unit, webhook_id, body.active)


@router.get(
    "/units/{unit}/webhooks/{webhook_id}/deliveries", summary="Its deliveries, newest first"
)
async def list_deliveries(
    unit: Unit,
    webhook_id: IdPath,
    caller: CallerDep,
    webhooks: WebhooksDep,
    state: Annotated[State | None, Query()] = None,
    limit: Limit = 100,
) -> Any:
    return await webhooks.deliveries(caller, unit, webhook_id, state, limit)


@router.post(
    "/units/{unit}/webhooks/{webhook_id}/redrive",
    summary="Send its failed (dead-lettered) deliveries again, or the one named",
)
async def redrive(
    unit: Unit,
    webhook_id: IdPath,
    caller: CallerDep,
    webhooks: WebhooksDep,
    delivery: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, int]:
    return {"requeued": await webhooks.redrive(caller, unit, webhook_id, delivery)}


@router.post(
    "/units/{unit}/webhooks/{webhook_id}/test",
    summary="Send a signed ping (`webhook.test`) now; what the receiver answered",
)
async def test_webhook(
    unit: Unit, webhook_id: IdPath, caller: CallerDep, webhooks: WebhooksDep
) -> Any:
    return await webhooks.test(caller, unit, webhook_id)
