"""Who may call the HTTP APIs: bearer tokens (JWT, HS256) naming a user's unit and role.

A token carries `sub` (the user), `unit` (an official unit code), `role` and `exp`:

- ``secretary``: records (POST) and reads for its unit and every unit below it;
- ``viewer``: reads its unit and every unit below it;
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

The secret is shared by the services and whoever issues tokens; it comes from
``HDND_JWT_SECRET`` or the file named by ``HDND_JWT_SECRET_FILE``, never from the repository.
A service without one refuses to start. ``hdnd tokens issue`` makes tokens.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, get_args

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from contracts import Actor
from contracts.timezone import VIETNAM_TZ
from services.common.errors import Forbidden, NotFound
from services.common.hierarchy import REFORM_DATE, Era, Hierarchy, era_of
from services.common.settings import Settings

__all__ = [
    "AUTH_RESPONSES",
    "ROLES",
    "Caller",
    "CallerDep",
    "MissingSecret",
    "Principal",
    "Role",
    "TokenError",
    "Tokens",
    "caller_of",
    "ensure_secret_file",
    "eras_between",
    "issue_token",
    "load_secret",
    "tokens_lifespan",
]

Role = Literal["secretary", "viewer", "operator"]
PrincipalKind = Literal["person", "service"]
ROLES: tuple[Role, ...] = get_args(Role)
ERAS: tuple[Era, ...] = get_args(Era)
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
LEEWAY = timedelta(seconds=10)  # clock skew between the issuer and the services
MAX_NAME = 128  # a token's `sub` and `name`: what an event's actor may hold (contracts.Actor)


class MissingSecret(RuntimeError):
    """No usable token secret is configured: the service must not start."""


class TokenError(ValueError):
    """A token that cannot be trusted; `kind` is the WWW-Authenticate error code's detail."""

    def __init__(self, message: str, kind: str = "invalid_token") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


# -- the secret ----------------------------------------------------------------------------------


def load_secret(settings: Settings) -> str:
    """The HS256 secret from HDND_JWT_SECRET or HDND_JWT_SECRET_FILE; raise MissingSecret."""
    if settings.jwt_secret is not None:
        secret, origin = settings.jwt_secret.get_secret_value().strip(), "HDND_JWT_SECRET"
    elif settings.jwt_secret_file is not None:
        origin = f"HDND_JWT_SECRET_FILE ({settings.jwt_secret_file})"
        try:
            secret = settings.jwt_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingSecret(f"{origin} cannot be read: {exc.strerror or exc}") from None
    else:
        raise MissingSecret(
            "HDND_JWT_SECRET or HDND_JWT_SECRET_FILE is not set: the HTTP API could not check"
            " bearer tokens. `make run` makes its own (.local/jwt-secret); elsewhere generate"
            " one outside the repository, e.g. `python -c 'import secrets;"
            " print(secrets.token_urlsafe(48))' > jwt-secret`, and give every service and the"
            " token issuer the same one."
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise MissingSecret(f"{origin} is shorter than {MIN_SECRET_BYTES} bytes; use a longer one")
    return secret


def ensure_secret_file(path: Path) -> Path:
    """Create a random secret at `path` (owner-only) unless one is there; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    return path


# -- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Principal:
    """What a verified token says about its holder."""

    user: str
    unit: str | None  # None only for an operator without a unit
    role: Role
    expires: datetime
    era: Era | None = None  # the era of `unit`; None: judged by `issued`
    issued: datetime | None = None
    name: str | None = None  # the display name (claim `name`); None: tokens without one
    kind: PrincipalKind = "person"  # claim `kind`: a person's account or a service account

    def actor(self) -> Actor:
        """Who the events this caller records are done by (the envelope's `actor`)."""
        return Actor(id=self.user, name=self.name or self.user, kind=self.kind)


def issue_token(
    secret: str,
    *,
    unit: str | None,
    role: Role,
    user: str,
    ttl: timedelta = timedelta(days=30),
    now: datetime | None = None,
    era: Era | None = None,
    name: str | None = None,
) -> str:
    """A signed token for `user` (display name `name`), `role` at `unit` of `era`, valid for
    `ttl` from `now`."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if unit is None and role != "operator":
        raise ValueError(f"a {role} token must name a unit")
    if unit is not None and not _is_unit_code(unit):
        raise ValueError(f"unit must be a 2-, 3- or 5-digit unit code, not {unit!r}")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user,
        "role": role,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if unit is not None:
        claims["unit"] = unit
    if name is not None:
        claims["name"] = name
    if era is not None:
        if era not in ERAS:
            raise ValueError(f"era must be one of {', '.join(ERAS)}, not {era!r}")
        claims["era"] = era
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _is_unit_code(value: object) -> bool:
    return (
        isinstance(value, str) and value.isascii() and value.isdigit() and len(value) in (2, 3, 5)
    )


def decode_token(secret: str, token: str) -> Principal:
    """Verify signature, expiry and claims; raise TokenError saying what is wrong."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError(
            f"the bearer token expired{_expired_at(token)}; ask for a new one", "expired_token"
        ) from None
    except jwt.InvalidSignatureError:
        raise TokenError(
            "the bearer token's signature does not verify (issued with another secret?)"
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"the bearer token lacks the '{exc.claim}' claim") from None
    except jwt.InvalidAlgorithmError:
        raise TokenError(f"the bearer token must be signed with {ALGORITHM}") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("the bearer token is not valid yet (issued in the future?)") from None
    except jwt.DecodeError:
        raise TokenError("the bearer token is not a well-formed JWT") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the bearer token is invalid: {exc}") from None
    role, unit, user = claims.get("role"), claims.get("unit"), claims.get("sub")
    if role not in ROLES:
        raise TokenError(f"the bearer token's role {role!r} is not one of {', '.join(ROLES)}")
    if unit is None and role != "operator":
        raise TokenError(f"the bearer token of a {role} must name a unit")
    if unit is not None and not _is_unit_code(unit):
        raise TokenError(f"the bearer token's unit {unit!r} is not a unit code")
    if not isinstance(user, str) or not user:
        raise TokenError("the bearer token's 'sub' must name the user")
    era = claims.get("era")
    if era is not None and era not in ERAS:
        raise TokenError(f"the bearer token's era {era!r} is not one of {', '.join(ERAS)}")
    try:
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        issued = datetime.fromtimestamp(claims["iat"], UTC) if "iat" in claims else None
    except (TypeError, ValueError, OverflowError, OSError):
        raise TokenError("the bearer token's 'exp' or 'iat' is not a time") from None
    name, kind = claims.get("name"), claims.get("kind", "person")
    for claim, value in (("sub", user), ("name", name)):
        if value is not None and not _is_name(value):
            raise TokenError(f"the bearer token's '{claim}' must be printable, 1-{MAX_NAME} long")
    if kind not in get_args(PrincipalKind):
        raise TokenError(f"the bearer token's kind {kind!r} is not person or service")
    return Principal(
        user=user,
        unit=unit,
        role=role,
        expires=expires,
        era=era,
        issued=issued,
        name=name,
        kind=kind,
    )


def _is_name(value: object) -> bool:
    """Whether a claim can name an event's actor (contracts.Actor): bounded, printable."""
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME and value.isprintable()


def _expired_at(token: str) -> str:
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        if isinstance(exp, int | float):
            return f" at {datetime.fromtimestamp(exp, UTC):%Y-%m-%d %H:%M} UTC"
    except (jwt.InvalidTokenError, ValueError, OverflowError, OSError):
        pass
    return ""


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

    secret: str
    hierarchy: Hierarchy

    @classmethod
    def for_service(cls, service: _Service) -> Tokens:
        return cls(load_secret(service.settings), service.hierarchy)


def tokens_lifespan(
    service_of: Callable[[FastAPI], _Service],
) -> Callable[[FastAPI], Any]:
    """A router lifespan that loads the secret at start-up: no secret, no service."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.tokens = Tokens.for_service(service_of(app))
        yield

    return lifespan


bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description=(
        "A token naming your unit and role (secretary, viewer, operator);"
        " `hdnd tokens issue --unit CODE --role ROLE` makes one."
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


async def caller_of(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The dependency every protected route takes: 401 unless a valid bearer token."""
    if credentials is None:
        raise _unauthorized(
            "this request needs a bearer token: send 'Authorization: Bearer <token>'"
            " (`hdnd tokens issue --unit CODE --role ROLE` makes one)",
            "missing_token",
        )
    tokens: Tokens = request.app.state.tokens
    try:
        principal = decode_token(tokens.secret, credentials.credentials)
    except TokenError as exc:
        raise _unauthorized(exc.message, exc.kind) from None
    return Caller(principal, tokens.hierarchy)


CallerDep = Annotated[Caller, Depends(caller_of)]


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
