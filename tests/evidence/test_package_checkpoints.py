"""The latest checkpoint of custody in the court package (data/checkpoints/): the checkpoint, its tokens from
a local authority (tests/tsa.py, `openssl ts -reply`) with their certificates, and each item's inclusion
proof, checked here by an RFC 9162 verifier of the tests' own and by the package's verify.py, which notices
a proof or a root changed, and a chain of custody rewritten consistently (every hash recomputed), in the
package or in the database before the package was built."""

import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from evidence import custody
from evidence.agents import Agent
from evidence.models import Checkpoint, CustodyEvent, EvidenceItem, Role
from evidence.selectors.checkpoints import ProofUnavailable, inclusion_proof
from evidence.services.checkpoints import checkpoint_build, checkpoint_stamp
from evidence.services.custody import custody_append
from evidence.services.packages import export_request
from tests.evidence.test_checkpoints import leaf, mth, rewrite_chain_as_owner, verify_inclusion
from tests.evidence.test_package_proofs import fingerprint, verify_without_openssl
from tests.evidence.test_verify_package import assert_not_intact, python_3_8, reseal
from tests.tsa import openssl_verifies
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify
from workers.timestamps import timestamp_item

pytestmark = pytest.mark.django_db

TOKEN_NAME = "1-127.0.0.1.tst"  # the checkpoint's first token, from the local authority on 127.0.0.1
ROOT_SUBJECT = "O=Slid tests, CN=Slid Test TSA CA"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


def stored_checkpoint_token(checkpoint: Checkpoint) -> bytes:
    """The token Slid keeps for the checkpoint's root, as stored."""
    return bytes(checkpoint.timestamps.get(verified=True).token)


def stamp(settings, local_tsa, tsa_signers, checkpoint: Checkpoint) -> None:
    settings.SLID_TSA_URLS = [local_tsa.url]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]
    assert len(checkpoint_stamp(checkpoint=checkpoint)) == 1
    settings.SLID_TSA_URLS = []  # nothing archived later asks for a timestamp of its file


@pytest.fixture
def covered(settings, case_a, lead, local_tsa, tsa_signers) -> dict:
    """A photo and a statement in a timestamped checkpoint, the photo's chain grown since (the package's
    chain is longer than the head the checkpoint recorded), and a note received after the checkpoint."""
    settings.SLID_TSA_URLS = []
    photo = archived_item(case_a, lead, b"photo bytes " * 400, name="IMG_0042.jpg")
    statement = archived_item(case_a, lead, b"%PDF-1.4 a statement", name="statement.pdf")
    checkpoint = checkpoint_build()
    heads = {item.ern: item.custody.order_by("-sequence").first() for item in (photo, statement)}
    note = archived_item(case_a, lead, b"%PDF-1.4 a note", name="note.pdf")
    with transaction.atomic():
        custody_append(item=photo, event_type=CustodyEvent.ACCESSED, agent=Agent.for_worker("t"), detail="read")
    stamp(settings, local_tsa, tsa_signers, checkpoint)
    return {"photo": photo, "statement": statement, "note": note, "checkpoint": checkpoint, "heads": heads}


@pytest.fixture
def package(covered, lead, case_a, tmp_path) -> tuple[Path, Path]:
    items = [covered["photo"], covered["statement"], covered["note"]]
    return package_of(build(export_request(actor=lead, case=case_a, evidence=items)), tmp_path)


def custody_lines(bag: Path, item: EvidenceItem) -> list[dict]:
    return [json.loads(line) for line in (bag / "data" / "custody" / f"{item.ern}.jsonl").read_text().splitlines()]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=1))


def test_the_package_carries_the_checkpoint_its_token_and_certificates(covered, package, tsa_signers, tmp_path):
    _, bag = package
    checkpoint = covered["checkpoint"]
    folder = bag / "data" / "checkpoints"
    document = read_json(folder / "checkpoint.json")

    assert document["checkpoint"] == {
        "id": checkpoint.pk,
        "time": checkpoint.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "root": checkpoint.root,
        "tree_size": 3,  # the audit log's leaf, the photo's and the statement's
    }
    token = (folder / "tokens" / TOKEN_NAME).read_bytes()
    assert token == stored_checkpoint_token(checkpoint)
    assert "Verification: OK" in openssl_verifies(token, checkpoint.root, tsa_signers[0].ca_pem, tmp_path).stdout
    (listed,) = document["tokens"]
    assert listed["token"] == f"data/checkpoints/tokens/{TOKEN_NAME}"
    assert listed["token_sha256"] == hashlib.sha256(token).hexdigest()
    signer, root = listed["certificates"]
    assert listed["root"] == root
    assert (bag / signer).read_bytes() == tsa_signers[0].cert_pem.read_bytes()
    assert (bag / root).read_bytes() == tsa_signers[0].ca_pem.read_bytes()
    assert sorted(p.name for p in (folder / "certificates").iterdir()) == sorted(Path(p).name for p in (signer, root))
    assert document["not_timestamped"] is None


def test_each_proof_leads_from_the_packaged_chain_to_the_root_by_an_independent_verifier(covered, package):
    _, bag = package
    checkpoint = covered["checkpoint"]
    root = bytes.fromhex(checkpoint.root)
    leaves = [leaf(bytes(16), checkpoint.audit_head)]

    for position, item in enumerate((covered["photo"], covered["statement"]), start=1):
        proof = read_json(bag / "data" / "checkpoints" / "proofs" / f"{item.ern}.json")
        head = covered["heads"][item.ern]  # as the database held it when the checkpoint was built
        lines = custody_lines(bag, item)
        entry = lines[proof["head_sequence"] - 1]
        assert (proof["leaf_index"], proof["tree_size"], proof["head_sequence"]) == (position, 3, head.sequence)
        assert proof["head_hash"] == entry["entry_hash"] == head.entry_hash
        assert proof["label"] == uuid.UUID(entry["evidence"]).bytes.hex() == item.public_id.bytes.hex()
        expected = leaf(uuid.UUID(entry["evidence"]).bytes, entry["entry_hash"])
        assert proof["leaf_hash"] == expected.hex()
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        assert verify_inclusion(proof["leaf_index"], proof["tree_size"], expected, path, root)
        leaves.append(expected)
    assert len(custody_lines(bag, covered["photo"])) > covered["heads"][covered["photo"].ern].sequence
    assert mth(leaves) == root  # the root over the packaged heads, computed here from the RFC alone


def test_an_item_received_after_the_checkpoint_is_listed_as_not_covered_with_why(covered, package):
    _, bag = package
    note, checkpoint = covered["note"], covered["checkpoint"]
    document = read_json(bag / "data" / "checkpoints" / "checkpoint.json")

    (not_covered,) = document["not_covered"]
    assert not_covered["ern"] == note.ern
    assert not_covered["why"].startswith(f"The item is not in the latest checkpoint ({checkpoint.pk}, ")
    assert not (bag / "data" / "checkpoints" / "proofs" / f"{note.ern}.json").exists()
    assert sorted(entry["ern"] for entry in document["proofs"]) == sorted(
        [covered["photo"].ern, covered["statement"].ern]
    )


def test_verify_py_checks_the_proofs_and_the_checkpoint_token(covered, package, tsa_signers, tmp_path):
    zip_path, bag = package
    checkpoint, note = covered["checkpoint"], covered["note"]
    when = f"checkpoint {checkpoint.pk} of {checkpoint.created_at:%Y-%m-%d %H:%M:%S} UTC"

    for target in (zip_path, bag):
        verdict = run_verify(target)
        assert verdict.returncode == 0, verdict.stdout + verdict.stderr
        assert (
            "CHECKED: 2 inclusion proof(s) (data/checkpoints/proofs/): each item's leaf recomputed from its chain of "
            "custody in this package (its id, and the entry the checkpoint recorded as its head), walked up its audit "
            f"path (RFC 9162 section 2.1.3.2) to the root of {when} (3 leaves): all 2 held." in verdict.stdout
        )
        assert (
            "CHECKED: 1 RFC 3161 timestamp token(s) of the checkpoint (data/checkpoints/tokens/): that the message "
            f"imprint of each, read from the token itself, is the root of {when}: all 1 held." in verdict.stdout
        )
        assert "CHECKED: the signatures of 1 checkpoint timestamp token(s), with openssl ts -verify" in verdict.stdout
        assert f"NOT CHECKED: that 1 item(s) are in a checkpoint: {when} does not cover them: {note.ern}: The item" in (
            verdict.stdout
        )
        assert f"CHECKPOINT ROOT: {checkpoint.root} ({when}, 3 leaves)" in verdict.stdout
        (root_line,) = [line for line in verdict.stdout.splitlines() if line.startswith("TSA ROOT: ")]
        assert root_line.startswith(
            f"TSA ROOT: {ROOT_SUBJECT}; SHA-256 fingerprint {fingerprint(tsa_signers[0].ca_pem)}"
        )
        assert "the root of 1 checkpoint timestamp token(s) from" in root_line

    without = verify_without_openssl(bag, tmp_path)
    assert without.returncode == 0, without.stdout + without.stderr
    assert "CHECKED: 2 inclusion proof(s)" in without.stdout
    assert "NOT CHECKED: the signatures of 1 checkpoint timestamp token(s): openssl not found" in without.stdout


def test_verify_py_checks_the_proofs_under_python_3_8(covered, package):
    python38 = python_3_8()
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    zip_path, bag = package

    verdict = subprocess.run(
        [python38, str(bag / "data" / "verify.py"), str(zip_path)], capture_output=True, text=True, check=False
    )

    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "CHECKED: 2 inclusion proof(s)" in verdict.stdout and "all 2 held." in verdict.stdout
    assert "CHECKED: the signatures of 1 checkpoint timestamp token(s), with openssl ts -verify" in verdict.stdout


def test_an_authority_that_stamped_files_and_the_checkpoint_is_one_root_to_compare(
    settings, covered, lead, case_a, local_tsa, tsa_signers, tmp_path
):
    settings.SLID_TSA_URLS = [local_tsa.url]
    assert timestamp_item(covered["statement"].pk, agent=Agent.for_worker("test")) == "timestamped"
    export = export_request(actor=lead, case=case_a, evidence=[covered["statement"]])
    zip_path, _ = package_of(build(export), tmp_path)

    verdict = run_verify(zip_path)

    assert verdict.returncode == 0, verdict.stdout
    (root_line,) = [line for line in verdict.stdout.splitlines() if line.startswith("TSA ROOT: ")]
    assert root_line.startswith(f"TSA ROOT: {ROOT_SUBJECT}; SHA-256 fingerprint {fingerprint(tsa_signers[0].ca_pem)}")
    assert "the root of 1 timestamp token(s) and 1 checkpoint timestamp token(s) from" in root_line


def test_a_changed_audit_path_is_noticed(covered, package):
    _, bag = package
    statement, checkpoint = covered["statement"], covered["checkpoint"]
    path = bag / "data" / "checkpoints" / "proofs" / f"{statement.ern}.json"
    proof = read_json(path)
    proof["audit_path"][0] = "0" * 63 + "1"
    write_json(path, proof)
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/checkpoints/proofs/{statement.ern}.json: its audit path does not lead from {statement.ern}'s leaf "
        f"(entry {proof['head_sequence']} of its chain of custody) to the root of checkpoint {checkpoint.pk}",
    )


def test_a_root_changed_everywhere_in_the_package_no_longer_matches_its_token(covered, package):
    _, bag = package
    checkpoint = covered["checkpoint"]
    forged = hashlib.sha256(b"another root").hexdigest()
    folder = bag / "data" / "checkpoints"
    document = read_json(folder / "checkpoint.json")
    document["checkpoint"]["root"] = forged
    write_json(folder / "checkpoint.json", document)
    for path in (folder / "proofs").iterdir():
        write_json(path, {**read_json(path), "root": forged})
    reseal(bag)

    verdict = run_verify(bag)

    assert_not_intact(
        verdict,
        f"data/checkpoints/tokens/{TOKEN_NAME}: it stamps {checkpoint.root}, not the root of checkpoint "
        f"{checkpoint.pk} ({forged})",
        f"data/checkpoints/proofs/{covered['photo'].ern}.json: its audit path does not lead from",
    )
    assert "CHECKED: the signatures of 1 checkpoint timestamp token(s)" not in verdict.stdout  # nothing to verify


def recomputed_chain(lines: list[dict], sequence: int, detail: str) -> list[dict]:
    """The chain with entry ``sequence``'s detail changed and every hash after it recomputed (with Slid's
    custody hashing, not verify.py's): a chain that holds again."""
    previous = custody.GENESIS_HASH
    for entry in lines:
        if entry["sequence"] == sequence:
            entry["detail"] = detail
        entry["previous_hash"] = previous
        fields = {key: entry[key] for key in (*verify_fields(), *(("version",) if "version" in entry else ()))}
        entry["entry_hash"] = previous = custody.entry_hash(fields)
    return lines


def verify_fields() -> tuple[str, ...]:
    return (
        "agent", "agent_details", "detail", "details", "event_type", "evidence", "occurred_at", "outcome",
        "previous_hash", "sequence",
    )  # fmt: skip


def test_a_custody_entry_changed_consistently_in_the_package_no_longer_reaches_the_timestamped_root(covered, package):
    _, bag = package
    statement, checkpoint = covered["statement"], covered["checkpoint"]
    custody_path = bag / "data" / "custody" / f"{statement.ern}.jsonl"
    lines = recomputed_chain(custody_lines(bag, statement), 1, "received from someone else")
    custody_path.write_text("".join(json.dumps(entry, sort_keys=True) + "\n" for entry in lines))
    proof_path = bag / "data" / "checkpoints" / "proofs" / f"{statement.ern}.json"
    proof = read_json(proof_path)
    write_json(proof_path, {**proof, "head_hash": lines[proof["head_sequence"] - 1]["entry_hash"]})  # as a forger
    reseal(bag)

    verdict = run_verify(bag)

    assert_not_intact(
        verdict,
        f"{statement.ern}: entry {proof['head_sequence']} of its chain of custody is not the head checkpoint "
        f"{checkpoint.pk} recorded",
    )
    assert f"PROBLEM: {statement.ern}: entry 1 was changed" not in verdict.stdout  # the chain itself holds


@pytest.mark.django_db(transaction=True)
def test_a_chain_the_owner_rewrote_before_the_package_was_built_is_reported_by_its_verify_py(
    settings, case_a, member_of, as_owner, local_tsa, tsa_signers, tmp_path
):
    lead = member_of(case_a, Role.LEAD, username="prosecutor")
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, lead, b"%PDF-1.4 a statement", name="statement.pdf")
    checkpoint = checkpoint_build()
    stamp(settings, local_tsa, tsa_signers, checkpoint)
    head = item.custody.order_by("-sequence").first()
    rewrite_chain_as_owner(as_owner, item.ern, "received from someone else")

    zip_path, _ = package_of(build(export_request(actor=lead, case=case_a, evidence=[item])), tmp_path)
    verdict = run_verify(zip_path)

    assert_not_intact(
        verdict,
        f"{item.ern}: entry {head.sequence} of its chain of custody is not the head checkpoint {checkpoint.pk} "
        f"recorded: it gives leaf ",
    )
    assert f"where the checkpoint's tree holds {leaf(item.public_id.bytes, head.entry_hash).hex()}" in verdict.stdout
    assert "CHECKED: 1 RFC 3161 timestamp token(s) of the checkpoint" in verdict.stdout


def test_without_a_checkpoint_every_item_is_listed_with_why(case_a, lead, settings, tmp_path):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, lead, b"%PDF-1.4 a statement", name="statement.pdf")

    zip_path, bag = package_of(build(export_request(actor=lead, case=case_a, evidence=[item])), tmp_path)

    document = read_json(bag / "data" / "checkpoints" / "checkpoint.json")
    assert document["checkpoint"] is None and document["tokens"] == [] and document["proofs"] == []
    assert document["not_covered"] == [
        {
            "ern": item.ern,
            "file": f"data/evidence/{item.ern}/statement.pdf",
            "why": "No checkpoint had been built when Slid built this package.",
        }
    ]
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout
    assert (
        "NOT CHECKED: that each chain of custody is included in a timestamped checkpoint: no checkpoint covered the "
        "items of this package when Slid built it" in verdict.stdout
    )


def test_a_proof_taken_out_is_noticed_even_when_checkpoint_json_is_rewritten(covered, package):
    _, bag = package
    photo = covered["photo"]
    (bag / "data" / "checkpoints" / "proofs" / f"{photo.ern}.json").unlink()
    folder = bag / "data" / "checkpoints"
    document = read_json(folder / "checkpoint.json")
    document["proofs"] = [entry for entry in document["proofs"] if entry["ern"] != photo.ern]
    write_json(folder / "checkpoint.json", document)
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"{photo.ern}: no inclusion proof in data/checkpoints/proofs/, and data/checkpoints/checkpoint.json does not "
        "say why.",
    )


def test_a_proof_is_given_in_a_chosen_checkpoint_while_its_tree_is_kept(case_a, lead, settings):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, lead, b"%PDF-1.4 a statement", name="statement.pdf")
    first = checkpoint_build()
    archived_item(case_a, lead, b"%PDF-1.4 a second statement", name="second.pdf")  # a build needs a change
    second = checkpoint_build()
    archived_item(case_a, lead, b"%PDF-1.4 a third statement", name="third.pdf")
    third = checkpoint_build()
    assert len({first.pk, second.pk, third.pk}) == 3

    assert inclusion_proof(item=item, checkpoint=second).checkpoint == second
    assert inclusion_proof(item=item).checkpoint == third
    with pytest.raises(ProofUnavailable, match=f"The tree of checkpoint {first.pk} is no longer kept"):
        inclusion_proof(item=item, checkpoint=first)
