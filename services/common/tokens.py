"""Access tokens as every service reads them: JWTs signed (EdDSA, Ed25519) by the deployment's
token issuer alone, checked with its public keys only (a JWKS document).

Only the issuer (reporting's identity part, services/reporting/identity) holds a private key,
so a compromised meetings or oversight instance can read tokens but never mint one. A token is
refused unless it is signed by a key of the JWKS named by its `kid`, of this deployment's
issuer (`iss`) and audience (`aud`), not expired, with the claims a principal needs; whether
its session or its own id was revoked is the caller's check (services.common.token_trust).

Claims: `sub` (account id), `name` (display name), `unit`, `era`, `role`, `kind` ("person" or
"service"), `sid` (the session; service tokens have none), `jti`, `iat`, `exp`, and `pending`
(steps a person must take before anything else: "change_password", "setup_totp").
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts import Actor
from services.common.hierarchy import Era

Role = Literal["secretary", "viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
ERAS: tuple[Era, ...] = get_args(Era)
Kind = Literal["person", "service"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Pending = Literal["change_password", "setup_totp"]
PENDING: tuple[Pending, ...] = get_args(Pending)
ALGORITHM = "EdDSA"
LEEWAY = timedelta(seconds=10)  # clock skew between the issuer and the services
REQUIRED = ("exp", "iat", "iss", "aud", "sub", "role", "jti")


class TokenError(ValueError):
    """A token that cannot be trusted; `kind` is the refusal's type (WWW-Authenticate)."""

    def __init__(self, message: str, kind: str = "invalid_token") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Principal:
    """What a verified token says about its holder."""

    user: str  # the account (or service account) id
    unit: str | None  # None only for an operator without a unit
    role: Role
    expires: datetime
    era: Era | None = None  # the era of `unit`; None: judged by `issued`
    issued: datetime | None = None
    name: str | None = None  # the display name
    kind: Kind = "person"
    session: str | None = None  # `sid`: what sign-out and disabling revoke
    token_id: str | None = None  # `jti`: what revoking a service account revokes
    pending: tuple[Pending, ...] = ()  # steps the person must take before anything else

    def actor(self) -> Actor:
        """Who the events this caller records are done by (the envelope's `actor`)."""
        return Actor(id=self.user, name=self.name or self.user, kind=self.kind)


def is_unit_code(value: object) -> bool:
    return (
        isinstance(value, str) and value.isascii() and value.isdigit() and len(value) in (2, 3, 5)
    )


def check_scope(unit: str | None, role: str, era: str | None) -> None:
    """Raise ValueError unless `role` at `unit` of `era` is something a token may say."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if unit is None and role != "operator":
        raise ValueError(f"a {role} must name a unit")
    if unit is not None and not is_unit_code(unit):
        raise ValueError(f"unit must be a 2-, 3- or 5-digit unit code, not {unit!r}")
    if era is not None and era not in ERAS:
        raise ValueError(f"era must be one of {', '.join(ERAS)}, not {era!r}")


# -- public keys ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_of(key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    """The JWK (RFC 8037) of an Ed25519 public key."""
    raw = key.public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "alg": ALGORITHM}


@dataclass(frozen=True, slots=True)
class PublicKeys:
    """The issuer's public keys by kid: what a JWKS document lists."""

    keys: Mapping[str, Ed25519PublicKey]

    def fingerprint(self) -> frozenset[tuple[str, bytes]]:
        """Each kid with its key's bytes: equal for two readings of the same keys."""
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return frozenset((kid, key.public_bytes(*raw)) for kid, key in self.keys.items())

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> PublicKeys:
        """Read a JWKS; entries that are not Ed25519 signing keys are left out."""
        found: dict[str, Ed25519PublicKey] = {}
        entries = document.get("keys")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or (entry.get("kty"), entry.get("crv")) != (
                "OKP",
                "Ed25519",
            ):
                continue
            kid, x = entry.get("kid"), entry.get("x")
            if not isinstance(kid, str) or not isinstance(x, str):
                continue
            try:
                found[kid] = Ed25519PublicKey.from_public_bytes(_unb64(x))
            except ValueError:
                continue
        return cls(found)

    @classmethod
    def of(cls, keys: Iterable[tuple[str, Ed25519PublicKey]]) -> PublicKeys:
        return cls(dict(keys))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [jwk_of(key, kid) for kid, key in sorted(self.keys.items())]}


def kid_of(token: str) -> str:
    """The key id a token's header names; TokenError if it names none."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise TokenError("the bearer token is not a well-formed JWT") from None
    if header.get("alg") != ALGORITHM:
        raise TokenError(
            f"the bearer token must be signed with {ALGORITHM} by the token issuer,"
            f" not {header.get('alg')!r}"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("the bearer token names no key ('kid')")
    return kid


# -- verification --------------------------------------------------------------------------------


def decode_token(
    token: str, keys: PublicKeys, *, issuer: str, audience: str, now: datetime | None = None
) -> Principal:
    """Verify signature (a key of `keys` named by the token's kid), issuer, audience, expiry
    and claims; raise TokenError saying what is wrong."""
    kid = kid_of(token)
    key = keys.keys.get(kid)
    if key is None:
        raise TokenError(
            f"the bearer token's key {kid!r} is not one of the token issuer's keys"
            " (signed elsewhere, or by a key dropped since)"
        )
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": list(REQUIRED)},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the bearer token expired; sign in again", "expired_token") from None
    except jwt.InvalidSignatureError:
        raise TokenError("the bearer token's signature does not verify") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"the bearer token lacks the '{exc.claim}' claim") from None
    except jwt.InvalidAudienceError:
        raise TokenError(f"the bearer token is not for this audience ({audience!r})") from None
    except jwt.InvalidIssuerError:
        raise TokenError(f"the bearer token was not issued by {issuer!r}") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("the bearer token is not valid yet (issued in the future?)") from None
    except jwt.DecodeError:
        raise TokenError("the bearer token is not a well-formed JWT") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the bearer token is invalid: {exc}") from None
    return principal_from_claims(claims)


MAX_ID, MAX_NAME = 128, 200  # what an event's actor may hold (contracts.Actor)


def _printable(value: object, most: int) -> bool:
    """Text an envelope's actor may carry: 1 to `most` characters, no control characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= most
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    )


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """What the claims of a token whose signature, issuer, audience and expiry were checked
    say of its holder; TokenError naming the claim that cannot be taken."""
    role, unit, user, era = claims["role"], claims.get("unit"), claims["sub"], claims.get("era")
    try:
        check_scope(unit, role, era)
    except ValueError as exc:
        raise TokenError(f"the bearer token's claims are not valid: {exc}") from None
    if not _printable(user, MAX_ID):
        raise TokenError(f"the bearer token's 'sub' must name the account (text, {MAX_ID} at most)")
    kind, sid, jti, name = claims.get("kind", "person"), claims.get("sid"), claims["jti"], None
    if kind not in KINDS:
        raise TokenError(f"the bearer token's kind {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(jti, str) or (sid is not None and not isinstance(sid, str)):
        raise TokenError("the bearer token's 'jti' and 'sid' must be text")
    if claims.get("name") is not None:
        if not _printable(claims["name"], MAX_NAME):
            raise TokenError(f"the bearer token's 'name' must be text of {MAX_NAME} at most")
        name = claims["name"]
    pending = claims.get("pending", [])
    if not isinstance(pending, list) or any(p not in PENDING for p in pending):
        raise TokenError(f"the bearer token's 'pending' must list some of {', '.join(PENDING)}")
    try:
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        issued = datetime.fromtimestamp(claims["iat"], UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise TokenError("the bearer token's 'exp' or 'iat' is not a time") from None
    return Principal(
        user=user,
        unit=unit,
        role=role,
        expires=expires,
        era=era,
        issued=issued,
        name=name,
        kind=kind,
        session=sid,
        token_id=jti,
        pending=tuple(pending),
    )
