"""The bell (chuông thông báo) over HTTP: the caller's own notifications, newest first, the
unread count, and marking one read; and, for an operator, the local SMTP sink's mailbox
(Hộp thư thử nghiệm, where `make run` delivers e-mail)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from services.common.activity import IdPath, Limit, guarded_router
from services.common.auth import CallerDep
from services.common.errors import Forbidden, NotFound
from services.reporting.notifications.sink import Mailbox

router = guarded_router("notifications")


def _store(request: Request) -> Any:
    return request.app.state.reporting.notifications.store


def _shown(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in ("_id", "notice_id")}}


@router.get("/notifications", summary="One's own notifications, newest first, and how many unread")
async def my_notifications(
    request: Request,
    caller: CallerDep,
    unread: Annotated[bool | None, Query(description="Only unread (true) or read (false)")] = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    store = _store(request)
    account = caller.principal.user
    docs = await store.listed(account, unread, limit)
    return {"unread": await store.unread_count(account), "items": [_shown(d) for d in docs]}


@router.post(
    "/notifications/{notification_id}/read",
    summary="Mark one of one's notifications read",
    responses={404: {"description": "No such notification of yours"}},
)
async def mark_read(request: Request, notification_id: str, caller: CallerDep) -> dict[str, Any]:
    if not 1 <= len(notification_id) <= 200:
        raise NotFound("path.notification_id", "no such notification of yours")
    doc = await _store(request).mark_read(caller.principal.user, notification_id)
    if doc is None:
        raise NotFound("path.notification_id", "no such notification of yours")
    return _shown(doc)


def _mailbox(request: Request, caller: CallerDep) -> Mailbox:
    if caller.principal.role != "operator":
        raise Forbidden("header.authorization", "the test mailbox is an operator's", "not_operator")
    directory = request.app.state.reporting.settings.mail_sink_dir
    if directory is None:
        raise NotFound("path", "this instance has no local mail sink (HDND_MAIL_SINK_DIR)")
    return Mailbox(directory)


@router.get("/mail/sink", summary="The local SMTP sink's messages, newest first (operators)")
async def sink_messages(request: Request, caller: CallerDep, limit: Limit = 100) -> list[Any]:
    return _mailbox(request, caller).listed(limit)


@router.get("/mail/sink/{key}", summary="One message of the local SMTP sink (operators)")
async def sink_message(request: Request, key: IdPath, caller: CallerDep) -> dict[str, Any]:
    found = _mailbox(request, caller).read(key)
    if found is None:
        raise NotFound("path.key", "no such message in the sink")
    return found
