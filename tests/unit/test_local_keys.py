"""The local stack's keys: each holder only its own private keys, an older folder migrated."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.keys import KeyRing, registry_key, unit_key
from deploy.cli.keys import ensure_local_keys


def files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def test_each_holder_holds_its_own_private_key_and_a_second_start_changes_nothing(
    tmp_path: Path,
) -> None:
    keys = ensure_local_keys(tmp_path, "12")
    assert files(keys.services) == {"private/12.pem"}
    assert files(keys.registry) == {"registry/national.pem"}
    ring = KeyRing(keys.public)
    made = {ring.current(unit_key("12")), ring.current(registry_key())}
    assert None not in made and len(list(ring)) == 2
    again = ensure_local_keys(tmp_path, "12")
    assert again == keys and set(KeyRing(keys.public)) == made


def test_a_folder_of_the_layout_before_is_migrated_and_its_public_keys_kept(
    tmp_path: Path,
) -> None:
    """Before: every province's private key in keys/private, public/<unit>.pem."""
    old = {code: Ed25519PrivateKey.generate() for code in ("11", "12")}
    for code, key in old.items():
        (tmp_path / "keys" / "private").mkdir(parents=True, exist_ok=True)
        (tmp_path / "keys" / "public").mkdir(parents=True, exist_ok=True)
        (tmp_path / "keys" / "private" / f"{code}.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (tmp_path / "keys" / "public" / f"{code}.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    twelve = (tmp_path / "keys" / "private" / "12.pem").read_bytes()
    keys = ensure_local_keys(tmp_path, "12")
    assert not (tmp_path / "keys" / "private").exists()  # no folder of everyone's keys
    assert (keys.services / "private" / "12.pem").read_bytes() == twelve  # moved, not remade
    ring = KeyRing(keys.public)
    raw = {code: key.public_key().public_bytes_raw() for code, key in old.items()}
    for code in old:  # what the old keys signed still verifies
        current = ring.current(unit_key(code))
        assert current is not None and current.raw == raw[code]

    # Province 11 served later: its private key is gone, so it gets a new one; the old one is
    # retired and stays registered.
    later = ensure_local_keys(tmp_path, "11")
    assert files(later.services) == {"private/11.pem"}
    ring = KeyRing(keys.public)
    (retired, new) = ring.by_name[unit_key("11")]
    assert retired.raw == raw["11"] and retired.not_after is not None
    assert ring.current(unit_key("11")) == new and new.raw != raw["11"]
