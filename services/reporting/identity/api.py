"""The identity HTTP API on reporting (English API; the pages are Vietnamese).

Open: the issuer's public keys (`/.well-known/jwks.json`), what it revoked (`/auth/revoked`),
sign-in, refresh and sign-out. With a bearer token, even one whose holder has a step to take
first: changing the password, setting up the second factor. With an admin's token: accounts,
sign-in policies and service accounts of the admin's unit and below (404 elsewhere).

The refresh token travels only in the `hdnd_refresh` cookie: HttpOnly (no script reads it),
Secure, SameSite=Strict (no other site's page sends it), Path=/auth (sent nowhere else).
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Body, Cookie, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from contracts import UnitCode
from contracts.identity import Email, NoticeKind
from services.common.activity import IdPath, Unit, guarded_router
from services.common.auth import AUTH_RESPONSES, CallerDep, Principal, bearer, principal_of
from services.common.hierarchy import Era
from services.common.tokens import Role
from services.reporting.identity.accounts import NewAccount
from services.reporting.identity.cookies import COOKIE, COOKIE_PATH, set_refresh_cookie
from services.reporting.identity.core import actor_of
from services.reporting.identity.domain import SignInRefused
from services.reporting.identity.service import Identity
from services.reporting.identity.sign_in import SignedIn

public = APIRouter(tags=["sign-in"])
router = guarded_router("accounts")
NOT_UTF8 = {"description": "The body is not UTF-8 JSON"}
router.responses.update(
    {
        400: NOT_UTF8,
        404: {"description": "No such account among those you manage (or unit)"},
        409: {"description": "The username is taken"},
        422: {"description": "A value refused (unknown unit, bad username, 91 days …)"},
    }
)

RefreshCookie = Annotated[str | None, Cookie(alias=COOKIE)]  # any text: what it names or none
PrincipalDep = Annotated[Principal, Depends(principal_of)]
AccountPath = IdPath


def identity_of(request: Request) -> Identity:
    identity: Identity | None = request.app.state.reporting.identity
    assert identity is not None  # these routes exist only where it does (reporting's app)
    return identity


IdentityDep = Annotated[Identity, Depends(identity_of)]


def refused(exc: SignInRefused) -> NoReturn:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    if exc.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="hdnd"'}
    detail = [{"loc": exc.field.split("."), "msg": exc.message, "type": exc.kind}]
    raise HTTPException(exc.status, detail=detail, headers=headers) from None


def answer(response: Response, signed: SignedIn) -> dict[str, Any]:
    set_refresh_cookie(response, signed)
    return signed.body()


# -- open ----------------------------------------------------------------------------------------


@public.get("/.well-known/jwks.json", summary="The token issuer's public keys (JWKS)")
async def jwks(identity: IdentityDep) -> Any:
    return await identity.jwks()


@public.get("/auth/revoked", summary="Sessions and tokens revoked that may still be unexpired")
async def revoked(identity: IdentityDep) -> Any:
    return await identity.revoked()


class SignInBody(BaseModel):
    # No account's username is longer or holds a control character; a failed sign-in is
    # recorded under the name typed, which must be fit for an event's actor.
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    password: str = Field(min_length=1, max_length=1024)
    otp: str | None = Field(default=None, max_length=16, description="The TOTP code, if asked.")


SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: NOT_UTF8,
    401: {"description": "Wrong username or password (`bad_credentials`), or code"},
    403: {"description": "The account is disabled"},
    423: {"description": "Locked after ten failed sign-ins in a row; an admin unlocks it"},
    429: {"description": "Too many failed sign-ins: wait Retry-After seconds"},
}


@public.post("/auth/sign-in", summary="Sign in: an access token and the refresh cookie",
             responses=SIGN_IN_RESPONSES)  # fmt: skip
async def sign_in(
    request: Request, response: Response, body: SignInBody, identity: IdentityDep
) -> dict[str, Any]:
    client = request.client.host if request.client else "unknown"
    try:
        signed = await identity.sign_in.sign_in(body.username, body.password, body.otp, client)
    except SignInRefused as exc:
        refused(exc)
    return answer(response, signed)


@public.post(
    "/auth/refresh",
    summary="A new access token for the session of the cookie",
    responses={401: {"description": "No session, or its refresh token was replaced"}},
)
async def refresh(response: Response, identity: IdentityDep, cookie: RefreshCookie = None) -> Any:
    try:
        return answer(response, await identity.sign_in.refresh(cookie))
    except SignInRefused as exc:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=True, httponly=True)
        refused(exc)


@public.post("/auth/sign-out", status_code=204, summary="Revoke the session; clear the cookie")
async def sign_out(
    request: Request, identity: IdentityDep, cookie: RefreshCookie = None
) -> Response:
    principal = None
    if cookie is None and (credentials := await bearer(request)) is not None:
        principal = await principal_of(request, credentials)
    await identity.sign_in.sign_out(cookie, principal)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=True, httponly=True)
    return response


# -- the holder's own steps ----------------------------------------------------------------------


class PasswordBody(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


STEP: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    400: NOT_UTF8,
    422: {"description": "Not a person's session, or a value refused"},
    423: SIGN_IN_RESPONSES[423],
    429: SIGN_IN_RESPONSES[429],
}


@public.post(
    "/auth/password",
    summary="Change one's password (first of all, a temporary one)",
    responses=STEP,
)
async def change_password(
    response: Response, body: PasswordBody, principal: PrincipalDep, identity: IdentityDep
) -> dict[str, Any]:
    try:
        signed = await identity.sign_in.change_password(
            principal, body.current_password, body.new_password
        )
    except SignInRefused as exc:
        refused(exc)
    return answer(response, signed)


@public.post(
    "/auth/totp/setup", summary="Start setting up the second factor (TOTP)", responses=STEP
)
async def totp_setup(principal: PrincipalDep, identity: IdentityDep) -> dict[str, str]:
    return await identity.sign_in.totp_setup(principal)


@public.post("/auth/totp/confirm", summary="Confirm the second factor with a code", responses=STEP)
async def totp_confirm(
    response: Response,
    principal: PrincipalDep,
    identity: IdentityDep,
    otp: Annotated[str, Body(embed=True, max_length=16)],
) -> dict[str, Any]:
    return answer(response, await identity.sign_in.totp_confirm(principal, otp))


class Preferences(BaseModel):
    email_kinds: list[NoticeKind] = Field(
        max_length=4,
        description="Which notifications also come by e-mail: reminder (nhắc hạn), escalation"
        " (báo cáo cấp trên), digest (tổng hợp hằng tuần), answer (trả lời); in the workspace"
        " every kind always arrives.",
    )


@public.get(
    "/auth/preferences",
    summary="One's e-mail address and which notifications also come by e-mail",
    responses=STEP,
)
async def get_preferences(principal: PrincipalDep, identity: IdentityDep) -> dict[str, Any]:
    return await identity.accounts.preferences(principal)


@public.put(
    "/auth/preferences",
    summary="Choose which notifications also come by e-mail (one's own account)",
    responses=STEP,
)
async def set_preferences(
    body: Preferences, principal: PrincipalDep, identity: IdentityDep
) -> dict[str, Any]:
    return await identity.accounts.set_preferences(principal, list(body.email_kinds))


# -- admins --------------------------------------------------------------------------------------


class NewAccountBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=200, description="Họ và tên")
    position: str | None = Field(default=None, max_length=200, description="Chức vụ")
    unit: UnitCode
    era: Era | None = None
    role: Role
    email: Email | None = None


class AccountChanges(BaseModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    position: str | None = Field(default=None, min_length=1, max_length=200)
    unit: UnitCode | None = None
    era: Era | None = None
    role: Role | None = None
    email: Email | None = None


@router.get("/accounts", summary="Accounts you manage (of `unit` and below)")
async def list_accounts(
    caller: CallerDep,
    identity: IdentityDep,
    unit: Annotated[UnitCode | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> list[dict[str, Any]]:
    return await identity.accounts.listed(caller, unit, q)


@router.post("/accounts", status_code=201, summary="Create an account; its temporary password")
async def create_account(
    body: NewAccountBody, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    new = NewAccount.model_validate(body.model_dump())
    account, password = await identity.accounts.create(caller, actor_of(caller.principal), new)
    return {"account": account, "temporary_password": password}


@router.get("/accounts/{account_id}", summary="One account you manage")
async def get_account(account_id: AccountPath, caller: CallerDep, identity: IdentityDep) -> Any:
    return await identity.accounts.show(await identity.accounts.managed(caller, account_id))


@router.patch("/accounts/{account_id}", summary="Change name, position, unit or role")
async def change_account(
    account_id: AccountPath, body: AccountChanges, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    actor = actor_of(caller.principal)
    changes = body.model_dump(exclude_unset=True)
    return await identity.accounts.change(caller, actor, account_id, changes)


@router.post("/accounts/{account_id}/disable", summary="Disable: its sessions end at once")
async def disable(account_id: AccountPath, caller: CallerDep, identity: IdentityDep) -> Any:
    actor = actor_of(caller.principal)
    return await identity.accounts.set_active(caller, actor, account_id, False)


@router.post("/accounts/{account_id}/enable", summary="Enable a disabled account")
async def enable(account_id: AccountPath, caller: CallerDep, identity: IdentityDep) -> Any:
    return await identity.accounts.set_active(caller, actor_of(caller.principal), account_id, True)


@router.post("/accounts/{account_id}/reset-password", summary="A new temporary password")
async def reset_password(
    account_id: AccountPath, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    actor = actor_of(caller.principal)
    account, password = await identity.accounts.reset_password(caller, actor, account_id)
    return {"account": account, "temporary_password": password}


@router.post("/accounts/{account_id}/unlock", summary="Lift the lock of failed sign-ins")
async def unlock(account_id: AccountPath, caller: CallerDep, identity: IdentityDep) -> Any:
    return await identity.accounts.unlock(caller, actor_of(caller.principal), account_id)


class Policy(BaseModel):
    totp_required: bool


@router.put("/units/{unit}/sign-in-policy", summary="Require a second factor in a unit and below")
async def set_policy(
    unit: Unit, body: Policy, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    actor = actor_of(caller.principal)
    return await identity.accounts.set_policy(caller, actor, unit, body.totp_required)


@router.get("/units/{unit}/sign-in-policy", summary="Whether a unit (or one above) requires it")
async def get_policy(unit: Unit, caller: CallerDep, identity: IdentityDep) -> dict[str, Any]:
    return await identity.accounts.policy(caller, unit)


class NewServiceAccount(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    unit: UnitCode
    era: Era | None = None
    role: Role
    days: float = Field(gt=0, le=90, description="The API token's lifetime, 90 days at most")


@router.post("/service-accounts", status_code=201, summary="A program's account and API token")
async def create_service_account(
    body: NewServiceAccount, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    return await identity.accounts.create_service(
        caller, actor_of(caller.principal), body.name, body.unit, body.role, body.days, body.era
    )


@router.get("/service-accounts", summary="Service accounts you manage")
async def list_service_accounts(caller: CallerDep, identity: IdentityDep) -> Any:
    return await identity.accounts.services(caller)


@router.post("/service-accounts/{account_id}/revoke", summary="Revoke its token at once")
async def revoke_service_account(
    account_id: AccountPath, caller: CallerDep, identity: IdentityDep
) -> dict[str, Any]:
    return await identity.accounts.revoke_service(caller, actor_of(caller.principal), account_id)
