"""Who the province's OpenID provider says signed in, in hdnd's terms: the claims an ID token
carries (checked already: services.reporting.identity.provider) mapped by the settings to a
username, a name, a unit and a role. Pure: no I/O.

- The unit claim holds a unit code (a string, or a list of one); the unit must exist (in the
  latest era its code names a unit in) and be served by this deployment.
- The role claim holds one value or a list (groups); each value is looked up in
  HDND_OIDC_ROLES (without a table: the value is the role itself). Exactly one hdnd role must
  come out: none, or two different ones, is refused rather than guessed. Never `operator`:
  operators are made on the server only.
- The username claim (default `preferred_username`) is what an account made by an admin is
  found by at the person's first sign-in; it must be a valid hdnd username.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from services.common.errors import DomainError
from services.common.hierarchy import Era, Hierarchy
from services.common.settings import Settings
from services.common.tokens import Role
from services.reporting.identity import domain
from services.reporting.identity.domain import SignInRefused

PROVIDER_ROLES: tuple[Role, ...] = tuple(r for r in get_args(Role) if r != "operator")


@dataclass(frozen=True, slots=True)
class Person:
    """One person as the provider vouches for them."""

    issuer: str
    subject: str
    username: str
    full_name: str
    unit: str
    era: Era
    role: Role


def unmapped(claim: str, message: str) -> SignInRefused:
    return SignInRefused(f"id_token.{claim}", message, "oidc_claims_unmapped", 403)


def person_of(claims: Mapping[str, Any], settings: Settings, hierarchy: Hierarchy) -> Person:
    """The person the verified `claims` name; SignInRefused (`oidc_claims_unmapped`, naming
    the claim) when they do not map to a username, a unit served here and one hdnd role."""
    username_claim = settings.oidc_username_claim
    raw_username = claims.get(username_claim)
    if not isinstance(raw_username, str):
        raise unmapped(username_claim, f"the provider sent no {username_claim!r} claim")
    try:
        username = domain.checked_username(raw_username)
    except DomainError as exc:
        raise unmapped(username_claim, exc.message) from None
    unit, era = unit_of(claims, settings, hierarchy)
    name = claims.get(settings.oidc_name_claim)
    full_name = name.strip()[:200] if isinstance(name, str) and name.strip() else username
    return Person(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        username=username,
        full_name=full_name,
        unit=unit,
        era=era,
        role=role_of(claims.get(settings.oidc_role_claim), settings),
    )


def unit_of(claims: Mapping[str, Any], settings: Settings, hierarchy: Hierarchy) -> tuple[str, Era]:
    claim = settings.oidc_unit_claim
    value = claims.get(claim)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not value.strip():
        raise unmapped(claim, f"the provider sent no unit code in {claim!r}")
    try:
        return domain.unit_of(hierarchy, settings.units, value.strip(), None, field=claim)
    except DomainError as exc:
        raise unmapped(claim, exc.message) from None


def role_of(value: object, settings: Settings) -> Role:
    """The one hdnd role the role claim's values map to."""
    claim = settings.oidc_role_claim
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    table: Mapping[str, Role] = settings.oidc_roles or {r: r for r in PROVIDER_ROLES}
    roles = sorted({table[v] for v in values if isinstance(v, str) and v in table})
    if len(roles) == 1:
        return roles[0]
    if not roles:
        raise unmapped(claim, f"{claim!r} names no role of hdnd ({', '.join(sorted(table))})")
    raise unmapped(claim, f"{claim!r} names several roles of hdnd: {', '.join(roles)}")
