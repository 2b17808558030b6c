"""Signed envelopes: who may sign what, and checking that a signature says so.

Unit keys sign facts: a service holds the private keys of the units it serves and signs each
envelope with the most specific one covering the event's unit. Registry keys sign the unit
tree (`unit.registered`, `hierarchy.changed`) and nothing else. A consumer holds the
registered public keys (contracts.keys) and refuses (dead-letters) an event that is unsigned,
signed by a key of the wrong kind, an unknown key, a key retired before the event was
recorded, altered after signing, or signed by a unit that is not the event's unit or one of
its ancestors on the event's date. Which units a province registry may name needs the tree:
services.common.trust.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.envelope import Envelope, InvalidEvent, Signature
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.keys import (
    NATIONAL,
    DirectoryStamp,
    KeyName,
    KeyRing,
    PublicKey,
    load_private,
    private_key_id,
    registry_key,
    unit_key,
)

try:  # ed25519-zebra (Rust): the same signatures, verified ~3x faster than OpenSSL here
    from ed25519_zebra import ed_verify as _zebra_verify
except ImportError:  # pragma: no cover - the dependency is declared; kept for minimal installs
    _zebra_verify = None

# (unit, day) -> the unit and its ancestors on that day, most specific first; None if unknown.
Lineage = Callable[[str, date], tuple[str, ...] | None]

REGISTRY_EVENTS = frozenset({UnitRegistered.TYPE, HierarchyChanged.TYPE})
"""The event types only registry keys sign, and registry keys sign nothing else."""


@dataclass
class Signer:
    """The private keys one holder signs with: unit keys by unit, registry keys by scope
    (a province code, or "national"). Read from a key directory, it looks at its folders
    before each signature, so a rotation there takes effect at once (a key retired while
    still in use would have its events refused)."""

    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    registry: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    directory: Path | None = None
    _stamps: tuple[DirectoryStamp, ...] = field(default=(), init=False, repr=False)

    @classmethod
    def from_dir(cls, directory: Path) -> Signer:
        signer = cls(directory=directory)
        signer._stamps = tuple(DirectoryStamp(directory / d) for d in ("private", "registry"))
        signer._held(registry=False), signer._held(registry=True)
        return signer

    def _held(self, registry: bool) -> dict[str, Ed25519PrivateKey]:
        """The unit keys or the registry keys, read again if their folder changed."""
        if self._stamps and self._stamps[registry].changed():
            keys = _private_keys(self._stamps[registry].path)
            if registry:
                self.registry = keys
            else:
                self.keys = keys
        return self.registry if registry else self.keys

    def sign(self, envelope: Envelope, lineage: Iterable[str]) -> Envelope:
        """Sign a hierarchy event with the registry key (its province's, if `lineage` names it,
        else the national one), anything else with the key of the most specific unit in
        `lineage` that this signer holds; PermissionError if it holds none that may."""
        held = self._key_for(envelope.type, tuple(lineage))
        if held is None:
            raise PermissionError(f"no signing key covers {envelope.type} of unit {envelope.unit}")
        name, key = held
        value = base64.b64encode(key.sign(envelope.signed_bytes())).decode()
        signature = Signature(kind=name.kind, unit=name.unit, kid=private_key_id(key), value=value)
        return envelope.model_copy(update={"signature": signature})

    def _key_for(
        self, type: str, lineage: tuple[str, ...]
    ) -> tuple[KeyName, Ed25519PrivateKey] | None:
        if type in REGISTRY_EVENTS:
            registry = self._held(registry=True)
            scope = next((u for u in lineage if u in registry), NATIONAL)
            key = registry.get(scope)
            name = registry_key(None if scope == NATIONAL else scope)
            return (name, key) if key is not None else None
        keys = self._held(registry=False)
        return next(((unit_key(u), keys[u]) for u in lineage if u in keys), None)


def _private_keys(directory: Path) -> dict[str, Ed25519PrivateKey]:
    return {path.stem: load_private(path) for path in sorted(directory.glob("*.pem"))}


@dataclass
class Verifier:
    """The registered public keys, and the rules of which key may sign what."""

    keys: KeyRing
    lineage: Lineage

    @classmethod
    def from_dir(cls, directory: Path, lineage: Lineage) -> Verifier:
        """The public keys of a key directory (`directory`/public)."""
        return cls(KeyRing(directory / "public"), lineage)

    def check(self, envelope: Envelope) -> None:
        """Raise InvalidEvent saying why the envelope may not be trusted."""
        claim = self.claim(envelope)
        if not claim.holds():
            raise InvalidEvent(claim.refusal)

    def refusal(self, type: str, unit: str, day: date, signer: KeyName | None) -> str | None:
        """Why an envelope of `type` for `unit` on `day` signed by `signer`'s key may not be
        trusted, by the rules of who may sign what; None if it may be, once its key is
        registered and in force and its signature holds."""
        if type in REGISTRY_EVENTS:
            if signer is None:
                return f"unsigned {type}"
            if signer.kind != "registry":
                return f"only a registry key may sign {type}, not {signer}'s key"
            return None  # which units it may name: services.common.trust
        allowed = self.lineage(unit, day)
        if allowed is None:
            return f"unit {unit} did not exist on {day}"
        if signer is None:
            return f"unsigned event for unit {unit}"
        if signer.kind != "unit" or signer.unit is None:
            return f"{signer} may not sign {type}: a registry key signs only the unit tree"
        if signer.unit not in allowed:
            return (
                f"signer {signer.unit} may not publish for unit {unit} "
                f"(allowed: {', '.join(allowed)})"
            )
        return None

    def signer_key(
        self,
        type: str,
        unit: str,
        day: date,
        recorded_at: datetime,
        signer: KeyName | None,
        kid: str | None,
    ) -> PublicKey:
        """Every check but the cryptographic one: the registered key the signature must
        verify with; InvalidEvent saying why there is none."""
        reason = self.refusal(type, unit, day, signer)
        if reason is not None:
            raise InvalidEvent(reason)
        assert signer is not None  # refusal() says why otherwise
        key = self.keys.find(signer, kid, recorded_at)
        if key is None:
            raise InvalidEvent(
                f"no registered public key for {signer}" + (f" (key {kid})" if kid else "")
            )
        if key.name != signer:
            raise InvalidEvent(f"key {key.kid} is registered for {key.name}, not {signer}")
        if key.retired_by(recorded_at):
            assert key.not_after is not None
            raise InvalidEvent(
                f"key {key.kid} of {signer} was retired at {key.not_after.isoformat()},"
                f" before the envelope was recorded ({recorded_at.isoformat()})"
            )
        return key

    def claim(self, envelope: Envelope) -> Claim:
        """Every check but the cryptographic one (InvalidEvent if one fails), and what the
        signature must then prove: lets a consumer verify many signatures at once, elsewhere."""
        signature = envelope.signature
        key = self.signer_key(
            envelope.type,
            envelope.unit,
            envelope.business_day,
            envelope.recorded_at,
            signature.key_name if signature else None,
            signature.kid if signature else None,
        )
        assert signature is not None
        try:
            value = base64.b64decode(signature.value)
        except ValueError:
            value = b""  # cannot verify: refused below like any bad signature
        return Claim(str(key.name), key.raw, value, fast_signed_bytes(envelope), envelope)


def fast_signed_bytes(envelope: Envelope) -> bytes:
    """`Envelope.signed_bytes`, written by orjson: the same bytes for every envelope without
    floats or integers beyond 64 bits (json and orjson write those differently), in a fifth
    of the time. A signature that does not hold over these is tried over the canonical bytes
    (Claim.holds_canonically), so nothing valid is refused; and both forms are serialisations
    of the same body, so a signature over either vouches for that body."""
    try:
        return orjson.dumps(envelope.signed_body(), option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer orjson cannot write: the canonical form, directly
        return envelope.signed_bytes()


@dataclass(frozen=True)
class Claim:
    """An envelope's signature and the bytes and public key it must match; plain bytes, so
    claims can be verified in another process (see `verify_claims`)."""

    signer: str  # whose key, as refusals name it ("unit 12")
    key: bytes  # raw Ed25519 public key
    signature: bytes
    message: bytes  # fast_signed_bytes of the envelope
    envelope: Envelope | None = None  # for the canonical bytes, if `message` differs from them

    @property
    def refusal(self) -> str:
        return f"bad signature by {self.signer}"

    def holds(self) -> bool:
        return verify_claims([self.plain()])[0] or self.holds_canonically()

    def plain(self) -> tuple[bytes, bytes, bytes]:
        return self.key, self.signature, self.message

    def holds_canonically(self) -> bool:
        """After `message` failed: whether the signature holds over the canonical bytes, when
        those differ (an envelope with floats, say)."""
        if self.envelope is None:
            return False
        canonical = self.envelope.signed_bytes()
        if canonical == self.message:
            return False
        return verify_claims([(self.key, self.signature, canonical)])[0]


def verify_claims(claims: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Whether each (raw public key, signature, message) verifies. Module-level and over plain
    bytes, so a process pool can run it.

    ed25519-zebra checks what RFC 8032 asks of a signature (S below the group order included);
    it accepts a few encodings OpenSSL refuses (ZIP 215: non-canonical points, cofactored
    equation), which an attacker cannot use to sign anything: the public keys are the
    registry's. Without it, OpenSSL through `cryptography`."""
    if _zebra_verify is not None:
        verify = _zebra_verify
        return [
            len(signature) == 64 and len(key) == 32 and bool(verify(signature, message, key))
            for key, signature, message in claims
        ]
    out = []
    for key, signature, message in claims:
        try:
            _public_key(key).verify(signature, message)
        except (InvalidSignature, ValueError):
            out.append(False)
        else:
            out.append(True)
    return out


@functools.lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)
