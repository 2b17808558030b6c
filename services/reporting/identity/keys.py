"""The token issuer's keys, and the access tokens it signs with them.

`HDND_ISSUER_KEYS_DIR` (only the reporting instance that signs people in has it; `make run`
makes `.local/issuer/`, `hdnd accounts issuer-key generate|rotate|drop|list` elsewhere):

    private/<kid>.pem     the signing key (Ed25519, PKCS#8, owner-only); the newest signs
    public/<kid>.json     {kid, key (base64 raw), created_at, retired_at}

Rotation without signing anyone out: a new key is made and signs from then on, the old
private key is deleted and its public record marked retired; the JWKS keeps serving a retired
key until every token it signed has expired (`MAX_TOKEN_LIFETIME` after its retirement: a
service account's token lives 90 days at most), then it is left out. `drop` removes a key at
once (a key that leaked): every token it signed is refused from the next poll on.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.keys import _write as write_atomically
from contracts.keys import key_id, load_private
from services.common.tokens import ALGORITHM, Kind, Pending, PublicKeys, check_scope

MAX_TOKEN_LIFETIME = timedelta(days=90)


class NoIssuerKey(RuntimeError):
    """The issuer has no signing key: it cannot sign anyone in."""


@dataclass(frozen=True, slots=True)
class IssuerKey:
    kid: str
    public: Ed25519PublicKey
    created_at: datetime
    retired_at: datetime | None = None

    def trusted(self, now: datetime) -> bool:
        """Whether tokens it signed may still be valid: not retired, or retired for less than
        the longest lifetime of a token."""
        return self.retired_at is None or now < self.retired_at + MAX_TOKEN_LIFETIME

    def record(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "key": base64.b64encode(self.public.public_bytes_raw()).decode(),
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> IssuerKey:
        retired = data.get("retired_at")
        return cls(
            kid=data["kid"],
            public=Ed25519PublicKey.from_public_bytes(base64.b64decode(data["key"])),
            created_at=datetime.fromisoformat(data["created_at"]),
            retired_at=datetime.fromisoformat(retired) if retired else None,
        )


class IssuerKeys:
    """One issuer key directory, read again on every use (a rotation by `hdnd accounts` in
    another process is taken at once)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def all(self) -> list[IssuerKey]:
        """Every registered key, oldest first."""
        folder = self.directory / "public"
        found = [
            IssuerKey.from_record(json.loads(path.read_text(encoding="utf-8")))
            for path in sorted(folder.glob("*.json"))
        ]
        return sorted(found, key=lambda k: k.created_at)

    def public_keys(self, now: datetime | None = None) -> PublicKeys:
        """The keys the JWKS serves: those whose tokens may still be valid."""
        at = now or datetime.now(UTC)
        return PublicKeys.of((k.kid, k.public) for k in self.all() if k.trusted(at))

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        """The newest key this issuer holds the private half of."""
        for key in reversed(self.all()):
            path = self.directory / "private" / f"{key.kid}.pem"
            if key.retired_at is None and path.exists():
                return key.kid, load_private(path)
        raise NoIssuerKey(
            f"no issuer key in {self.directory}: `hdnd accounts issuer-key generate` makes one"
        )

    def sign(self, claims: dict[str, Any]) -> str:
        kid, private = self.signing_key()
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid})

    def issue(
        self,
        *,
        issuer: str,
        audience: str,
        subject: str,
        unit: str | None,
        role: str,
        ttl: timedelta,
        name: str | None = None,
        era: str | None = None,
        kind: Kind = "person",
        session: str | None = None,
        pending: Sequence[Pending] = (),
        now: datetime | None = None,
        token_id: str | None = None,
    ) -> str:
        """An access token: `subject`'s `role` at `unit` of `era`, valid `ttl` from `now`."""
        check_scope(unit, role, era)
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": subject,
            "role": role,
            "kind": kind,
            "jti": token_id or secrets.token_urlsafe(16),
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
        }
        optional = {"unit": unit, "era": era, "name": name, "sid": session}
        claims |= {k: v for k, v in optional.items() if v is not None}
        if pending:
            claims["pending"] = list(pending)
        return self.sign(claims)


def _install(directory: Path) -> IssuerKey:
    """Register a new key (public record first, so nothing it signs is ever unknown), then
    hold its private half."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    key = IssuerKey(key_id(public.public_bytes_raw()), public, datetime.now(UTC))
    record = json.dumps(key.record(), indent=2).encode() + b"\n"
    write_atomically(directory / "public" / f"{key.kid}.json", record)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_atomically(directory / "private" / f"{key.kid}.pem", pem, mode=0o600)
    return key


def generate(directory: Path) -> IssuerKey | None:
    """A first key for an issuer that holds none; None if it has one already."""
    try:
        IssuerKeys(directory).signing_key()
    except NoIssuerKey:
        return _install(directory)
    return None


def rotate(directory: Path) -> IssuerKey:
    """A new key signs from now on; the keys before it are retired (their private halves
    deleted, their public records kept while their tokens may be valid)."""
    keys = IssuerKeys(directory)
    old = [k for k in keys.all() if k.retired_at is None]
    new = _install(directory)
    now = datetime.now(UTC)
    for key in old:
        retired = IssuerKey(key.kid, key.public, key.created_at, now)
        record = json.dumps(retired.record(), indent=2).encode() + b"\n"
        write_atomically(directory / "public" / f"{key.kid}.json", record)
        (directory / "private" / f"{key.kid}.pem").unlink(missing_ok=True)
    return new


def drop(directory: Path, kid: str | None = None, now: datetime | None = None) -> list[str]:
    """Remove key `kid` at once (tokens it signed are refused), or without one every retired
    key no token can need any more; the ids removed."""
    at = now or datetime.now(UTC)
    keys = IssuerKeys(directory).all()
    gone = (
        [k.kid for k in keys if k.kid == kid] if kid else [k.kid for k in keys if not k.trusted(at)]
    )
    for name in gone:
        (directory / "private" / f"{name}.pem").unlink(missing_ok=True)
        (directory / "public" / f"{name}.json").unlink(missing_ok=True)
    return gone


def standalone_issuer(directory: Path) -> IssuerKeys:
    """An issuer key folder with a key and its JWKS beside it (`jwks.json`): for tools that
    sign their own tokens (tests, benchmarks, the soak run) and give the services
    HDND_TOKEN_JWKS_FILE, with no identity database."""
    generate(directory)
    keys = IssuerKeys(directory)
    (directory / "jwks.json").write_text(json.dumps(keys.public_keys().jwks()), encoding="utf-8")
    return keys
