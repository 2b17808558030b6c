"""Who may call the HTTP APIs: bearer tokens naming a person's (or a program's) unit and role.

Tokens are signed by the deployment's token issuer alone and checked with its public keys
(services.common.tokens, services.common.token_trust); a token carries `sub` (the account),
`unit`, `role` and `era`:

- ``secretary``: records (POST) and reads for its unit and every unit below it;
- ``viewer``: reads its unit and every unit below it;
- ``admin``: manages the accounts of its unit and every unit below it; reads like a viewer;
- ``operator``: reads everything (operations dashboards); records nothing; `unit` optional.

"Below" follows the effective-dated hierarchy: a write is checked as of the day the meeting
was held or the supervision finished; a read as of every era of the period asked for in which
the unit existed. Codes are reused across the 2025 reform by different councils, so a token
names a unit of one era (`era`: "legacy" or "2025"; a token without it names the unit of the
era it was issued in, or of the other era if the code named no unit then):

- in its own era it covers its unit and every unit below it;
- a 2025 token also covers, in the legacy era, the units whose history its unit carries (its
  predecessors in the official mapping, with everything below them): a province reads the
  legacy provinces merged into it, a commune the legacy communes it succeeds;
- a legacy token covers nothing of the 2025 era, not even the unit that reuses its code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from contracts.timezone import VIETNAM_TZ
from services.common.errors import Forbidden, NotFound
from services.common.hierarchy import REFORM_DATE, Era, Hierarchy, era_of
from services.common.settings import Settings
from services.common.token_trust import LocalIssuer, TokenTrust
from services.common.tokens import ROLES, Principal, Role, TokenError

__all__ = [
    "AUTH_RESPONSES",
    "ROLES",
    "Caller",
    "CallerDep",
    "Principal",
    "Role",
    "TokenError",
    "Tokens",
    "caller_if_any",
    "caller_of",
    "eras_between",
    "tokens_lifespan",
]


# -- scope rules ---------------------------------------------------------------------------------


def eras_between(first: date | None, last: date | None) -> tuple[Era, ...]:
    """Eras with at least one day in [first, last] (open ends reach every era)."""
    eras: list[Era] = []
    if first is None or first < REFORM_DATE:
        eras.append("legacy")
    if last is None or last >= REFORM_DATE:
        eras.append("2025")
    return tuple(eras) or ("legacy", "2025")  # an empty range: check against both


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified principal and the hierarchy its scope is judged by."""

    principal: Principal
    hierarchy: Hierarchy

    def may_write(self, unit: str, on: date) -> None:
        """Refuse (403) unless a secretary of `unit` or a unit above it on day `on`.

        A unit that did not exist on `on` is left to the domain rules (422 naming the field):
        unit codes are public, records are not."""
        p = self.principal
        if p.role != "secretary":
            raise Forbidden(
                "header.authorization",
                f"a {p.role} token may only read; recording needs the token of a secretary"
                " of the unit or of a unit above it",
                kind="read_only",
            )
        if self.hierarchy.find(unit, on) is None:
            return
        if not self._covers(unit, [era_of(on)]):
            raise self._outside(unit, [era_of(on)], f"on {on.isoformat()}", "record only for")

    def sees(self, unit: str, day: date) -> bool:
        """Whether a stored record of `unit` dated `day` is within the caller's scope, whatever
        its role. One that is not is answered as one that does not exist (404): a refusal
        naming its unit or its day would tell what another council recorded."""
        return self.principal.role == "operator" or self._covers(unit, [era_of(day)])

    def may_change(self, unit: str, day: date, missing: NotFound) -> None:
        """Refuse a step on a stored record of `unit` dated `day`: `missing` (404) unless the
        caller sees it, then as `may_write` (403 `read_only` for a token that only reads)."""
        if not self.sees(unit, day):
            raise missing
        self.may_write(unit, day)

    def may_read(self, unit: str, eras: Iterable[Era], when: str) -> None:
        """Refuse (404) a unit that existed in none of `eras`, then (403) one outside the
        caller's scope in some era where it existed (the code may name another council
        there); `when` names the period in messages."""
        existed = [era for era in eras if self.hierarchy.find(unit, era)]
        if self._readable(unit, existed, when) != existed:
            raise self._outside(unit, existed, when, "read only")

    def _readable(self, unit: str, existed: list[Era], when: str) -> list[Era]:
        """The eras among those `unit` existed in whose council of it the caller may read;
        404 if none existed, 403 if it may read none."""
        if not existed:
            raise NotFound("path.unit", f"no unit {unit} existed {when}")
        if self.principal.role == "operator":
            return existed
        covered = [era for era in existed if self._covers(unit, [era])]
        if not covered:
            raise self._outside(unit, existed, when, "read only")
        return covered

    def may_read_on(self, unit: str, day: date) -> None:
        self.may_read(unit, [era_of(day)], f"on {day.isoformat()}")

    def may_read_between(
        self, unit: str, first: date | None, last: date | None
    ) -> tuple[date | None, date | None]:
        """The range a listing of `unit` may show: [first, last], narrowed to the era whose
        council the caller may read when the code names another council in the other era
        (a legacy commune's token lists the legacy commune's records, not its namesake's)."""
        if first and last:
            when = f"between {first.isoformat()} and {last.isoformat()}"
        elif first:
            when = f"from {first.isoformat()} on"
        elif last:
            when = f"until {last.isoformat()}"
        else:
            when = "at any time"
        existed = [era for era in eras_between(first, last) if self.hierarchy.find(unit, era)]
        covered = self._readable(unit, existed, when)
        if covered == existed:
            return first, last
        if covered == ["legacy"]:
            end = REFORM_DATE - timedelta(days=1)
            return first, min(last, end) if last else end
        return max(first, REFORM_DATE) if first else REFORM_DATE, last

    def _outside(self, unit: str, eras: list[Era], when: str, may: str) -> Forbidden:
        return Forbidden(
            "path.unit",
            f"your token is for {self._name(self.principal.unit, eras)}, and"
            f" {self._name(unit, eras)} was not within it {when}: you may {may}"
            " your own unit and the units below it",
            kind="outside_your_unit",
        )

    def home_era(self) -> Era | None:
        """The era of the token's unit: its `era` claim, else the era it was issued in, else
        (the code named no unit then) the other one."""
        p, h = self.principal, self.hierarchy
        if p.unit is None:
            return None
        if p.era is not None:
            return p.era
        issued = era_of((p.issued or datetime.now(UTC)).astimezone(VIETNAM_TZ).date())
        return issued if h.find(p.unit, issued) else h.latest_era(p.unit)

    def _covers(self, unit: str, eras: Iterable[Era]) -> bool:
        """Whether `unit` is within the token's scope in one of `eras` (see the module)."""
        scope, home, h = self.principal.unit, self.home_era(), self.hierarchy
        if scope is None or home is None or h.find(scope, home) is None:
            return False
        for era in eras:
            if h.find(unit, era) is None:
                continue
            if era == home and h.is_within(unit, scope, era):
                return True
            if (home, era) == ("2025", "legacy") and any(
                h.is_within(unit, old, "legacy") for old in h.predecessors(scope)
            ):
                return True
        return False

    def administers(self, unit: str, era: Era) -> bool:
        """Whether an admin may manage the accounts of `unit` of `era`: its unit and the
        units below it, in both eras as for reading (see the module). Operators manage
        accounts on the server only (`hdnd accounts`)."""
        return self.principal.role == "admin" and self._covers(unit, [era])

    def _name(self, code: str | None, eras: Iterable[Era]) -> str:
        """ "Xã A (03390)"; a code naming different units in the eras asked names both."""
        if code is None:
            return "no unit"
        names = {
            era: found.name for era in eras if (found := self.hierarchy.find(code, era)) is not None
        }
        if len(set(names.values())) > 1:
            before, after = REFORM_DATE - timedelta(days=1), REFORM_DATE
            return (
                f"{code} ({names['legacy']} until {before.isoformat()},"
                f" {names['2025']} from {after.isoformat()})"
            )
        if names:
            return f"{next(iter(names.values()))} ({code})"
        elsewhere = [
            found for era in ("legacy", "2025") if (found := self.hierarchy.find(code, era))
        ]
        if elsewhere:
            return f"{elsewhere[0].name} ({code}, not a unit at that time)"
        return f"unit {code}"


# -- FastAPI wiring ------------------------------------------------------------------------------


class _Service(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def hierarchy(self) -> Hierarchy: ...


@dataclass(frozen=True, slots=True)
class Tokens:
    """What a running app checks tokens with (kept in `app.state.tokens`)."""

    trust: TokenTrust
    hierarchy: Hierarchy


def tokens_lifespan(
    service_of: Callable[[FastAPI], _Service],
) -> Callable[[FastAPI], Any]:
    """A router lifespan that fetches the issuer's keys and revocations at start-up and keeps
    them current while the app runs (from the issuer in this process, if the service is it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = service_of(app)
        local: LocalIssuer | None = getattr(service, "issuer", None)
        trust = TokenTrust.for_settings(service.settings, local)
        app.state.tokens = Tokens(trust, service.hierarchy)
        await trust.start()
        try:
            yield
        finally:
            await trust.stop()

    return lifespan


bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description=(
        "An access token from the token issuer: `POST /auth/sign-in` on reporting (a person,"
        " 15 minutes, refreshed with its cookie), or a service account's API token"
        " (`hdnd accounts service-create`)."
    ),
    auto_error=False,
)


def _unauthorized(message: str, kind: str) -> HTTPException:
    challenge = 'Bearer realm="hdnd"'
    if kind != "missing_token":
        # RFC 6750 §3: error_description is quoted, printable ASCII without '"' or '\'.
        safe = "".join(c for c in message if 0x20 <= ord(c) < 0x7F and c not in '"\\')
        challenge += f', error="invalid_token", error_description="{safe}"'
    return HTTPException(
        status_code=401,
        detail=[{"loc": ["header", "authorization"], "msg": message, "type": kind}],
        headers={"WWW-Authenticate": challenge},
    )


async def principal_of(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """401 unless a valid bearer token; the steps a person must take first are not checked
    (the routes that take them use this)."""
    if credentials is None:
        raise _unauthorized(
            "this request needs a bearer token: send 'Authorization: Bearer <token>'"
            " (POST /auth/sign-in on reporting gives one)",
            "missing_token",
        )
    tokens: Tokens = request.app.state.tokens
    try:
        return await tokens.trust.verify(credentials.credentials)
    except TokenError as exc:
        raise _unauthorized(exc.message, exc.kind) from None


PENDING_MESSAGES = {
    "change_password": (
        "password_change_required",
        "change the temporary password first (POST /auth/password)",
    ),
    "setup_totp": (
        "totp_setup_required",
        "your unit requires a second factor: set it up first (POST /auth/totp/setup)",
    ),
}


async def caller_of(
    request: Request, principal: Annotated[Principal, Depends(principal_of)]
) -> Caller:
    """The dependency every protected route takes: 401 unless a valid bearer token, 403 while
    its holder has a step to take first (a temporary password to change)."""
    for step in principal.pending:
        kind, message = PENDING_MESSAGES[step]
        raise Forbidden("header.authorization", message, kind=kind)
    tokens: Tokens = request.app.state.tokens
    return Caller(principal, tokens.hierarchy)


CallerDep = Annotated[Caller, Depends(caller_of)]


async def caller_if_any(request: Request) -> Caller | None:
    """The caller of a route open to anyone that tells more to some (`/ready`): None without
    a bearer token, 401 for one that does not verify. It reads the header itself, so the
    route's OpenAPI operation stays open."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    tokens: Tokens = request.app.state.tokens
    try:
        principal = await tokens.trust.verify(credentials.strip())
    except TokenError as exc:
        raise _unauthorized(exc.message, exc.kind) from None
    return Caller(principal, tokens.hierarchy)


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem]


AUTH_RESPONSES: Mapping[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "No bearer token, or an invalid or expired one",
        "headers": {
            "WWW-Authenticate": {
                "description": "Bearer challenge (RFC 6750)",
                "schema": {"type": "string"},
            }
        },
    },
    403: {
        "model": ErrorBody,
        "description": "The token's unit or role does not allow this (or an instance"
        " that does not serve the unit)",
    },
}
