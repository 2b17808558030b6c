"""Key files: the private keys one holder signs with, and the registered public keys, each
with its key id and validity.

Two kinds of signing keys, never mixed (the token issuer's is another matter):
- unit keys: an instance signs the events of the units it serves with them;
- registry keys: the hierarchy registry signs `unit.registered` and `hierarchy.changed`
  with one, national (any unit) or a province's (only that province's units).

A key directory (`HDND_KEYS_DIR`) holds one holder's private keys, never in the repository:
    private/<unit>.pem          a unit key (PKCS#8)
    registry/national.pem       a registry key: national.pem, or <province>.pem
and, unless they are kept elsewhere (`HDND_PUBLIC_KEYS_DIR`), the registered public keys:
    public/<kind>.<unit or national>.<kid>.json   {kind, unit, kid, key, not_before, not_after}
A public folder from before key ids (`public/<unit>.pem`) is still read: unit keys with no
end, so the events they signed verify as before.

A key id (kid) is the first 16 hex digits of the SHA-256 of the raw public key. `rotate`
registers the new key, puts its private half in place of the old one, and only then retires
the old one (not_after = that moment): its public record stays, for what it signed.
Files are replaced by renaming, so a reader never sees half a key and a directory's mtime
says it changed (see DirectoryStamp).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KeyKind = Literal["unit", "registry"]
NATIONAL = "national"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class KeyInUse(ValueError):
    """A key for that name is registered and in use, held elsewhere: rotate it instead."""


class KeyName(NamedTuple):
    """Whose key: a unit's (`unit` its code) or a registry's (`unit` its province; None for
    the national registry)."""

    kind: KeyKind
    unit: str | None

    def __str__(self) -> str:
        if self.kind == "unit":
            return f"unit {self.unit}"
        return f"the registry of province {self.unit}" if self.unit else "the national registry"

    @property
    def scope(self) -> str:
        return self.unit or NATIONAL

    def private_path(self, directory: Path) -> Path:
        return directory / ("private" if self.kind == "unit" else "registry") / f"{self.scope}.pem"


def unit_key(unit: str) -> KeyName:
    return KeyName("unit", unit)


def registry_key(province: str | None = None) -> KeyName:
    return KeyName("registry", province)


def key_id(raw: bytes) -> str:
    """The id of a raw Ed25519 public key: what a signature names its key by."""
    return hashlib.sha256(raw).hexdigest()[:16]


@functools.lru_cache(maxsize=1024)
def private_key_id(key: Ed25519PrivateKey) -> str:
    return key_id(key.public_key().public_bytes_raw())


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A registered public key. It signs for envelopes recorded before `not_after` (None:
    not retired); `not_before` says since when it is in use (not a bound: an envelope sealed
    just before a rotation may be signed just after it, with the new key)."""

    name: KeyName
    kid: str
    raw: bytes
    not_before: datetime | None = None
    not_after: datetime | None = None

    def retired_by(self, at: datetime) -> bool:
        return self.not_after is not None and at >= self.not_after

    @property
    def file_name(self) -> str:
        return f"{self.name.kind}.{self.name.scope}.{self.kid}.json"

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.name.kind,
            "unit": self.name.unit,
            "kid": self.kid,
            "key": base64.b64encode(self.raw).decode(),
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> PublicKey:
        raw = base64.b64decode(data["key"])
        if data["kind"] not in ("unit", "registry") or len(raw) != 32:
            raise ValueError(f"not a public key record: {data}")
        if key_id(raw) != data["kid"]:
            raise ValueError(f"key id {data['kid']} does not match its key")
        return cls(
            KeyName(data["kind"], data["unit"]),
            data["kid"],
            raw,
            _when(data.get("not_before")),
            _when(data.get("not_after")),
        )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class DirectoryStamp:
    """Whether a directory changed since it was last read. Its mtime moves when a file is
    added, removed or replaced, but in steps of the file system's clock tick; so while the
    mtime is recent a change could hide in the same tick, and the directory counts as changed
    (as git treats "racy" index entries)."""

    RACY_NS = 2_000_000_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: int | None = None
        self.racy = True

    def changed(self) -> bool:
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            mtime = -1
        if mtime == self.seen and not self.racy:
            return False
        self.seen = mtime
        self.racy = time.time_ns() - mtime < self.RACY_NS
        return True


class KeyRing:
    """The registered public keys of a directory, read again when it changed: a running
    consumer sees a key registered since (a rotation's new key) and a key retired since."""

    def __init__(self, directory: Path | None = None, keys: Iterable[PublicKey] = ()) -> None:
        self.directory = directory
        self._stamp = DirectoryStamp(directory) if directory is not None else None
        self._read_at = EPOCH
        self._reading = threading.Lock()
        self._index(keys)
        self.refresh()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_reading"]  # a lock is this process's
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reading = threading.Lock()

    def _index(self, keys: Iterable[PublicKey]) -> None:
        self.by_kid = {key.kid: key for key in keys}
        self.by_name: dict[KeyName, list[PublicKey]] = {}
        for key in sorted(self.by_kid.values(), key=lambda k: k.not_before or EPOCH):
            self.by_name.setdefault(key.name, []).append(key)

    def refresh(self) -> None:
        """Read the directory again if it changed since it was last read. The time of the
        reading is set once the keys read are in place, and one thread reads at a time:
        before, a thread judging beside another's reading saw the new time with the old keys
        and let a key retired meanwhile sign (a rotation raced by the projector's threads)."""
        with self._reading:
            started = datetime.now(UTC)
            if self._stamp is not None and self._stamp.changed():
                assert self.directory is not None
                self._index(read_public_keys(self.directory))
            self._read_at = started

    def find(self, name: KeyName, kid: str | None, at: datetime) -> PublicKey | None:
        """The registered key a signature by `name` with key id `kid`, on an envelope recorded
        at `at`, must verify with: the key of that id; without an id (signed before there
        were ids), the key `name` had at `at`. None if there is none.

        Read again first when `at` is later than the last reading (a key retired meanwhile
        must not be missed) or no key has that id (a key registered meanwhile)."""
        if at > self._read_at:
            self.refresh()
        if kid is not None:
            key = self.by_kid.get(kid)
            if key is None and self._stamp is not None:
                self.refresh()
                key = self.by_kid.get(kid)
            return key
        keys = self.by_name.get(name, [])
        return next((k for k in keys if not k.retired_by(at)), keys[-1] if keys else None)

    def current(self, name: KeyName) -> PublicKey | None:
        """The key of `name` in use now (the newest not retired), if any."""
        in_use = [k for k in self.by_name.get(name, []) if k.not_after is None]
        return in_use[-1] if in_use else None

    def __iter__(self) -> Any:
        return iter(sorted(self.by_kid.values(), key=lambda k: (k.name, k.not_before or EPOCH)))


def read_public_keys(directory: Path) -> list[PublicKey]:
    """The public keys registered in `directory`: its records, and any `<unit>.pem` of the
    layout before key ids (a unit key with no end, unless a record of the same id says
    otherwise)."""
    found: dict[str, PublicKey] = {}
    for path in sorted(directory.glob("*.pem")):
        if path.stem.isdigit():
            raw = load_public(path).public_bytes_raw()
            found[key_id(raw)] = PublicKey(unit_key(path.stem), key_id(raw), raw)
    for path in sorted(directory.glob("*.json")):
        key = PublicKey.from_record(json.loads(path.read_bytes()))
        found[key.kid] = key
    return list(found.values())


# -- making keys ----------------------------------------------------------------------------


def generate(directory: Path, name: KeyName, public: Path | None = None) -> PublicKey | None:
    """A new key pair for `name` held in `directory` (its public half registered in `public`,
    by default `directory`/public), unless this holder has one already (None). KeyInUse if a
    key of `name` is registered and in use but held elsewhere: `rotate` replaces it."""
    if name.private_path(directory).exists():
        return None
    public = public or directory / "public"
    in_use = KeyRing(public).current(name) if public.exists() else None
    if in_use is not None:
        raise KeyInUse(
            f"{name} has key {in_use.kid} registered in {public}, held elsewhere;"
            " `hdnd keys rotate` replaces it"
        )
    return _install(directory, name, public)


def generate_keys(directory: Path, units: Iterable[str], public: Path | None = None) -> list[str]:
    """Unit keys for `units` that this holder has none of; returns the units given new keys."""
    return [u for u in units if generate(directory, unit_key(u), public) is not None]


def rotate(directory: Path, name: KeyName, public: Path | None = None) -> PublicKey:
    """Replace the key of `name`: the new one is registered and put in place, then every key
    of `name` in use is retired at that moment (their public records stay, for what they
    signed). Returns the new key."""
    public = public or directory / "public"
    old = [k for k in KeyRing(public).by_name.get(name, []) if k.not_after is None]
    new = _install(directory, name, public)
    retired_at = datetime.now(UTC)
    for key in old:
        retired = dataclasses.replace(key, not_after=retired_at)
        _write(public / key.file_name, _record_bytes(retired))
        if name.kind == "unit":
            (public / f"{name.unit}.pem").unlink(missing_ok=True)  # the layout before key ids
    return new


def _install(directory: Path, name: KeyName, public: Path) -> PublicKey:
    """Register a new key (before anything can be signed with it), then hold it."""
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes_raw()
    key = PublicKey(name, key_id(raw), raw, not_before=datetime.now(UTC))
    _write(public / key.file_name, _record_bytes(key))
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(name.private_path(directory), pem, mode=0o600)
    return key


def _record_bytes(key: PublicKey) -> bytes:
    return json.dumps(key.record(), indent=2).encode() + b"\n"


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write by renaming a complete file into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key
