"""Key files: ids, validity, rotation, the layout before key ids, and kinds never mixed."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from contracts import InvalidEvent, Source
from contracts.envelope import Envelope, Signature
from contracts.hierarchy import HierarchyChanged, Rename
from contracts.keys import (
    KeyInUse,
    KeyRing,
    generate,
    generate_keys,
    key_id,
    load_private,
    registry_key,
    rotate,
    unit_key,
)
from contracts.signing import Signer, Verifier
from services.common.recording import recorded
from tests.builders import held_voter_contact

PROVINCE, COMMUNE = "12", "03390"


def lineage(unit: str, day: date) -> tuple[str, ...] | None:
    return {COMMUNE: (COMMUNE, PROVINCE), PROVINCE: (PROVINCE,)}.get(unit)


def fact(recorded_at: datetime | None = None, seq: int = 1) -> Envelope:
    envelope = held_voter_contact(COMMUNE, date(2025, 3, 3), seq).envelope
    if recorded_at is None:
        return envelope
    return envelope.model_copy(update={"recorded_at": recorded_at})


def tree_change() -> Envelope:
    change = HierarchyChanged(
        change_no=1, effective=date(2026, 1, 1), change=Rename(unit=COMMUNE, name="Xã Mới")
    )
    return recorded(change, PROVINCE, change.effective).seal(Source(service="h", instance="t"), 1)


def verifier(keys: Path) -> Verifier:
    return Verifier(KeyRing(keys / "public"), lineage)


def test_a_signature_names_its_key_by_kind_and_id(tmp_path: Path) -> None:
    generate_keys(tmp_path, [PROVINCE])
    made = generate(tmp_path, registry_key())
    assert made is not None and made.name == registry_key()
    signer = Signer.from_dir(tmp_path)
    signed = signer.sign(fact(), (COMMUNE, PROVINCE))
    assert signed.signature is not None
    assert (signed.signature.kind, signed.signature.unit) == ("unit", PROVINCE)
    assert signed.signature.kid == key_id(signer.keys[PROVINCE].public_key().public_bytes_raw())
    verifier(tmp_path).check(signed)
    tree = signer.sign(tree_change(), (PROVINCE,))
    assert tree.signature is not None and tree.signature.kind == "registry"
    assert (tree.signature.unit, tree.signature.kid) == (None, made.kid)
    verifier(tmp_path).check(tree)


def test_unit_and_registry_keys_are_never_mixed(tmp_path: Path) -> None:
    generate_keys(tmp_path, [PROVINCE])
    generate(tmp_path, registry_key())
    held = Signer.from_dir(tmp_path)
    units_only, registry_only = Signer(keys=held.keys), Signer(registry=held.registry)
    with pytest.raises(PermissionError, match=r"no signing key covers hierarchy\.changed"):
        units_only.sign(tree_change(), (PROVINCE,))
    with pytest.raises(PermissionError, match=r"no signing key covers meeting\.held"):
        registry_only.sign(fact(), (COMMUNE, PROVINCE))
    # Forged all the same: signed by hand, named as the key it is.
    by_unit = sign_as(tree_change(), held.keys[PROVINCE], Signature(unit=PROVINCE, value="x"))
    with pytest.raises(InvalidEvent, match=r"only a registry key may sign hierarchy\.changed"):
        verifier(tmp_path).check(by_unit)
    registry = held.registry["national"]
    by_registry = sign_as(fact(), registry, Signature(kind="registry", value="x"))
    with pytest.raises(InvalidEvent, match=r"the national registry may not sign meeting\.held"):
        verifier(tmp_path).check(by_registry)
    # A key's kind is its registration's, whatever the signature calls it.
    posing = sign_as(fact(), registry, Signature(unit=PROVINCE, value="x"), kid=True)
    with pytest.raises(InvalidEvent, match="is registered for the national registry, not unit 12"):
        verifier(tmp_path).check(posing)


def sign_as(envelope: Envelope, key: object, signature: Signature, kid: bool = False) -> Envelope:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    assert isinstance(key, Ed25519PrivateKey)
    value = base64.b64encode(key.sign(envelope.signed_bytes())).decode()
    raw = key.public_key().public_bytes_raw()
    update = {"value": value} | ({"kid": key_id(raw)} if kid else {})
    return envelope.model_copy(update={"signature": signature.model_copy(update=update)})


def test_a_rotated_key_counts_for_what_was_recorded_before_its_retirement(tmp_path: Path) -> None:
    generate_keys(tmp_path, [PROVINCE])
    consumer = verifier(tmp_path)  # read before the rotation, as a running consumer's
    old = Signer({PROVINCE: Signer.from_dir(tmp_path).keys[PROVINCE]})
    sealed_before = old.sign(fact(datetime.now(UTC)), (COMMUNE, PROVINCE))
    new = rotate(tmp_path, unit_key(PROVINCE))
    stale = old.sign(fact(datetime.now(UTC) + timedelta(seconds=1), seq=2), (COMMUNE, PROVINCE))
    consumer.check(sealed_before)  # signed before: still verifies, now and on every rebuild
    with pytest.raises(InvalidEvent, match=r"key \w+ of unit 12 was retired at .*, before the"):
        consumer.check(stale)
    ring = KeyRing(tmp_path / "public")
    (retired,) = [k for k in ring.by_name[unit_key(PROVINCE)] if k.kid != new.kid]
    assert retired.not_after is not None and new.not_before is not None
    assert ring.current(unit_key(PROVINCE)) == new


def test_a_signer_takes_a_rotated_key_at_its_next_signature(tmp_path: Path) -> None:
    generate_keys(tmp_path, [PROVINCE])
    signer = Signer.from_dir(tmp_path)
    first = signer.sign(fact(), (COMMUNE, PROVINCE)).signature
    new = rotate(tmp_path, unit_key(PROVINCE))
    second = signer.sign(fact(), (COMMUNE, PROVINCE)).signature
    assert first is not None and second is not None
    assert first.kid != second.kid == new.kid


def test_keys_of_the_layout_before_key_ids_still_verify_their_events(tmp_path: Path) -> None:
    """public/<unit>.pem and signatures without a kind or id, as events on topics have them."""
    generate_keys(tmp_path, [PROVINCE])
    key = load_private(tmp_path / "private" / "12.pem")
    for record in (tmp_path / "public").iterdir():
        record.unlink()
    (tmp_path / "public" / "12.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    recorded_then = datetime.now(UTC) - timedelta(days=30)
    old_style = sign_as(fact(recorded_then), key, Signature(unit=PROVINCE, value="x"))
    assert old_style.signature is not None and old_style.signature.kid is None
    assert b'"kid"' not in old_style.model_dump_json(exclude_none=True).encode()
    consumer = verifier(tmp_path)
    consumer.check(old_style)
    with pytest.raises(KeyInUse, match="rotate"):
        generate_keys(tmp_path / "elsewhere", [PROVINCE], public=tmp_path / "public")
    rotate(tmp_path, unit_key(PROVINCE))
    assert not (tmp_path / "public" / "12.pem").exists()  # now a record, with its end
    consumer.check(old_style)
    # Without a key id, a signature must be by the key the unit had when it was recorded.
    late = fact(datetime.now(UTC) + timedelta(seconds=1))
    late = sign_as(late, key, Signature(unit=PROVINCE, value="x"))
    with pytest.raises(InvalidEvent, match="bad signature by unit 12"):
        consumer.check(late)


def test_generate_keeps_what_a_holder_has_and_an_unregistered_key_is_refused(
    tmp_path: Path,
) -> None:
    assert generate_keys(tmp_path, [PROVINCE, COMMUNE]) == [PROVINCE, COMMUNE]
    assert generate_keys(tmp_path, [PROVINCE]) == []
    assert generate(tmp_path, registry_key(PROVINCE)) is not None
    assert (tmp_path / "registry" / "12.pem").exists()
    assert (tmp_path / "private" / "12.pem").stat().st_mode & 0o777 == 0o600
    signed = Signer.from_dir(tmp_path).sign(fact(), (COMMUNE, PROVINCE))
    with pytest.raises(InvalidEvent, match=r"no registered public key for unit 03390 \(key \w+\)"):
        Verifier(KeyRing(tmp_path / "nowhere"), lineage).check(signed)


def test_a_thread_judging_beside_another_threads_reading_never_finds_a_retired_key_unretired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projector's threads share one ring. One reads the folder again after a rotation
    (slowly, here); another judges an envelope recorded after the retirement meanwhile. It
    found the old key without its end and let it sign about one run in three of
    tests/integration/test_key_rotation.py: the time of the reading was set before the keys
    read were in place."""
    import threading
    import time

    import contracts.keys as keys_module

    generate_keys(tmp_path, [PROVINCE])
    ring = KeyRing(tmp_path / "public")
    (old,) = ring.by_name[unit_key(PROVINCE)]
    rotate(tmp_path, unit_key(PROVINCE))
    recorded_at = datetime.now(UTC)  # after the retirement
    reading = keys_module.read_public_keys

    def slowly(directory: Path) -> list[keys_module.PublicKey]:
        time.sleep(0.3)
        return reading(directory)

    monkeypatch.setattr(keys_module, "read_public_keys", slowly)
    other = threading.Thread(target=ring.refresh)
    other.start()
    time.sleep(0.1)  # the other thread is reading
    found = ring.find(unit_key(PROVINCE), old.kid, recorded_at)
    other.join()
    assert found is not None and found.retired_by(recorded_at)
