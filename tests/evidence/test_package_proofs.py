"""Timestamps and provenance in the court package: the RFC 3161 tokens of a local authority (tests/tsa.py,
`openssl ts -reply`) and Content Credentials signed here (tests/content_credentials.py) go into the package
as stored, and the package's own verify.py checks them (with openssl, and without it), and notices a token
changed, swapped or taken out, and a provenance record changed, even when the package is sealed again."""

import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings as django_settings

from evidence.agents import Agent
from evidence.models import EvidenceItem, Role, TimestampToken
from evidence.services.packages import export_request
from tests.content_credentials import make_chain, signed
from tests.evidence.test_verify_package import assert_not_intact, python_3_8, reseal
from tests.media import photo_bytes
from tests.tsa import LocalTSA, Signer, openssl_verifies
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify
from workers.timestamps import timestamp_item

pytestmark = pytest.mark.django_db

TOKEN_NAME = "1-127.0.0.1.tst"  # the first token of an item, from the local authority on 127.0.0.1
# The test CA's subject, as verify.py prints it (tests/tsa.py names it so).
ROOT_SUBJECT = "O=Slid tests, CN=Slid Test TSA CA"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def trusted_c2pa():
    """A C2PA signing chain whose root Slid trusts while the test runs."""
    chain = make_chain("Trusted")
    folder = Path(django_settings.SLID_C2PA_TRUST_ANCHORS[0])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test-root.pem").write_text(chain.root_pem)
    yield chain
    shutil.rmtree(folder)


@pytest.fixture
def tsa(settings, local_tsa):
    """The local authority, configured only once the items are archived (archiving then enqueues nothing)."""
    settings.SLID_TSA_URLS = []
    return local_tsa


def stamped(settings, tsa, tsa_signers, item: EvidenceItem, *, mode: str = "ok") -> str:
    """Asks the authority for the item's timestamp, as the worker does; the authority stays configured."""
    settings.SLID_TSA_URLS = [tsa.url]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]
    tsa.mode = mode
    return timestamp_item(item.pk, agent=Agent.for_worker("test"))


@pytest.fixture
def items(settings, case_a, lead, tsa, tsa_signers, trusted_c2pa) -> dict[str, EvidenceItem]:
    """A photo with Content Credentials and a statement, both timestamped (the statement after a token the
    authority signed with a certificate no one trusts, which is kept unverified), and a note not yet stamped."""
    photo = archived_item(case_a, lead, signed(photo_bytes(seed=41), "image/jpeg", trusted_c2pa), name="IMG_0042.jpg")
    statement = archived_item(case_a, lead, b"%PDF-1.4 a statement", name="statement.pdf")
    note = archived_item(case_a, lead, b"%PDF-1.4 a note", name="note.pdf")
    assert stamped(settings, tsa, tsa_signers, photo) == "timestamped"
    assert stamped(settings, tsa, tsa_signers, statement, mode="untrusted") == "will retry"
    assert stamped(settings, tsa, tsa_signers, statement) == "timestamped"
    assert TimestampToken.objects.filter(evidence=statement, verified=False).count() == 1
    for item in (photo, statement, note):
        item.refresh_from_db()
    assert photo.provenance["state"] == "valid"
    return {"photo": photo, "statement": statement, "note": note}


@pytest.fixture
def package(items, lead, case_a, tmp_path) -> tuple[Path, Path]:
    return package_of(build(export_request(actor=lead, case=case_a, evidence=list(items.values()))), tmp_path)


def stored_token(item: EvidenceItem) -> bytes:
    return bytes(TimestampToken.objects.get(evidence=item, verified=True).token)


def fingerprint(pem: Path) -> str:
    return x509.load_pem_x509_certificate(pem.read_bytes()).fingerprint(hashes.SHA256()).hex(":").upper()


def verify_without_openssl(bag: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """The package's verify.py with a PATH on which there is no openssl."""
    empty = tmp_path / "no-programs"
    empty.mkdir(exist_ok=True)
    script = bag / "data" / "verify.py"
    environment = {**os.environ, "PATH": str(empty)}
    return subprocess.run(
        [sys.executable, str(script), str(bag)], capture_output=True, text=True, check=False, env=environment
    )


def test_the_package_carries_each_verified_token_as_stored_with_its_certificates(
    items, package, tsa, tsa_signers, tmp_path
):
    _, bag = package
    photo, statement, note = items["photo"], items["statement"], items["note"]
    index = json.loads((bag / "data" / "timestamps" / "index.json").read_text())

    for item in (photo, statement):
        token = TimestampToken.objects.get(evidence=item, verified=True)
        path = bag / "data" / "timestamps" / item.ern / TOKEN_NAME
        assert path.read_bytes() == bytes(token.token)
        assert (
            "Verification: OK"
            in openssl_verifies(path.read_bytes(), item.sha256, tsa_signers[0].ca_pem, tmp_path).stdout
        )
    assert sorted(p.name for p in (bag / "data" / "timestamps" / statement.ern).iterdir()) == [TOKEN_NAME]
    assert not (bag / "data" / "timestamps" / note.ern).exists()

    listed = {entry["ern"]: entry for entry in index["tokens"]}
    assert set(listed) == {photo.ern, statement.ern}
    token = TimestampToken.objects.get(evidence=photo, verified=True)
    entry = listed[photo.ern]
    assert entry["token"] == f"data/timestamps/{photo.ern}/{TOKEN_NAME}"
    assert entry["file"] == f"data/evidence/{photo.ern}/IMG_0042.jpg"
    assert (entry["sha256"], entry["tsa"], entry["serial"]) == (photo.sha256, tsa.url, token.serial)
    assert entry["time"] == token.gen_time.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    signer, root = entry["certificates"]
    assert entry["root"] == root
    assert (bag / signer).read_bytes() == tsa_signers[0].cert_pem.read_bytes()
    assert (bag / root).read_bytes() == tsa_signers[0].ca_pem.read_bytes()
    assert sorted(p.name for p in (bag / "data" / "timestamps" / "certificates").iterdir()) == sorted(
        Path(path).name for path in (signer, root)
    )
    (waiting,) = index["not_timestamped"]
    assert (waiting["ern"], waiting["state"]) == (note.ern, "waiting")


def test_the_register_and_provenance_json_carry_what_slid_recorded(items, package):
    _, bag = package
    photo, statement = items["photo"], items["statement"]
    register_text = (bag / "data" / "register.csv").read_text(encoding="utf-8-sig")
    rows = {row["ERN"]: row for row in csv.DictReader(io.StringIO(register_text))}
    provenance = json.loads((bag / "data" / "provenance.json").read_text())

    token = TimestampToken.objects.get(evidence=photo, verified=True)
    assert rows[photo.ern]["Trusted timestamps"] == f"{token.gen_time:%Y-%m-%dT%H:%M:%S.000000Z} by 127.0.0.1"
    assert rows[items["note"].ern]["Trusted timestamps"] == ""
    assert (rows[photo.ern]["Content Credentials"], rows[statement.ern]["Content Credentials"]) == ("valid", "")
    records = {entry["ern"]: entry["provenance"] for entry in provenance["items"]}
    assert records[photo.ern] == photo.custody.get(event_type="provenance_read").details
    assert records[photo.ern]["claim_generator"] == "Slid test camera 2.1"
    assert records[statement.ern] is None


def test_verify_py_checks_the_imprints_and_with_openssl_the_signatures(items, package, tsa_signers):
    zip_path, bag = package

    for target in (zip_path, bag):
        verdict = run_verify(target)
        assert verdict.returncode == 0, verdict.stdout + verdict.stderr
        assert "VERDICT: CONSISTENT — 3 evidence files and 3 chains of custody verified" in verdict.stdout
        assert (
            "CHECKED: 2 RFC 3161 timestamp token(s) (data/timestamps/): that the message imprint of each, read from "
            "the token itself, is the SHA-256 of its evidence file, and that each is a token its item's chain of "
            "custody recorded: all 2 held." in verdict.stdout
        )
        assert "CHECKED: the signatures of 2 timestamp token(s), with openssl ts -verify (OpenSSL" in verdict.stdout
        assert "each certificate judged as at the token's time): all 2 verified." in verdict.stdout
        assert f"TSA ROOT: {ROOT_SUBJECT}; SHA-256 fingerprint {fingerprint(tsa_signers[0].ca_pem)}" in verdict.stdout
        assert "CHECKED: the provenance records of 3 item(s) in data/provenance.json" in verdict.stdout
        assert "NOT CHECKED: the Content Credentials (C2PA) in the files themselves" in verdict.stdout
        assert "NOT CHECKED: that each chain of custody is included in a timestamped checkpoint" in verdict.stdout
        assert "NOT CHECKED: the signatures" not in verdict.stdout


def test_without_openssl_verify_py_says_the_signatures_were_not_checked(package, tsa_signers, tmp_path):
    _, bag = package

    verdict = verify_without_openssl(bag, tmp_path)

    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "CHECKED: 2 RFC 3161 timestamp token(s)" in verdict.stdout
    assert (
        "NOT CHECKED: the signatures of 2 timestamp token(s): openssl not found: token signatures NOT checked."
        in verdict.stdout
    )
    assert not [line for line in verdict.stdout.splitlines() if line.startswith("CHECKED: the signatures")]
    assert f"TSA ROOT: {ROOT_SUBJECT}; SHA-256 fingerprint {fingerprint(tsa_signers[0].ca_pem)}" in verdict.stdout


def test_a_token_whose_signature_was_changed_is_noticed_with_and_without_openssl(items, package, tmp_path):
    _, bag = package
    photo = items["photo"]
    path = bag / "data" / "timestamps" / photo.ern / TOKEN_NAME
    token = bytearray(path.read_bytes())
    token[-1] ^= 0x01  # the last byte of the signature (an ECDSA signature's s)
    path.write_bytes(bytes(token))
    reseal(bag)
    relative = f"data/timestamps/{photo.ern}/{TOKEN_NAME}"

    verdict = run_verify(bag)
    assert_not_intact(
        verdict,
        f"{relative}: not a timestamp token {photo.ern}'s chain of custody records",
        f"{relative}: its signature does not verify against the certificates shipped with it",
    )
    assert "1 of 2 verified, the others are PROBLEMs above" in verdict.stdout
    assert "is not a CA cert" not in verdict.stdout  # openssl was given no certificate but the chain's
    without = verify_without_openssl(bag, tmp_path)
    assert_not_intact(without, f"{relative}: not a timestamp token {photo.ern}'s chain of custody records")
    assert "its signature does not verify" not in without.stdout


def test_two_items_tokens_swapped_are_each_a_token_for_another_file(items, package):
    _, bag = package
    photo, statement = items["photo"], items["statement"]
    photo_path = bag / "data" / "timestamps" / photo.ern / TOKEN_NAME
    statement_path = bag / "data" / "timestamps" / statement.ern / TOKEN_NAME
    photo_path.write_bytes(stored_token(statement))
    statement_path.write_bytes(stored_token(photo))
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/timestamps/{photo.ern}/{TOKEN_NAME}: it stamps SHA-256 {statement.sha256}, not "
        f"data/evidence/{photo.ern}/IMG_0042.jpg (SHA-256 {photo.sha256}): a token for another file.",
        f"data/timestamps/{statement.ern}/{TOKEN_NAME}: it stamps SHA-256 {photo.sha256}, not "
        f"data/evidence/{statement.ern}/statement.pdf (SHA-256 {statement.sha256}): a token for another file.",
        f"data/timestamps/{photo.ern}/{TOKEN_NAME}: not a timestamp token {photo.ern}'s chain of custody records",
    )


def test_a_token_taken_out_is_noticed_even_when_the_index_is_rewritten(items, package):
    _, bag = package
    statement = items["statement"]
    token = TimestampToken.objects.get(evidence=statement, verified=True)
    (bag / "data" / "timestamps" / statement.ern / TOKEN_NAME).unlink()
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/timestamps/{statement.ern}/{TOKEN_NAME} is listed in data/timestamps/index.json but missing.",
    )

    index_path = bag / "data" / "timestamps" / "index.json"
    index = json.loads(index_path.read_text())
    index["tokens"] = [entry for entry in index["tokens"] if entry["ern"] != statement.ern]
    index_path.write_text(json.dumps(index))
    reseal(bag)

    verdict = run_verify(bag)
    assert_not_intact(
        verdict,
        f"{statement.ern}: its chain of custody records a timestamp token (by {token.tsa_url}, serial {token.serial}, "
        f"{token.gen_time:%Y-%m-%dT%H:%M:%S.000000Z}) that is not in the package.",
    )
    assert "listed in data/timestamps/index.json but missing" not in verdict.stdout


def test_a_token_planted_outside_the_index_is_noticed(items, package):
    _, bag = package
    note = items["note"]
    planted = bag / "data" / "timestamps" / note.ern / TOKEN_NAME
    planted.parent.mkdir()
    planted.write_bytes(stored_token(items["photo"]))
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/timestamps/{note.ern}/{TOKEN_NAME}: a timestamp token that data/timestamps/index.json does not list.",
    )


def test_a_changed_provenance_record_is_noticed(items, package):
    _, bag = package
    photo = items["photo"]
    path = bag / "data" / "provenance.json"
    document = json.loads(path.read_text())
    record = next(entry["provenance"] for entry in document["items"] if entry["ern"] == photo.ern)
    record["claim_generator"] = "Another camera 1.0"
    path.write_text(json.dumps(document))
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/provenance.json: the record of {photo.ern} is not the one its chain of custody recorded when Slid "
        "read the file.",
    )


def test_verify_py_checks_the_tokens_under_python_3_8(package, tsa_signers):
    python38 = python_3_8()
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    zip_path, bag = package

    verdict = subprocess.run(
        [python38, str(bag / "data" / "verify.py"), str(zip_path)], capture_output=True, text=True, check=False
    )

    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "CHECKED: 2 RFC 3161 timestamp token(s)" in verdict.stdout
    assert "CHECKED: the signatures of 2 timestamp token(s), with openssl ts -verify" in verdict.stdout
    assert f"SHA-256 fingerprint {fingerprint(tsa_signers[0].ca_pem)}" in verdict.stdout


def _certificate(subject: str, key, issuer: x509.Certificate | None, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Slid tests"), x509.NameAttribute(NameOID.COMMON_NAME, subject)]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tsa_behind_an_intermediate(tsa_signers, tmp_path):
    """(an authority whose certificate an intermediate CA issued, and which sends only its own; the file of
    trust roots holding the root and the intermediate, as the README tells an operator to configure it)."""
    signer = Signer.make(tmp_path / "deep", "Deep Root CA")  # its files are replaced by a longer chain below
    root_key, intermediate_key, tsa_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _certificate("Deep Root CA", root_key, None, root_key, ca=True)
    intermediate = _certificate("Deep Intermediate CA", intermediate_key, root, root_key, ca=True)
    tsa_certificate = _certificate("Deep TSA", tsa_key, intermediate, intermediate_key, ca=False)
    signer.ca_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    signer.cert_pem.write_bytes(tsa_certificate.public_bytes(serialization.Encoding.PEM))
    signer.key_pem.write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    roots = tmp_path / "deep-roots.pem"
    roots.write_bytes(signer.ca_pem.read_bytes() + intermediate.public_bytes(serialization.Encoding.PEM))
    tsa = LocalTSA(signer, tsa_signers[1])
    yield tsa, roots, intermediate
    tsa.stop()


def test_an_intermediate_the_authority_does_not_send_goes_in_and_openssl_is_given_it(
    settings, case_a, lead, tsa_behind_an_intermediate, tmp_path
):
    tsa, roots, intermediate = tsa_behind_an_intermediate
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, lead, b"%PDF-1.4 a report", name="report.pdf")
    settings.SLID_TSA_URLS, settings.SLID_TSA_ROOTS = [tsa.url], [str(roots)]
    assert timestamp_item(item.pk, agent=Agent.for_worker("test")) == "timestamped"

    zip_path, bag = package_of(build(export_request(actor=lead, case=case_a, evidence=[item])), tmp_path)

    (entry,) = json.loads((bag / "data" / "timestamps" / "index.json").read_text())["tokens"]
    signer, middle, root = entry["certificates"]
    assert (bag / signer).read_bytes() == tsa.trusted.cert_pem.read_bytes()
    assert (bag / middle).read_bytes() == intermediate.public_bytes(serialization.Encoding.PEM)
    assert (bag / root).read_bytes() == tsa.trusted.ca_pem.read_bytes() and entry["root"] == root
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout
    assert "each certificate judged as at the token's time): all 1 verified." in verdict.stdout
    assert f"TSA ROOT: O=Slid tests, CN=Deep Root CA; SHA-256 fingerprint {fingerprint(tsa.trusted.ca_pem)}" in (
        verdict.stdout
    )
