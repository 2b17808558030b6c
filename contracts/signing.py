"""Signed envelopes: only a unit's own service (or one of an ancestor unit) may publish for it.

Each unit has an Ed25519 key pair. A service holds the private keys of the units it serves and
signs each envelope with the most specific one covering the event's unit; a consumer holds the
registered public keys and refuses (dead-letters) an event that is unsigned, signed by an
unknown key, altered after signing, or signed by a unit that is not the event's unit or one
of its ancestors on the event's date.

Keys live in a directory, never in the repository: `private/<unit>.pem` (PKCS#8) and
`public/<unit>.pem` (SubjectPublicKeyInfo). `hdnd keys generate` makes them.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.envelope import Envelope, InvalidEvent, Signature

try:  # ed25519-zebra (Rust): the same signatures, verified ~3x faster than OpenSSL here
    from ed25519_zebra import ed_verify as _zebra_verify
except ImportError:  # pragma: no cover - the dependency is declared; kept for minimal installs
    _zebra_verify = None

# (unit, day) -> the unit and its ancestors on that day, most specific first; None if unknown.
Lineage = Callable[[str, date], tuple[str, ...] | None]


@dataclass
class Signer:
    """The private keys one service instance signs with."""

    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @classmethod
    def from_dir(cls, directory: Path) -> Signer:
        keys = {
            path.stem: _load_private(path) for path in sorted((directory / "private").glob("*.pem"))
        }
        return cls(keys)

    def sign(self, envelope: Envelope, lineage: Iterable[str]) -> Envelope:
        """Sign with the key of the most specific unit in `lineage` that this signer holds."""
        for unit in lineage:
            key = self.keys.get(unit)
            if key is not None:
                value = base64.b64encode(key.sign(envelope.signed_bytes())).decode()
                return envelope.model_copy(update={"signature": Signature(unit=unit, value=value)})
        raise PermissionError(f"no signing key covers unit {envelope.unit}")


@dataclass
class Verifier:
    """The registered public keys of units, and the rule of who may publish for whom."""

    keys: dict[str, Ed25519PublicKey]
    lineage: Lineage
    directory: Path | None = None  # where `keys` were read from, for worker processes

    @classmethod
    def from_dir(cls, directory: Path, lineage: Lineage) -> Verifier:
        return cls(load_public_keys(directory), lineage, directory)

    @functools.cached_property
    def raw_keys(self) -> dict[str, bytes]:
        return {unit: key.public_bytes_raw() for unit, key in self.keys.items()}

    def check(self, envelope: Envelope) -> None:
        """Raise InvalidEvent saying why the envelope may not be trusted."""
        claim = self.claim(envelope)
        if not claim.holds():
            raise InvalidEvent(claim.refusal)

    def refusal(self, unit: str, day: date, signer: str | None) -> str | None:
        """Why an envelope for `unit` on `day` signed by `signer` may not be trusted, by every
        rule but the cryptographic one; None if it may be, once its signature holds."""
        allowed = self.lineage(unit, day)
        if allowed is None:
            return f"unit {unit} did not exist on {day}"
        if signer is None:
            return f"unsigned event for unit {unit}"
        if signer not in allowed:
            return (
                f"signer {signer} may not publish for unit {unit} (allowed: {', '.join(allowed)})"
            )
        if signer not in self.keys:
            return f"no registered public key for unit {signer}"
        return None

    def claim(self, envelope: Envelope) -> Claim:
        """Every check but the cryptographic one (InvalidEvent if one fails), and what the
        signature must then prove: lets a consumer verify many signatures at once, elsewhere."""
        signature = envelope.signature
        reason = self.refusal(
            envelope.unit, envelope.business_day, signature.unit if signature else None
        )
        if reason is not None:
            raise InvalidEvent(reason)
        assert signature is not None
        key = self.keys[signature.unit]
        try:
            value = base64.b64decode(signature.value)
        except ValueError:
            value = b""  # cannot verify: refused below like any bad signature
        return Claim(
            signature.unit, key.public_bytes_raw(), value, fast_signed_bytes(envelope), envelope
        )


def fast_signed_bytes(envelope: Envelope) -> bytes:
    """`Envelope.signed_bytes`, written by orjson: the same bytes for every envelope without
    floats or integers beyond 64 bits (json and orjson write those differently), in a fifth
    of the time. A signature that does not hold over these is tried over the canonical bytes
    (Claim.holds_canonically), so nothing valid is refused; and both forms are serialisations
    of the same body, so a signature over either vouches for that body."""
    body = envelope.model_dump(mode="json", exclude={"signature"})
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer orjson cannot write: the canonical form, directly
        return envelope.signed_bytes()


@dataclass(frozen=True)
class Claim:
    """An envelope's signature and the bytes and public key it must match; plain bytes, so
    claims can be verified in another process (see `verify_claims`)."""

    unit: str
    key: bytes  # raw Ed25519 public key
    signature: bytes
    message: bytes  # fast_signed_bytes of the envelope
    envelope: Envelope | None = None  # for the canonical bytes, if `message` differs from them

    @property
    def refusal(self) -> str:
        return f"bad signature by unit {self.unit}"

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


def generate_keys(directory: Path, units: Iterable[str], overwrite: bool = False) -> list[str]:
    """Create key pairs for `units` that have none yet; returns the units given new keys."""
    (directory / "private").mkdir(parents=True, exist_ok=True)
    (directory / "public").mkdir(parents=True, exist_ok=True)
    created = []
    for unit in units:
        private_path = directory / "private" / f"{unit}.pem"
        if private_path.exists() and not overwrite:
            continue
        key = Ed25519PrivateKey.generate()
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private_path.chmod(0o600)
        (directory / "public" / f"{unit}.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        created.append(unit)
    return created


def _load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_keys(directory: Path) -> dict[str, Ed25519PublicKey]:
    """The registered public keys in `directory`: public/<unit>.pem."""
    return {p.stem: _load_public(p) for p in sorted((directory / "public").glob("*.pem"))}


def _load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key
