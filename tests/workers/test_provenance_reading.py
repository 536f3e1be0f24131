"""workers.provenance on its own: the cheap look for the C2PA marker, and a reader that hangs, crashes
or cannot have its trust anchors, each of which becomes a recorded error, never an exception."""

import pytest
from django.test import override_settings

from tests.content_credentials import make_chain, signed
from tests.media import photo_bytes
from workers import provenance


@pytest.fixture(autouse=True)
def bundled_anchors_only(settings):
    settings.SLID_C2PA_TRUST_ANCHORS = []


@pytest.fixture
def signed_photo(tmp_path):
    path = tmp_path / "signed.jpg"
    path.write_bytes(signed(photo_bytes(seed=31), "image/jpeg", make_chain("Someone")))
    return str(path)


def test_the_marker_is_found_where_it_straddles_two_blocks_read(tmp_path):
    path = tmp_path / "straddle.bin"
    path.write_bytes(b"\0" * (1024 * 1024 - 2) + b"c2pa" + b"\0" * 10)

    assert provenance.has_marker(str(path))


def test_a_file_without_the_marker_is_recorded_as_carrying_none_without_starting_the_reader(tmp_path, monkeypatch):
    path = tmp_path / "plain.jpg"
    path.write_bytes(photo_bytes(seed=32))
    monkeypatch.setattr(provenance, "_READER", tmp_path / "no-such-reader.py")  # would fail if it were started

    assert provenance.read_provenance(str(path), "image/jpeg", timeout=10) == {"state": "none"}


def test_a_reader_that_takes_too_long_is_stopped_and_recorded_as_an_error(signed_photo):
    # No Python starts, let alone reads a manifest, in a millisecond.
    record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=0.001)

    assert record == {"state": "error", "error": "The C2PA reader took longer than 0.001 s and was stopped"}


def test_a_reader_that_crashes_is_recorded_as_an_error(signed_photo, tmp_path, monkeypatch):
    crashing = tmp_path / "crashing_reader.py"
    crashing.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setattr(provenance, "_READER", crashing)

    record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=10)

    assert record == {"state": "error", "error": "The C2PA reader failed (signal 11)"}


def test_trust_anchors_that_cannot_be_found_make_an_error_not_an_untrusted_signer(signed_photo, tmp_path):
    missing = tmp_path / "no-such-anchors.pem"
    with override_settings(SLID_C2PA_TRUST_ANCHORS=[str(missing)]):
        record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=10)

    assert record == {
        "state": "error",
        "error": f"The trust anchors could not be read: the trust anchors {missing} "
        "(SLID_C2PA_TRUST_ANCHORS) do not exist",
    }


def test_a_folder_of_anchors_and_a_single_file_are_both_read(tmp_path):
    folder, single = tmp_path / "anchors", tmp_path / "one.pem"
    folder.mkdir()
    (folder / "a.pem").write_text(make_chain("A").root_pem)
    (folder / "notes.txt").write_text("not an anchor")
    single.write_text(make_chain("B").root_pem)

    with override_settings(SLID_C2PA_TRUST_ANCHORS=[str(folder), str(single)]):
        files = provenance.trust_anchor_files()

    assert files[-2:] == [folder / "a.pem", single]


def test_the_bundled_trust_anchors_are_certificates_each_signed_by_one_in_the_bundle():
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    certificates = x509.load_pem_x509_certificates(
        (provenance.BUNDLED_TRUST_ANCHORS / "C2PA-TRUST-LIST.pem").read_bytes()
    )
    by_subject = {certificate.subject: certificate for certificate in certificates}

    assert len(certificates) == 9
    for certificate in certificates:
        key = by_subject[certificate.issuer].public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(certificate.signature_hash_algorithm)
            )
        else:
            key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                padding.PKCS1v15(),
                certificate.signature_hash_algorithm,
            )
