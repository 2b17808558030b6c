"""Judging a batch from its readings alone: each record is read once (projector/reading.py,
in a worker process or here), and judging takes nothing more from its bytes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from aiokafka.structs import ConsumerRecord

from contracts import coordination as c
from contracts.hierarchy import HierarchyChanged, Merge
from contracts.keys import generate, generate_keys, registry_key
from contracts.signing import Signer, Verifier
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.trust import lineage_of
from services.reporting.read.projector.judging import Judging
from services.reporting.read.projector.reading import read_chunk
from tests.builders import held_voter_contact
from tests.forged import envelope_of

LAI_CHAU, MUONG_TE, PA_U, TAM_DUONG = "12", "03445", "03442", "03390"
MERGED = date(2026, 1, 1)  # Mường Tè into Pa Ủ, by the change the batch carries


def emptied(offset: int) -> Record:
    """A record whose bytes are gone: judging must find what it needs in the reading."""
    return ConsumerRecord("t", 0, offset, 0, 0, None, b"", None, 0, 0, [])


def test_a_batch_is_judged_from_its_readings_without_reading_a_record_again(
    tmp_path: Path,
) -> None:
    """A hierarchy change, a proposal (its payload names the unit it goes to) and a voter
    contact of a commune the change just merged, signed as their publishers would: judged
    from the readings alone, the change moves the working tree and the contact counts in the
    commune it merged into."""
    generate_keys(tmp_path, [LAI_CHAU])
    generate(tmp_path, registry_key())
    signer = Signer.from_dir(tmp_path)
    merge = HierarchyChanged(
        change_no=1, effective=MERGED, change=Merge(units=[MUONG_TE], into=PA_U)
    )
    proposal = c.ProposalRaised(
        to_unit=LAI_CHAU, kind=c.ProposalKind.SUGGESTION, title="Đề xuất", raised_on=MERGED
    )
    contact = held_voter_contact(MUONG_TE, date(2026, 1, 5), seq=1).envelope
    envelopes = [
        signer.sign(envelope_of(merge, LAI_CHAU, MERGED, "registry", 1), [LAI_CHAU]),
        signer.sign(envelope_of(proposal, TAM_DUONG, MERGED, "t", 1), [TAM_DUONG, LAI_CHAU]),
        signer.sign(contact, [MUONG_TE, LAI_CHAU]),
    ]
    readings = read_chunk([e.to_bytes() for e in envelopes], str(tmp_path / "public"))
    tree = Hierarchy.load().copy()
    judging = Judging(tree, Verifier.from_dir(tmp_path, lineage_of(tree)))
    for offset, reading in enumerate(readings):
        judging.take(emptied(offset), reading)
    assert [letter.reason for letter in judging.letters] == []
    changed, raised, counted = judging.accepted
    assert changed.change == merge and tree.resolve(MUONG_TE, date(2026, 1, 5)) == PA_U
    assert raised.reading.type == "proposal.raised"
    assert [unit for unit, _, _ in counted.placed] == [PA_U]


def test_a_record_whose_signer_key_the_worker_read_otherwise_is_read_again_with_ours(
    tmp_path: Path,
) -> None:
    """A worker that found no key (or another one) for the signer: the record is read again
    here with the consumer's keys, so a good signature counts and an altered record is still
    refused."""
    generate_keys(tmp_path, [LAI_CHAU])
    signer = Signer.from_dir(tmp_path)
    good = signer.sign(held_voter_contact(TAM_DUONG, MERGED, seq=1).envelope, [LAI_CHAU])
    altered = good.model_copy(update={"sequence": 2})
    values = [good.to_bytes(), altered.to_bytes()]
    records = [
        ConsumerRecord("t", 0, i, 0, 0, None, v, None, 0, 0, []) for i, v in enumerate(values)
    ]
    tree = Hierarchy.load().copy()
    judging = Judging(tree, Verifier.from_dir(tmp_path, lineage_of(tree)))
    for record, reading in zip(records, read_chunk(values, None), strict=True):
        assert reading.key is None  # read without the registered keys
        judging.take(record, reading)
    assert [a.record.offset for a in judging.accepted] == [0]
    assert [letter.reason for letter in judging.letters] == [f"bad signature by unit {LAI_CHAU}"]
